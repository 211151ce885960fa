import type { UpstreamItem } from './item.ts';

/** Why an item relates to an article: its content matched (the terms both share, the normalised BM25 score), or an editor's rule forced it in. */
export interface RelationReason {
  articleId: string;
  by: 'content' | 'rule';
  /** Normalised score (README, "Related items"); 1 for a rule. Feeds list an article's related items by it, then by date. */
  score: number;
  /** The item's words (folded) whose search terms the article has too; for a rule, the rule's terms as written. */
  terms: readonly string[];
}

/** What relating an item decided: the articles it relates to, and why (a reason per article id, when known). */
export interface Relating {
  articleIds: readonly string[];
  reasons?: readonly RelationReason[];
}

/** An item ready to store, with the ids of the articles it relates to. */
export interface ItemToStore extends Relating {
  item: UpstreamItem;
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
  /** Its link and language, when stored (an editor's `excludes` may name the link). */
  url?: string | null;
  language?: string | null;
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
