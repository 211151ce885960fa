import type { Rendered } from '../cache/cache.ts';
import type { ContentSnapshot } from '../content/model.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { archiveMonths, archiveVersions, buildArchive, isClosed } from '../feeds/archive.ts';
import { buildFeed, type RelatedReader } from '../feeds/build.ts';
import { MEDIA_TYPES, missingFeedReason, parseArchivePath, parseFeedPath, type Scope, type Urls } from '../feeds/catalog.ts';
import { renderOpml } from '../feeds/opml.ts';
import { RENDERERS } from '../feeds/render.ts';
import { EMBED_DEFAULT_LIMIT, embedPage, embedScript } from '../pages/embed.ts';
import { feedViewPage } from '../pages/feed-view.ts';
import { articlePage, indexPage, PAGE_SIZE, scopeArticles, scopePage } from '../pages/render.ts';
import { BROWSER_VIEW_CACHE, BROWSER_VIEW_VARY, browserViewKey } from './browser-view.ts';
import { archiveKeys, articleKeys, EMBED_SCRIPT_KEYS, embedKeys, feedKeys, HOME_KEYS, OPML_KEYS, scopePageKeys } from './surrogate-keys.ts';

/**
 * Maps a request path and query to what it shows, rendered. Every public GET resource of the service is
 * one of these, so all of them are cached and served alike (validators, compression, CORS).
 */

export interface PublishedState {
  content: ContentSnapshot;
  related: RelatedReader;
  urls: Urls;
}

/*
 * Freshness (README, "Caches in front"). Browsers and aggregators (`max-age`): five minutes, then a revalidation
 * answered 304 from the fast path. Shared caches, a CDN or the nginx in compose.yaml (`s-maxage`): one minute, so
 * that without a purge a change reaches everyone within a minute or two; with PURGE_WEBHOOK the CDN is told at
 * once. Past freshness, a shared cache may answer from its copy while it revalidates in the background
 * (`stale-while-revalidate`, one minute), and for a day while every replica is down (`stale-if-error`).
 */
const FEED_CACHE = 'public, max-age=300, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400';
const PAGE_CACHE = FEED_CACHE;
/** A closed archive document at its versioned URL: other bytes would have another URL (src/feeds/archive.ts). */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const HTML = 'text/html; charset=utf-8';

export interface ResourceRequest {
  /** Cache key: the path plus the normalised query. */
  key: string;
  render: (state: PublishedState) => Rendered;
  /** What a browser's navigation to the URL gets instead (a feed's HTML view; see browser-view.ts). */
  browserView?: ResourceRequest;
}

/**
 * The query parameters any resource reads. Every other one (`utm_source`, `fbclid`, `ref`, ... that link
 * sharers and some readers append) is ignored: the resource is the same, and so are its bytes and ETag.
 */
export const QUERY_PARAMETERS = ['limit', 'page'] as const;

/** The one value of `name`, or null; given twice is a 400, since we could not say which one was meant. */
function single(query: URLSearchParams, name: (typeof QUERY_PARAMETERS)[number]): string | null {
  const values = query.getAll(name);
  if (values.length > 1) throw new BadRequestError(`query parameter "${name}" is given more than once`, name);
  return values[0] ?? null;
}

/** Feeds read `limit` (1 to the site's feedItemLimit): fewer items, same feed. */
function feedLimit(query: URLSearchParams, max: number): number | null {
  const value = single(query, 'limit');
  if (value === null) return null;
  if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new BadRequestError(`query parameter "limit" must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`, 'limit');
  }
  return Number(value);
}

/** Language and category pages read `page` (1 to the last page). */
function pageNumber(query: URLSearchParams, last: number): number {
  const value = single(query, 'page');
  if (value === null) return 1;
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > last) {
    throw new BadRequestError(`query parameter "page" must be a whole number from 1 to ${last}, got ${JSON.stringify(value)}`, 'page');
  }
  return Number(value);
}

/**
 * The cache key a raw request target (`/path?query`) would resolve to, if it is one we can tell without
 * Express: the path as sent, plus the one parameter we read when it is given once in canonical form;
 * parameters we do not read are dropped. Null sends the request the slow way (resolveResource decides).
 * A key only ever matches an entry resolveResource made, so a non-canonical path simply misses.
 */
