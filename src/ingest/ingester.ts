import { randomUUID } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { RelateTarget } from '../content/model.ts';
import type { Logger } from '../log.ts';
import type { Source, SourceState, SourceStatus } from '../model/source.ts';
import { RELATE_BATCH } from '../storage/store.ts';
import { pollSource as poll, type PollDeps, type PollOutcome } from './poll.ts';
import { ingestPush, type PushOutcome } from './push.ts';
import type { ArticleSearch } from '../model/search.ts';
import { compileContentRelater, type ContentRelater } from './relate-content.ts';
import { createRelateAll } from './relate-all.ts';
import type { RelateThread } from './relate-thread.ts';
import { createSchedules } from './schedule.ts';
import { pushActive, type Subscriber } from './websub/subscriber.ts';

const POLL_CONCURRENCY = 4;
const DEFAULT_JITTER_MS = 10_000;
/** While a hub pushes a source, it is polled at most this often (the fallback, should pushes stop coming). */
export const PUSHED_POLL_INTERVAL_MS = 6 * 3600_000;
/** How often leases are checked for renewal. */
const RENEW_CHECK_MS = 60_000;
/**
 * How long a replica's claim on a source's poll lasts beyond the fetch's own time limit (parse, relate and the
 * commit): a replica killed mid-poll holds the source no longer than this.
 */
const POLL_LEASE_EXTRA_MS = 10_000;

/** A poll's own dependencies (store, fetch policy, retention), and what a scheduler adds around polls. */
export interface IngesterDeps extends Pick<PollDeps, 'store' | 'fetchPolicy' | 'retention'> {
  sources: readonly Source[];
  logger: Logger;
  now?: () => Date;
  /** The current articles: text, rules, excludes (content can reload, so this is asked on every poll). */
  targets: () => readonly RelateTarget[];
  /** The store's index of our articles, which items are related by (absent: by rules only). */
  search?: ArticleSearch | null;
  /**
   * Called after a poll (or relateAll) changed any related item or relation, with the articles whose related
   * items changed; null when it may be any article (relateAll, or a source whose feed URL or site moved).
   */
  onPublishedChange: (changedArticles: readonly string[] | null) => void;
  /** Upper bound of the random delay added to each scheduled poll (default 10 s), so sources do not poll in step. */
  jitterMs?: number;
  /** At most this many items related per batch by relateAll (default RELATE_BATCH; batches aim at RELATE_BATCH_CPU_MS of CPU), between which the event loop runs. */
  relateBatch?: number;
  /** Our WebSub subscriptions to upstream hubs; without it, sources are only polled. */
  push?: Subscriber;
  /** The relating worker (SQLite store): relateAll's batches run there. Absent: in this thread. Closed by stop(). */
  relateThread?: RelateThread | null;
}

export interface Ingester {
  /**
   * Polls one source now (or joins its running poll) and returns the outcome, which is also logged, published
   * and in status(). Never rejects for upstream problems.
   */
  pollSource(sourceId: string): Promise<PollOutcome>;
  /** Every source once, a few at a time; the outcomes in the order of the sources. */
  pollAll(): Promise<PollOutcome[]>;
  /** Polls every source once now, then on its schedule with jitter; never two polls of one source at once. */
  start(): void;
  /**
   * Takes a new list of sources (sources.yaml changed): removed ones stop, added ones (and ones whose URL changed)
   * are polled at once if started, and changed schedules apply from now on; the others go on as they were.
   */
  setSources(sources: readonly Source[]): void;
  /** Stops the schedules and waits (bounded) for running polls. */
  stop(): Promise<void>;
  status(): Promise<SourceStatus[]>;
  /**
   * Recomputes the relations of every stored item when the relate rules changed (e.g. after a content edit), in
   * batches that yield to the event loop, so the server keeps answering; a newer call supersedes a running one.
   */
  relateAll(): Promise<void>;
  /** Resolves when no poll is running (for tests and orderly shutdown). */
  whenIdle(): Promise<void>;
  /** False while relateAll is relating stored items to new rules. */
  relationsCurrent(): boolean;
  /**
   * Stores a feed a hub pushed for a source in service (its signature checked by the caller), through the poll's
   * pipeline, and publishes what changed at once; the outcome is also logged. Rejects for a source not in service.
   */
  receivePush(sourceId: string, text: string): Promise<PushOutcome>;
  /** Renews the WebSub leases that are due (done every minute while started). */
  renewPushLeases(): Promise<void>;
  /** Whether the source is in service (in sources.yaml now). */
  hasSource(sourceId: string): boolean;
}

