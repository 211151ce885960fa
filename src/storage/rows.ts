import type { PublishedItem, RelatedItem } from '../model/item.ts';
import type { PollResult } from '../model/poll.ts';
import type { PendingMode, PushSubscription } from '../model/push.ts';
import type { Day, ReaderDay } from '../model/readers.ts';
import type { SourceState, SourceStatePatch } from '../model/source.ts';
import type { Subscription } from '../model/subscription.ts';

/**
 * The rows both backends store, with the same column names and types (times as milliseconds since the epoch), and
 * how each becomes the model's value: one place for what a row means, whichever SQL read it.
 */

export interface SourceRow {
  id: string;
  name: string;
  url: string;
  current_url: string;
  site_url: string | null;
  feed_title: string | null;
  etag: string | null;
  last_modified: string | null;
  last_attempt_at: number | null;
  last_success_at: number | null;
  last_status: number | null;
  consecutive_failures: number;
  next_poll_at: number | null;
  last_error: string | null;
  /** When the items of the source's current listing were fetched (the last 200); see migration 6. */
  listed_at: number | null;
}

export const STATE_COLUMNS: Record<keyof SourceStatePatch, keyof SourceRow> = {
  currentUrl: 'current_url',
  siteUrl: 'site_url',
  feedTitle: 'feed_title',
  etag: 'etag',
  lastModified: 'last_modified',
  lastAttemptAt: 'last_attempt_at',
  lastSuccessAt: 'last_success_at',
  lastStatus: 'last_status',
  consecutiveFailures: 'consecutive_failures',
  nextPollAt: 'next_poll_at',
  lastError: 'last_error',
};

export const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

export function rowToState(r: SourceRow): SourceState {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    currentUrl: r.current_url,
    siteUrl: r.site_url,
    feedTitle: r.feed_title,
    etag: r.etag,
    lastModified: r.last_modified,
    lastAttemptAt: toDate(r.last_attempt_at),
    lastSuccessAt: toDate(r.last_success_at),
    lastStatus: r.last_status,
    consecutiveFailures: r.consecutive_failures,
    nextPollAt: toDate(r.next_poll_at),
    lastError: r.last_error,
  };
}

export interface PushRow {
  source_id: string;
  hub: string;
  topic: string;
  secret: string;
  pending: PendingMode | null;
  requested_at: number;
  verified_at: number | null;
  lease_ends_at: number | null;
  last_push_at: number | null;
  last_error: string | null;
}

export const toMs = (d: Date | null): number | null => (d === null ? null : d.getTime());

export function rowToPushSubscription(r: PushRow): PushSubscription {
  return {
    sourceId: r.source_id,
    hub: r.hub,
    topic: r.topic,
    secret: r.secret,
    pending: r.pending,
    requestedAt: new Date(r.requested_at),
    verifiedAt: toDate(r.verified_at),
    leaseEndsAt: toDate(r.lease_ends_at),
    lastPushAt: toDate(r.last_push_at),
    lastError: r.last_error,
  };
}

export interface SubscriptionRow {
  topic: string;
  callback: string;
  secret: string | null;
  lease_seconds: number;
  expires_at: number;
  created_at: number;
}

export const rowToSubscription = (r: SubscriptionRow): Subscription => ({
  topic: r.topic,
  callback: r.callback,
  secret: r.secret,
  leaseSeconds: r.lease_seconds,
  expiresAt: new Date(r.expires_at),
  createdAt: new Date(r.created_at),
});

/** A published item as the related-item queries select it: its columns and its source's credit. */
export interface PublishedRow {
  id: number;
  source_id: string;
  item_key: string;
  url: string | null;
  title: string;
  summary: string;
  language: string | null;
  published_at: number;
  updated_at: number;
  source_name: string;
  source_current_url: string;
  source_site_url: string | null;
}

/** The whole item (each backend adds its own form of the article ids). */
export interface RelatedRowColumns extends PublishedRow {
  content_html: string;
  categories: string;
  author: string | null;
}

export function rowToPublished(r: PublishedRow): PublishedItem {
  return {
    sourceId: r.source_id,
    sourceName: r.source_name,
    sourceFeedUrl: r.source_current_url,
    sourceSiteUrl: r.source_site_url,
    key: r.item_key,
    url: r.url,
    title: r.title,
    summary: r.summary,
    language: r.language,
    publishedAt: new Date(r.published_at),
    updatedAt: new Date(r.updated_at),
  };
}

/** `articleIds`: the item's article ids, in article id order, as the backend read them. */
export function rowToRelated(r: RelatedRowColumns, articleIds: string[]): RelatedItem {
  return {
    ...rowToPublished(r),
    contentHtml: r.content_html,
    categories: JSON.parse(r.categories) as string[],
    author: r.author,
    articleIds,
  };
}

/** Subscribers an aggregator reported for a feed on a day (its latest figures summed), and distinct pollers. */
export interface SubscriberCountRow {
  day: Day;
  feed: string;
  aggregator: string;
  n: number;
}
export interface PollerCountRow {
  day: Day;
  feed: string;
  n: number;
}

/** Both counts merged per day and feed, by day then feed (a feed with nothing that day is absent). */
export function readerDays(subscribers: Iterable<SubscriberCountRow>, pollers: Iterable<PollerCountRow>): ReaderDay[] {
  const out = new Map<string, { day: Day; feed: string; subscribers: number; aggregators: Record<string, number>; pollers: number }>();
  const row = (day: Day, feed: string) => {
    const k = `${day} ${feed}`;
    let r = out.get(k);
    if (!r) out.set(k, (r = { day, feed, subscribers: 0, aggregators: {}, pollers: 0 }));
    return r;
  };
  for (const s of subscribers) {
    const r = row(s.day, s.feed);
    r.subscribers += s.n;
    r.aggregators[s.aggregator] = s.n;
  }
  for (const p of pollers) row(p.day, p.feed).pollers = p.n;
  return [...out.values()].sort((a, b) => a.day.localeCompare(b.day) || a.feed.localeCompare(b.feed));
}

/** What a poll's commit reports before anything is counted. */
export const emptyPollResult = (): PollResult => ({
  inserted: 0, updated: 0, unchanged: 0, tombstoned: 0, deleted: 0, relatedCapped: 0, publishedChanged: false, changedArticles: [],
});

/**
 * The previous listing's time and until when it was seen, when a 304 has confirmed it since (its items were seen
 * until the last success); null when there is nothing to carry forward.
 */
export function confirmedListing(before: SourceRow | undefined): { listedAt: number; seenUntil: number } | null {
  if (before?.listed_at == null || before.last_success_at === null || before.last_success_at <= before.listed_at) return null;
  return { listedAt: before.listed_at, seenUntil: before.last_success_at };
}

/** Whether a poll moves the source's feed URL or site, which every related item of the source shows. */
export const sourceMoves = (before: SourceRow | undefined, state: SourceStatePatch): boolean =>
  before !== undefined &&
  ((state.currentUrl !== undefined && state.currentUrl !== before.current_url) || (state.siteUrl !== undefined && state.siteUrl !== before.site_url));

/** The poll's result once its writes are done: every article may show a moved source, else those touched. */
export function finishPollResult(result: PollResult, moved: boolean, touched: ReadonlySet<string>): PollResult {
  if (moved) {
    result.publishedChanged = true;
    result.changedArticles = null;
  } else {
    result.changedArticles = [...touched].sort();
  }
  return result;
}
