import { createHash } from 'node:crypto';
import type { Article, ContentSnapshot, Language, SiteLanguage } from '../content/model.ts';
import { SERVICE_NAME, SERVICE_VERSION } from '../config.ts';
import { html, trusted, type SafeHtml } from '../html/html.ts';
import { creditHtml, relatedListHtml } from '../html/fragments.ts';
import { fill, strings } from '../i18n/strings.ts';
import type { PublishedItem } from '../model/item.ts';
import { FORMATS, MEDIA_TYPES, type FeedKey, type Scope, type Urls } from './catalog.ts';
import { LINK_REL, type FeedCategory, type FeedDoc, type FeedEntry, type FeedHistory, type FeedLink, type TranslationLink } from './model.ts';
import { articlesByMonth } from './months.ts';

/** An upstream item as the store hands it to the publishing side: only the fields feeds and pages read. */
export type RelatedItem = PublishedItem;

/** The part of the store that feeds and pages read. */
export interface RelatedReader {
  relatedForArticle(articleId: string, limit: number): RelatedItem[];
  /** Many articles at once (one query for a whole feed); every id is a key. */
  relatedForArticles(articleIds: readonly string[], limitPerArticle: number): Map<string, RelatedItem[]>;
  relatedItems(limit: number): RelatedItem[];
}

export const NO_RELATED: RelatedReader = {
  relatedForArticle: () => [],
  relatedForArticles: (ids) => new Map(ids.map((id) => [id, []])),
  relatedItems: () => [],
};

/** How many related upstream items an article shows (the publisher's own "Baca juga" lists two to five). */
export const RELATED_PER_ARTICLE = 5;

export function articleEntryId(site: ContentSnapshot['site'], articleId: string, lang: Language): string {
  return `tag:${site.idAuthority}:article/${articleId}/${lang}`;
}

function upstreamEntryId(site: ContentSnapshot['site'], item: RelatedItem): string {
  const digest = createHash('sha256').update(item.key).digest('hex').slice(0, 32);
  return `tag:${site.idAuthority}:upstream/${item.sourceId}/${digest}`;
}

function feedId(site: ContentSnapshot['site'], lang: Language, scope: Scope): string {
  const suffix = scope.kind === 'category' ? `/category/${scope.slug}` : scope.kind === 'related' ? '/related' : '';
  return `tag:${site.idAuthority}:feed/${lang}${suffix}`;
}

function siteLanguage(snapshot: ContentSnapshot, lang: Language): SiteLanguage {
  const l = snapshot.site.languages.find((x) => x.code === lang);
  if (!l) throw new Error(`language ${lang} is not offered`);
  return l;
}

export function categoryLabel(snapshot: ContentSnapshot, slug: string, lang: Language): string {
  return snapshot.site.categories.find((c) => c.slug === slug)?.label[lang] ?? slug;
}

export function scopeTitle(snapshot: ContentSnapshot, lang: Language, scope: Scope): string {
  const l = siteLanguage(snapshot, lang);
  switch (scope.kind) {
    case 'site':
      return l.title;
    case 'category':
      return `${l.title}: ${categoryLabel(snapshot, scope.slug, lang)}`;
    case 'related':
      return `${l.title}: ${l.readAlso}`;
  }
}

/** Links from one translation to the others, each with its relation to this one. */
export function translationLinks(article: Article, lang: Language, urls: Urls): TranslationLink[] {
  const self = article.translations.get(lang);
  return [...article.translations.values()]
    .filter((t) => t.language !== lang)
    .map((t) => ({
      href: urls.article(t.language, article.slug),
      type: 'text/html',
      hreflang: t.language,
      title: t.title,
      rel: self?.isOriginal ? LINK_REL.translation : t.isOriginal ? LINK_REL.original : null,
    }));
}

export function relatedLinks(items: readonly RelatedItem[]): FeedLink[] {
  return items
    .filter((i): i is RelatedItem & { url: string } => i.url !== null)
    .map((i) => ({ href: i.url, type: 'text/html', hreflang: i.language, title: i.title }));
}

function categories(snapshot: ContentSnapshot, slugs: readonly string[], lang: Language, urls: Urls): FeedCategory[] {
  return slugs.map((slug) => ({
    term: slug,
    label: categoryLabel(snapshot, slug, lang),
    scheme: urls.scopePage(lang, { kind: 'category', slug }),
  }));
}

