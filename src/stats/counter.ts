import { createHash, randomBytes } from 'node:crypto';
import { parseFeedPath } from '../feeds/catalog.ts';
import type { Day, FeedPath, PollerSighting, SubscriberReport } from '../model/readers.ts';
import { aggregatorReport, type AggregatorReport } from './user-agent.ts';

/** What the counter needs of the store. */
export interface ReaderStore {
  recordReaders(day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date): void;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
}

/** Requests held between two flushes; beyond it they are dropped (and counted as dropped), never blocking a response. */
export const BUFFER_SIZE = 1 << 16;
/** How often the buffer is written to the store. */
export const FLUSH_INTERVAL_MS = 10_000;
const SALT_KEY = 'readers.salt';

export function utcDay(at: Date): Day {
  return at.toISOString().slice(0, 10);
}

/**
 * Counts who reads our feeds, off the hot path: a request only stores three references in preallocated arrays
 * (`record`, O(1), no allocation, no I/O); a timer (or a buffer half full) aggregates them and writes one
 * transaction to the store. Aggregators' reports keep their latest figure; any other client is a poller, kept as
 * a SHA-256 of a salt, its address and its User-Agent. The salt is random, changes with the UTC day, and lives
 * in the store's meta only until the next day: then it is replaced, so no one (us included) can tell from the
 * hashes which address polled. Requests for anything but a subscription feed are ignored when flushed.
 */
export class ReaderCounter {
  private readonly keys: (string | undefined)[] = new Array<string | undefined>(BUFFER_SIZE);
  private readonly agents: (string | undefined)[] = new Array<string | undefined>(BUFFER_SIZE);
  private readonly addresses: (string | undefined)[] = new Array<string | undefined>(BUFFER_SIZE);
  private length = 0;
  private soon = false;
  private timer: NodeJS.Timeout | null = null;
  /** Requests not counted because the buffer was full. */
  dropped = 0;
  private salt: { day: Day; value: string } | null = null;
  /** Parsed User-Agents and feed paths (bounded): the same few come back all day. */
  private readonly reports = new Map<string, AggregatorReport | null>();
  private readonly feeds = new Map<string, FeedPath | null>();

  constructor(
    private readonly store: ReaderStore,
    private readonly now: () => Date,
  ) {}

  /** One request for the resource with cache key `key` (path and canonical query). Called on the hot path. */
  record(key: string, userAgent: string | undefined, address: string | undefined): void {
    const i = this.length;
    if (i === BUFFER_SIZE) {
      this.dropped++;
      return;
    }
    this.keys[i] = key;
    this.agents[i] = userAgent;
    this.addresses[i] = address;
    this.length = i + 1;
    if (i === BUFFER_SIZE >> 1 && !this.soon) {
      this.soon = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes every 10 s until stopped (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and writes what is buffered. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.flush();
  }

  /** Aggregates the buffered requests and writes them to the store in one transaction. */
  flush(): void {
    this.soon = false;
    const n = this.length;
    if (n === 0) return;
    const at = this.now();
    const day = utcDay(at);
    const salt = this.saltFor(day);
    const reports = new Map<string, SubscriberReport>();
    const seen = new Set<string>();
    const pollers: PollerSighting[] = [];
    for (let i = 0; i < n; i++) {
      const feed = this.feedOf(this.keys[i]!);
      const agent = this.agents[i] ?? '';
      const address = this.addresses[i] ?? '';
      if (feed === null) continue;
      const report = this.reportOf(agent);
      if (report) {
        reports.set(`${feed}\n${report.aggregator}\n${report.feedRef}`, { feed, ...report });
        continue;
      }
      const who = `${feed}\n${address}\n${agent}`;
      if (seen.has(who)) continue;
      seen.add(who);
      const poller = createHash('sha256').update(`${salt}\n${address}\n${agent}`).digest('base64url').slice(0, 22);
      pollers.push({ feed, poller });
    }
    // Release the strings for the collector; the arrays keep their size.
    this.keys.fill(undefined, 0, n);
    this.agents.fill(undefined, 0, n);
    this.addresses.fill(undefined, 0, n);
    this.length = 0;
    if (reports.size > 0 || pollers.length > 0) this.store.recordReaders(day, [...reports.values()], pollers, at);
  }

  private feedOf(key: string): FeedPath | null {
    let feed = this.feeds.get(key);
    if (feed === undefined) {
      const q = key.indexOf('?');
      const path = q === -1 ? key : key.slice(0, q);
      feed = parseFeedPath(path) ? path : null;
      if (this.feeds.size >= 10_000) this.feeds.clear();
      this.feeds.set(key, feed);
    }
    return feed;
  }

  private reportOf(agent: string): AggregatorReport | null {
    let r = this.reports.get(agent);
    if (r === undefined) {
      r = aggregatorReport(agent);
      if (this.reports.size >= 10_000) this.reports.clear();
      this.reports.set(agent, r);
    }
    return r;
  }

  /** Today's salt: the one in the store if it is today's, else a new random one replacing it. */
  private saltFor(day: Day): string {
    if (this.salt?.day === day) return this.salt.value;
    const kept = this.store.getMeta(SALT_KEY);
    const [keptDay, keptValue] = kept ? kept.split(' ') : [];
    let value: string;
    if (keptDay === day && keptValue) value = keptValue;
    else {
      value = randomBytes(32).toString('base64url');
      this.store.setMeta(SALT_KEY, `${day} ${value}`);
    }
    this.salt = { day, value };
    return value;
  }
}
