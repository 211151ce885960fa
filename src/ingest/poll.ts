import type { FetchPolicy, RetentionPolicy } from '../config.ts';
import type { ItemToStore, PollResult, Relating } from '../model/poll.ts';
import type { HubLink } from '../model/push.ts';
import type { Source, SourceStatePatch } from '../model/source.ts';
import type { Awaitable, Store } from '../storage/store.ts';
import { isPrivateHost } from './addresses.ts';
import { nextPollAfterFailure } from './backoff.ts';
import { FetchError, fetchFeed, type Reach } from './fetcher.ts';
import { feedInfo, newestItems, normaliseFeed } from './normalise.ts';
import { ParseError, parseFeed, type RawFeed } from './parser.ts';
import type { ContentRelater } from './relate-content.ts';
import type { Schedules } from './schedule.ts';
import { discoverHub } from './websub/discover.ts';

const ERROR_MAX_CHARS = 200;

/** What one poll needs: where to store, how to fetch and keep, the schedules, the current rules, the clock. */
export interface PollDeps {
  store: Store;
  fetchPolicy: FetchPolicy;
  retention: RetentionPolicy;
  /** When a source is polled next (later while its hub pushes it), and its interval. */
  schedules: { next(source: Source): Awaitable<Date | null>; intervalMs: Schedules['intervalMs'] };
  /** The relater of the current articles (content can reload, so it is asked on every poll). */
  relater: () => ContentRelater;
  now: () => Date;
}

/** The step of a poll that failed. */
export type PollStage = 'fetch' | 'parse' | 'normalise' | 'relate' | 'store';

/** What a stored poll did to the source's items. */
export type PollCounts = Pick<PollResult, 'inserted' | 'updated' | 'unchanged' | 'tombstoned' | 'deleted' | 'relatedCapped'>;

/** What every outcome says, whatever happened. */
interface Attempt {
  sourceId: string;
  /** The URL polled (the source's current URL when the poll started). */
  feedUrl: string;
  attemptAt: Date;
  /** Where a permanent redirect said the feed lives now (remembered when the poll succeeds), else null. */
  movedTo: string | null;
  /** The feed had more items than retention keeps: only the newest `kept` of `items` were read. */
  truncated: { items: number; kept: number } | null;
}

/** A poll that stored what the source lists: its items (a 200), or that they are unchanged (a 304). */
interface Stored extends Attempt {
  /** The HTTP status of the final response. */
  status: number;
  counts: PollCounts;
  /** Whether anything we publish changed (a related item or a relation). */
  publishedChanged: boolean;
  /** The articles whose related items may have changed; null when it may be any of them. */
  changedArticles: string[] | null;
  /** Where the source is polled from now on. */
  currentUrl: string;
  nextPollAt: Date | null;
}

/**
 * The outcome of one poll, as a value: the ingester logs it, publishes from it and reports it; `npm run ingest`
 * counts it. The source's state in the store (GET /status) was written from the same facts in the same step.
 */
export type PollOutcome =
  | (Stored & {
      kind: 'updated';
      /** The WebSub hub the feed advertises (its Link headers, else its own links), null when none. */
      hub: HubLink | null;
    })
  | (Stored & { kind: 'not-modified' })
  | (Attempt & {
      kind: 'failed';
      stage: PollStage;
      /** A problem of the upstream (fetch or parse), as opposed to one of ours (a bug, the database). */
      upstream: boolean;
      error: unknown;
      /** The short message /status shows as `lastError`. */
      message: string;
      /** The HTTP status involved, if any (200 for a feed that does not parse). */
      status: number | null;
      consecutiveFailures: number;
      /** The next poll, after the backoff or the upstream's Retry-After. */
      retryAt: Date;
    });

/** The message /status shows for a failure: `fetch timeout: ...`, `parse: ...`, capped in length. */
export function shortError(err: unknown): string {
  const message =
    err instanceof FetchError
      ? `fetch ${err.kind}: ${err.message}`
      : err instanceof ParseError
        ? `parse: ${err.message}`
        : `${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`;
  return message.length > ERROR_MAX_CHARS ? `${message.slice(0, ERROR_MAX_CHARS - 1)}…` : message;
}

const countsOf = ({ inserted, updated, unchanged, tombstoned, deleted, relatedCapped }: PollResult): PollCounts => ({
  inserted,
  updated,
  unchanged,
  tombstoned,
  deleted,
  relatedCapped,
});

/** A feed's text to store, wherever it came from (a poll's response, a hub's push). */
export interface FeedText {
  text: string;
  /** Where the feed lives: the base of its relative links, and the last resort of its items' keys. */
  feedUrl: string;
  /** When it was received. */
  at: Date;
}

/** What storing a feed's text did, and the feed as parsed (its hub and self links are read from it). */
export interface Ingested {
  result: PollResult;
  feed: RawFeed;
  /** The feed had more items than retention keeps: only the newest `kept` of `items` were read. */
  truncated: { items: number; kept: number } | null;
}