export function fastCacheKey(target: string): string | null {
  const q = target.indexOf('?');
  if (q === -1) return target;
  const path = target.slice(0, q);
  let key = path;
  for (const [name, value] of new URLSearchParams(target.slice(q + 1))) {
    if (!(QUERY_PARAMETERS as readonly string[]).includes(name)) continue;
    if (key !== path || !/^[1-9]\d{0,5}$/.test(value)) return null;
    key = `${path}?${name}=${value}`;
  }
  return key;
}

/**
 * A request target as a path and query: origin-form (`/path?query`) or absolute-form
 * (`http://host/path?query`, RFC 9112 3.2.2; the host is not ours to judge, we serve one site). Anything
 * else is null. The path is read as a path even when it starts with `//`, which the WHATWG parser would
 * take for a host (`//evil.example` must be a path we do not have, not a page or a redirect).
 */
export function parseTarget(target: string): { pathname: string; query: URLSearchParams } | null {
  let url: URL;
  try {
    if (target.startsWith('/')) url = new URL(`http://localhost${target}`);
    else if (/^https?:\/\//i.test(target)) url = new URL(target);
    else return null;
  } catch {
    return null;
  }
  return { pathname: url.pathname, query: url.searchParams };
}

/** `/embed/{lang}/`, `/embed/{lang}/categories/{slug}/`, `/embed/{lang}/related/`. */
const EMBED_PAGE = /^\/embed\/([^/]+)\/(?:categories\/([^/]+)\/|(related)\/)?$/;
/** `Link: <hub>; rel="hub", ..., <self>; rel="self"`: what a WebSub subscriber reads to find where to subscribe. */
export function feedLinkHeader(hubs: readonly string[], self: string): string {
  return [...hubs.map((h) => `<${h}>; rel="hub"`), `<${self}>; rel="self"`].join(', ');
}

const LANG_PAGE = /^\/([^/]+)\/(?:(categories)\/([^/]+)\/|(related)\/|(articles)\/([^/]+)\/)?$/;

export function resolveResource(pathname: string, query: URLSearchParams, content: ContentSnapshot, urls: Urls): ResourceRequest {
  if (pathname === '/') {
    return {
      key: '/',
      render: (s) => ({ text: indexPage(s.content, s.urls), contentType: HTML, cacheControl: PAGE_CACHE, surrogateKeys: HOME_KEYS }),
    };
  }
  if (pathname === '/feeds.opml') {
    return {
      key: pathname,
      render: (s) => ({
        text: renderOpml(s.content, s.urls),
        contentType: 'text/x-opml; charset=utf-8',
        cacheControl: FEED_CACHE,
        surrogateKeys: OPML_KEYS,
      }),
    };
  }
  const feed = parseFeedPath(pathname);
  if (feed) {
    const reason = missingFeedReason(content, feed);
    if (reason) throw new NotFoundError(reason);
    const limit = feedLimit(query, content.site.feedItemLimit);
    const key = limit === null ? pathname : `${pathname}?limit=${limit}`;
    // RSS and Atom, opened in a browser, are a page for people; JSON Feed is shown readably by browsers as it is.
    const hasView = feed.format !== 'json';
    const surrogateKeys = feedKeys(feed.language, feed.scope, feed.format);
    return {
      key,
      render: (s) => {
        const doc = buildFeed(s.content, feed, s.urls, s.related, limit ?? undefined);
        return {
          text: RENDERERS[feed.format](doc),
          contentType: `${MEDIA_TYPES[feed.format]}; charset=utf-8`,
          cacheControl: FEED_CACHE,
          surrogateKeys,
          ...(hasView ? { vary: BROWSER_VIEW_VARY, browserView: true } : {}),
          // WebSub discovery by HTTP header (section 4), prepared once with the representation's other headers.
          link: feedLinkHeader(doc.hubs, doc.selfUrl),
        };
      },
      ...(hasView
        ? {
            browserView: {
              key: browserViewKey(key),
              render: (s: PublishedState) => ({
                text: feedViewPage(s.content, s.urls, buildFeed(s.content, feed, s.urls, s.related, limit ?? undefined), feed.format),
                contentType: HTML,
                cacheControl: BROWSER_VIEW_CACHE,
                vary: BROWSER_VIEW_VARY,
              }),
            },
          }
        : {}),
    };
  }
  if (pathname === '/embed.js') {
    return {
      key: pathname,
      render: (s) => ({
        text: embedScript(s.content, s.urls),
        contentType: 'text/javascript; charset=utf-8',
        cacheControl: PAGE_CACHE,
        surrogateKeys: EMBED_SCRIPT_KEYS,
      }),
    };
  }
  const embed = EMBED_PAGE.exec(pathname);
  if (embed) {
    const lang = embed[1]!;
    if (!content.site.languages.some((l) => l.code === lang)) throw new NotFoundError(`no embed in language "${lang}"`);
    let scope: Scope = { kind: 'site' };
    if (embed[2]) {
      const slug = embed[2];
      if (!content.site.categories.some((c) => c.slug === slug)) throw new NotFoundError(`no category "${slug}"`);
      scope = { kind: 'category', slug };
    } else if (embed[3]) {
      scope = { kind: 'related' };
    }
    const limit = feedLimit(query, content.site.feedItemLimit);
    return {
      key: limit === null ? pathname : `${pathname}?limit=${limit}`,
      render: (s) => ({
        text: embedPage(s.content, s.urls, s.related, lang, scope, limit ?? EMBED_DEFAULT_LIMIT),
        contentType: HTML,
        cacheControl: PAGE_CACHE,
        surrogateKeys: embedKeys(lang, scope),
      }),
    };
  }
  const archive = parseArchivePath(pathname);
  if (archive) {
    const reason = missingFeedReason(content, archive.key);
    if (reason) throw new NotFoundError(reason);
    const key = { feed: archive.key, month: archive.month };
    const months = archiveMonths(content, archive.key);
    if (!months.includes(archive.month)) {
      throw new NotFoundError(`no archive for ${archive.month}: ${months.length > 0 ? `its months are ${months[0]} to ${months.at(-1)!}` : 'nothing is published in it'}`);
    }
    let cacheControl = FEED_CACHE;
    if (archive.version !== null) {
      const current = archiveVersions(content, archive.key, urls).get(archive.month)!;
      // The open month has no versioned URL: its bytes change with each article of the month.
      if (archive.version !== current || !isClosed(content, key)) {
        throw new NotFoundError(`this version of ${archive.month} is not current; the current one is ${urls.archive(archive.key, archive.month)}`);
      }
      cacheControl = IMMUTABLE;
    }
    return {
      key: pathname,
      render: (s) => ({
        text: RENDERERS[archive.key.format](buildArchive(s.content, key, s.urls)),
        contentType: `${MEDIA_TYPES[archive.key.format]}; charset=utf-8`,
        cacheControl,
        surrogateKeys: archiveKeys(archive.key.language, archive.key.scope, archive.key.format, archive.month),
      }),
    };
  }
  const m = LANG_PAGE.exec(pathname);
  if (m) {
    const lang = m[1]!;
    if (!content.site.languages.some((l) => l.code === lang)) throw new NotFoundError(`no pages in language "${lang}"`);
    if (m[5]) {
      const slug = m[6]!;
      const article = content.articles.find((a) => a.slug === slug);
      if (!article) throw new NotFoundError(`no article "${slug}"`);
      if (!article.translations.has(lang)) throw new NotFoundError(`article "${slug}" has no ${lang} version`);
      return {
        key: pathname,
        render: (s) => ({
          text: articlePage(s.content, s.urls, s.related, article, lang),
          contentType: HTML,
          cacheControl: PAGE_CACHE,
          surrogateKeys: articleKeys(lang, slug),
        }),
      };
    }
    let scope: Scope = { kind: 'site' };
    if (m[2]) {
      const slug = m[3]!;
      if (!content.site.categories.some((c) => c.slug === slug)) throw new NotFoundError(`no category "${slug}"`);
      scope = { kind: 'category', slug };
    } else if (m[4]) {
      scope = { kind: 'related' };
    }
    let page = 1;
    if (scope.kind !== 'related') page = pageNumber(query, Math.max(1, Math.ceil(scopeArticles(content, lang, scope).length / PAGE_SIZE)));
    return {
      key: page === 1 ? pathname : `${pathname}?page=${page}`,
      render: (s) => ({
        text: scopePage(s.content, s.urls, s.related, lang, scope, page),
        contentType: HTML,
        cacheControl: PAGE_CACHE,
        surrogateKeys: scopePageKeys(lang, scope),
      }),
    };
  }
  throw new NotFoundError(`nothing at ${pathname}`);
}
