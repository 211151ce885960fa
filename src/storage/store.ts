import type { RetentionPolicy } from '../config.ts';
import type { PublishedItem, RelatedItem, RelationWhy } from '../model/item.ts';
import type { ItemToStore, PollClaim, PollResult, PublishedChange, RelatableItem, Relating } from '../model/poll.ts';
import type { ArticleDoc, ArticleSearch, IndexedArticle, SyncArticleSearch } from '../model/search.ts';
import type { PushSubscription } from '../model/push.ts';
import type { Day, PollerSighting, ReaderDay, SubscriberReport } from '../model/readers.ts';
import type { SourceState, SourceStatePatch } from '../model/source.ts';
import type { Subscription } from '../model/subscription.ts';
import { closeDatabase, openDatabase } from './sqlite/database.ts';
import { itemTable } from './sqlite/items.ts';
import { metaTable } from './sqlite/meta.ts';
import { pollCommits } from './sqlite/polls.ts';
import { pushTable } from './sqlite/push.ts';
import { readerTables } from './sqlite/readers.ts';
import { relationTable } from './sqlite/relations.ts';
import { searchTable } from './sqlite/search.ts';
import { sourceTable } from './sqlite/sources.ts';
import { subscriptionTable } from './sqlite/subscriptions.ts';
import { validatorTable } from './sqlite/validators.ts';

/** Items per transaction when relations are recomputed. */
export const RELATE_BATCH = 2000;

/** A result now (SQLite in process) or later (a round trip to PostgreSQL). */
export type Awaitable<T> = T | Promise<T>;

/**
 * What the service keeps between polls and restarts, in its own words: sources and their poll state, polls,
 * related items, the validators of published resources, and the hub's subscribers. A backend implements all of it; callers know no
 * other type. `SyncStore` is the contract with synchronous results (SQLite in process); `Store`, what callers hold,
 * is the same contract where any result may come later (PostgreSQL): callers await every call. The hot path
 * never reaches the store: feeds render from `RelatedCache`, which loads the related items ahead of renders.
 */
