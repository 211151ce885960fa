import type { Rendered } from '../cache/cache.ts';
import type { ContentSnapshot } from '../content/model.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import { buildFeed, type RelatedReader } from '../feeds/build.ts';
import { MEDIA_TYPES, missingFeedReason, parseFeedPath, type Scope, type Urls } from '../feeds/catalog.ts';
import { renderOpml } from '../feeds/opml.ts';
import { RENDERERS } from '../feeds/render.ts';
import { articlePage, indexPage, PAGE_SIZE, scopeArticles, scopePage } from '../pages/render.ts';

/**
 * Maps a request path and query to what it shows, rendered. Every public GET resource of the service is
 * one of these, so all of them are cached and served alike (validators, compression, CORS).
 */

export interface PublishedState {
  content: ContentSnapshot;
  related: RelatedReader;
  urls: Urls;
}

/** Aggregators poll every few minutes; five minutes of freshness, then revalidation with a 304. */
const FEED_CACHE = 'public, max-age=300, stale-while-revalidate=60, stale-if-error=86400';
const PAGE_CACHE = 'public, max-age=300';
const HTML = 'text/html; charset=utf-8';

export interface ResourceRequest {
  /** Cache key: the path plus the normalised query. */
  key: string;
  render: (state: PublishedState) => Rendered;
}

function noQuery(query: URLSearchParams): void {
  for (const name of query.keys()) throw new BadRequestError(`unknown query parameter "${name}": this URL takes none`, name);
}

/** Feeds take one optional parameter, `limit` (1 to the site's feedItemLimit): fewer items, same feed. */
function feedLimit(query: URLSearchParams, max: number): number | null {
  let limit: number | null = null;
  for (const [name, value] of query) {
    if (name !== 'limit') throw new BadRequestError(`unknown query parameter "${name}": feeds take only "limit"`, name);
    if (limit !== null) throw new BadRequestError('query parameter "limit" is given more than once', 'limit');
    if (!/^\d{1,4}$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new BadRequestError(`query parameter "limit" must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`, 'limit');
    }
    limit = Number(value);
  }
  return limit;
}

/** Language and category pages take `page` (1 to the last page); other parameters are refused. */
function pageNumber(query: URLSearchParams, last: number): number {
  let page: number | null = null;
  for (const [name, value] of query) {
    if (name !== 'page') throw new BadRequestError(`unknown query parameter "${name}": this page takes only "page"`, name);
    if (page !== null) throw new BadRequestError('query parameter "page" is given more than once', 'page');
    if (!/^\d{1,6}$/.test(value) || Number(value) < 1 || Number(value) > last) {
      throw new BadRequestError(`query parameter "page" must be a whole number from 1 to ${last}, got ${JSON.stringify(value)}`, 'page');
    }
    page = Number(value);
  }
  return page ?? 1;
}

const LANG_PAGE = /^\/([^/]+)\/(?:(categories)\/([^/]+)\/|(related)\/|(articles)\/([^/]+)\/)?$/;

export function resolveResource(pathname: string, query: URLSearchParams, content: ContentSnapshot): ResourceRequest {
  if (pathname === '/') {
    noQuery(query);
    return { key: '/', render: (s) => ({ text: indexPage(s.content, s.urls), contentType: HTML, cacheControl: PAGE_CACHE }) };
  }
  if (pathname === '/feeds.opml') {
    noQuery(query);
    return {
      key: pathname,
      render: (s) => ({
        text: renderOpml(s.content, s.urls),
        contentType: 'text/x-opml; charset=utf-8',
        cacheControl: FEED_CACHE,
      }),
    };
  }
  const feed = parseFeedPath(pathname);
  if (feed) {
    const reason = missingFeedReason(content, feed);
    if (reason) throw new NotFoundError(reason);
    const limit = feedLimit(query, content.site.feedItemLimit);
    return {
      key: limit === null ? pathname : `${pathname}?limit=${limit}`,
      render: (s) => {
        const doc = buildFeed(s.content, feed, s.urls, s.related, limit ?? undefined);
        return {
          text: RENDERERS[feed.format](doc),
          contentType: `${MEDIA_TYPES[feed.format]}; charset=utf-8`,
          cacheControl: FEED_CACHE,
        };
      },
    };
  }
  const m = LANG_PAGE.exec(pathname);
  if (m) {
    const lang = m[1]!;
    if (!content.site.languages.some((l) => l.code === lang)) throw new NotFoundError(`no pages in language "${lang}"`);
    if (m[5]) {
      noQuery(query);
      const slug = m[6]!;
      const article = content.articles.find((a) => a.slug === slug);
      if (!article) throw new NotFoundError(`no article "${slug}"`);
      if (!article.translations.has(lang)) throw new NotFoundError(`article "${slug}" has no ${lang} version`);
      return { key: pathname, render: (s) => ({ text: articlePage(s.content, s.urls, s.related, article, lang), contentType: HTML, cacheControl: PAGE_CACHE }) };
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
    if (scope.kind === 'related') noQuery(query);
    else page = pageNumber(query, Math.max(1, Math.ceil(scopeArticles(content, lang, scope).length / PAGE_SIZE)));
    return {
      key: page === 1 ? pathname : `${pathname}?page=${page}`,
      render: (s) => ({ text: scopePage(s.content, s.urls, s.related, lang, scope, page), contentType: HTML, cacheControl: PAGE_CACHE }),
    };
  }
  throw new NotFoundError(`nothing at ${pathname}`);
}