function articleEntry(snapshot: ContentSnapshot, article: Article, lang: Language, urls: Urls, rel: readonly RelatedItem[]): FeedEntry {
  const t = article.translations.get(lang)!;
  const credit = creditHtml(article, t, urls.article(article.originalLanguage, article.slug));
  const content: SafeHtml = html`${trusted(t.bodyHtml())}${credit}${relatedListHtml(rel, siteLanguage(snapshot, lang).readAlso, lang)}`;
  return {
    id: articleEntryId(snapshot.site, article.id, lang),
    title: t.title,
    url: urls.article(lang, article.slug),
    language: lang,
    summary: t.summary,
    contentHtml: content.value,
    authors: t.authors,
    contributors: t.translator ? [t.translator] : [],
    published: t.published,
    updated: t.updated,
    categories: categories(snapshot, article.categories, lang, urls),
    translations: translationLinks(article, lang, urls),
    related: relatedLinks(rel),
    source: null,
    tags: t.tags,
    image: t.image,
  };
}

const LANGUAGE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

/** Only http(s) URLs that parse go into feeds (`feed` throws on anything else). */
function webUrl(url: string | null): string | null {
  return url && URL.canParse(url) && /^https?:$/.test(new URL(url).protocol) ? url : null;
}

function upstreamEntry(snapshot: ContentSnapshot, item: RelatedItem, lang: Language): FeedEntry {
  const siteUrl = webUrl(item.sourceSiteUrl);
  const link = webUrl(item.url) ?? siteUrl ?? item.sourceFeedUrl;
  const content = html`<p>${item.summary}</p><p><a href="${link}">${fill(strings(lang).readAt, { source: item.sourceName })}</a></p>`;
  return {
    id: upstreamEntryId(snapshot.site, item),
    title: item.title,
    url: link,
    language: item.language && LANGUAGE_TAG.test(item.language) ? item.language : null,
    summary: item.summary,
    contentHtml: content.value,
    authors: [{ name: item.sourceName, url: siteUrl }],
    contributors: [],
    published: item.publishedAt,
    updated: item.updatedAt,
    categories: [],
    translations: [],
    related: [],
    source: { id: item.sourceFeedUrl, title: item.sourceName, feedUrl: item.sourceFeedUrl, siteUrl, updated: item.updatedAt },
    tags: [],
    image: null,
  };
}

const siteBeganMemo = new WeakMap<ContentSnapshot, Date>();

/**
 * The date of a feed that shows nothing: the site's earliest publication date. It must not come from
 * other feeds' content (the newest date of the site would move every empty feed's bytes and ETag with
 * each new article anywhere) nor from the clock (a restart would move it); an empty feed has shown
 * nothing new since the site began, and only adding an article older than all others moves this.
 */
function siteBegan(snapshot: ContentSnapshot): Date {
  let d = siteBeganMemo.get(snapshot);
  if (!d) {
    let earliest = Infinity;
    for (const a of snapshot.articles) for (const t of a.translations.values()) earliest = Math.min(earliest, t.published.getTime());
    d = new Date(Number.isFinite(earliest) ? earliest : 0);
    siteBeganMemo.set(snapshot, d);
  }
  return d;
}

/** The newest update of any article in any language (the OPML's dateModified): derived from content only. */
export function contentUpdated(snapshot: ContentSnapshot): Date {
  let newest = 0;
  for (const a of snapshot.articles) for (const t of a.translations.values()) newest = Math.max(newest, t.updated.getTime());
  return new Date(newest);
}

/** The newest date among the items shown in an entry's "Baca juga" list (only linked ones are shown). */
function newestShown(items: readonly RelatedItem[], floor: Date): Date {
  let newest = floor;
  for (const i of items) if (i.url !== null && i.updatedAt > newest) newest = i.updatedAt;
  return newest;
}

/** What an archive document (src/feeds/archive.ts) shows instead of the newest articles, and its links. */
export interface ArchivePart {
  articles: readonly Article[];
  history: FeedHistory;
}

/**
 * Builds the format-neutral feed for one key. Pure: the same snapshot and store contents give the same
 * feed, so rendered bytes (and their ETag) change only when what we publish changes. With `archive`, the
 * feed is an archive document of those articles, without related reading (which changes with every poll;
 * an archive document must not).
 */
