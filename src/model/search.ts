/*
 * Our articles as a search index sees them, and what a search answers: the contract between the relater
 * (src/ingest/relate-content.ts) and a storage backend's full-text index (SQLite FTS5; PostgreSQL tsvector).
 */

/** One article's analysed text (src/search/analyse.ts), all its languages together. */
export interface ArticleDoc {
  articleId: string;
  /** What the text was made from: the article is indexed again only when it changes. */
  fingerprint: string;
  /** Terms of the titles, summaries, tags and category labels, weighted above the bodies'. */
  head: readonly string[];
  body: readonly string[];
}

/** An indexed article: the fingerprint of its indexed text, and the one its stored relations were computed with. */
export interface IndexedArticle {
  articleId: string;
  indexed: string;
  /** null: its relations have not been computed from this index yet. */
  related: string | null;
}

/** In how many of the `articles` indexed articles each known term occurs (terms no article has are absent). */
export interface TermStats {
  articles: number;
  df: ReadonlyMap<string, number>;
}

export interface ArticleHit {
  articleId: string;
  /** The backend's own key of the indexed article. */
  rowid: number;
  /** BM25 with the head weighted (positive: higher is better). */
  rank: number;
}

/** Synchronous searches over the article index (SQLite in process; relating runs inside the store's transactions). */
export interface ArticleSearch {
  termStats(terms: readonly string[]): TermStats;
  /** The `limit` best articles containing any of `terms` by BM25, among `only` when given. */
  search(terms: readonly string[], limit: number, only?: readonly string[] | null): ArticleHit[];
  /** Which of `terms` each hit's article contains, by article id. */
  matched(terms: readonly string[], hits: readonly ArticleHit[]): Map<string, string[]>;
}
