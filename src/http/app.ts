import express, { type Express } from 'express';
import type { RepresentationCache } from '../cache/cache.ts';
import type { Representation } from '../cache/representation.ts';
import type { LiveContent } from '../content/live.ts';
import { BadRequestError, NotFoundError } from '../errors.ts';
import type { RelatedReader } from '../feeds/build.ts';
import type { Urls } from '../feeds/catalog.ts';
import type { RelationWhy } from '../model/item.ts';
import type { PushCallback } from '../model/push.ts';
import type { SourceStatus } from '../model/source.ts';
import type { SourcesProblem } from '../ingest/sources.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ReaderReport } from '../model/readers.ts';
import { statsPage } from '../pages/stats.ts';
import type { ReaderCounter } from '../stats/counter.ts';
import { adminGuard } from './admin.ts';
import { wantsBrowserView } from './browser-view.ts';
import type { HubAnswer, HubSummary } from '../websub/hub.ts';
import { errorHandler } from './errors.ts';
import { bestLanguage, feedWithoutLanguage, LANGUAGE_REDIRECT_HEADERS } from './language-redirect.ts';
import { parseTarget, resolveResource } from './resources.ts';
import { sendRepresentation } from './send.ts';
import { websubCallbackRouter } from './websub-callback.ts';

export interface AppDeps {
  content: LiveContent;
  related: RelatedReader;
  cache: RepresentationCache;
  urls: Urls;
  logger: Logger;
  /** One entry per source for GET /status (the ingester's). */
  sourceStatus: () => Promise<readonly SourceStatus[]>;
  /** The problems of a refused sources.yaml change, null when the file in service is the newest. */
  sourcesRejectedChange?: () => readonly SourcesProblem[] | null;
  metrics: Metrics;
  /** Where upstream WebSub hubs verify our subscriptions and push feeds; without it, no such route. */
  pushCallback?: PushCallback;
  /** The largest pushed body read (FETCH_MAX_BYTES, as for a polled one). */
  maxPushBytes?: number;
  /** Counts who reads each feed (off the hot path). */
  readers: ReaderCounter;
  /** The last 30 days of who read us, from the store. */
  readerReport: () => Promise<ReaderReport>;
  /** ADMIN_TOKEN: guards /stats, /stats.json and /metrics when set. */
  adminToken: string | null;
  /** An article's related items with their score and why, best first (the store's relationReasons). */
  relationReasons?: (articleId: string, limit: number) => RelationWhy[] | Promise<RelationWhy[]>;
  /** The score an item needs to relate by content (shown to editors with the reasons). */
  relateThreshold?: number;
  /** The WebSub hub at /websub (src/websub/hub.ts). */
  hub?: {
    request(form: URLSearchParams, client: string): Promise<HubAnswer>;
    summary(): Promise<HubSummary>;
  };
}

/** Relations an editor's view of one article lists. */
const RELATION_REASONS_LIMIT = 200;

const NO_STORE = { 'cache-control': 'no-store', 'access-control-allow-origin': '*' };

