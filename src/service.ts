import type http from 'node:http';
import path from 'node:path';
import { RepresentationCache } from './cache/cache.ts';
import { RelatedCache } from './cache/related.ts';
import { Purger, type PurgeTuning } from './cdn/purge.ts';
import { catalogKeys, EagerRender } from './cdn/refresh.ts';
import type { Config } from './config.ts';
import { LiveContent } from './content/live.ts';
import { relateTargets } from './content/relate-targets.ts';
import { Urls } from './feeds/catalog.ts';
import { createApp } from './http/app.ts';
import { createServer } from './http/server.ts';
import { createIngester, type Ingester } from './ingest/ingester.ts';
import { RELATE_TUNING } from './ingest/relate-content.ts';
import { createRelateThread } from './ingest/relate-thread.ts';
import { LiveSources } from './ingest/sources.ts';
import { createPushCallback } from './ingest/websub/callback.ts';
import { baseUrlIsPublic, createSubscriber, type Subscriber } from './ingest/websub/subscriber.ts';
import type { Logger } from './log.ts';
import { Metrics } from './metrics/metrics.ts';
import { ReaderCounter } from './stats/counter.ts';
import { readerReport } from './stats/report.ts';
import { openConfiguredStore } from './storage/open.ts';
import type { Store } from './storage/store.ts';
import { Hub, type HubTuning } from './websub/hub.ts';
import { parseTarget, resolveResource } from './http/resources.ts';

export interface Service {
  server: http.Server;
  content: LiveContent;
  /** sources.yaml, read again when it changes. */
  sources: LiveSources;
  store: Store;
  ingester: Ingester;
  /** Our WebSub subscriptions to upstream hubs. */
  subscriber: Subscriber;
  cache: RepresentationCache;
  /** Who reads each feed: buffered on the request path, written to the store every few seconds. */
  readers: ReaderCounter;
  /** The WebSub hub (BASE_URL/websub). */
  hub: Hub;
  /** With PURGE_WEBHOOK: the CDN purger, and the renders after each change that feed it. */
  cdn: { purger: Purger; eager: EagerRender } | null;
  /** Stops polling, closes the server and the database. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  now?: () => Date;
  /** Watch CONTENT_DIR (the content and sources.yaml) for changes (default true). */
  watchContent?: boolean;
  /** Upper bound of the random delay of scheduled polls (the ingester's default: 10 s). */
  pollJitterMs?: number;
  /** The hub's leases, limits and retry delays (tests and the benchmark; README gives the defaults). */
  hub?: Partial<HubTuning>;
  /** The purger's batching and retries, and the delay of the renders after a change (tests). */
  cdn?: { purge?: Partial<PurgeTuning>; renderDelayMs?: number };
}

/**
 * Builds the whole service from a validated config without listening yet: content, store, cache, ingester,
 * Express app and server. Throws ContentError or ConfigError (naming the file, entry or field) when the
 * content or sources cannot be used.
 */
