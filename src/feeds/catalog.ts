import type { ContentSnapshot, Language } from '../content/model.ts';

/**
 * Every feed the service publishes, and the one place that knows their URLs. A feed is a language, a
 * scope (the whole site, one category, or the related upstream items) and a format.
 */

export const FORMATS = ['rss', 'atom', 'json'] as const;
export type Format = (typeof FORMATS)[number];

export type Scope = { kind: 'site' } | { kind: 'category'; slug: string } | { kind: 'related' };

export interface FeedKey {
  language: Language;
  scope: Scope;
  format: Format;
}

export const MEDIA_TYPES: Record<Format, string> = {
  rss: 'application/rss+xml',
  atom: 'application/atom+xml',
  json: 'application/feed+json',
};

export const FORMAT_LABELS: Record<Format, string> = { rss: 'RSS 2.0', atom: 'Atom 1.0', json: 'JSON Feed 1.1' };

/** Builds every absolute URL we publish from BASE_URL. */
export class Urls {
  constructor(
    readonly base: string,
    /** Outside WebSub hubs (WEBSUB_HUB), advertised after ours. */
    private readonly outsideHubs: readonly string[] = [],
  ) {}

  /** Our WebSub hub. */
  hub(): string {
    return `${this.base}/websub`;
  }
  /** Every hub a feed advertises: ours first, then the outside ones. */
  hubs(): readonly string[] {
    return [this.hub(), ...this.outsideHubs];
  }

  home(): string {
    return `${this.base}/`;
  }
  language(lang: Language): string {
    return `${this.base}/${lang}/`;
  }
  article(lang: Language, slug: string): string {
    return `${this.base}/${lang}/articles/${slug}/`;
  }
  scopePage(lang: Language, scope: Scope): string {
    switch (scope.kind) {
      case 'site':
        return this.language(lang);
      case 'category':
        return `${this.base}/${lang}/categories/${scope.slug}/`;
      case 'related':
        return `${this.base}/${lang}/related/`;
    }
  }
  feed(key: FeedKey): string {
    return `${this.scopePage(key.language, key.scope)}feed.${key.format}`;
  }
  /**
   * An archive document of a site or category feed (RFC 5005): the articles published in one UTC month,
   * `/{lang}/archive/2020-11.atom`, or with the version of its bytes, `/{lang}/archive/2020-11.3f2a9c0d1e4b5a6c.atom`,
   * which never changes (see src/feeds/archive.ts).
   */
  archive(key: FeedKey, month: string, version: string | null = null): string {
    return `${this.scopePage(key.language, key.scope)}archive/${month}${version === null ? '' : `.${version}`}.${key.format}`;
  }
  opml(): string {
    return `${this.base}/feeds.opml`;
  }
  /** The iframe embed of a scope's latest headlines, for partner sites that allow no scripts. */
  embed(lang: Language, scope: Scope): string {
    return `${this.base}/embed${this.scopePage(lang, scope).slice(this.base.length)}`;
  }
  /** The embed script for partner sites. */
  embedScript(): string {
    return `${this.base}/embed.js`;
  }
}

/** The path part of a feed URL, relative to the base, e.g. `id/categories/rusia/feed.atom`. */
const FEED_PATH = /^\/([a-z]{2,3}(?:-[A-Za-z0-9]+)*)\/(?:(categories)\/([a-z0-9-]+)\/|(related)\/)?feed\.(rss|atom|json)$/;

/**
 * Maps a request path to a feed key without checking that the language or category exists
 * (that is `missingFeedReason`'s job). Returns null when the path is not shaped like a feed URL.
 */
export function parseFeedPath(pathname: string): FeedKey | null {
  const m = FEED_PATH.exec(pathname);
  if (!m) return null;
  const language = m[1]!;
  const format = m[5] as Format;
  const scope: Scope = m[2] ? { kind: 'category', slug: m[3]! } : m[4] ? { kind: 'related' } : { kind: 'site' };
  return { language, scope, format };
}

const ARCHIVE_PATH =
  /^\/([a-z]{2,3}(?:-[A-Za-z0-9]+)*)\/(?:categories\/([a-z0-9-]+)\/)?archive\/(\d{4}-(?:0[1-9]|1[0-2]))(?:\.([0-9a-f]{16}))?\.(rss|atom|json)$/;

/** An archive document's path as its feed, month and version (null: the month's current document); null if not one. */
export function parseArchivePath(pathname: string): { key: FeedKey; month: string; version: string | null } | null {
  const m = ARCHIVE_PATH.exec(pathname);
  if (!m) return null;
  const scope: Scope = m[2] ? { kind: 'category', slug: m[2] } : { kind: 'site' };
  return { key: { language: m[1]!, scope, format: m[5] as Format }, month: m[3]!, version: m[4] ?? null };
}

/** A stable string for a key, used as a cache key. */
export function feedKeyId(key: FeedKey): string {
  const scope = key.scope.kind === 'category' ? `category/${key.scope.slug}` : key.scope.kind;
  return `${key.language}/${scope}/${key.format}`;
}

/** Why a well-shaped key names no feed, or null when it does. */
export function missingFeedReason(snapshot: ContentSnapshot, key: FeedKey): string | null {
  if (!snapshot.site.languages.some((l) => l.code === key.language)) {
    return `no feeds in language "${key.language}" (offered: ${snapshot.site.languages.map((l) => l.code).join(', ')})`;
  }
  if (key.scope.kind === 'category') {
    const slug = key.scope.slug;
    if (!snapshot.site.categories.some((c) => c.slug === slug)) return `no category "${slug}"`;
  }
  return null;
}

/** Every scope of one language: the site, each category, the related items. */
export function scopes(snapshot: ContentSnapshot): Scope[] {
  return [
    { kind: 'site' },
    ...snapshot.site.categories.map((c): Scope => ({ kind: 'category', slug: c.slug })),
    { kind: 'related' },
  ];
}

/** Every feed we publish, language by language, scope by scope, format by format. */
export function allFeeds(snapshot: ContentSnapshot): FeedKey[] {
  return snapshot.site.languages.flatMap((l) =>
    scopes(snapshot).flatMap((scope) => FORMATS.map((format) => ({ language: l.code, scope, format }))),
  );
}
