import fs from 'node:fs';
import os from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/*
 * Worker threads, for the service (the relating worker, src/ingest/relate-thread.ts) and the benchmark (its fixture
 * WebSub subscribers, bench/lib/subscribers.ts): starting one from a module given by URL, whether the code runs built
 * or from source, and putting a thread below the others in the kernel's scheduling.
 */

/**
 * A worker running the module at `url`: a built .js module directly; a .ts module (from source: tests, the benchmark,
 * `npm run ingest`) through tsx's API (a dependency), as Node 20 does not load TypeScript itself.
 */
export function startWorker(url: URL, options: Omit<WorkerOptions, 'eval'>): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, options);
  const boot = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${JSON.stringify(url.href)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(boot, { ...options, eval: true });
}

/** The kernel's id of the calling thread (Linux), null where it cannot be read: setpriority on it applies to this thread alone. */
export function currentThreadId(): number | null {
  try {
    const id = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(id) ? id : null;
  } catch {
    return null;
  }
}

/**
 * Sets the calling thread's nice value (19: the lowest priority Linux has), not its process's. Returns the thread's
 * id and the nice value it runs at; a nice of null where the platform has no per-thread priority or refused it (the
 * thread then competes as any other does).
 */
export function niceThisThread(nice: number): { tid: number | null; nice: number | null } {
  const tid = currentThreadId();
  if (tid === null) return { tid, nice: null };
  try {
    os.setPriority(tid, nice);
    return { tid, nice: os.getPriority(tid) };
  } catch {
    return { tid, nice: null };
  }
}
