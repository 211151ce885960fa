import type { Logger } from '../log.ts';

/*
 * Tells a CDN which cached responses to drop (PURGE_WEBHOOK; README, "Caches in front"). The representation cache
 * reports each resource whose bytes changed, by its own surrogate key; keys are gathered for a moment (a poll
 * or a content deploy changes many feeds within a second or two) and POSTed together as `{"keys": [...]}`, at
 * most `maxKeysPerRequest` to a request, each with a time limit, retried with growing delays when the webhook
 * fails or cannot be reached. Everything runs off the request path: serving never waits on it, and a dead
 * webhook costs one timer per batch. Pending keys live in memory: a restart forgets them, and shared caches
 * then drop their copies at the end of s-maxage (one minute), as without a webhook.
 */

export interface PurgeTuning {
  /** A batch is sent once no new key arrived for this long... */
  debounceMs: number;
  /** ...or this long after its first key, whichever comes first. */
  maxDelayMs: number;
  /** Keys per request; a batch that reaches it is sent at once (Fastly's bulk purge takes 256). */
  maxKeysPerRequest: number;
  /** Time limit on one POST, response included. */
  timeoutMs: number;
  /** Delay before each retry of a failed POST; after the last, its keys are given up (s-maxage still ends). */
  retryDelaysMs: readonly number[];
}

export const DEFAULT_PURGE_TUNING: PurgeTuning = {
  // More than the second the other replicas may take to hear of a change (a CDN refetching at once could get the
  // old bytes from one of them and keep them for s-maxage), and short enough that a poll's changes go together.
  debounceMs: 1_500,
  maxDelayMs: 5_000,
  maxKeysPerRequest: 256,
  timeoutMs: 10_000,
  retryDelaysMs: [2_000, 10_000, 60_000],
};

/** What became of one POST of a batch, for tests and metrics. */
export interface PurgeAttempt {
  keys: readonly string[];
  /** 1 for the first try. */
  attempt: number;
  /** The webhook's status, or null when it could not be reached or timed out. */
  status: number | null;
  result: 'purged' | 'retrying' | 'given-up';
}

export interface PurgerDeps {
  url: string;
  logger: Logger;
  userAgent: string;
  tuning?: Partial<PurgeTuning>;
  onAttempt?: (attempt: PurgeAttempt) => void;
}

/** 408, 425, 429 and 5xx are worth another try; any other 4xx will not get better. */
function retryable(status: number | null): boolean {
  return status === null || status === 408 || status === 425 || status === 429 || status >= 500;
}

/** The webhook's URL as logs show it: a token in the query stays out of them. */
function loggable(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${u.search ? '?…' : ''}`;
}

export class Purger {
  readonly tuning: PurgeTuning;
  private readonly logUrl: string;
  private pending = new Set<string>();
  private firstPendingAt = 0;
  private timer: NodeJS.Timeout | null = null;
  /** POSTs in flight or waiting for their retry. */
  private active = 0;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(private readonly deps: PurgerDeps) {
    this.tuning = { ...DEFAULT_PURGE_TUNING, ...deps.tuning };
    this.logUrl = loggable(deps.url);
  }

  /** Keys waiting for their batch, POSTs in flight and POSTs waiting to be retried. */
  get pendingWork(): { keys: number; requests: number } {
    return { keys: this.pending.size, requests: this.active };
  }

  /** Asks for `keys` to be purged, soon; cheap (a set insert and at most a timer), never throws. */
  purge(keys: Iterable<string>): void {
    if (this.closed) return;
    const now = Date.now();
    if (this.pending.size === 0) this.firstPendingAt = now;
    for (const k of keys) this.pending.add(k);
    if (this.pending.size === 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size >= this.tuning.maxKeysPerRequest) {
      this.flush();
      return;
    }
    const wait = Math.max(0, Math.min(this.tuning.debounceMs, this.firstPendingAt + this.tuning.maxDelayMs - now));
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref();
  }

  /** Resolves when no key waits and no POST is in flight or waiting for a retry (tests). */
  async idle(): Promise<void> {
    while (!this.closed && (this.pending.size > 0 || this.active > 0)) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Drops what is pending and aborts what is in flight. */
  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    this.pending.clear();
    this.abort.abort();
  }

  private flush(): void {
    this.timer = null;
    const keys = [...this.pending];
    this.pending = new Set();
    for (let i = 0; i < keys.length; i += this.tuning.maxKeysPerRequest) {
      this.active++;
      void this.send(keys.slice(i, i + this.tuning.maxKeysPerRequest), 1);
    }
  }

  /** One POST of a batch; `active` counts it from its first try until it is purged or given up. */
  private async send(keys: string[], attempt: number): Promise<void> {
    let status: number | null = null;
    let error: string | null = null;
    let retryAfterMs = 0;
    try {
      const res = await fetch(this.deps.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': this.deps.userAgent },
        body: JSON.stringify({ keys }),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.tuning.timeoutMs)]),
      });
      status = res.status;
      const retryAfter = Number(res.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = Math.min(retryAfter, 300) * 1000;
      // Read to the end (bounded by the time limit) so the connection can be reused.
      await res.arrayBuffer();
    } catch (err) {
      error = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
    }
    if (this.closed) return;
    const log = { url: this.logUrl, status, keys: keys.length, attempt };
    if (status !== null && status >= 200 && status <= 299) {
      this.deps.logger.debug(log, 'cdn purge sent');
      this.done({ keys, attempt, status, result: 'purged' });
      return;
    }
    const delay = this.tuning.retryDelaysMs[attempt - 1];
    if (retryable(status) && delay !== undefined) {
      const wait = Math.max(delay, retryAfterMs);
      this.deps.logger.warn({ ...log, ...(error ? { error } : {}), retry_in_ms: wait }, 'cdn purge failed; will retry');
      this.deps.onAttempt?.({ keys, attempt, status, result: 'retrying' });
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        void this.send(keys, attempt + 1);
      }, wait);
      timer.unref();
      this.retryTimers.add(timer);
      return;
    }
    this.deps.logger.error({ ...log, ...(error ? { error } : {}) }, 'cdn purge failed; keys given up (shared caches keep them until s-maxage ends)');
    this.done({ keys, attempt, status, result: 'given-up' });
  }

  private done(attempt: PurgeAttempt): void {
    this.active--;
    this.deps.onAttempt?.(attempt);
  }
}
