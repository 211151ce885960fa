import { randomBytes } from 'node:crypto';
import type { ContentSnapshot } from '../content/model.ts';
import { allFeeds, parseFeedPath, missingFeedReason, type Urls } from '../feeds/catalog.ts';
import { refusedLiteralHost } from '../ingest/addresses.ts';
import type { Logger } from '../log.ts';
import type { Subscription } from '../model/subscription.ts';
import type { Awaitable, Store } from '../storage/store.ts';
import { callCallback, type CallbackReach } from './callbacks.ts';
import { DEFAULT_RETRY_DELAYS_MS, Distributor, type DeliveryOutcome } from './distribute.ts';

/**
 * The built-in WebSub hub (W3C WebSub, 2018): every feed we publish is a topic. Subscription requests
 * (section 5.1) are checked at once and answered 202, then verified by a GET to the callback with a challenge
 * (5.3); only an echo subscribes. A topic we do not serve gets a 4xx and a denial to the callback (5.2). When a
 * feed's bytes change (the representation cache tells us), its subscribers get the whole new feed (section 7,
 * a "fat ping"), signed with their secret (section 8); outside hubs (WEBSUB_HUB) get a publish ping.
 */

export interface HubTuning {
  /** Lease granted when the subscriber asks for none (10 days). */
  defaultLeaseSeconds: number;
  /** Bounds of a lease the subscriber asks for: outside them it gets the nearest bound. */
  minLeaseSeconds: number;
  maxLeaseSeconds: number;
  /** Subscription requests per client address and minute, beyond which the answer is 429. */
  requestsPerMinute: number;
  /** Subscriptions of one topic whose callbacks are on one host. */
  maxPerCallbackHost: number;
  /** Deliveries in flight at once. */
  concurrency: number;
  /** Deliveries started per second once `deliveryBurst` have started at once (see distribute.ts). */
  deliveriesPerSecond: number;
  deliveryBurst: number;
  /** A paced fan-out starts its deliveries in groups this many ms apart. */
  deliveryTickMs: number;
  retryDelaysMs: readonly number[];
  /** Time limit on one verification or delivery. */
  timeoutMs: number;
}

export const DEFAULT_HUB_TUNING: HubTuning = {
  defaultLeaseSeconds: 10 * 86_400,
  minLeaseSeconds: 3_600,
  maxLeaseSeconds: 30 * 86_400,
  requestsPerMinute: 30,
  maxPerCallbackHost: 50,
  concurrency: 64,
  // 1,000 subscribers in about 1.9 s, about 2.3-2.8 s from the file write (the goal is 3 s): at about 0.25 ms of the
  // serving thread's CPU per delivery of a 194 KB feed with no other load (a signed one's HMAC, the kernel's copy
  // into the socket, undici), more under load, the fan-out takes some 11-17% of the serving core while it lasts and
  // leaves readers the rest (bench/lib/websub.ts measures it; it was 560 a second before, some 14% then; 450 a
  // second left readers more but took 3.2 s from the write once).
  deliveriesPerSecond: 500,
  deliveryBurst: 50,
  deliveryTickMs: 20,
  retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
  timeoutMs: 10_000,
};

/** `hub.secret` may be at most this many bytes (section 5.1). */
export const MAX_SECRET_BYTES = 200;

export type HubStore = Pick<
  Store,
  'saveSubscription' | 'removeSubscription' | 'subscriptionsFor' | 'subscriptionCounts' | 'purgeExpiredSubscriptions'
>;

export interface HubDeps {
  store: HubStore;
  urls: Urls;
  content: () => ContentSnapshot;
  /** Renders the resource at a cache key unless current (what a request would do); new bytes come back through `changed`. */
  render: (key: string) => Awaitable<void>;
  now: () => Date;
  logger: Logger;
  outsideHubs: readonly string[];
  allowPrivateCallbacks: boolean;
  tuning?: Partial<HubTuning>;
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

/** The answer to a subscription request: 202, or a 4xx naming the problem. */
export interface HubAnswer {
  status: 202 | 400 | 403 | 404 | 429;
  message: string;
  retryAfterSeconds?: number;
}

export interface HubSummary {
  hub: string;
  outsideHubs: readonly string[];
  lease: { defaultSeconds: number; minSeconds: number; maxSeconds: number };
  limits: { requestsPerMinutePerAddress: number; subscriptionsPerTopicPerCallbackHost: number; secretMaxBytes: number };
  topics: { topic: string; subscriptions: number }[];
  pendingDeliveries: number;
}

type Mode = 'subscribe' | 'unsubscribe';

export class Hub {
  readonly tuning: HubTuning;
  private readonly distributor: Distributor;
  private readonly reach: CallbackReach;
  private readonly requests = new Map<string, { windowStart: number; count: number }>();
  private refreshing = false;
  private refreshAgain = false;
  private readonly purgeTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly deps: HubDeps) {
    this.tuning = { ...DEFAULT_HUB_TUNING, ...deps.tuning };
    this.reach = deps.allowPrivateCallbacks ? 'any' : 'public';
    this.distributor = new Distributor({
      logger: deps.logger,
      concurrency: this.tuning.concurrency,
      perSecond: this.tuning.deliveriesPerSecond,
      burst: this.tuning.deliveryBurst,
      tickMs: this.tuning.deliveryTickMs,
      retryDelaysMs: this.tuning.retryDelaysMs,
      timeoutMs: this.tuning.timeoutMs,
      ...(deps.onOutcome ? { onOutcome: deps.onOutcome } : {}),
    });
    this.purgeTimer = setInterval(() => void this.purge(), 3_600_000);
    this.purgeTimer.unref();
  }

