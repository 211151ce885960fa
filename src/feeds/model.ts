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

/**
 * Link relations for what an entry links besides its own page. Readers take an entry's link from
 * `rel="alternate"` (newsboat and feedparser the last one, most others the first) and NetNewsWire takes
 * the first `rel="related"` as the item's permalink, so the entry's own page is its only `alternate` and
 * everything else uses a full-IRI relation (valid Atom, RFC 4287 4.2.7.2) that no reader compares with
 * those names. The schema.org terms say exactly what the target is.
 */
export const LINK_REL = {
  /** From an original to one of its translations. */
  translation: 'https://schema.org/workTranslation',
  /** From a translation to the original it was translated from. */
  original: 'https://schema.org/translationOfWork',
  /** Related reading (our "Baca juga" items). */
  related: 'https://schema.org/relatedLink',
} as const;

/** The same article in another language, and how it relates to this one. */
export interface TranslationLink extends FeedLink {
  /**
   * The relation written in Atom and RSS, or null for a sibling translation (both translated from a third
   * language), for which there is no precise term: it is listed in JSON Feed and on the HTML page only.
   */
  rel: string | null;
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
  /** The same entry in other languages (see LINK_REL: never rel="alternate", which readers take as the item's link). */
  translations: readonly TranslationLink[];
  /** Related reading (LINK_REL.related). */
  related: readonly FeedLink[];
  /** Where an entry we republish comes from (Atom source, RSS source). */
  source: FeedSource | null;
  tags: readonly string[];
  image: { url: string; alt: string } | null;
}

/**
 * Feed History (RFC 5005): where the rest of a feed's entries are. A subscription feed links its newest archive
 * document (`prevArchive`); an archive document (`archive`, written `<fh:archive/>`) links the subscription feed
 * (`current`) and its neighbours. None of these is `rel="alternate"`, which readers take as the home page.
 */
export interface FeedHistory {
  archive: boolean;
  current: string | null;
  prevArchive: string | null;
  nextArchive: string | null;
}

export interface FeedDoc {
  id: string;
  title: string;
  description: string;
  language: Language;
  updated: Date;
  selfUrl: string;
  /** The WebSub hubs to subscribe to this feed at (ours first). */
  hubs: readonly string[];
  /** The HTML page this feed mirrors. */
  htmlUrl: string;
  /** The same feed in other formats and in other languages. */
  alternates: readonly FeedLink[];
  copyright: string | null;
  generator: { name: string; version: string; url: string };
  entries: readonly FeedEntry[];
  /** Links to the archive (RFC 5005), null for a feed that has none (the related items). */
  history: FeedHistory | null;
}
