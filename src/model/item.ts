/**
 * The one internal item type. Every upstream format (RSS 0.9x/1.0/2.0, Atom) becomes this at the
 * normaliser; nothing after it knows which format an item came from.
 */
export interface UpstreamItem {
  /** Stable within its source: guid or Atom id, else the link, else a hash of title and date. Never changes. */
  key: string;
  /** Absolute http(s) link, or null. */
  url: string | null;
  /** Plain text. */
  title: string;
  /** Plain text, length-capped. */
  summary: string;
  /** Sanitised HTML with absolute links. */
  contentHtml: string;
  language: string | null;
  categories: string[];
  author: string | null;
  /** Null when the feed gives none: the store keeps the first-seen time instead. Never in the future. */
  publishedAt: Date | null;
  updatedAt: Date | null;
}

/** What one parsed feed says about itself, beyond its items. */
export interface UpstreamFeedInfo {
  title: string | null;
  /** The site's home page (RSS channel link, Atom alternate link), absolute. */
  siteUrl: string | null;
}

/** The source an upstream item is credited to, as feeds and pages show it. */
export interface SourceCredit {
  sourceId: string;
  sourceName: string;
  /** Where the source's feed lives now (after permanent redirects). */
  sourceFeedUrl: string;
  sourceSiteUrl: string | null;
}

/**
 * An upstream item as stored, related to at least one of our articles, with its source's credit: its dates are
 * always known (a missing one is the first-seen time), and `updatedAt` is never before `publishedAt`.
 */
export interface RelatedItem extends SourceCredit, Omit<UpstreamItem, 'publishedAt' | 'updatedAt'> {
  publishedAt: Date;
  updatedAt: Date;
  /** The articles it relates to, in article id order. */
  articleIds: string[];
}

/** What feeds and pages publish of a related item: the fields `relatedForArticles` reads, and no more. */
export type PublishedItem = Pick<
  RelatedItem,
  keyof SourceCredit | 'key' | 'url' | 'title' | 'summary' | 'language' | 'publishedAt' | 'updatedAt'
>;

/** One relation of an article, as an editor checks it: the item, its score, and why (README, "Related items"). */
export interface RelationWhy {
  item: PublishedItem;
  /** Normalised score; 1 for an item a rule forces in. */
  score: number;
  by: 'content' | 'rule';
  /** The terms the item and the article share (stems), or the rule's terms. */
  terms: string[];
}