/**
 * The Express app: health and status as JSON, everything else (pages, feeds, OPML) as cached
 * representations resolved from the path. The server answers cache hits before Express (src/http/server.ts);
 * this app handles the rest, validates queries and maps errors.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.options('/{*any}', (_req, res) => {
    res
      .status(204)
      .set({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, HEAD, OPTIONS',
        'access-control-allow-headers': 'If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since, Accept, Accept-Encoding',
        'access-control-max-age': '86400',
      })
      .end();
  });

  app.get('/healthz', (_req, res) => {
    const c = deps.content.current;
    const problem = deps.content.lastError;
    const sourcesProblem = deps.sourcesRejectedChange?.() ?? null;
    res.set(NO_STORE).json({
      // Still 200: we serve, but not the newest content or sources on disk (a change was refused, see below).
      status: problem || sourcesProblem ? 'degraded' : 'ok',
      content: {
        articles: c.articles.length,
        loadedAt: c.loadedAt.toISOString(),
        fingerprint: c.fingerprint.slice(0, 16),
        // The newest version on disk could not be loaded: we still serve the version above.
        rejectedChange: problem ? problem.problems : null,
      },
      sources: {
        // The newest sources.yaml could not be used: the sources in /status go on as they were.
        rejectedChange: sourcesProblem,
      },
    });
  });

  app.get('/status', async (_req, res) => {
    res.set(NO_STORE).json(await deps.sourceStatus());
  });

  const admin = adminGuard(deps.adminToken);
  // The newsroom's pages: never cached, never indexed, not offered cross-origin.
  const PRIVATE = { 'cache-control': 'no-store', 'x-robots-tag': 'noindex', 'x-content-type-options': 'nosniff' };
  const report = async () => {
    await deps.readers.flush();
    return deps.readerReport();
  };
  app.get('/stats', admin, async (_req, res) => {
    res.set({ ...PRIVATE, 'content-type': 'text/html; charset=utf-8' }).send(statsPage(await report(), deps.content.current.site.defaultLanguage));
  });
  app.get('/stats.json', admin, async (_req, res) => {
    res.set(PRIVATE).json(await report());
  });

  // Why each item relates to an article (score, shared terms, or the rule that forced it), for an editor to
  // check and fix a wrong one (with `excludes` in the article's front matter). Read from the store on each request.
  const reasons = deps.relationReasons;
  if (reasons) {
    app.get('/:lang/articles/:slug/related.json', admin, async (req, res) => {
      const { lang, slug } = req.params as { lang: string; slug: string };
      const article = deps.content.current.articles.find((a) => a.slug === slug && a.translations.has(lang));
      if (!article) {
        res.status(404).set({ ...PRIVATE, 'content-type': 'text/plain; charset=utf-8' }).send(`Not Found: no article ${slug} in ${lang}\n`);
        return;
      }
      const list = await reasons(article.id, RELATION_REASONS_LIMIT);
      res.set(PRIVATE).json({
        article: article.id,
        threshold: deps.relateThreshold ?? null,
        items: list.map((r) => ({
          score: r.score,
          by: r.by,
          terms: r.terms,
          title: r.item.title,
          url: r.item.url,
          key: r.item.key,
          source: r.item.sourceId,
          publishedAt: r.item.publishedAt.toISOString(),
        })),
      });
    });
  }

  app.get('/metrics', admin, async (_req, res) => {
    const text = await deps.metrics.text();
    res.set({ ...NO_STORE, 'content-type': deps.metrics.contentType }).send(text);
  });

  if (deps.pushCallback) app.use(websubCallbackRouter(deps.pushCallback, deps.maxPushBytes ?? 5 * 1024 * 1024));
  const hub = deps.hub;
  if (hub) {
    // Subscription requests (WebSub 5.1): a form-encoded body, read raw and parsed as URLSearchParams so a
    // parameter given twice is seen (and refused) rather than merged.
    app.post('/websub', express.raw({ type: () => true, limit: '16kb' }), async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      const answer = await hub.request(new URLSearchParams(body), req.socket.remoteAddress ?? 'unknown');
      res.status(answer.status).set({ ...NO_STORE, 'content-type': 'text/plain; charset=utf-8' });
      if (answer.retryAfterSeconds !== undefined) res.set('retry-after', String(answer.retryAfterSeconds));
      res.send(`${answer.status === 202 ? '' : answer.status === 429 ? 'Too Many Requests: ' : answer.status === 404 ? 'Not Found: ' : answer.status === 403 ? 'Forbidden: ' : 'Bad Request: '}${answer.message}\n`);
    });
    // What the hub serves, its limits, and the subscribers per topic (/status is the sources' array).
    app.get('/websub', async (_req, res) => {
      res.set(NO_STORE).json(await hub.summary());
    });
  }

  app.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.status(405).set({ allow: 'GET, HEAD, OPTIONS', 'content-type': 'text/plain; charset=utf-8' }).send(`Method Not Allowed: ${req.method}\n`);
      return;
    }
    const target = parseTarget(req.originalUrl);
    if (!target) {
      next(new BadRequestError('the request target is not a path'));
      return;
    }
    const { pathname, query } = target;
    const content = deps.content.current;
    const languageless = feedWithoutLanguage(pathname);
    if (languageless) {
      const language = bestLanguage(req.headers['accept-language'], content.site);
      const search = query.size > 0 ? `?${query.toString()}` : '';
      const location = `${deps.urls.feed({ language, scope: { kind: 'site' }, format: languageless })}${search}`;
      // Written by hand: Express's res.redirect negotiates its body and adds `Vary: Accept`.
      res.status(302).set({ ...LANGUAGE_REDIRECT_HEADERS, location, 'content-type': 'text/plain; charset=utf-8' }).send(`Found: ${location}\n`);
      return;
    }
    let resource;
    try {
      resource = resolveResource(pathname, query, content, deps.urls);
    } catch (err) {
      // `/id` for `/id/`: redirect to the canonical, slash-terminated page if there is one. Only a path
      // starting with one slash can be one; `//host` or `/\host` as a Location would leave the site.
      if (err instanceof NotFoundError && !pathname.endsWith('/') && /^\/[^/\\]/.test(pathname)) {
        try {
          resolveResource(`${pathname}/`, query, content, deps.urls);
          const search = query.size > 0 ? `?${query.toString()}` : '';
          res.redirect(301, `${pathname}/${search}`);
          return;
        } catch {
          // fall through to the original error
        }
      }
      next(err);
      return;
    }
    const chosen = resource.browserView && wantsBrowserView(req.headers) ? resource.browserView : resource;
    const send = (rep: Representation) => {
      sendRepresentation(req, res, rep, deps.cache.now);
      deps.readers.record(resource.key, req.headers['user-agent'], req.socket.remoteAddress);
    };
    const hit = deps.cache.peek(chosen.key);
    if (hit) send(hit);
    else deps.cache.get(chosen.key, () => chosen.render({ content: deps.content.current, related: deps.related, urls: deps.urls })).then(send, next);
  });

  app.use(errorHandler(deps.logger));
  return app;
}
