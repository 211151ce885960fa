import type { Language } from '../content/model.ts';

/**
 * The format-neutral feed: what every renderer (RSS 2.0, Atom 1.0, JSON Feed 1.1) writes out.
 * All URLs are absolute; all text is plain text except fields named *Html.
 */

export interface FeedLink {
  href: string;
  /** Media type of the target, e.g. text/html or application/atom+xml. */
  type: string;
  hreflang: Language | null;
  title: string | null;
}

export interface FeedPerson {
  name: string;
  url: string | null;
}

export interface FeedCategory {
  /** Machine term (our category slug). */
  term: string;
  /** Human label in the feed's language. */
  label: string;
  /** The category's page: the scheme/domain that gives the term its meaning. */
  scheme: string;
}

export interface FeedSource {
  /** A stable id for the upstream feed (its URL). */
  id: string;
  title: string;
  feedUrl: string;
  siteUrl: string | null;
  /** Atom requires it in <source>; the entry's own update time is the newest we know to be in that feed. */
  updated: Date;
}

export interface FeedEntry {
  id: string;
  title: string;
  url: string;
  language: Language | null;
  summary: string;
  contentHtml: string;
  authors: readonly FeedPerson[];
  contributors: readonly FeedPerson[];
  published: Date;
  updated: Date;
  categories: readonly FeedCategory[];
  /** The same entry in other languages (rel="alternate" hreflang). */
  translations: readonly FeedLink[];
  /** Related reading (rel="related"). */
  related: readonly FeedLink[];
  /** Where an entry we republish comes from (Atom source, RSS source). */
  source: FeedSource | null;
  tags: readonly string[];
  image: { url: string; alt: string } | null;
}

export interface FeedDoc {
  id: string;
  title: string;
  description: string;
  language: Language;
  updated: Date;
  selfUrl: string;
  /** The HTML page this feed mirrors. */
  htmlUrl: string;
  /** The same feed in other formats and in other languages. */
  alternates: readonly FeedLink[];
  copyright: string | null;
  generator: { name: string; version: string; url: string };
  entries: readonly FeedEntry[];
}
