/*
 * The relating worker: a thread of its own that relates stored items again in batches (a background pass after
 * content changed, src/ingest/relate-all.ts), over a second connection to the SQLite store, at the lowest CPU
 * priority. Serving requests never waits for it: on a machine with a spare core it runs there, and on a saturated
 * one it takes only what serving leaves. src/ingest/relate-thread.ts starts it and talks to it.
 */
import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import type { RelateTarget } from '../content/model.ts';
import type { ArticleText, SyncArticleSearch } from '../model/search.ts';
import { analyseArticle } from '../search/analyse.ts';
import { openRelatingConnection } from '../storage/store.ts';
import { niceThisThread } from '../threads.ts';
import { compileContentRelater, type SyncContentRelater } from './relate-content.ts';

/** What the thread sends the worker: articles to index, a pass's articles, then its batches, then `close`. */
export type WorkerRequest =
  | { id: number; kind: 'index'; docs: WireDoc[]; compact: boolean }
  | { id: number; kind: 'pass'; targets: WireTarget[]; byContent: boolean; scope: string[] | null }
  | { id: number; kind: 'batch'; after: number; size: number }
  | { id: number; kind: 'close' };

/** The worker's answer to a request of the same id. */
export type WorkerAnswer =
  | { id: number; ok: true; batch?: WorkerBatch; started?: WorkerStarted }
  | { id: number; ok: false; message: string; stack?: string };

/** One batch related: as SyncStore's recomputeRelationsBatch, with the items it read and the worker's CPU time for it. */
export interface WorkerBatch {
  next: number | null;
  touched: string[];
  items: number;
  ms: number;
}

/** An article to index: its text before analysis (the worker analyses it), null for none (a removed article's row). */
export interface WireDoc {
  articleId: string;
  fingerprint: string;
  text: ArticleText | null;
}

/** A RelateTarget as it crosses to the worker: functions do not (relating needs the text's fingerprint only). */
export interface WireTarget {
  articleId: string;
  rules: RelateTarget['rules'];
  excludes?: RelateTarget['excludes'];
  excludeUrls?: RelateTarget['excludeUrls'];
  fingerprint: string | null;
}

/** The first answer (id 0): the worker's kernel thread id and the nice value it runs at (null: not known). */
export interface WorkerStarted {
  tid: number | null;
  nice: number | null;
}

export interface WorkerData {
  dataDir: string;
}

/** Nice value of the worker thread: the lowest priority Linux has. */
const NICE = 19;

/**
 * This thread's CPU time in ms: batches are sized by it (wall time is no measure of their cost where the worker waits
 * for the CPU at nice 19: it would make them ever smaller, and their transactions ever more). Linux's per-thread
 * schedstat (ns); elsewhere the wall clock.
 */
function threadCpuClock(): () => number {
  const file = '/proc/thread-self/schedstat';
  const read = () => Number(fs.readFileSync(file, 'utf8').split(' ')[0]) / 1e6;
  try {
    if (Number.isFinite(read())) return read;
  } catch {
    // not Linux, or no scheduler statistics
  }
  return () => performance.now();
}

/** A pass's targets carry no text: what the worker indexes comes in `index` requests. */
function notHere(articleId: string): never {
  throw new Error(`relating worker: the text of article ${articleId} comes with an index request`);
}

function fromWire(t: WireTarget): RelateTarget {
  const text =
    t.fingerprint === null
      ? undefined
      : {
          fingerprint: t.fingerprint,
          source: (): never => notHere(t.articleId),
          doc: (): never => notHere(t.articleId),
        };
  return {
    articleId: t.articleId,
    rules: t.rules,
    ...(t.excludes ? { excludes: t.excludes } : {}),
    ...(t.excludeUrls ? { excludeUrls: t.excludeUrls } : {}),
    ...(text ? { text } : {}),
  };
}

function main(port: NonNullable<typeof parentPort>, data: WorkerData): void {
  // Not fatal where the platform has no per-thread priority: the worker then competes as any thread does.
  const { tid, nice } = niceThisThread(NICE);
  const connection = openRelatingConnection(data.dataDir);
  const cpuMs = threadCpuClock();
  let pass: { relate: SyncContentRelater; scope: ReadonlySet<string> | null } | null = null;

  const answer = (id: number, f: () => WorkerBatch | undefined): void => {
    try {
      const batch = f();
      port.postMessage({ id, ok: true, ...(batch ? { batch } : {}) } satisfies WorkerAnswer);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ id, ok: false, message: e.message, ...(e.stack ? { stack: e.stack } : {}) } satisfies WorkerAnswer);
    }
  };

  port.on('message', (req: WorkerRequest) => {
    switch (req.kind) {
      case 'index':
        answer(req.id, () => {
          connection.indexArticles(
            req.docs.map((d) => ({ articleId: d.articleId, fingerprint: d.fingerprint, ...(d.text ? analyseArticle(d.text) : { head: [], body: [] }) })),
            [],
          );
          if (req.compact) connection.compactArticleIndex();
          return undefined;
        });
        break;
      case 'pass':
        answer(req.id, () => {
          const search: SyncArticleSearch | null = req.byContent ? connection.freshArticleSearch() : null;
          const scope = req.scope ? new Set(req.scope) : null;
          pass = { relate: compileContentRelater(req.targets.map(fromWire), search, scope), scope };
          return undefined;
        });
        break;
      case 'batch':
        answer(req.id, () => {
          if (!pass) throw new Error('relating worker: a batch before its pass');
          const { relate, scope } = pass;
          const started = cpuMs();
          let items = 0;
          const r = connection.recomputeRelationsBatch(
            (item) => {
              items++;
              return relate(item);
            },
            req.after,
            req.size,
            scope,
          );
          return { next: r.next, touched: r.touched, items, ms: cpuMs() - started };
        });
        break;
      case 'close':
        connection.close();
        port.postMessage({ id: req.id, ok: true } satisfies WorkerAnswer);
        port.close();
        break;
    }
  });
  port.postMessage({ id: 0, ok: true, started: { tid, nice } } satisfies WorkerAnswer);
}

if (parentPort) main(parentPort, workerData as WorkerData);
