/*
 * The service's side of the relating worker (src/ingest/relate-worker.ts): started when a pass has items to relate,
 * asked one request at a time, and closed once no pass has used it for a while.
 */
import type { Worker } from 'node:worker_threads';
import type { RelateTarget } from '../content/model.ts';
import type { Logger } from '../log.ts';
import { startWorker } from '../threads.ts';
import type { WireDoc, WireTarget, WorkerAnswer, WorkerBatch, WorkerData, WorkerRequest } from './relate-worker.ts';

export type { WireDoc, WorkerBatch };

/** A worker nobody used for this long is closed (its connection, caches and V8 heap go with it). */
const IDLE_CLOSE_MS = 10_000;

export interface RelateThread {
  /** Analyses these articles' text and indexes them in the worker, in one transaction (then compacts the index if asked). */
  index(docs: readonly WireDoc[], compact: boolean): Promise<void>;
  /** Starts a pass in the worker: these articles (by content when `byContent`), among `scope` when given. */
  pass(targets: readonly RelateTarget[], byContent: boolean, scope: ReadonlySet<string> | null): Promise<void>;
  /** Relates the `size` stored items after id `after` in the worker, in one transaction of its connection. */
  batch(after: number, size: number): Promise<WorkerBatch>;
  /** The pass is over: the worker is closed unless another starts soon. */
  idle(): void;
  /** Closes the worker now (the service stops). */
  close(): Promise<void>;
}

/**
 * The worker's file beside this module's: src/ingest/relate-worker.ts from source (loaded through tsx: tests,
 * `npm run ingest`), dist/relate-worker.js in the build (`npm run build` bundles it as a second entry point).
 */
function workerUrl(): URL {
  const ts = import.meta.url.endsWith('.ts');
  return new URL(ts ? './relate-worker.ts' : './relate-worker.js', import.meta.url);
}

function spawn(dataDir: string): Worker {
  const workerData: WorkerData = { dataDir };
  return startWorker(workerUrl(), { workerData, name: 'kabar-relate' });
}

/** A request before it gets its id. */
type Unnumbered = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

const wire = (t: RelateTarget): WireTarget => ({
  articleId: t.articleId,
  rules: t.rules,
  ...(t.excludes ? { excludes: t.excludes } : {}),
  ...(t.excludeUrls ? { excludeUrls: t.excludeUrls } : {}),
  fingerprint: t.text?.fingerprint ?? null,
});

/** The relating worker over the SQLite store in `dataDir`, started on first use. */
export function createRelateThread(dataDir: string, logger: Logger): RelateThread {
  let worker: { thread: Worker; ready: Promise<void> } | null = null;
  const waiting = new Map<number, { resolve: (a: WorkerAnswer & { ok: true }) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let idleTimer: NodeJS.Timeout | null = null;

  function start(): { thread: Worker; ready: Promise<void> } {
    const thread = spawn(dataDir);
    const ready = new Promise<void>((resolve, reject) =>
      waiting.set(0, {
        resolve: (a) => {
          // The bench finds the thread by this line (its tid) to place it; an operator sees its priority.
          logger.info({ tid: a.started?.tid ?? null, nice: a.started?.nice ?? null }, 'relating worker started');
          resolve();
        },
        reject,
      }),
    );
    // Awaited by every request; close() and a failed start must not leave it rejected unobserved.
    ready.catch(() => {});
    const failAll = (err: Error) => {
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
      if (worker?.thread === thread) worker = null;
    };
    thread.on('message', (a: WorkerAnswer) => {
      const w = waiting.get(a.id);
      if (!w) return;
      waiting.delete(a.id);
      if (a.ok) w.resolve(a);
      else w.reject(Object.assign(new Error(`relating worker: ${a.message}`), a.stack ? { workerStack: a.stack } : {}));
    });
    thread.on('error', (err) => {
      logger.error({ err }, 'the relating worker failed');
      failAll(new Error(`the relating worker failed: ${err.message}`, { cause: err }));
    });
    thread.on('exit', (code) => failAll(new Error(`the relating worker exited (code ${code})`)));
    return { thread, ready };
  }

  async function ask(req: Unnumbered): Promise<WorkerAnswer & { ok: true }> {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    worker ??= start();
    const { thread, ready } = worker;
    // Rejects when the worker could not start (e.g. its connection to the store failed).
    await ready;
    const id = nextId++;
    const answer = new Promise<WorkerAnswer & { ok: true }>((resolve, reject) => waiting.set(id, { resolve, reject }));
    thread.postMessage({ ...req, id });
    return answer;
  }

  async function close(): Promise<void> {
    if (idleTimer) clearTimeout(idleTimer);
    idleTimer = null;
    const w = worker;
    if (!w) return;
    worker = null;
    const exited = new Promise<void>((resolve) => w.thread.once('exit', () => resolve()));
    const id = nextId++;
    // Between requests the worker is idle: it closes its connection and ends; terminate() if it cannot answer.
    const closed = new Promise<void>((resolve) => waiting.set(id, { resolve: () => resolve(), reject: () => resolve() }));
    const started = await w.ready.then(() => true, () => false);
    if (!started) return void (await w.thread.terminate());
    w.thread.postMessage({ id, kind: 'close' } satisfies WorkerRequest);
    await Promise.race([closed, exited]);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
    await w.thread.terminate();
  }

  return {
    async index(docs, compact) {
      await ask({ kind: 'index', docs: [...docs], compact });
    },
    async pass(targets, byContent, scope) {
      await ask({ kind: 'pass', targets: targets.map(wire), byContent, scope: scope ? [...scope] : null });
    },
    async batch(after, size) {
      const a = await ask({ kind: 'batch', after, size });
      if (!a.batch) throw new Error('relating worker: a batch answered without its result');
      return a.batch;
    },
    idle() {
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = setTimeout(() => void close().catch((err: unknown) => logger.error({ err }, 'closing the relating worker failed')), IDLE_CLOSE_MS);
      idleTimer.unref();
    },
    close,
  };
}
