import type { RetentionPolicy } from '../config.ts';
import type { PublishedItem, RelatedItem } from '../model/item.ts';
import type { ItemToStore, PollResult, RelatableItem } from '../model/poll.ts';
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
import { sourceTable } from './sqlite/sources.ts';
import { subscriptionTable } from './sqlite/subscriptions.ts';
import { validatorTable } from './sqlite/validators.ts';

/** Items per transaction when relations are recomputed. */
export const RELATE_BATCH = 2000;

/**
 * What the service keeps between polls and restarts, in its own words: sources and their poll state, polls,
 * related items, the validators of published resources, and the hub's subscribers. A backend implements all of it; callers know no
 * other type. The methods are synchronous, as SQLite in process allows and the hot paths (a feed reading hundreds
 * of related items, a poll storing a thousand) want. A backend with an asynchronous driver (PostgreSQL) needs
 * the readers' side to become asynchronous first: the related items go through `RelatedCache` already, which
 * can load them ahead of a render, and the poll's methods can return promises once the ingester awaits them.
 */
export interface Store {
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
   * Recomputes the relations of the `limit` stored items after id `afterId`, in one transaction. `next` is the id
   * to continue after, null when this was the last batch; `changed` whether any relation changed.
   */
  recomputeRelationsBatch(relate: (item: RelatableItem) => readonly string[], afterId: number, limit: number): { changed: boolean; next: number | null };
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
  /** The body hash and Last-Modified a published resource (path and query) last had; null if never stored. */
  recallValidators(resource: string): { hash: string; lastModified: Date } | null;
  rememberValidators(resource: string, hash: string, lastModified: Date): void;
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

/** Opens (creating if needed) the SQLite store `${dataDir}/kabar.sqlite` and brings its schema up to date. */
export function openStore(dataDir: string): Store {
  const db = openDatabase(dataDir);
  const sources = sourceTable(db);
  const relations = relationTable(db);
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
    recomputeRelationsBatch: relations.recomputeBatch,
    relatedForArticle: relations.forArticle,
    relatedForArticles: relations.forArticles,
    relatedItems: relations.all,
    getMeta: meta.get,
    setMeta: meta.set,
    recallValidators: validators.recall,
    rememberValidators: validators.remember,
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