/**
 * The scheduler around polls (src/ingest/poll.ts): node-cron schedules with jitter, at most one poll per source
 * at a time, backoff respected between scheduled ticks, the live list of sources, and /status. It logs and
 * publishes each poll from its outcome.
 */
export function createIngester(deps: IngesterDeps): Ingester {
  const { store, fetchPolicy, logger } = deps;
  /** The sources in service; replaced by setSources. */
  let sources: readonly Source[] = deps.sources;
  const now = deps.now ?? (() => new Date());
  const jitterMs = deps.jitterMs ?? DEFAULT_JITTER_MS;
  let byId = new Map(sources.map((s) => [s.id, s]));
  const running = new Map<string, Promise<PollOutcome>>();
  /** Scheduled ticks in progress (deciding whether to poll, or polling). */
  const ticks = new Set<Promise<void>>();
  /** The cron task of each source, by id, while started. */
  const tasks = new Map<string, ScheduledTask>();
  const schedules = createSchedules();
  let started = false;
  let stopped = false;
  let relaterCache: { targets: readonly RelateTarget[]; relater: ContentRelater } | null = null;
  let renewTimer: NodeJS.Timeout | null = null;
  const push = deps.push;
  /** This ingester among the replicas sharing the store: the holder of its poll claims. */
  const holder = `${process.pid}-${randomUUID()}`;

  /** The store's source rows as of the last sources list (polls wait for it; a failure is logged by each). */
  let synced: Promise<void> = Promise.resolve(store.syncSources(sources));
  synced.catch((err: unknown) => logger.error({ err }, 'storing the list of sources failed'));

  function relater(): ContentRelater {
    const targets = deps.targets();
    if (relaterCache?.targets !== targets) relaterCache = { targets, relater: compileContentRelater(targets, deps.search ?? null) };
    return relaterCache.relater;
  }

  /** While a hub pushes a source, its next poll is not before PUSHED_POLL_INTERVAL_MS from now. */
  const pollSchedules: PollDeps['schedules'] = {
    async next(source) {
      const next = schedules.next(source);
      if (!next || !(await push?.isPushed(source.id))) return next;
      return new Date(Math.max(next.getTime(), now().getTime() + PUSHED_POLL_INTERVAL_MS));
    },
    intervalMs: (source) => schedules.intervalMs(source),
  };
  const pollDeps: PollDeps = { store, fetchPolicy, retention: deps.retention, schedules: pollSchedules, relater, now };
  const relations = createRelateAll({
    store,
    logger,
    targets: deps.targets,
    search: deps.search ?? null,
    onPublishedChange: (articles) => published(articles),
    batch: deps.relateBatch ?? RELATE_BATCH,
    stopped: () => stopped,
    thread: deps.relateThread ?? null,
  });

  function published(changedArticles: readonly string[] | null): void {
    try {
      deps.onPublishedChange(changedArticles);
    } catch (err) {
      logger.error({ err }, 'onPublishedChange failed');
    }
    // The other replicas sharing the store render again too.
    Promise.resolve(store.announceChange({ articles: changedArticles })).catch((err: unknown) =>
      logger.error({ err }, 'announcing a published change to the other replicas failed'),
    );
  }

  /** Logs a poll's outcome and publishes what it changed. */
  function report(outcome: PollOutcome): void {
    const log = logger.child({ source_id: outcome.sourceId, feed_url: outcome.feedUrl });
    if (outcome.movedTo) log.info({ status: outcome.status, new_url: outcome.movedTo }, 'feed moved permanently');
    if (outcome.truncated) {
      log.warn({ items: outcome.truncated.items, kept: outcome.truncated.kept }, 'feed has more items than retention keeps; only the newest are read');
    }
    switch (outcome.kind) {
      case 'not-modified':
        log.info({ status: 304, deleted: outcome.counts.deleted }, 'not modified');
        break;
      case 'updated': {
        const source = byId.get(outcome.sourceId);
        if (push && source) push.discovered(source, outcome.hub);
        const c = outcome.counts;
        log.info(
          {
            status: outcome.status,
            inserted: c.inserted,
            updated: c.updated,
            unchanged: c.unchanged,
            tombstoned: c.tombstoned,
            deleted: c.deleted,
            related_capped: c.relatedCapped,
            published_changed: outcome.publishedChanged,
            changed_articles: outcome.changedArticles?.length ?? 'any',
          },
          'polled',
        );
        break;
      }
      case 'failed': {
        const fields = {
          status: outcome.status,
          stage: outcome.stage,
          err: outcome.upstream ? (outcome.error as Error).message : outcome.error,
          next_poll_at: outcome.retryAt.toISOString(),
        };
        if (outcome.upstream) log.warn(fields, 'poll failed');
        else log.error(fields, 'poll failed');
        return;
      }
    }
    if (outcome.publishedChanged) published(outcome.changedArticles);
  }

  function backingOff(state: SourceState | null, at: Date): boolean {
    return !!state && state.consecutiveFailures > 0 && !!state.nextPollAt && state.nextPollAt.getTime() > at.getTime();
  }

  function pollSource(sourceId: string): Promise<PollOutcome> {
    const source = byId.get(sourceId);
    if (!source) return Promise.reject(new Error(`unknown source ${JSON.stringify(sourceId)}`));
    const inFlight = running.get(sourceId);
    if (inFlight) return inFlight;
    const p = synced
      .then(() => poll(pollDeps, source))
      .then((outcome) => {
        report(outcome);
        return outcome;
      })
      .finally(() => running.delete(sourceId));
    running.set(sourceId, p);
    return p;
  }

  async function pollEach(list: readonly Source[]): Promise<PollOutcome[]> {
    const queue = list.map((source, index) => ({ source, index }));
    const outcomes = new Array<PollOutcome>(list.length);
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) outcomes[next.index] = await pollSource(next.source.id);
    };
    await Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, queue.length) }, worker));
    return outcomes;
  }

  /**
   * A scheduled (not explicit) poll: skipped while one runs, while the source backs off, and when another replica
   * sharing the store holds the source's poll or claimed it within half an interval (it polled this tick).
   */
  function scheduledPoll(source: Source): Promise<void> {
    const tick = scheduledTick(source);
    ticks.add(tick);
    void tick.finally(() => ticks.delete(tick));
    return tick;
  }

  async function scheduledTick(source: Source): Promise<void> {
    // Also a tick of a source taken out of sources.yaml just now.
    if (stopped || !byId.has(source.id)) return;
    if (running.has(source.id)) {
      logger.debug({ source_id: source.id }, 'poll still running, tick skipped');
      return;
    }
    try {
      await synced;
      const state = await store.sourceState(source.id);
      if (backingOff(state, now())) {
        logger.debug({ source_id: source.id }, 'backing off, tick skipped');
        return;
      }
      if (state?.nextPollAt && state.nextPollAt.getTime() > now().getTime() && (await push?.isPushed(source.id))) {
        logger.debug({ source_id: source.id }, 'pushed by its hub, tick skipped');
        return;
      }
      const at = now();
      const claim = {
        holder,
        now: at,
        notClaimedSince: new Date(at.getTime() - schedules.intervalMs(source) / 2),
        leaseUntil: new Date(at.getTime() + fetchPolicy.timeoutMs + POLL_LEASE_EXTRA_MS),
      };
      if (!(await store.claimPoll(source.id, claim))) {
        logger.debug({ source_id: source.id }, 'polled by another replica this tick, tick skipped');
        return;
      }
      try {
        await pollSource(source.id);
      } finally {
        await store.releasePoll(source.id, holder);
      }
    } catch (err) {
      logger.error({ source_id: source.id, err }, 'poll crashed');
    }
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

  /** The first round after a start or a sources change: each source as a scheduled tick would (once across replicas). */
  function pollFirst(list: readonly Source[]): void {
    const queue = [...list];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await scheduledPoll(next);
    };
    void Promise.all(Array.from({ length: Math.min(POLL_CONCURRENCY, queue.length) }, worker));
  }

  function setSources(next: readonly Source[]): void {
    const before = byId;
    synced = synced.catch(() => {}).then(() => store.syncSources(next));
    synced.catch((err: unknown) => logger.error({ err }, 'storing the list of sources failed'));
    sources = [...next];
    byId = new Map(sources.map((s) => [s.id, s]));
    for (const id of before.keys()) {
      if (byId.has(id)) continue;
      // A poll of it already running finishes; nothing schedules it again.
      unschedule(id);
      schedules.forget(id);
      push?.removed(id);
    }
    const fresh: Source[] = [];
    for (const source of sources) {
      const old = before.get(source.id);
      // A new name or language is read at the next poll; the schedule stays.
      if (old && old.schedule === source.schedule && old.url === source.url) continue;
      schedules.forget(source.id);
      if (!old || old.url !== source.url) fresh.push(source);
      else {
        // Rescheduled: /status shows the next run of the new schedule (a source backing off keeps its delay).
        void synced
          .then(async () => {
            const state = await store.sourceState(source.id);
            if (state?.nextPollAt && !backingOff(state, now())) await store.updateSourceState(source.id, { nextPollAt: schedules.next(source) });
          })
          .catch((err: unknown) => logger.error({ source_id: source.id, err }, 'rescheduling failed'));
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
      if (push) {
        push.start(sources);
        renewTimer = setInterval(() => {
          push.renewDue(sources).catch((err: unknown) => logger.error({ err }, 'websub renewal crashed'));
        }, RENEW_CHECK_MS);
        renewTimer.unref();
      }
    },
    async stop() {
      stopped = true;
      started = false;
      if (renewTimer) clearInterval(renewTimer);
      renewTimer = null;
      const all = [...tasks.values()];
      tasks.clear();
      for (const t of all) await t.destroy();
      // A running relateAll stops at its next batch.
      await relations.running();
      await deps.relateThread?.close();
      const pending: Promise<unknown>[] = [...running.values(), ...ticks, ...(push ? [push.whenIdle()] : [])];
      if (pending.length === 0) return;
      let timer: NodeJS.Timeout | undefined;
      // Each fetch ends by its own time limit; waiting a little longer than that is the bound.
      await Promise.race([
        Promise.allSettled(pending),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, fetchPolicy.timeoutMs + 1000))),
      ]);
      clearTimeout(timer);
    },
    async status() {
      await synced.catch(() => {});
      return Promise.all(sources.map(async (s) => {
        const [st, sub, itemCount] = await Promise.all([store.sourceState(s.id), store.pushSubscription(s.id), store.itemCount(s.id)]);
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
          itemCount,
          lastError: st?.lastError ?? null,
          pushed: pushActive(sub, now()),
          hub: sub?.hub ?? null,
          leaseEndsAt: iso(sub?.leaseEndsAt),
          lastPushAt: iso(sub?.lastPushAt),
        };
      }));
    },
    relateAll: () => relations.run(),
    async whenIdle() {
      for (let relating = relations.running(); running.size > 0 || ticks.size > 0 || relating; relating = relations.running()) {
        await Promise.allSettled([...running.values(), ...ticks, ...(relating ? [relating] : [])]);
      }
    },
    relationsCurrent: () => relations.current(),
    async receivePush(sourceId, text) {
      const source = byId.get(sourceId);
      if (!source) throw new Error(`unknown source ${JSON.stringify(sourceId)}`);
      const outcome = await ingestPush(pollDeps, source, text, now());
      const log = logger.child({ source_id: sourceId });
      if (outcome.kind === 'failed') {
        const fields = { stage: outcome.stage, err: outcome.upstream ? (outcome.error as Error).message : outcome.error };
        if (outcome.upstream) log.warn(fields, 'push not stored');
        else log.error(fields, 'push not stored');
        return outcome;
      }
      const c = outcome.counts;
      log.info(
        { inserted: c.inserted, updated: c.updated, unchanged: c.unchanged, published_changed: outcome.publishedChanged, changed_articles: outcome.changedArticles?.length ?? 'any' },
        'push stored',
      );
      if (outcome.publishedChanged) published(outcome.changedArticles);
      return outcome;
    },
    renewPushLeases: () => push?.renewDue(sources) ?? Promise.resolve(),
    hasSource: (sourceId) => byId.has(sourceId),
  };
}