export function buildFeed(
  snapshot: ContentSnapshot,
  key: FeedKey,
  urls: Urls,
  related: RelatedReader,
  limit?: number,
  archive?: ArchivePart,
): FeedDoc {
  const { language: lang, scope } = key;
  const l = siteLanguage(snapshot, lang);
  const max = snapshot.site.feedItemLimit;
  /** Each entry with the newest date of what it shows: its own update, and the related items listed in it. */
  let shown: { entry: FeedEntry; newest: Date }[];
  if (scope.kind === 'related') {
    shown = related.relatedItems(max).map((i) => {
      const entry = upstreamEntry(snapshot, i, lang);
      return { entry, newest: entry.updated };
    });
  } else {
    const chosen: Article[] = archive ? [...archive.articles] : [];
    if (archive) related = NO_RELATED;
    else for (const a of snapshot.articles) {
      if (chosen.length >= max) break;
      if (!a.translations.has(lang)) continue;
      if (scope.kind === 'category' && !a.categories.includes(scope.slug)) continue;
      chosen.push(a);
    }
    const rel = related.relatedForArticles(chosen.map((a) => a.id), RELATED_PER_ARTICLE);
    shown = chosen.map((a) => {
      const items = rel.get(a.id) ?? [];
      const entry = articleEntry(snapshot, a, lang, urls, items);
      return { entry, newest: newestShown(items, entry.updated) };
    });
    shown.sort((a, b) => b.entry.published.getTime() - a.entry.published.getTime() || a.entry.id.localeCompare(b.entry.id));
  }
  if (limit !== undefined) shown = shown.slice(0, limit);
  const entries = shown.map((s) => s.entry);
  // A feed's date is the newest date of what it shows, so its bytes (and ETag) change only with its own
  // entries: a new article elsewhere leaves it alone.
  const updated =
    shown.length === 0 ? siteBegan(snapshot) : shown.reduce((newest, s) => (s.newest > newest ? s.newest : newest), shown[0]!.newest);

  const alternates: FeedLink[] = [
    ...FORMATS.filter((f) => f !== key.format).map((f) => ({
      href: urls.feed({ ...key, format: f }),
      type: MEDIA_TYPES[f],
      hreflang: lang,
      title: null,
    })),
    ...snapshot.site.languages
      .filter((other) => other.code !== lang)
      .map((other) => ({
        href: urls.feed({ ...key, language: other.code }),
        type: MEDIA_TYPES[key.format],
        hreflang: other.code,
        title: scopeTitle(snapshot, other.code, scope),
      })),
  ];
  const description =
    scope.kind === 'category'
      ? `${categoryLabel(snapshot, scope.slug, lang)}: ${l.description}`
      : scope.kind === 'related'
        ? `${l.readAlso}: ${l.description}`
        : l.description;
  return {
    id: feedId(snapshot.site, lang, scope),
    title: scopeTitle(snapshot, lang, scope),
    description,
    language: lang,
    updated,
    selfUrl: urls.feed(key),
    hubs: urls.hubs(),
    htmlUrl: urls.scopePage(lang, scope),
    alternates,
    copyright: snapshot.site.copyright,
    generator: { name: SERVICE_NAME, version: SERVICE_VERSION, url: urls.home() },
    entries,
    history: archive ? archive.history : subscriptionHistory(snapshot, key, urls, entries.length),
  };
}

/**
 * A site or category feed whose archive holds more than it shows links the archive document of its newest month,
 * where walking back begins. One that shows every article of its scope links none: there is nothing more to
 * fetch (and an archive document with no neighbour is one the W3C validator flags as incomplete).
 */
function subscriptionHistory(snapshot: ContentSnapshot, key: FeedKey, urls: Urls, shown: number): FeedHistory | null {
  if (key.scope.kind === 'related') return null;
  const months = articlesByMonth(snapshot, key.language, key.scope);
  let total = 0;
  for (const list of months.values()) total += list.length;
  if (months.size <= 1 && total <= shown) return null;
  return { archive: false, current: null, prevArchive: urls.archive(key, [...months.keys()].at(-1)!), nextArchive: null };
}