  /** Deliveries queued, in flight or waiting for a retry. */
  get pendingDeliveries(): number {
    return this.distributor.pending;
  }

  /**
   * Resolves when no render after a change is under way and no delivery is queued or in flight (retries waiting
   * for their delay aside): for tests and the benchmark.
   */
  async idle(): Promise<void> {
    for (;;) {
      while (this.refreshing) await new Promise((resolve) => setTimeout(resolve, 5));
      // A change found by the refresh is queued on the next turn (see `changed`).
      await new Promise((resolve) => setImmediate(resolve));
      await this.distributor.idle();
      if (!this.refreshing) return;
    }
  }

  /** Subscribers per topic whose lease has not ended. */
  async counts(): Promise<Map<string, number>> {
    return this.deps.store.subscriptionCounts(this.deps.now());
  }

  async summary(): Promise<HubSummary> {
    const t = this.tuning;
    return {
      hub: this.deps.urls.hub(),
      outsideHubs: this.deps.outsideHubs,
      lease: { defaultSeconds: t.defaultLeaseSeconds, minSeconds: t.minLeaseSeconds, maxSeconds: t.maxLeaseSeconds },
      limits: { requestsPerMinutePerAddress: t.requestsPerMinute, subscriptionsPerTopicPerCallbackHost: t.maxPerCallbackHost, secretMaxBytes: MAX_SECRET_BYTES },
      topics: [...(await this.counts())].map(([topic, subscriptions]) => ({ topic, subscriptions })),
      pendingDeliveries: this.pendingDeliveries,
    };
  }

  /**
   * A subscription request (`POST /websub`, form-encoded) from `client` (its address). Checks it now; the
   * verification of intent follows in the background after the 202.
   */
  async request(form: URLSearchParams, client: string): Promise<HubAnswer> {
    const limited = this.rateLimit(client);
    if (limited) return limited;
    const field = (name: string): string | null => {
      const v = form.getAll(name);
      return v.length === 1 ? v[0]! : null;
    };
    const mode = field('hub.mode');
    if (mode !== 'subscribe' && mode !== 'unsubscribe') {
      return bad(`hub.mode must be "subscribe" or "unsubscribe" (once), got ${JSON.stringify(form.getAll('hub.mode').join(','))}`);
    }
    const callbackRaw = field('hub.callback');
    if (callbackRaw === null) return bad('hub.callback is missing (or given more than once)');
    const callbackProblem = this.callbackProblem(callbackRaw);
    if (callbackProblem) return bad(`hub.callback ${callbackProblem}`);
    const callback = new URL(callbackRaw).href;
    const topic = field('hub.topic');
    if (topic === null) return bad('hub.topic is missing (or given more than once)');
    const topicProblem = this.topicProblem(topic);
    if (topicProblem) {
      // Section 5.2: the subscriber is told at its callback too, as it may not read our answer.
      void this.deny(callback, topic, topicProblem);
      return { status: 404, message: `hub.topic ${JSON.stringify(topic)} is not one of our feeds: ${topicProblem}` };
    }
    const secret = field('hub.secret');
    if (form.getAll('hub.secret').length > 1) return bad('hub.secret is given more than once');
    if (secret !== null && Buffer.byteLength(secret) > MAX_SECRET_BYTES) {
      return bad(`hub.secret is ${Buffer.byteLength(secret)} bytes; at most ${MAX_SECRET_BYTES} are allowed`);
    }
    const leaseRaw = field('hub.lease_seconds');
    if (form.getAll('hub.lease_seconds').length > 1) return bad('hub.lease_seconds is given more than once');
    if (leaseRaw !== null && leaseRaw !== '' && !/^\d{1,10}$/.test(leaseRaw)) {
      return bad(`hub.lease_seconds must be a whole number of seconds, got ${JSON.stringify(leaseRaw)}`);
    }
    const t = this.tuning;
    const lease =
      leaseRaw === null || leaseRaw === '' ? t.defaultLeaseSeconds : Math.min(t.maxLeaseSeconds, Math.max(t.minLeaseSeconds, Number(leaseRaw)));
    if (mode === 'subscribe') {
      const host = new URL(callback).host;
      const sameHost = (await this.deps.store.subscriptionsFor(topic, this.deps.now()))
        .filter((s) => s.callback !== callback && new URL(s.callback).host === host).length;
      if (sameHost >= t.maxPerCallbackHost) {
        return {
          status: 403,
          message: `hub.callback: ${host} has ${sameHost} subscriptions to this topic already, the most one callback host may have`,
        };
      }
    }
    void this.verify(mode, topic, callback, lease, secret === '' ? null : secret);
    return { status: 202, message: `Accepted: the ${mode === 'subscribe' ? 'subscription' : 'unsubscription'} will be verified at the callback` };
  }

