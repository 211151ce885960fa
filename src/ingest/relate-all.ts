import { createHash } from 'node:crypto';
import type { RelateTarget } from '../content/model.ts';
import type { Logger } from '../log.ts';
import type { RelatableItem, Relating } from '../model/poll.ts';
import type { ArticleDoc, ArticleSearch } from '../model/search.ts';
import type { Awaitable, Store } from '../storage/store.ts';
import { compileContentRelater, RELATE_TUNING } from './relate-content.ts';
import type { RelateThread } from './relate-thread.ts';

/** Articles analysed and indexed per transaction, between which the event loop runs. */
const INDEX_BATCH = 100;
/** The text fingerprint of an article related by its rules only (nothing indexed). */
const NO_TEXT = '-';
/**
 * Store meta key: what the stored relations of every item were last computed from. Rules only
 * (RELATE_BY_CONTENT=off): the fingerprint of the rules, as on main. By content: CONTENT, and then each article's
 * own fingerprint in the article index says whether its relations are current. 'relating' while a full pass runs.
 */
const RELATED_BY_KEY = 'relate-rules';
const CONTENT = 'content';
const RELATING = 'relating';
/**
 * CPU milliseconds one batch of a pass may take: requests that arrive meanwhile wait about this long. A count
 * alone does not bound it: by content, 2,000 items held the event loop 0.1 to 0.6 s at the benchmark's 10,000
 * articles, and a loaded server answered only the requests already waiting (one per connection) per batch.
 */
export const RELATE_BATCH_CPU_MS = 10;
/** The first batch of a pass, before its cost per item is known; batches at most double from one to the next. */
const FIRST_BATCH = 16;

export interface RelateAllDeps {
  store: Store;
  logger: Logger;
  /** The current articles: their text, rules and excludes. */
  targets: () => readonly RelateTarget[];
  /** The store's article index (null: RELATE_BY_CONTENT=off, rules only: nothing is indexed). */
  search: ArticleSearch | null;
  /** Called after each batch that changed a relation, with the articles whose related items changed. */
  onPublishedChange: (articles: readonly string[]) => void;
  /** At most this many items related per batch, between which the event loop runs. */
  batch: number;
  /** CPU ms a batch aims at (RELATE_BATCH_CPU_MS): batches are sized from the cost per item of the last one. */
  batchCpuMs?: number;
  /** The process's CPU time in ms (default process.cpuUsage; tests give a clock of their own). */
  cpuMs?: () => number;
  /** True once the ingester stops: a running pass ends at its next batch. */
  stopped: () => boolean;
  /**
   * The relating worker (SQLite): a pass's batches run there, on the store's second connection, at the lowest CPU
   * priority, instead of between requests on the event loop. Absent: in this thread (PostgreSQL, whose searches
   * run in its server while the event loop waits; tests of the batching).
   */
  thread?: RelateThread | null;
}

/** One batch of a pass related: the items read, where the next begins, the articles whose related items changed. */
interface BatchDone {
  items: number;
  next: number | null;
  touched: readonly string[];
  /** The CPU ms it cost the thread that ran it (this one or the worker); null: it let the event loop run (PostgreSQL). */
  costMs: number | null;
}

/** Relates the `size` stored items after id `after`. */
type RunBatch = (after: number, size: number) => Awaitable<BatchDone>;

/**
 * Relating stored items again after articles changed (a content edit, or a start after one). By content: only the
 * articles whose text, rules or excludes changed, and only their relations, so the others' feeds keep their bytes.
 * By rules only (RELATE_BY_CONTENT=off): every item, when the rules changed, as on main.
 */
export interface RelateAll {
  /**
   * By content: brings the article index up to date with the content (changed articles analysed and indexed again, removed
   * ones dropped), then recomputes the relations of every stored item with the changed articles, in batches that
   * yield to the event loop, so the server keeps answering; a newer call supersedes a running one. Never rejects:
   * a failure is logged.
   */
  run(): Promise<void>;
  /** False while a pass is relating stored items to changed articles. */
  current(): boolean;
  /** The running pass, if any (to wait for it). */
  running(): Promise<void> | null;
}

/** What an article's relations depend on besides the index: its rules and excludes, and how relating decides. */
function relateFingerprint(t: RelateTarget): string {
  const what = [RELATE_TUNING, t.text?.fingerprint ?? NO_TEXT, t.rules, t.excludes ?? [], t.excludeUrls ?? []];
  return createHash('sha256').update(JSON.stringify(what)).digest('base64url').slice(0, 22);
}

