import { createHash } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { FetchPolicy, RetentionPolicy } from '../config.ts';
import type { RelateTarget } from '../content/model.ts';
import type { Logger } from '../log.ts';
import type { Source, SourceState, SourceStatus } from '../model/source.ts';
import { RELATE_BATCH, type Store } from '../storage/store.ts';
import { isPrivateHost } from './addresses.ts';
import { FetchError, fetchFeed, type Reach } from './fetcher.ts';
import { feedInfo, newestItems, normaliseFeed } from './normalise.ts';
import { ParseError, parseFeed } from './parser.ts';
import { compileRelater, type Relater } from './relate.ts';

const HOUR_MS = 3_600_000;
/** Store meta key: fingerprint of the relate rules the stored relations reflect. */
const RELATE_RULES_KEY = 'relate-rules';
const MAX_BACKOFF_MS = 24 * HOUR_MS;
/** A Retry-After further away than this is treated as this (a typo upstream must not silence a source for a year). */
const MAX_RETRY_AFTER_MS = 7 * 24 * HOUR_MS;
const POLL_CONCURRENCY = 4;
const DEFAULT_JITTER_MS = 10_000;
const ERROR_MAX_CHARS = 200;

export interface IngesterDeps {
  store: Store;
  sources: readonly Source[];
  fetchPolicy: FetchPolicy;
  retention: RetentionPolicy;
  logger: Logger;
  now?: () => Date;
  /** The current articles' rules (content can reload, so this is asked on every poll). */
  targets: () => readonly RelateTarget[];
  /**
   * Called after a poll (or relateAll) changed any related item or relation, with the articles whose related
   * items changed; null when it may be any article (relateAll, or a source whose feed URL or site moved).
   */
  onPublishedChange: (changedArticles: readonly string[] | null) => void;
  /** Upper bound of the random delay added to each scheduled poll (default 10 s), so sources do not poll in step. */
  jitterMs?: number;
  /** Items related per batch by relateAll (default RELATE_BATCH), between which the event loop runs. */
  relateBatch?: number;
}

export interface Ingester {
  /** Never throws for upstream problems: the outcome goes to status(). */
  pollSource(sourceId: string): Promise<void>;
  /** Every source once, a few at a time. */
  pollAll(): Promise<void>;
  /** Polls every source once now, then on its schedule with jitter; never two polls of one source at once. */
  start(): void;
  /**
   * Takes a new list of sources (sources.yaml changed): removed ones stop, added ones (and ones whose URL changed)
   * are polled at once if started, and changed schedules apply from now on; the others go on as they were.
   */
  setSources(sources: readonly Source[]): void;
  /** Stops the schedules and waits (bounded) for running polls. */
  stop(): Promise<void>;
  status(): SourceStatus[];
  /**
   * Recomputes the relations of every stored item when the relate rules changed (e.g. after a content edit), in
   * batches that yield to the event loop, so the server keeps answering; a newer call supersedes a running one.
   */
  relateAll(): Promise<void>;
  /** Resolves when no poll is running (for tests and orderly shutdown). */
  whenIdle(): Promise<void>;
  /** False while relateAll is relating stored items to new rules. */
  relationsCurrent(): boolean;
}