  /**
   * The representation cache learned new bytes for `key`. A feed's subscribers get it (and outside hubs are
   * told); deferred, so the request or render that found the change is not held up.
   */
  changed(key: string, rep: { body: Buffer; contentType: string; link: string | null }): void {
    if (this.closed || key.includes('?') || parseFeedPath(key) === null) return;
    const topic = this.deps.urls.base + key;
    setImmediate(() => void this.distribute(topic, rep));
  }

  private async distribute(topic: string, rep: { body: Buffer; contentType: string; link: string | null }): Promise<void> {
    try {
      if (this.closed) return;
      for (const hub of this.deps.outsideHubs) {
        this.distributor.enqueue({
          id: `publish ${hub} ${topic}`,
          url: hub,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ 'hub.mode': 'publish', 'hub.url': topic }).toString(),
          secret: null,
          // The operator named these hubs: they may be on the intranet.
          reach: 'any',
        });
      }
      // Prepared once for every subscriber (the body is shared, never copied); each gets its own signature.
      const headers: Record<string, string> = { 'content-type': rep.contentType, 'content-length': String(rep.body.length) };
      if (rep.link !== null) headers.link = rep.link;
      const subscribers = await this.deps.store.subscriptionsFor(topic, this.deps.now());
      if (this.closed) return;
      for (const s of subscribers) {
        this.distributor.enqueue({
          id: `${s.topic} ${s.callback}`,
          url: s.callback,
          headers,
          body: rep.body,
          secret: s.secret,
          reach: this.reach,
          onGone: () => {
            Promise.resolve(this.deps.store.removeSubscription(s.topic, s.callback)).catch((err: unknown) =>
              this.deps.logger.error({ err, topic: s.topic, callback: s.callback }, 'removing a gone websub subscriber failed'),
            );
          },
        });
      }
    } catch (err) {
      if (!this.closed) this.deps.logger.error({ err, topic }, 'websub distribution failed');
    }
  }

  /**
   * What we publish changed (content, or related items). Feeds are rendered lazily, on request, so the feeds
   * someone is subscribed to (all of them when outside hubs are told) are rendered here, in the background one
   * per turn of the event loop, to find out which bytes changed; those reach `changed`.
   */
  published(): void {
    if (this.closed) return;
    if (this.refreshing) {
      this.refreshAgain = true;
      return;
    }
    this.refreshing = true;
    setImmediate(() => void this.refresh());
  }

  close(): void {
    this.closed = true;
    clearInterval(this.purgeTimer);
    this.distributor.close();
  }

  private async refresh(): Promise<void> {
    try {
      do {
        // The service may have closed (and its store with it) before this turn of the event loop.
        if (this.closed) return;
        this.refreshAgain = false;
        const keys =
          this.deps.outsideHubs.length > 0
            ? allFeeds(this.deps.content()).map((f) => new URL(this.deps.urls.feed(f)).pathname)
            : [...(await this.counts()).keys()].map((topic) => topic.slice(this.deps.urls.base.length));
        for (const key of keys) {
          if (this.closed) return;
          try {
            await this.deps.render(key);
          } catch (err) {
            // A topic whose feed went away (its category removed): nothing to send.
            this.deps.logger.debug({ err, key }, 'websub topic not rendered');
          }
          await new Promise((resolve) => setImmediate(resolve));
        }
      } while (this.refreshAgain && !this.closed);
    } finally {
      this.refreshing = false;
    }
  }

  private async purge(): Promise<void> {
    try {
      const n = await this.deps.store.purgeExpiredSubscriptions(this.deps.now());
      if (n > 0) this.deps.logger.info({ expired: n }, 'websub subscriptions expired');
    } catch (err) {
      if (!this.closed) this.deps.logger.error({ err }, 'purging expired websub subscriptions failed');
    }
  }

  /** Fixed one-minute windows per client address; the map is swept when it grows. */
  private rateLimit(client: string): HubAnswer | null {
    const now = this.deps.now().getTime();
    if (this.requests.size > 10_000) for (const [k, v] of this.requests) if (now - v.windowStart >= 60_000) this.requests.delete(k);
    let w = this.requests.get(client);
    if (!w || now - w.windowStart >= 60_000) this.requests.set(client, (w = { windowStart: now, count: 0 }));
    w.count++;
    if (w.count <= this.tuning.requestsPerMinute) return null;
    return {
      status: 429,
      message: `too many subscription requests from ${client}: at most ${this.tuning.requestsPerMinute} a minute`,
      retryAfterSeconds: Math.max(1, Math.ceil((w.windowStart + 60_000 - now) / 1000)),
    };
  }

  private callbackProblem(raw: string): string | null {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return `must be an absolute URL, got ${JSON.stringify(raw)}`;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must use http or https, got ${url.protocol}`;
    if (url.username || url.password) return 'must not carry credentials';
    if (url.hash) return 'must not carry a fragment';
    if (raw.length > 2048) return 'is longer than 2048 characters';
    if (this.reach === 'public') {
      const refused = refusedLiteralHost(url);
      if (refused) return `must be on the public Internet: ${url.hostname} is a ${refused.kind} address`;
    }
    return null;
  }

  /** Why `topic` is not one of our feeds, or null when it is. */
  private topicProblem(topic: string): string | null {
    const base = this.deps.urls.base;
    if (!topic.startsWith(`${base}/`)) return `our feeds are under ${base}/`;
    const rest = topic.slice(base.length);
    if (/[?#]/.test(rest)) return 'a topic is a feed URL without a query or fragment';
    const key = parseFeedPath(rest);
    if (!key) return `${rest} is not a feed path (…/feed.rss, …/feed.atom or …/feed.json)`;
    return missingFeedReason(this.deps.content(), key);
  }

  /** Section 5.3: GET the callback with a challenge; only an echo (2xx, body = challenge) makes the change. */
  private async verify(mode: Mode, topic: string, callback: string, lease: number, secret: string | null): Promise<void> {
    const challenge = randomBytes(24).toString('base64url');
    const url = new URL(callback);
    url.searchParams.append('hub.mode', mode);
    url.searchParams.append('hub.topic', topic);
    url.searchParams.append('hub.challenge', challenge);
    if (mode === 'subscribe') url.searchParams.append('hub.lease_seconds', String(lease));
    const log = { topic, callback, mode };
    try {
      const res = await callCallback(url.href, { method: 'GET', reach: this.reach, timeoutMs: this.tuning.timeoutMs, maxResponseBytes: 1024 });
      if (this.closed) return;
      if (res.status < 200 || res.status > 299 || res.body.trim() !== challenge) {
        this.deps.logger.info({ ...log, status: res.status }, 'websub verification refused by the subscriber');
        return;
      }
    } catch (err) {
      if (!this.closed) this.deps.logger.info({ ...log, error: err instanceof Error ? err.message : String(err) }, 'websub verification failed');
      return;
    }
    if (mode === 'unsubscribe') {
      await this.deps.store.removeSubscription(topic, callback);
      this.deps.logger.info(log, 'websub unsubscribed');
      return;
    }
    const now = this.deps.now();
    const existing = (await this.deps.store.subscriptionsFor(topic, now)).find((s) => s.callback === callback);
    const subscription: Subscription = {
      topic,
      callback,
      secret,
      leaseSeconds: lease,
      expiresAt: new Date(now.getTime() + lease * 1000),
      createdAt: existing?.createdAt ?? now,
    };
    await this.deps.store.saveSubscription(subscription);
    this.deps.logger.info({ ...log, lease_seconds: lease }, 'websub subscribed');
  }

  private async deny(callback: string, topic: string, reason: string): Promise<void> {
    const url = new URL(callback);
    url.searchParams.append('hub.mode', 'denied');
    url.searchParams.append('hub.topic', topic);
    url.searchParams.append('hub.reason', reason);
    try {
      await callCallback(url.href, { method: 'GET', reach: this.reach, timeoutMs: this.tuning.timeoutMs, maxResponseBytes: 256 });
    } catch (err) {
      this.deps.logger.info({ topic, callback, error: err instanceof Error ? err.message : String(err) }, 'websub denial not delivered');
    }
  }
}

function bad(message: string): HubAnswer {
  return { status: 400, message };
}