export interface SyncStore {
  /** Makes sure every configured source has a state row; a changed URL in sources.yaml resets the remembered one. */
  syncSources(sources: readonly { id: string; name: string; url: string }[]): void;
  sourceState(sourceId: string): SourceState | null;
  updateSourceState(sourceId: string, patch: SourceStatePatch): void;
  /**
   * Stores one successful poll in one transaction: upserts by (source, key), sets relations, marks the listed items
   * seen, applies retention and writes the source state. Either all of it is stored or none.
   */
  commitPoll(
    sourceId: string,
    items: readonly ItemToStore[],
    state: SourceStatePatch,
    retention: RetentionPolicy,
    now: Date,
  ): PollResult;
  /**
   * Stores an unchanged (304) poll: the source still lists what it listed, so those items count as seen now.
   * Applies retention (items it no longer lists go on ageing) and writes the source state, in one transaction.
   */
  commitNotModified(sourceId: string, state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult;
  itemCount(sourceId: string): number;
  /**
   * Recomputes the relations of the `limit` stored items after id `afterId`, in one transaction (with `only`, just
   * their relations with those articles). SQLite calls `relate` inside its transaction and needs its answer at once
   * (its searches are synchronous); PostgreSQL awaits every item's answer before it writes. `next` is the id to continue after, null when this was the last batch;
   * `changed` whether any relation changed, `touched` the articles whose related items did.
   */
  recomputeRelationsBatch(
    relate: (item: RelatableItem) => Awaitable<Relating>,
    afterId: number,
    limit: number,
    only?: ReadonlySet<string> | null,
  ): { changed: boolean; next: number | null; touched: string[] };
  /** An article's related items with their score and why, best first (the editor's view). */
  relationReasons(articleId: string, limit: number): RelationWhy[];
  /** Our articles in the full-text index, with the fingerprints of their text and of their stored relations. */
  indexedArticles(): IndexedArticle[];
  /** Adds or replaces `docs` in the article index and removes the `removed` article ids, in one transaction. */
  indexArticles(docs: readonly ArticleDoc[], removed: readonly string[]): void;
  /** Compacts the article index after many articles were indexed (searches get faster; a no-op where not needed). */
  compactArticleIndex(): void;
  /**
   * Another connection to the store changed the article index (SQLite: the relating worker indexed articles): what
   * searches keep of it is read again. A no-op where every search reads the index itself.
   */
  forgetArticleIndex(): void;
  /** The stored relations of these articles were computed for these fingerprints. */
  markArticlesRelated(done: readonly { articleId: string; fingerprint: string }[]): void;
  /**
   * Searches of the article index: SQLite's answer at once (relating runs them inside `recomputeRelationsBatch`),
   * PostgreSQL's later (relating awaits them, then writes): see `Store`.
   */
  articleSearch(): SyncArticleSearch;
  relatedForArticle(articleId: string, limit: number): RelatedItem[];
  /**
   * `relatedForArticle` for many articles in one query: each id maps to what `relatedForArticle(id, limitPerArticle)`
   * returns (every id of `articleIds` is a key, with an empty list when nothing relates). An item related to several
   * of the articles is one object, shared by their lists. Items carry the published fields only (a feed reads
   * hundreds of them at once; bodies, categories and article ids would double the cost of the query).
   */
  relatedForArticles(articleIds: readonly string[], limitPerArticle: number): Map<string, PublishedItem[]>;
  relatedItems(limit: number): RelatedItem[];
  /** Small facts kept with the data, e.g. a fingerprint of the rules the relations were computed with. */
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  /**
   * Settles the validators of a published resource (path and query) rendered with body hash `hash` at `at`: when
   * the stored hash is the same, the stored Last-Modified stands (`changed` false); otherwise `hash` and `at` are
   * stored and returned (`changed` true). Atomic: replicas rendering the same new bytes agree on one Last-Modified,
   * and exactly one of them sees `changed` (the one that distributes it to WebSub subscribers and purges caches).
   */
  settleValidators(resource: string, hash: string, at: Date): { lastModified: Date; changed: boolean };
  /**
   * Claims the next poll of a source for `claim.holder` (a replica): granted when no other holder's lease runs
   * past `claim.now` and the source was not claimed at or after `claim.notClaimedSince` (a scheduled tick passes
   * half the source's interval: with several replicas each tick polls once in total; an explicit poll passes `now`).
   * The lease ends at `claim.leaseUntil` or at `releasePoll`; a replica killed mid-poll loses it when it ends.
   */
  claimPoll(sourceId: string, claim: PollClaim): boolean;
  /** Ends `holder`'s lease on a source's poll (its claim time stays: the tick is done). */
  releasePoll(sourceId: string, holder: string): void;
  /**
   * Tells the other replicas that what we publish changed (a poll or a re-relate committed): they drop their
   * related items of those articles and render again. A store used by one process (SQLite) does nothing.
   */
  announceChange(change: PublishedChange): void;
  /** `listener` hears the changes other replicas announce (never this store's own); one listener, the last set. */
  onChangeAnnounced(listener: (change: PublishedChange) => void): void;
  /** Our subscription of a source's topic at its upstream WebSub hub, null when there is none. */
  pushSubscription(sourceId: string): PushSubscription | null;
  /** Every such subscription, removed sources' included (they are unsubscribed), by source id. */
  pushSubscriptions(): PushSubscription[];
  /** Creates or replaces the subscription of `subscription.sourceId`. */
  savePushSubscription(subscription: PushSubscription): void;
  /** Forgets a source's subscription (the hub verified our unsubscription, or denied it). */
  forgetPushSubscription(sourceId: string): void;
  /**
   * Stores one batch of who read us on `day` (UTC), in one transaction: each report replaces an earlier one of the
   * same aggregator, feed and subscription that day; a poller already seen that day is not counted again.
   */
  recordReaders(day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date): void;
  /** Who read each feed on each day from `from` to `to` (inclusive), by day then feed; feeds and days with nothing are left out. */
  readersByDay(from: Day, to: Day): ReaderDay[];
  /** Adds a verified subscriber to one of our feeds, or renews its lease (and secret) if it is one already. */
  saveSubscription(subscription: Subscription): void;
  /** Forgets a subscriber (verified unsubscription, or a callback answering 410 Gone); false if it was not one. */
  removeSubscription(topic: string, callback: string): boolean;
  /** The subscribers of a feed whose lease has not ended at `now`, by callback. */
  subscriptionsFor(topic: string, now: Date): Subscription[];
  /** Subscribers per feed whose lease has not ended at `now` (feeds without any are absent). */
  subscriptionCounts(now: Date): Map<string, number>;
  /** Deletes the subscriptions whose lease ended at or before `now`; returns how many. */
  purgeExpiredSubscriptions(now: Date): number;
  close(): void;
}

/**
 * The storage contract callers hold: `SyncStore`'s methods, each result possibly a promise; and the article
 * index's searches too (SQLite's answer at once, PostgreSQL's later).
 */
export type Store = {
  [K in Exclude<keyof SyncStore, 'articleSearch'>]: (...args: Parameters<SyncStore[K]>) => Awaitable<ReturnType<SyncStore[K]>>;
} & { articleSearch(): Awaitable<ArticleSearch> };

/**
 * A second connection to the SQLite store, for relating stored items in a worker thread (src/ingest/relate-worker.ts):
 * the article index's searches and the relations batch, nothing else. WAL lets it read while the service's own
 * connection writes; writes on both take the lock at BEGIN (writeTransaction) and wait for it.
 */
export interface RelatingConnection {
  /**
   * Searches of the article index with nothing cached yet. The cache of a search is valid until the index changes,
   * and this connection does not see the other's changes to it: take a fresh one at the start of every pass.
   */
  freshArticleSearch(): SyncArticleSearch;
  /** As SyncStore's `indexArticles` and `compactArticleIndex`; the connection's own searches read the index again. */
  indexArticles(docs: readonly ArticleDoc[], removed: readonly string[]): void;
  compactArticleIndex(): void;
  /** As SyncStore's `recomputeRelationsBatch`, the relater answering at once. */
  recomputeRelationsBatch(
    relate: (item: RelatableItem) => Relating,
    afterId: number,
    limit: number,
    only: ReadonlySet<string> | null,
  ): { changed: boolean; next: number | null; touched: string[] };
  close(): void;
}

/** Opens a RelatingConnection to `${dataDir}/kabar.sqlite` (the service opened and migrated it first). */
export function openRelatingConnection(dataDir: string): RelatingConnection {
  const db = openDatabase(dataDir);
  const relations = relationTable(db);
  let search = searchTable(db);
  return {
    freshArticleSearch: () => (search = searchTable(db)).search,
    indexArticles: (docs, removed) => search.index(docs, removed),
    compactArticleIndex: () => search.compact(),
    recomputeRelationsBatch: (relate, afterId, limit, only) => recomputeBatch(relations, relate, afterId, limit, only),
    close: () => closeDatabase(db),
  };
}

/** A relations batch with its touched articles sorted (the order feeds are published in). */
function recomputeBatch(
  relations: ReturnType<typeof relationTable>,
  relate: (item: RelatableItem) => Awaitable<Relating>,
  afterId: number,
  limit: number,
  only: ReadonlySet<string> | null,
): { changed: boolean; next: number | null; touched: string[] } {
  const touched = new Set<string>();
  const batch = relations.recomputeBatch(relate, afterId, limit, only, touched);
  return { ...batch, touched: [...touched].sort() };
}

/** Opens (creating if needed) the SQLite store `${dataDir}/kabar.sqlite` and brings its schema up to date. */
export function openStore(dataDir: string): SyncStore {
  const db = openDatabase(dataDir);
  const sources = sourceTable(db);
  const relations = relationTable(db);
  const search = searchTable(db);
  const items = itemTable(db, relations);
  const polls = pollCommits(db, sources, items);
  const meta = metaTable(db);
  const validators = validatorTable(db);
  const push = pushTable(db);
  const readers = readerTables(db);
  const subscriptions = subscriptionTable(db);
  return {
    syncSources: sources.sync,
    sourceState: sources.state,
    updateSourceState: sources.update,
    commitPoll: polls.commitPoll,
    commitNotModified: polls.commitNotModified,
    itemCount: items.count,
    recomputeRelationsBatch: (relate, afterId, limit, only = null) => recomputeBatch(relations, relate, afterId, limit, only),
    relationReasons: relations.reasons,
    indexedArticles: search.indexed,
    indexArticles: search.index,
    compactArticleIndex: search.compact,
    forgetArticleIndex: search.forget,
    markArticlesRelated: (done) => search.markRelated(done),
    articleSearch: () => search.search,
    relatedForArticle: relations.forArticle,
    relatedForArticles: relations.forArticles,
    relatedItems: relations.all,
    getMeta: meta.get,
    setMeta: meta.set,
    settleValidators: validators.settle,
    claimPoll: sources.claim,
    releasePoll: sources.release,
    // One process: no other replica to tell, none to hear.
    announceChange: () => {},
    onChangeAnnounced: () => {},
    pushSubscription: push.get,
    pushSubscriptions: push.all,
    savePushSubscription: push.save,
    forgetPushSubscription: push.remove,
    recordReaders: readers.record,
    readersByDay: readers.byDay,
    saveSubscription: subscriptions.save,
    removeSubscription: subscriptions.remove,
    subscriptionsFor: subscriptions.forTopic,
    subscriptionCounts: subscriptions.counts,
    purgeExpiredSubscriptions: subscriptions.purgeExpired,
    close: () => closeDatabase(db),
  };
}
