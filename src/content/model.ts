import type { ArticleText } from '../model/search.ts';

/**
 * The typed content model. Everything under CONTENT_DIR is validated into these types at the edge
 * (src/content/load.ts); nothing downstream reads YAML or Markdown itself.
 */

export type Language = string;

export interface Person {
  name: string;
  url: string | null;
}

export interface Category {
  slug: string;
  /** Label per offered language. */
  label: Readonly<Record<Language, string>>;
}

export interface SiteLanguage {
  code: Language;
  title: string;
  description: string;
  /** Heading of the related-items list ("Baca juga", "Read also"). */
  readAlso: string;
}

export interface Site {
  /** Authority part of every `tag:` URI we mint (RFC 4151), e.g. `kabar.example,2026`. Never changes. */
  idAuthority: string;
  defaultLanguage: Language;
  /** Offered languages, default first. */
  languages: readonly SiteLanguage[];
  categories: readonly Category[];
  /** How many items a feed carries. */
  feedItemLimit: number;
  copyright: string | null;
}

/** Alternatives for one term: an item matches the term when any alternative occurs in it. */
export type Term = readonly string[];
/** A rule matches when every one of its terms matches. */
export type RelateRule = readonly Term[];

/** What the ingester needs from an article to relate upstream items to it. */
export interface RelateTarget {
  articleId: string;
  /** Any rule matching relates the item (rules of all translations, merged): the editor's override. */
  rules: readonly RelateRule[];
  /** Any of these matching keeps the item out, whatever its score or rules. */
  excludes?: readonly RelateRule[];
  /** Links of items kept out. */
  excludeUrls?: readonly string[];
  /**
   * Its text, all languages, with the fingerprint of what it is made of: `source` reads the bodies from the files,
   * `doc` analyses that into search terms (called only to index it). Absent: related by its rules only.
   */
  text?: { fingerprint: string; source(): ArticleText; doc(): { head: string[]; body: string[] } };
}

export interface Credit {
  /** The original publication, e.g. LiputanIslam.com. */
  name: string;
  url: string | null;
  /** Free text shown with the credit, e.g. the editor's initials and the wire source. */
  note: string | null;
}

export interface Translation {
  articleId: string;
  language: Language;
  /** Path of the source file relative to CONTENT_DIR, for error messages. */
  file: string;
  title: string;
  summary: string;
  published: Date;
  updated: Date;
  /** The UTC offsets (minutes east of UTC) `published` and `updated` were written with: the article's own zone. */
  publishedUtcOffset: number;
  updatedUtcOffset: number;
  authors: readonly Person[];
  /** Set on translations: who translated it. Null on the original. */
  translator: Person | null;
  /** True for the file in the article's original language. */
  isOriginal: boolean;
  categories: readonly string[];
  tags: readonly string[];
  image: { url: string; alt: string } | null;
  /** The body as HTML, rendered from Markdown on first use and kept (start-up does not render 10k bodies). */
  bodyHtml(): string;
  /** The body's Markdown source, read again on each call (indexing reads it once; nothing keeps it). */
  bodyMarkdown(): string;
  /** The file's identity when it was read (mtime, size, inode): changes when the file does. */
  stamp: string;
  rules: readonly RelateRule[];
  excludes: readonly RelateRule[];
  excludeUrls: readonly string[];
}

export interface Article {
  /** Stable key from the original's front matter; item ids derive from it, never from titles or paths. */
  id: string;
  /** URL path segment, from the folder name. */
  slug: string;
  originalLanguage: Language;
  credit: Credit;
  categories: readonly string[];
  translations: ReadonlyMap<Language, Translation>;
}

export interface ContentSnapshot {
  site: Site;
  /** Newest first by the original's published date. */
  articles: readonly Article[];
  /** Hash of every input file, to tell whether a reload changed anything. */
  fingerprint: string;
  loadedAt: Date;
}
