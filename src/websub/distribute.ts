import type { Logger } from '../log.ts';
import { callCallback, type CallbackReach } from './callbacks.ts';
import { hubSignature } from './signature.ts';

/**
 * Fan-out of the hub: POSTs to subscribers' callbacks (fat pings) and to outside hubs (publish pings), at most
 * `concurrency` at a time, each with a time limit, failures retried with growing delays. Everything runs off the
 * request path and never blocks it: a slow or dead subscriber holds one slot for at most its time limit, and
 * the others go on. Deliveries start at a steady pace (`perSecond`, after a first `burst`): each costs the
 * serving core about what answering a request for the feed does (the body written to a socket), plus its HMAC
 * when signed, so a fan-out to many subscribers on fast links must not take the core from the readers while it
 * lasts; paced, it takes a bounded share, turn by turn of the event loop. Only the newest version of a feed matters to a subscriber, so a new delivery for the same
 * subscription replaces one still queued or waiting to be retried. Pending deliveries live in memory: a restart
 * forgets them (the subscriber gets the next change, and can fetch the feed meanwhile).
 */

export interface Delivery {
  /** One per subscription (topic and callback) or per ping: a newer delivery replaces an older with this id. */
  id: string;
  url: string;
  headers: Record<string, string>;
  body: Buffer | string;
  /** Signed at send time (`X-Hub-Signature: sha256=...`), so a fan-out does not hash every copy at once. */
  secret: string | null;
  reach: CallbackReach;
  /** The callback answered 410 Gone: the subscriber wants no more (WebSub section 7). */
  onGone?: () => void;
}

export type DeliveryOutcome = 'delivered' | 'failed' | 'gone' | 'abandoned';

export interface DistributorOptions {
  logger: Logger;
  /** Deliveries in flight at most. */
  concurrency: number;
  /** Deliveries started per second at most, once `burst` have started at once (Infinity: no pacing). */
  perSecond: number;
  burst: number;
  /**
   * A paced queue is pumped again at most this often, starting the deliveries allowed meanwhile together: fewer
   * wake-ups and turns of the event loop per delivery than one start at a time.
   */
  tickMs: number;
  /** Delay before each retry; after the last one fails, the delivery is abandoned. */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  /** Told of each attempt's outcome (metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

interface Job {
  delivery: Delivery;
  /** Attempts made so far. */
  attempts: number;
  timer: NodeJS.Timeout | null;
}

/** Retry delays that add up to a little over an hour (the issue asks for at least one). */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [15, 60, 120, 300, 600, 900, 1800].map((s) => s * 1000);

export class Distributor {
  /** The newest job per id that is not in flight: queued, or waiting for its retry. */
  private readonly jobs = new Map<string, Job>();
  private readonly queue: Job[] = [];
  private active = 0;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  /** The pace: starts allowed now (a token bucket holding up to `burst`), refilled as time passes. */
  private tokens: number;
  private refilledAt = performance.now();
  private wake: NodeJS.Timeout | null = null;
  /**
   * Signatures made of a fan-out's body, by secret: subscribers that gave the same secret (one aggregator's many
   * callbacks) share one HMAC of the body, the largest part of a delivery's cost. Kept while the body lives.
   */
  private readonly signatures = new WeakMap<Buffer, Map<string, string>>();

  constructor(private readonly options: DistributorOptions) {
    this.tokens = options.burst;
  }

  /** Deliveries queued, waiting for a retry or in flight. */
  get pending(): number {
    return this.jobs.size + this.active;
  }

  enqueue(delivery: Delivery): void {
    if (this.closed) return;
    const older = this.jobs.get(delivery.id);
    if (older?.timer) clearTimeout(older.timer);
    const job: Job = { delivery, attempts: 0, timer: null };
    this.jobs.set(delivery.id, job);
    this.queue.push(job);
    this.pump();
  }

  /** Resolves once nothing is queued or in flight (retries waiting on their timer do not count). */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    if (this.wake) clearTimeout(this.wake);
    this.wake = null;
    for (const job of this.jobs.values()) if (job.timer) clearTimeout(job.timer);
    this.jobs.clear();
    this.queue.length = 0;
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.queue.length > 0) {
      const job = this.queue[0]!;
      // Replaced by a newer delivery since it was queued.
      if (this.jobs.get(job.delivery.id) !== job) {
        this.queue.shift();
        continue;
      }
      if (!this.mayStart()) return;
      this.queue.shift();
      this.jobs.delete(job.delivery.id);
      this.active++;
      void this.attempt(job).finally(() => {
        this.active--;
        this.pump();
        if (this.queue.length === 0 && this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  /** Whether the pace allows a start now (taking it); if not, the queue is pumped again once it does. */
  private mayStart(): boolean {
    const { perSecond, burst } = this.options;
    if (perSecond === Infinity) return true;
    const now = performance.now();
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) * perSecond) / 1000);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens--;
      return true;
    }
    if (!this.wake && !this.closed) {
      this.wake = setTimeout(() => {
        this.wake = null;
        this.pump();
      }, Math.max(this.options.tickMs, Math.ceil(((1 - this.tokens) * 1000) / perSecond)));
    }
    return false;
  }

  /**
   * Signed on the event loop with node:crypto, over the shared body without a copy: about 0.15 ms for a 194 KB
   * feed, less of the serving core than WebCrypto in the thread pool, which copies the body on the event loop
   * and adds a key import and promise turns per signature (measured: 80 against 200-350 ms of CPU for 500).
   */
  private sign(secret: string, body: Buffer | string): string {
    if (typeof body === 'string') return hubSignature(secret, body);
    let bySecret = this.signatures.get(body);
    if (!bySecret) this.signatures.set(body, (bySecret = new Map<string, string>()));
    let signature = bySecret.get(secret);
    if (signature === undefined) bySecret.set(secret, (signature = hubSignature(secret, body)));
    return signature;
  }

  private async attempt(job: Job): Promise<void> {
    const d = job.delivery;
    job.attempts++;
    let outcome: DeliveryOutcome;
    let detail: { status?: number; error?: string };
    try {
      const headers = d.secret === null ? d.headers : { ...d.headers, 'x-hub-signature': this.sign(d.secret, d.body) };
      const res = await callCallback(d.url, { method: 'POST', headers, body: d.body, reach: d.reach, timeoutMs: this.options.timeoutMs, maxResponseBytes: 1024 });
      detail = { status: res.status };
      outcome = res.status >= 200 && res.status < 300 ? 'delivered' : res.status === 410 && d.onGone ? 'gone' : 'failed';
    } catch (err) {
      detail = { error: err instanceof Error ? err.message : String(err) };
      outcome = 'failed';
    }
    if (outcome === 'gone') d.onGone?.();
    if (outcome === 'failed') {
      const delay = this.options.retryDelaysMs[job.attempts - 1];
      // A newer version is queued already: it replaces this one, retried or not.
      if (this.closed || this.jobs.has(d.id)) return;
      if (delay === undefined) outcome = 'abandoned';
      else {
        job.timer = setTimeout(() => {
          job.timer = null;
          if (this.jobs.get(d.id) !== job) return;
          this.queue.push(job);
          this.pump();
        }, delay);
        job.timer.unref();
        this.jobs.set(d.id, job);
      }
      this.options.logger.warn({ callback: d.url, attempt: job.attempts, retry_in_ms: delay ?? null, ...detail }, 'websub delivery failed');
    }
    this.options.onOutcome?.(outcome);
  }
}