export function createRelateAll(deps: RelateAllDeps): RelateAll {
  const { store, logger } = deps;
  /** The latest run call: an older pass stops at its next batch. */
  let latest = 0;
  let relating: Promise<void> | null = null;
  const yieldNow = () => new Promise((resolve) => setImmediate(resolve));
  const cpuMs = deps.cpuMs ?? (() => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  });
  const batchCpuMs = deps.batchCpuMs ?? RELATE_BATCH_CPU_MS;
  /** Where a pass's batches run, for its log line. */
  const where = deps.thread ? 'worker' : 'event loop';

  /** Batches related in this thread by `relate`: the store calls it inside its transaction. */
  function inThisThread(relate: (item: RelatableItem) => Awaitable<Relating>, scope: ReadonlySet<string> | null): RunBatch {
    return (after, size) => {
      let items = 0;
      const t0 = cpuMs();
      const answer = store.recomputeRelationsBatch(
        (item) => {
          items++;
          return relate(item);
        },
        after,
        size,
        scope,
      );
      if (answer instanceof Promise) return answer.then((b) => ({ items, next: b.next, touched: b.touched, costMs: null }));
      return { items, next: answer.next, touched: answer.touched, costMs: cpuMs() - t0 };
    };
  }

  /**
   * The pass's batches: the first in this thread by `relater` (a store of one batch, a new one, needs no worker), the
   * others in the relating worker when there is one.
   */
  function batchesOf(
    targets: readonly RelateTarget[],
    byContent: boolean,
    scope: ReadonlySet<string> | null,
    relater: (item: RelatableItem) => Awaitable<Relating>,
  ): RunBatch {
    const here = inThisThread(relater, scope);
    const thread = deps.thread;
    if (!thread) return here;
    let batches = 0;
    let started: Promise<void> | null = null;
    return async (after, size) => {
      if (batches++ === 0) return here(after, size);
      started ??= thread.pass(targets, byContent, scope);
      await started;
      const b = await thread.batch(after, size);
      return { items: b.items, next: b.next, touched: b.touched, costMs: b.ms };
    };
  }

  /**
   * Every stored item related again, a batch at a time with the event loop running between batches. A batch that
   * holds a thread (SQLite: this one's event loop from start to end, or the worker's write lock on the store) is
   * sized from the cost per item of the one before, so that each takes about batchCpuMs; one that answers later
   * (PostgreSQL: the loop runs while it waits for the server) gets `deps.batch` items a batch, as many round trips as before. The articles
   * whose related items changed are published once per `deps.batch` items, as when a batch was that many items (each
   * publication renders feeds again and may notify WebSub subscribers), and at the end. False when superseded or
   * stopped before the end.
   */
  async function relateStored(runBatch: RunBatch, superseded: () => boolean): Promise<{ done: boolean; touched: number; batches: number }> {
    let touched = 0;
    let batches = 0;
    let size = Math.min(FIRST_BATCH, deps.batch);
    const unpublished = new Set<string>();
    let sincePublished = 0;
    const publish = () => {
      // A feed rendered after this must not keep showing relations already replaced.
      if (unpublished.size > 0) deps.onPublishedChange([...unpublished].sort());
      unpublished.clear();
      sincePublished = 0;
    };
    for (let after: number | null = 0; after !== null; ) {
      // Superseded by a newer call (which starts over with newer content), or the ingester stops: the
      // fingerprints are not stored, so the next pass relates these articles again.
      if (superseded()) {
        publish();
        return { done: false, touched, batches };
      }
      const batch = await runBatch(after, size);
      const items = batch.items;
      batches++;
      const perItem = (batch.costMs ?? 0) / Math.max(1, items);
      size = batch.costMs === null ? deps.batch : Math.max(1, Math.min(deps.batch, 2 * size, perItem > 0 ? Math.floor(batchCpuMs / perItem) : Infinity));
      touched += batch.touched.length;
      for (const a of batch.touched) unpublished.add(a);
      sincePublished += items;
      after = batch.next;
      if (sincePublished >= deps.batch || after === null) publish();
      if (after !== null) await yieldNow();
    }
    return { done: true, touched, batches };
  }

  /**
   * Relating by rules only (RELATE_BY_CONTENT=off), as main does: every stored item related again when the rules
   * differ from those the stored relations were computed with (seconds at 100k items), else nothing at all; the
   * article index is neither read nor written.
   */
  async function rulesPass(run: number): Promise<void> {
    const targets = deps.targets();
    const fingerprint = createHash('sha256').update(JSON.stringify(targets)).digest('hex');
    if ((await store.getMeta(RELATED_BY_KEY)) === fingerprint) return;
    const started = performance.now();
    // A pass cut short (superseded, stopped, crashed) leaves this: the next one relates every item again.
    await store.setMeta(RELATED_BY_KEY, RELATING);
    const runBatch = batchesOf(targets, false, null, compileContentRelater(targets, null));
    const { done, touched, batches } = await relateStored(runBatch, () => run !== latest || deps.stopped());
    if (!done) return;
    await store.setMeta(RELATED_BY_KEY, fingerprint);
    logger.info({ ms: Math.round(performance.now() - started), touched, batches, in: where }, 'stored items related to the current rules');
  }

  async function pass(run: number): Promise<void> {
    if (deps.search === null) return rulesPass(run);
    const superseded = () => run !== latest || deps.stopped();
    const targets = deps.targets();
    // Relations last computed by rules only (or never, or by a pass cut short): every article's are computed again.
    const byContentBefore = (await store.getMeta(RELATED_BY_KEY)) === CONTENT;
    const stored = new Map((await store.indexedArticles()).map((a) => [a.articleId, a]));
    const current = new Set(targets.map((t) => t.articleId));
    const removed = [...stored.keys()].filter((id) => !current.has(id));
    // Articles whose text changed go into the index again (read from their files, analysed), a batch at a time.
    const stale = targets.filter((t) => (t.text?.fingerprint ?? NO_TEXT) !== stored.get(t.articleId)?.indexed);
    const started = performance.now();
    if (stale.length > 0 || removed.length > 0) {
      // A removed article leaves the index at the end of the pass, once its relations are gone: until then its
      // row (with no text, so no search finds it) tells a pass cut short that it still has relations to drop.
      await store.indexArticles(removed.map((articleId) => ({ articleId, fingerprint: NO_TEXT, head: [], body: [] })), []);
      // More than a batch (a first start, a new analysis: seconds of CPU) goes to the relating worker, if any: this
      // thread reads the files, the worker analyses and indexes them, and this thread's searches then read the index again.
      const thread = stale.length > INDEX_BATCH ? deps.thread : null;
      for (let i = 0; i < stale.length; i += INDEX_BATCH) {
        if (superseded()) return;
        const chosen = stale.slice(i, i + INDEX_BATCH);
        if (thread) {
          // The last batch compacts the index too (many batches, many segments: see compactArticleIndex).
          const last = i + INDEX_BATCH >= stale.length;
          await thread.index(chosen.map((t) => ({ articleId: t.articleId, fingerprint: t.text?.fingerprint ?? NO_TEXT, text: t.text?.source() ?? null })), last);
          await store.forgetArticleIndex();
        } else {
          const docs: ArticleDoc[] = chosen.map((t) => ({
            articleId: t.articleId,
            fingerprint: t.text?.fingerprint ?? NO_TEXT,
            ...(t.text ? t.text.doc() : { head: [], body: [] }),
          }));
          await store.indexArticles(docs, []);
        }
        await yieldNow();
      }
      if (!thread && stale.length > INDEX_BATCH) await store.compactArticleIndex();
    }
    // Relations are computed again for the articles whose relations were computed from something else (or never),
    // and dropped for the removed ones.
    const fingerprints = new Map(targets.map((t) => [t.articleId, relateFingerprint(t)]));
    const changed = targets
      .filter((t) => !byContentBefore || stored.get(t.articleId)?.related !== fingerprints.get(t.articleId))
      .map((t) => t.articleId);
    if (changed.length === 0 && removed.length === 0) return;
    if (!byContentBefore) await store.setMeta(RELATED_BY_KEY, RELATING);
    // Every article changed (a first start, a new analysis): no restriction to check per item.
    const scope = !byContentBefore || (changed.length === targets.length && removed.length === 0) ? null : new Set([...changed, ...removed]);
    const runBatch = batchesOf(targets, true, scope, compileContentRelater(targets, deps.search, scope));
    const { done, touched, batches } = await relateStored(runBatch, superseded);
    if (!done) return;
    await store.markArticlesRelated(changed.map((articleId) => ({ articleId, fingerprint: fingerprints.get(articleId)! })));
    if (removed.length > 0) await store.indexArticles([], removed);
    if (!byContentBefore) await store.setMeta(RELATED_BY_KEY, CONTENT);
    logger.info(
      { ms: Math.round(performance.now() - started), indexed: stale.length, removed: removed.length, related_again: changed.length, touched, batches, in: where },
      'stored items related to the changed articles',
    );
  }

  return {
    run() {
      const p: Promise<void> = pass(++latest)
        .catch((err: unknown) => logger.error({ err }, 'relating stored items failed'))
        .finally(() => {
          if (relating !== p) return;
          relating = null;
          deps.thread?.idle();
        });
      relating = p;
      return p;
    },
    current: () => relating === null,
    running: () => relating,
  };
}
