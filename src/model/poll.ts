import type { UpstreamItem } from './item.ts';

/** An item ready to store, with the ids of the articles it relates to. */
export interface ItemToStore {
  item: UpstreamItem;
  articleIds: readonly string[];
}

/** What storing one poll did. */
export interface PollResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Skipped because retention deleted them before. */
  tombstoned: number;
  /** Deleted by retention in this poll (related items cut by their cap included). */
  deleted: number;
  /** Of those, related items over the cap on related items. */
  relatedCapped: number;
  /** Whether anything we publish changed: a related item added, changed or removed, or a relation changed. */
  publishedChanged: boolean;
  /**
   * The articles whose related items may have changed (sorted), when publishedChanged; null when it may be
   * any of them (the source's feed URL or site moved, which every item of it shows).
   */
  changedArticles: string[] | null;
}

/** Minimal view of a stored item for relating. */
export interface RelatableItem {
  id: number;
  title: string;
  summary: string;
  categories: string[];
}

/** What changed in what we publish: the articles whose related items changed, or null for any article. */
export interface PublishedChange {
  articles: readonly string[] | null;
}

/** A replica asking to poll a source now (see `SyncStore.claimPoll` in src/storage/store.ts). */
export interface PollClaim {
  holder: string;
  now: Date;
  notClaimedSince: Date;
  leaseUntil: Date;
}