export async function createService(config: Config, logger: Logger, options: ServiceOptions = {}): Promise<Service> {
  const now = options.now ?? (() => new Date());
  const content = new LiveContent(config.contentDir, logger, now, path.join(config.dataDir, 'content-cache.json'));
  const sources = new LiveSources(config.contentDir, logger);
  const { store, shared } = await openConfiguredStore(config, logger);
  const cache = new RepresentationCache(now, {
    memory: store,
    onRender: (type, ms) => metrics.render(type, ms),
    // A feed with new bytes goes to its WebSub subscribers; any resource with new bytes is purged from the CDN.
    onNewBytes: (key, rep) => {
      hub.changed(key, rep);
      if (cdn && rep.purgeKey !== null) cdn.purger.purge([rep.purgeKey]);
    },
  });
  // A store shared over the network (PostgreSQL) is read ahead, so renders never wait for it.
  const related = new RelatedCache(store, { preload: shared });
  const loadRelated = () => related.load(content.current.articles.map((a) => a.id), content.current.site.feedItemLimit);
  await loadRelated();
  /** Renders again (lazily, and the feeds someone watches now) once `reading` (the related items) is done. */
  const renderAgainAfter = (reading: Promise<void> | null) => {
    const renderAgain = () => {
      cache.invalidate();
      hub.published();
      cdn?.eager.published();
    };
    if (reading) reading.then(renderAgain, (err: unknown) => logger.error({ err }, 'reading related items after a change failed'));
    else renderAgain();
  };
  /** What we publish changed (here, or announced by another replica). */
  const publish = (changedArticles: readonly string[] | null) => renderAgainAfter(related.changed(changedArticles));
  void store.onChangeAnnounced((change) => publish(change.articles));
  const urls = new Urls(config.baseUrl, config.hub.outsideHubs);
  const subscriber = createSubscriber({
    store,
    baseUrl: config.baseUrl,
    enabled: config.websubSubscribe === 'on' || (config.websubSubscribe === 'auto' && baseUrlIsPublic(config.baseUrl)),
    fetchPolicy: config.fetch,
    logger,
    now,
  });
  // What a request for the feed would do: render it unless the cache has it for the current generation.
  const render = async (key: string): Promise<void> => {
    const target = parseTarget(key);
    if (!target) return;
    const resource = resolveResource(target.pathname, target.query, content.current, urls);
    await cache.get(resource.key, () => resource.render({ content: content.current, related, urls }));
  };
  const cdn =
    config.purgeWebhook === null
      ? null
      : {
          purger: new Purger({ url: config.purgeWebhook, logger, userAgent: config.fetch.userAgent, tuning: options.cdn?.purge }),
          eager: new EagerRender({ keys: () => catalogKeys(content.current, urls), render, logger, delayMs: options.cdn?.renderDelayMs }),
        };
  const hub = new Hub({
    store,
    urls,
    content: () => content.current,
    render,
    now,
    logger,
    outsideHubs: config.hub.outsideHubs,
    allowPrivateCallbacks: config.hub.allowPrivateCallbacks,
    ...(options.hub ? { tuning: options.hub } : {}),
    onOutcome: (outcome) => metrics.delivery(outcome),
  });
  const ingester = createIngester({
    store,
    sources: sources.current,
    fetchPolicy: config.fetch,
    retention: config.retention,
    logger,
    now,
    targets: () => relateTargets(content.current, config.relateByContent),
    // RELATE_BY_CONTENT=off: no article index, by rules only (nothing is indexed at start or after an edit).
    search: config.relateByContent ? await store.articleSearch() : null,
    // What we publish changed: feeds render again on their next request; unchanged bytes keep their ETag.
    onPublishedChange: publish,
    push: subscriber,
    // SQLite: a background pass relates in a worker thread, at the lowest CPU priority (PostgreSQL searches in its server).
    relateThread: config.databaseUrl === null ? createRelateThread(config.dataDir, logger) : null,
    ...(options.pollJitterMs !== undefined ? { jitterMs: options.pollJitterMs } : {}),
  });
  content.onChange(() => {
    // Articles may have come or gone (and with them related lists to read ahead), and the feeds' length.
    renderAgainAfter(loadRelated());
    void ingester.relateAll();
  });
  // Relations may be stale if the content changed while the service was down: related again in the
  // background (batches between which requests are served; each batch that changes something is published).
  void ingester.relateAll();
  // Feeds that changed while the service was down (content edited, a new version deployed) reach their
  // subscribers now: the hub renders the subscribed ones once, and the cache compares them with what was published.
  hub.published();
  // And feeds that changed while it was down are purged from the CDN (all of them, on an empty database).
  cdn?.eager.published();
  sources.onChange((list) => ingester.setSources(list));
  if (options.watchContent !== false) {
    content.watch();
    sources.watch();
  }

  const readers = new ReaderCounter(store, now, (err) => logger.error({ err }, 'writing who read us failed'));
  readers.start();
  const report = (days?: number) => readerReport((from, to) => store.readersByDay(from, to), now(), (feed) => `${config.baseUrl}${feed}`, days);
  const metrics = new Metrics({
    content,
    cache,
    sourceStatus: () => ingester.status(),
    relationsCurrent: () => ingester.relationsCurrent(),
    hub,
    readersToday: async () => {
      await readers.flush();
      // Today's totals only: one day's rows, not the 30 days /stats shows.
      return { ...(await report(1)).today, dropped: readers.dropped };
    },
  });
  const app = createApp({
    content,
    related,
    cache,
    urls,
    logger,
    metrics,
    sourceStatus: () => ingester.status(),
    sourcesRejectedChange: () => sources.rejectedChange,
    pushCallback: createPushCallback({ store, subscriber, ingester, logger, now }),
    maxPushBytes: config.fetch.maxBytes,
    readers,
    readerReport: report,
    adminToken: config.adminToken,
    relationReasons: (articleId, limit) => store.relationReasons(articleId, limit),
    relateThreshold: RELATE_TUNING.threshold,
    hub,
  });
  const server = createServer(app, cache, metrics, readers);
  let closed = false;
  return {
    server,
    content,
    sources,
    store,
    ingester,
    subscriber,
    cache,
    readers,
    hub,
    cdn,
    async close() {
      if (closed) return;
      closed = true;
      hub.close();
      cdn?.eager.close();
      cdn?.purger.close();
      content.close();
      sources.close();
      await ingester.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await readers.stop().catch((err: unknown) => logger.error({ err }, 'writing who read us failed'));
      await store.close();
    },
  };
}