/**
 * The pipeline after the fetch, shared by polls and pushes: parse, normalise and sanitise (the newest items
 * retention keeps), relate, and commit in one transaction with `state` (the source's feed title and site are
 * added to it). `onStage` hears each step as it starts, so a failure names its step. Throws what the step threw.
 */
export async function ingestText(
  deps: Pick<PollDeps, 'store' | 'retention' | 'relater'>,
  source: Source,
  input: FeedText,
  state: SourceStatePatch,
  onStage: (stage: PollStage) => void,
): Promise<Ingested> {
  const { store, retention } = deps;
  onStage('parse');
  const parsed = await parseFeed(input.text);
  onStage('normalise');
  const feed = newestItems(parsed, retention.maxItemsPerSource, input.at);
  const truncated = feed !== parsed ? { items: parsed.items.length, kept: feed.items.length } : null;
  const info = feedInfo(feed, input.feedUrl);
  const items = normaliseFeed(feed, { feedUrl: input.feedUrl, sourceLanguage: source.language, now: input.at });
  onStage('relate');
  const relate = deps.relater();
  // Every item related before the commit: on PostgreSQL its searches are round trips, awaited outside the
  // transaction. By rules only (or over SQLite's index) every answer is already there: no promise per item.
  const answers = items.map((item) => relate(item));
  const settled = answers.some((a) => a instanceof Promise) ? await Promise.all(answers.map((a) => Promise.resolve(a))) : (answers as Relating[]);
  const related: ItemToStore[] = items.map((item, i) => ({ item, ...settled[i]! }));
  onStage('store');
  const result = await store.commitPoll(source.id, related, { ...state, siteUrl: info.siteUrl, feedTitle: info.title }, retention, input.at);
  return { result, feed: parsed, truncated };
}

/**
 * Polls one source once: fetch (conditional GET), parse, normalise, relate, and commit in one transaction, or
 * record the failure with the next poll time. Never throws for upstream problems or for a failing step: every
 * such end is an outcome. Throws only when the source has no state (not synced) or the failure cannot be stored.
 */
export async function pollSource(deps: PollDeps, source: Source): Promise<PollOutcome> {
  const { store, fetchPolicy, retention, schedules, now } = deps;
  const state = await store.sourceState(source.id);
  if (!state) throw new Error(`no state for source ${source.id}`);
  const attemptAt = now();
  const attempt: Attempt = { sourceId: source.id, feedUrl: state.currentUrl, attemptAt, movedTo: null, truncated: null };
  let stage: PollStage = 'fetch';
  try {
    // A source the operator configured on a private network may go anywhere; any other may reach public addresses only.
    const reach: Reach = (await isPrivateHost(new URL(state.url).hostname)) ? 'any' : 'public';
    const res = await fetchFeed(state.currentUrl, { etag: state.etag, lastModified: state.lastModified }, fetchPolicy, now, reach);
    attempt.movedTo = res.permanentUrl;
    const currentUrl = res.permanentUrl ?? state.currentUrl;
    const success = {
      currentUrl,
      lastAttemptAt: attemptAt,
      lastSuccessAt: attemptAt,
      lastStatus: res.status,
      consecutiveFailures: 0,
      nextPollAt: await schedules.next(source),
      lastError: null,
    } satisfies SourceStatePatch;
    const stored = <K extends 'updated' | 'not-modified'>(kind: K, result: PollResult) => ({
      ...attempt,
      kind,
      status: res.status,
      counts: countsOf(result),
      publishedChanged: result.publishedChanged,
      changedArticles: result.changedArticles,
      currentUrl,
      nextPollAt: success.nextPollAt,
    });
    if (res.kind === 'not-modified') {
      // 304: nothing to parse; the source still lists what it listed (those items count as seen), and the
      // items it no longer lists go on ageing.
      stage = 'store';
      return stored('not-modified', await store.commitNotModified(source.id, success, retention, attemptAt));
    }
    const { result, feed, truncated } = await ingestText(
      deps,
      source,
      { text: res.text, feedUrl: res.finalUrl, at: attemptAt },
      { ...success, etag: res.validators.etag, lastModified: res.validators.lastModified },
      (next) => {
        stage = next;
      },
    );
    attempt.truncated = truncated;
    return { ...stored('updated', result), hub: discoverHub(res.links, feed, res.finalUrl) };
  } catch (error) {
    const consecutiveFailures = state.consecutiveFailures + 1;
    const retryAt = nextPollAfterFailure({
      attemptAt,
      consecutiveFailures,
      intervalMs: schedules.intervalMs(source),
      retryAfter: error instanceof FetchError ? error.retryAfter : null,
    });
    const status = error instanceof FetchError ? error.status : error instanceof ParseError ? 200 : null;
    const message = shortError(error);
    await store.updateSourceState(source.id, {
      lastAttemptAt: attemptAt,
      lastStatus: status,
      consecutiveFailures,
      nextPollAt: retryAt,
      lastError: message,
    });
    const upstream = error instanceof FetchError || error instanceof ParseError;
    return { ...attempt, kind: 'failed', stage, upstream, error, message, status, consecutiveFailures, retryAt };
  }
}
