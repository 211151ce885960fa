/**
 * The JSON Feed 1.1 documents the service publishes (src/feeds/json11.ts), as far as tests read them: what
 * `JSON.parse` of a feed.json is expected to give, so a test names the fields it checks instead of using `any`.
 */
export interface JsonFeed {
  version: string;
  title: string;
  language: string;
  home_page_url?: string;
  feed_url?: string;
  /** JSON Feed 1.0's single author, which a 1.1 feed must not carry. */
  author?: unknown;
  items: JsonFeedItem[];
  _kabar: {
    id: string;
    updated: string;
    alternates: JsonFeedLink[];
    /** RFC 5005's links (src/feeds/json11.ts). */
    history?: { archive?: boolean; current?: string; prev_archive?: string; next_archive?: string };
  };
}

export interface JsonFeedItem {
  id: string;
  url: string;
  title: string;
  language?: string;
  content_html?: string;
  date_published?: string;
  authors: { name: string; url?: string }[];
  tags: string[];
  _kabar: {
    categories: { term: string; label: string; scheme: string }[];
    translations: JsonFeedLink[];
    related: JsonFeedLink[];
    contributors: { name: string; url?: string }[];
    source?: { title: string; feed_url: string; home_page_url?: string };
  };
}

export interface JsonFeedLink {
  url: string;
  type?: string;
  language?: string;
  title?: string;
}
