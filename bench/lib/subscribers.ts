/**
 * The fixture WebSub subscribers (bench/lib/subscribers-thread.ts), in a worker thread of this process at the lowest
 * CPU priority (nice 19). They stand in for remote machines, which take nothing from the readers' load generator;
 * here they must share the load core with wrk, and at normal priority they took a fifth of it during a fan-out,
 * so wrk, starved, sent fewer requests while the service had time to spare: the throughput figure then measured
 * the load core, not the service. At nice 19 they read what the service sends when wrk leaves the core idle
 * (a fan-out they read later only looks slower: the delivery times stay an upper bound). Arrivals are timed by the
 * thread as it reads them, on the same monotonic clock as the measuring thread (process.hrtime).
 */
import { startWorker } from '../../src/threads.ts';
import type { SubscribersData, SubscribersReady } from './subscribers-thread.ts';

export interface Subscribers {
  origin: string;
  /** The nice value the subscribers' thread runs at, or null when it could not be set. */
  nice: number | null;
  /** When the latency subscriber (`/latency`) got edit `n`, or null. */
  latencyAt(n: number): number | null;
  /** The deliveries of edit `n` to `/fan/...` subscribers: how many, the first and the last arrival; null before the first. */
  fanned(n: number): { count: number; first: number; last: number } | null;
  /** Signatures checked (the latency subscriber's, a sample of the fan-out's) and how many did not match. */
  signatures(): { checked: number; bad: number };
  close(): Promise<void>;
}

const MAX_EDITS = 4096;

/** The latency subscriber's (`/latency`) secret. */
export const LATENCY_SECRET = 'bench';
/** Half the fan-out subscribers (`/fan/<k>`) gave a secret (each its own), as a mix of subscribers would. */
export const secretOf = (k: number): string | null => (k % 2 === 0 ? `secret-${k}` : null);

/** The secret a subscriber checks the signatures it gets with: the latency one's, and every `sampleEvery`-th fan-out one's; null: it only counts. */
export function checkedSecret(pathname: string, sampleEvery: number): string | null {
  if (pathname === '/latency') return LATENCY_SECRET;
  const k = pathname.startsWith('/fan/') ? Number(pathname.slice(5)) : Number.NaN;
  return k % sampleEvery === 0 ? secretOf(k) : null;
}

export async function startSubscribers(o: { sampleEvery: number; nice: number }): Promise<Subscribers> {
  const times = new SharedArrayBuffer(MAX_EDITS * 3 * Float64Array.BYTES_PER_ELEMENT);
  const counts = new SharedArrayBuffer((MAX_EDITS + 2) * Int32Array.BYTES_PER_ELEMENT);
  const t = new Float64Array(times).fill(Number.NaN);
  const c = new Int32Array(counts);
  const workerData: SubscribersData = { times, counts, maxEdits: MAX_EDITS, sampleEvery: o.sampleEvery, nice: o.nice };
  const worker = startWorker(new URL('./subscribers-thread.ts', import.meta.url), { workerData, name: 'bench-subscribers' });
  const ready = await new Promise<SubscribersReady>((resolve, reject) => {
    worker.once('message', (m: SubscribersReady) => resolve(m));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`websub bench: the subscribers' thread exited (${code}) before listening`)));
  });
  const at = (n: number, k: number): number | null => {
    if (n < 0 || n >= MAX_EDITS) return null;
    const v = t[n * 3 + k]!;
    return Number.isNaN(v) ? null : v;
  };
  return {
    origin: `http://127.0.0.1:${ready.port}`,
    nice: ready.nice,
    latencyAt: (n) => at(n, 2),
    fanned: (n) => {
      const count = n >= 0 && n < MAX_EDITS ? Atomics.load(c, n) : 0;
      return count === 0 ? null : { count, first: at(n, 0)!, last: at(n, 1)! };
    },
    signatures: () => ({ checked: Atomics.load(c, MAX_EDITS), bad: Atomics.load(c, MAX_EDITS + 1) }),
    close: async () => {
      await worker.terminate();
    },
  };
}
