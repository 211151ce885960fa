import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RepresentationCache } from '../cache/cache.ts';
import type { LiveContent } from '../content/live.ts';
import type { SourceStatus } from '../model/source.ts';

/** Where a response came from: the cache fast path before Express, or the Express app. */
export type ServedBy = 'cache' | 'app';

/**
 * The service's Prometheus metrics (GET /metrics), with prom-client's process and Node.js metrics. Response
 * counts are plain integers bumped on the request path (the fast path answers tens of thousands of requests a
 * second; a labelled prom-client increment per request would cost a few per cent of that) and copied into
 * their counter when scraped; everything else is read from the service's state at scrape time.
 */
export class Metrics {
  readonly registry = new Registry();
  /** Responses by status code (node:http allows 100 to 999), one array each for the fast path and the app. */
  private readonly cacheResponses = new Float64Array(1000);
  private readonly appResponses = new Float64Array(1000);
  private readonly renderSeconds: Histogram<'type'>;
  private readonly deliveries: Counter<'outcome'>;

  constructor(sources: {
    content: LiveContent;
    cache: RepresentationCache;
    sourceStatus: () => Promise<readonly SourceStatus[]>;
    relationsCurrent: () => boolean;
    /** Today's (UTC) sums of who read every feed (src/stats). */
    readersToday: () => Promise<{ subscribers: number; pollers: number; aggregators: Readonly<Record<string, number>>; dropped: number }>;
    /** The WebSub hub: subscribers per topic, and deliveries pending. */
    hub?: { counts(): Promise<Map<string, number>>; readonly pendingDeliveries: number };
  }) {
    const registry = this.registry;
    collectDefaultMetrics({ register: registry });
    const responses = { cache: this.cacheResponses, app: this.appResponses };
    new Counter({
      name: 'kabar_http_responses_total',
      help: 'HTTP responses by status, and whether the cache fast path or the Express app answered',
      labelNames: ['served_by', 'status'],
      registers: [registry],
      collect() {
        this.reset();
        for (const servedBy of ['cache', 'app'] as const) {
          const counts = responses[servedBy];
          for (let status = 0; status < counts.length; status++) {
            if (counts[status]! > 0) this.inc({ served_by: servedBy, status: String(status) }, counts[status]);
          }
        }
      },
    });
    this.renderSeconds = new Histogram({
      name: 'kabar_render_duration_seconds',
      help: 'Time to render a feed, page or OPML document after a change (cache misses), by media type',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    new Gauge({
      name: 'kabar_cache_entries',
      help: 'Rendered representations kept in memory',
      registers: [registry],
      collect() {
        this.set(sources.cache.size.entries);
      },
    });
    new Gauge({
      name: 'kabar_cache_bytes',
      help: 'Bytes of the identity bodies of the representations kept in memory',
      registers: [registry],
      collect() {
        this.set(sources.cache.size.bytes);
      },
    });
    new Gauge({
      name: 'kabar_content_articles',
      help: 'Articles in the content being served',
      registers: [registry],
      collect() {
        this.set(sources.content.current.articles.length);
      },
    });
    new Gauge({
      name: 'kabar_content_change_rejected',
      help: '1 while the newest content on disk is invalid and the last good version is served (see /healthz)',
      registers: [registry],
      collect() {
        this.set(sources.content.lastError ? 1 : 0);
      },
    });
    new Gauge({
      name: 'kabar_relations_current',
      help: '0 while stored upstream items are being related to changed relate rules (in the background), else 1',
      registers: [registry],
      collect() {
        this.set(sources.relationsCurrent() ? 1 : 0);
      },
    });
    // Read once per scrape (the first of these gauges reads, the others reuse it): they share one query.
    let readers: ReturnType<typeof sources.readersToday> | null = null;
    const readersToday = () => (readers ??= sources.readersToday());
    new Gauge({
      name: 'kabar_readers_subscribers',
      help: 'Subscribers aggregators report today (UTC) over every feed: the latest figure per aggregator and subscription, summed',
      labelNames: ['aggregator'],
      registers: [registry],
      async collect() {
        readers = sources.readersToday();
        const today = await readers;
        this.reset();
        for (const [aggregator, n] of Object.entries(today.aggregators)) this.set({ aggregator }, n);
      },
    });
    new Gauge({
      name: 'kabar_readers_subscribers_total',
      help: 'Subscribers aggregators report today (UTC), summed over aggregators and feeds',
      registers: [registry],
      async collect() {
        this.set((await readersToday()).subscribers);
      },
    });
    new Gauge({
      name: 'kabar_readers_pollers',
      help: 'Distinct other clients (address and User-Agent) that polled a feed today (UTC), summed over feeds',
      registers: [registry],
      async collect() {
        this.set((await readersToday()).pollers);
      },
    });
    new Gauge({
      name: 'kabar_readers_dropped_total',
      help: 'Feed requests not counted because the reader buffer was full between two flushes',
      registers: [registry],
      async collect() {
        this.set((await readersToday()).dropped);
      },
    });
    const hub = sources.hub;
    if (hub) {
      new Gauge({
        name: 'kabar_websub_subscriptions',
        help: 'Verified WebSub subscriptions whose lease has not ended, per topic (feed URL)',
        labelNames: ['topic'],
        registers: [registry],
        async collect() {
          const counts = await hub.counts();
          this.reset();
          for (const [topic, n] of counts) this.set({ topic }, n);
        },
      });
      new Gauge({
        name: 'kabar_websub_pending_deliveries',
        help: 'WebSub deliveries queued, in flight or waiting for a retry',
        registers: [registry],
        collect() {
          this.set(hub.pendingDeliveries);
        },
      });
    }
    this.deliveries = new Counter({
      name: 'kabar_websub_deliveries_total',
      help: 'WebSub delivery attempts by outcome: delivered, failed (retried later), gone (410, unsubscribed), abandoned (retries spent)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    const perSource = (name: string, help: string, value: (s: SourceStatus) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['source'],
        registers: [registry],
        async collect() {
          const statuses = await sources.sourceStatus();
          this.reset();
          for (const s of statuses) {
            const v = value(s);
            if (v !== null) this.set({ source: s.id }, v);
          }
        },
      });
    perSource('kabar_source_items', 'Items stored for an upstream source', (s) => s.itemCount);
    perSource('kabar_source_consecutive_failures', 'Failed polls of an upstream source since its last success', (s) => s.consecutiveFailures);
    perSource('kabar_source_last_success_timestamp_seconds', 'When an upstream source was last polled successfully', (s) =>
      s.lastSuccessAt === null ? null : Date.parse(s.lastSuccessAt) / 1000,
    );
  }

  /**
   * Counts one response (called for every request): one array element bumped, not a Map's get and set after a
   * property lookup by the `servedBy` name (several hundred instructions per response, measured under callgrind).
   */
  response(servedBy: ServedBy, status: number): void {
    (servedBy === 'cache' ? this.cacheResponses : this.appResponses)[status]! += 1;
  }

  render(contentType: string, ms: number): void {
    this.renderSeconds.observe({ type: contentType.split(';')[0]!.trim() }, ms / 1000);
  }

  /** One WebSub delivery attempt's outcome. */
  delivery(outcome: string): void {
    this.deliveries.inc({ outcome });
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