/** The next `count` times a cron expression fires after the system clock's now (node-cron only knows that clock). */
function cronTimes(expression: string, count: number): Date[] {
  const task = cron.createTask(expression, () => {});
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

function shortError(err: unknown): string {
  const message =
    err instanceof FetchError
      ? `fetch ${err.kind}: ${err.message}`
      : err instanceof ParseError
        ? `parse: ${err.message}`
        : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
  return message.length > ERROR_MAX_CHARS ? `${message.slice(0, ERROR_MAX_CHARS - 1)}…` : message;
}

export function createIngester(deps: IngesterDeps): Ingester {
  const { store, fetchPolicy, retention, logger } = deps;
  /** The sources in service; replaced by setSources. */
  let sources: readonly Source[] = deps.sources;
  const now = deps.now ?? (() => new Date());
  const jitterMs = deps.jitterMs ?? DEFAULT_JITTER_MS;
  const relateBatch = deps.relateBatch ?? RELATE_BATCH;
  let byId = new Map(sources.map((s) => [s.id, s]));
  const running = new Map<string, Promise<void>>();
  /** The cron task of each source, by id, while started. */
  const tasks = new Map<string, ScheduledTask>();
  let started = false;
  let stopped = false;
  let relaterCache: { targets: readonly RelateTarget[]; relater: Relater } | null = null;

  store.syncSources(sources);

  function relater(): Relater {
    const targets = deps.targets();
    if (relaterCache?.targets !== targets) relaterCache = { targets, relater: compileRelater(targets) };
    return relaterCache.relater;
  }

  /** The latest relateAll call: an older run stops at its next batch. */
  let relateRun = 0;
  let relating: Promise<void> | null = null;

  async function relateAllRun(run: number): Promise<void> {
    // Recomputing touches every stored item (seconds at 100k items): skip it when the rules are the ones
    // the stored relations were computed with, as on most restarts and content edits.
    const fingerprint = createHash('sha256').update(JSON.stringify(deps.targets())).digest('hex');
    if (store.getMeta(RELATE_RULES_KEY) === fingerprint) return;
    const relate = relater();
    const started = performance.now();
    // From the first batch on, the stored relations match no rules' fingerprint until the last batch is done:
    // a run cut short (superseded, stopped, crashed) is redone by the next, even for the rules stored before.
    store.setMeta(RELATE_RULES_KEY, 'relating');
    for (let after: number | null = 0; after !== null; ) {
      // Superseded by a newer call (which starts over with newer rules), or the ingester stops: the rules'
      // fingerprint is not stored, so the next start relates again.
      if (run !== relateRun || stopped) return;
      const batch = store.recomputeRelationsBatch((item) => relate(item), after, relateBatch);
      // Published at once: a feed rendered between batches must not keep showing relations already replaced.
      if (batch.changed) published(null);
      after = batch.next;
      if (after !== null) await new Promise((resolve) => setImmediate(resolve));
    }
    store.setMeta(RELATE_RULES_KEY, fingerprint);
    logger.info({ ms: Math.round(performance.now() - started) }, 'stored items related to the current rules');
  }

  function published(changedArticles: readonly string[] | null): void {
    try {
      deps.onPublishedChange(changedArticles);
    } catch (err) {
      logger.error({ err }, 'onPublishedChange failed');
    }
  }

  /** Base interval of a schedule, for the backoff. */
  function intervalOf(source: Source): number {
    const [a, b] = cronTimes(source.schedule, 2);
    return a && b ? Math.max(1000, b.getTime() - a.getTime()) : 15 * 60_000;
  }

  /**
   * Asking node-cron costs about a millisecond (most of an unchanged poll's own work). Its answer, the first
   * run after now, stays the answer until that run: reuse it while the system clock (node-cron's) is before it.
   */
  const nextRuns = new Map<string, { from: number; next: Date | null }>();
  function nextScheduled(source: Source): Date | null {
    const at = Date.now();
    const cached = nextRuns.get(source.id);
    if (cached?.next && cached.from <= at && at < cached.next.getTime()) return cached.next;
    const next = cronTimes(source.schedule, 1)[0] ?? null;
    nextRuns.set(source.id, { from: at, next });
    return next;
  }

  function backingOff(state: SourceState | null, at: Date): boolean {
    return !!state && state.consecutiveFailures > 0 && !!state.nextPollAt && state.nextPollAt.getTime() > at.getTime();
  }

  async function poll(source: Source): Promise<void> {
    const state = store.sourceState(source.id);
    if (!state) throw new Error(`no state for source ${source.id}`);
    const attemptAt = now();
    const log = logger.child({ source_id: source.id, feed_url: state.currentUrl });
    try {
      // A source the operator configured on a private network may go anywhere; any other may reach public addresses only.
      const reach: Reach = (await isPrivateHost(new URL(state.url).hostname)) ? 'any' : 'public';
      const res = await fetchFeed(state.currentUrl, { etag: state.etag, lastModified: state.lastModified }, fetchPolicy, now, reach);
      const currentUrl = res.permanentUrl ?? state.currentUrl;
      if (res.permanentUrl) log.info({ status: res.status, new_url: res.permanentUrl }, 'feed moved permanently');
      const success = {
        currentUrl,
        lastAttemptAt: attemptAt,
        lastSuccessAt: attemptAt,
        lastStatus: res.status,
        consecutiveFailures: 0,
        nextPollAt: nextScheduled(source),
        lastError: null,
      };
      if (res.kind === 'not-modified') {
        // 304: nothing to parse; the source still lists what it listed (those items count as seen), and the
        // items it no longer lists go on ageing.
        const result = store.commitNotModified(source.id, success, retention, attemptAt);
        log.info({ status: 304, deleted: result.deleted }, 'not modified');
        if (result.publishedChanged) published(result.changedArticles);
        return;
      }
      const parsed = await parseFeed(res.text);
      const feed = newestItems(parsed, retention.maxItemsPerSource, attemptAt);
      if (feed !== parsed) {
        log.warn({ items: parsed.items.length, kept: feed.items.length }, 'feed has more items than retention keeps; only the newest are read');
      }
      const info = feedInfo(feed, res.finalUrl);
      const items = normaliseFeed(feed, { feedUrl: res.finalUrl, sourceLanguage: source.language, now: attemptAt });
      const relate = relater();
      const result = store.commitPoll(
        source.id,
        items.map((item) => ({ item, articleIds: relate(item) })),
        { ...success, etag: res.validators.etag, lastModified: res.validators.lastModified, siteUrl: info.siteUrl, feedTitle: info.title },
        retention,
        attemptAt,
      );
      const { changedArticles, ...counts } = result;
      log.info({ status: res.status, ...counts, changed_articles: changedArticles?.length ?? 'any' }, 'polled');
      if (result.publishedChanged) published(changedArticles);
    } catch (err) {
      const failures = state.consecutiveFailures + 1;
      let nextPollAt = new Date(attemptAt.getTime() + Math.min(intervalOf(source) * 2 ** (failures - 1), MAX_BACKOFF_MS));
      if (err instanceof FetchError && err.retryAfter) {
        nextPollAt = new Date(
          Math.min(Math.max(err.retryAfter.getTime(), attemptAt.getTime()), attemptAt.getTime() + MAX_RETRY_AFTER_MS),
        );
      }
      const status = err instanceof FetchError ? err.status : err instanceof ParseError ? 200 : null;
      const upstream = err instanceof FetchError || err instanceof ParseError;
      store.updateSourceState(source.id, {
        lastAttemptAt: attemptAt,
        lastStatus: status,
        consecutiveFailures: failures,
        nextPollAt,
        lastError: shortError(err),
      });
      (upstream ? log.warn.bind(log) : log.error.bind(log))(
        { status, err: upstream ? (err as Error).message : err, next_poll_at: nextPollAt.toISOString() },
        'poll failed',
      );
    }
  }

  function pollSource(sourceId: string): Promise<void> {
    const source = byId.get(sourceId);
    if (!source) return Promise.reject(new Error(`unknown source ${JSON.stringify(sourceId)}`));
    const inFlight = running.get(sourceId);
    if (inFlight) return inFlight;
    const p = poll(source).finally(() => running.delete(sourceId));
    running.set(sourceId, p);
    return p;
  }

  async function pollEach(list: readonly Source[]): Promise<void> {
    const queue = [...list];
    const worker = async () => {
      for (let s = queue.shift(); s; s = queue.shift()) await pollSource(s.id);
    };
    await Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, queue.length) }, worker));
  }

  /** A scheduled (not explicit) poll: skipped while one runs or while the source backs off. */
  function scheduledPoll(source: Source): Promise<void> {
    // Also a tick of a source taken out of sources.yaml just now.
    if (stopped || !byId.has(source.id)) return Promise.resolve();
    if (running.has(source.id)) {
      logger.debug({ source_id: source.id }, 'poll still running, tick skipped');
      return Promise.resolve();
    }
    if (backingOff(store.sourceState(source.id), now())) {
      logger.debug({ source_id: source.id }, 'backing off, tick skipped');
      return Promise.resolve();
    }
    return pollSource(source.id).catch((err: unknown) => logger.error({ source_id: source.id, err }, 'poll crashed'));
  }

  function schedule(source: Source): void {
    tasks.set(
      source.id,
      cron.schedule(source.schedule, () => scheduledPoll(source), {
        name: `ingest:${source.id}`,
        noOverlap: true,
        maxRandomDelay: jitterMs,
      }),
    );
  }

  function unschedule(sourceId: string): void {
    const task = tasks.get(sourceId);
    tasks.delete(sourceId);
    if (task) void task.destroy();
  }

  function pollFirst(list: readonly Source[]): void {
    const first = list.filter((s) => !backingOff(store.sourceState(s.id), now()));
    void pollEach(first).catch((err: unknown) => logger.error({ err }, 'first poll round crashed'));
  }

  function setSources(next: readonly Source[]): void {
    const before = byId;
    store.syncSources(next);
    sources = [...next];
    byId = new Map(sources.map((s) => [s.id, s]));
    for (const id of before.keys()) {
      if (byId.has(id)) continue;
      // A poll of it already running finishes; nothing schedules it again.
      unschedule(id);
      nextRuns.delete(id);
    }
    const fresh: Source[] = [];
    for (const source of sources) {
      const old = before.get(source.id);
      // A new name or language is read at the next poll; the schedule stays.
      if (old && old.schedule === source.schedule && old.url === source.url) continue;
      nextRuns.delete(source.id);
      if (!old || old.url !== source.url) fresh.push(source);
      else {
        // Rescheduled: /status shows the next run of the new schedule (a source backing off keeps its delay).
        const state = store.sourceState(source.id);
        if (state?.nextPollAt && !backingOff(state, now())) store.updateSourceState(source.id, { nextPollAt: nextScheduled(source) });
      }
      if (started) {
        unschedule(source.id);
        schedule(source);
      }
    }
    logger.info({ sources: sources.length, added_or_moved: fresh.map((s) => s.id), removed: [...before.keys()].filter((id) => !byId.has(id)) }, 'sources changed');
    // Only active sources' items are published, under their names: a source removed, back or renamed changes feeds.
    published(null);
    if (started && fresh.length > 0) pollFirst(fresh);
  }

  return {
    pollSource,
    pollAll: () => pollEach(sources),
    setSources,
    start() {
      if (started) return;
      started = true;
      stopped = false;
      for (const source of sources) schedule(source);
      pollFirst(sources);
    },
    async stop() {
      stopped = true;
      started = false;
      const all = [...tasks.values()];
      tasks.clear();
      for (const t of all) await t.destroy();
      // A running relateAll stops at its next batch.
      if (relating) await relating;
      const pending = [...running.values()];
      if (pending.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      // Each fetch ends by its own time limit; waiting a little longer than that is the bound.
      await Promise.race([
        Promise.allSettled(pending),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, fetchPolicy.timeoutMs + 1000))),
      ]);
      clearTimeout(timer);
    },
    status() {
      return sources.map((s) => {
        const st = store.sourceState(s.id);
        const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
        return {
          id: s.id,
          name: s.name,
          url: s.url,
          currentUrl: st?.currentUrl ?? s.url,
          lastAttemptAt: iso(st?.lastAttemptAt),
          lastSuccessAt: iso(st?.lastSuccessAt),
          lastStatus: st?.lastStatus ?? null,
          consecutiveFailures: st?.consecutiveFailures ?? 0,
          nextPollAt: iso(st?.nextPollAt),
          itemCount: store.itemCount(s.id),
          lastError: st?.lastError ?? null,
        };
      });
    },
    relateAll() {
      const p: Promise<void> = relateAllRun(++relateRun)
        .catch((err: unknown) => logger.error({ err }, 'relating stored items failed'))
        .finally(() => {
          if (relating === p) relating = null;
        });
      relating = p;
      return p;
    },
    async whenIdle() {
      while (running.size > 0 || relating) await Promise.allSettled([...running.values(), ...(relating ? [relating] : [])]);
    },
    relationsCurrent: () => relating === null,
  };
}
