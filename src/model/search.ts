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

/**
 * An article's text before analysis, per translation: its head (title, summary, tags, category labels in its
 * language) and its body (Markdown). Plain data: it crosses to the relating worker, which analyses it.
 */
export interface ArticleText {
  translations: readonly { language: string; head: string; body: string }[];
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

/** A result now (SQLite in process) or later (a round trip to PostgreSQL). */
type Awaitable<T> = T | Promise<T>;

export interface ArticleHit {
  articleId: string;
  /** BM25 with the head weighted (positive: higher is better). */
  rank: number;
  /** Which of the searched terms the article contains. */
  terms: string[];
  /** Which of them it has in its head (titles, summaries, tags, category labels). */
  headTerms: string[];
}

/**
 * Searches over the article index. SQLite answers at once (relating runs inside its transactions); PostgreSQL
 * answers later, and relating awaits its answers before it writes.
 */
export interface ArticleSearch {
  termStats(terms: readonly string[]): Awaitable<TermStats>;
  /** The `limit` best articles containing any of `terms` by BM25, among `only` when given, with the terms each contains. */
  search(terms: readonly string[], limit: number, only?: readonly string[] | null): Awaitable<ArticleHit[]>;
}

/** The same searches answered at once (SQLite). */
export interface SyncArticleSearch extends ArticleSearch {
  termStats(terms: readonly string[]): TermStats;
  search(terms: readonly string[], limit: number, only?: readonly string[] | null): ArticleHit[];
}
