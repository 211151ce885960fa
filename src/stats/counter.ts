import { createHash, randomBytes } from 'node:crypto';
import { parseFeedPath } from '../feeds/catalog.ts';
import type { Day, FeedPath, PollerSighting, SubscriberReport } from '../model/readers.ts';
import { aggregatorReport, type AggregatorReport } from './user-agent.ts';

/** What the counter needs of the store. */
export interface ReaderStore {
  recordReaders(day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date): void | Promise<void>;
  getMeta(key: string): string | null | Promise<string | null>;
  setMeta(key: string, value: string): void | Promise<void>;
}

/** Requests held between two flushes; beyond it they are dropped (and counted as dropped), never blocking a response. */
export const BUFFER_SIZE = 1 << 16;
/** How often the buffer is written to the store. */
export const FLUSH_INTERVAL_MS = 10_000;
const SALT_KEY = 'readers.salt';

/** How many distinct keys, User-Agents and addresses each memo keeps before it starts over. */
const MEMO_SIZE = 10_000;

/** What an aggregator's User-Agent reports, and the subscription it reports on (aggregator and feed id). */
interface KnownReport {
  report: AggregatorReport;
  subscription: string;
}

/**
 * One copy of each distinct string seen (bounded): `copyOf` gives the kept copy of a value (keeping this one if none
 * is). The value seen last is compared first, which costs less than hashing the request's fresh string for the Map.
 */
class KeptStrings {
  private last = '';
  private readonly seen = new Map<string, string>();

  copyOf(value: string): string {
    if (value === this.last) return this.last;
    let kept = this.seen.get(value);
    if (kept === undefined) {
      if (this.seen.size >= MEMO_SIZE) this.seen.clear();
      this.seen.set(value, value);
      kept = value;
    }
    this.last = kept;
    return kept;
  }
}

export function utcDay(at: Date): Day {
  return at.toISOString().slice(0, 10);
}

/**
 * Counts who reads our feeds, off the hot path: a request only stores three references in preallocated arrays
 * (`record`, O(1), no I/O). They are references to strings the counter already holds (the feed's path, and one
 * copy of each User-Agent and address it has seen), found by one bounded Map lookup each: the strings of the request
 * itself are not kept, so a buffer of tens of thousands of requests does not live long enough to be promoted to
 * the old generation and make every garbage collection dearer. Requests for anything but a subscription feed are
 * not buffered. A timer (or a buffer half full) aggregates them and writes one transaction to the store.
 * Aggregators' reports keep their latest figure; any other client is a poller, kept as a SHA-256 of a salt, its
 * address and its User-Agent. The salt is random, changes with the UTC day, and lives in the store's meta only
 * until the next day: then it is replaced, so no one (us included) can tell from the hashes which address polled.
 */
export class ReaderCounter {
  private readonly feedsRead: (FeedPath | undefined)[] = new Array<FeedPath | undefined>(BUFFER_SIZE);
  private readonly agents: (string | undefined)[] = new Array<string | undefined>(BUFFER_SIZE);
  private readonly addresses: (string | undefined)[] = new Array<string | undefined>(BUFFER_SIZE);
  private length = 0;
  private soon = false;
  /** The write in progress: writes go one after the other. */
  private flushing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  /** Requests not counted because the buffer was full. */
  dropped = 0;
  private salt: { day: Day; value: string } | null = null;
  /** Cache keys as the feed they count for (null: not a subscription feed); bounded, the same few come back all day. */
  private readonly feeds = new Map<string, FeedPath | null>();
  /** One copy of each User-Agent and address seen (bounded): what the buffer refers to. */
  private readonly knownAgents = new KeptStrings();
  private readonly knownAddresses = new KeptStrings();
  /** Parsed User-Agents (bounded), with the identity of the subscription each reports. */
  private readonly reports = new Map<string, KnownReport | null>();
  /** The request buffered last (the counter's copies of its strings; `record` skips one that repeats it). */
  private lastKey: string | undefined;
  private lastAgent: string | undefined;
  private lastAddress: string | undefined;

  constructor(
    private readonly store: ReaderStore,
    private readonly now: () => Date,
    /** Told when a timed write fails (the requests it held are not counted). */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** One request for the resource with cache key `key` (path and canonical query). Called on the hot path. */
  record(key: string, userAgent: string | undefined, address: string | undefined): void {
    // The same client asking again for the same feed adds nothing to the buffer's counts (a poller once, a
    // subscription's latest report): compared first, address (one string per connection) to key, it costs less than
    // buffering it. The buffer's first request is always kept, so each write counts its clients on its own day.
    if (this.length > 0 && address === this.lastAddress && userAgent === this.lastAgent && key === this.lastKey) return;
    const i = this.length;
    if (i === BUFFER_SIZE) {
      this.dropped++;
      return;
    }
    const feed = this.feedOf(key);
    if (feed === null) return;
    this.feedsRead[i] = feed;
    this.agents[i] = userAgent === undefined ? undefined : this.knownAgents.copyOf(userAgent);
    this.addresses[i] = address === undefined ? undefined : this.knownAddresses.copyOf(address);
    this.length = i + 1;
    this.lastKey = key;
    this.lastAgent = this.agents[i];
    this.lastAddress = this.addresses[i];
    if (i === BUFFER_SIZE >> 1 && !this.soon) {
      this.soon = true;
      setImmediate(() => this.flushLogged());
    }
  }

  /** Writes every 10 s until stopped (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flushLogged(), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  /** Stops the timer and writes what is buffered. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private flushLogged(): void {
    this.flush().catch((err: unknown) => this.onError(err));
  }

  /**
   * Aggregates the buffered requests and writes them to the store in one transaction. The buffer holds shared
   * strings, so grouping is by Map lookups on strings whose hashes are already computed, allocating per distinct
   * feed, subscription and poller, not per request.
   */
  flush(): Promise<void> {
    const next = this.flushing.catch(() => {}).then(() => this.write());
    this.flushing = next;
    return next;
  }

  private async write(): Promise<void> {
    this.soon = false;
    const n = this.length;
    if (n === 0) return;
    const at = this.now();
    const day = utcDay(at);
    // Per feed: the latest report of each subscription, by its identity; the addresses seen with each other User-Agent.
    const reported = new Map<FeedPath, Map<string, AggregatorReport>>();
    const polled = new Map<FeedPath, Map<string, Set<string>>>();
    for (let i = 0; i < n; i++) {
      const feed = this.feedsRead[i]!;
      const agent = this.agents[i] ?? '';
      const address = this.addresses[i] ?? '';
      const report = this.reportOf(agent);
      if (report) {
        let subscriptions = reported.get(feed);
        if (!subscriptions) reported.set(feed, (subscriptions = new Map<string, AggregatorReport>()));
        subscriptions.set(report.subscription, report.report);
        continue;
      }
      let byAgent = polled.get(feed);
      if (!byAgent) polled.set(feed, (byAgent = new Map<string, Set<string>>()));
      let from = byAgent.get(agent);
      if (!from) byAgent.set(agent, (from = new Set<string>()));
      from.add(address);
    }
    // Release the strings for the collector; the arrays keep their size.
    this.feedsRead.fill(undefined, 0, n);
    this.agents.fill(undefined, 0, n);
    this.addresses.fill(undefined, 0, n);
    this.length = 0;
    const salt = await this.saltFor(day);
    const reports: SubscriberReport[] = [];
    for (const [feed, subscriptions] of reported) for (const report of subscriptions.values()) reports.push({ feed, ...report });
    const pollers: PollerSighting[] = [];
    for (const [feed, byAgent] of polled) {
      for (const [agent, from] of byAgent) {
        for (const address of from) {
          const poller = createHash('sha256').update(`${salt}\n${address}\n${agent}`).digest('base64url').slice(0, 22);
          pollers.push({ feed, poller });
        }
      }
    }
    if (reports.length > 0 || pollers.length > 0) await this.store.recordReaders(day, reports, pollers, at);
  }

  private feedOf(key: string): FeedPath | null {
    let feed = this.feeds.get(key);
    if (feed === undefined) {
      const q = key.indexOf('?');
      const path = q === -1 ? key : key.slice(0, q);
      feed = parseFeedPath(path) ? path : null;
      if (this.feeds.size >= MEMO_SIZE) this.feeds.clear();
      this.feeds.set(key, feed);
    }
    return feed;
  }

  private reportOf(agent: string): KnownReport | null {
    let r = this.reports.get(agent);
    if (r === undefined) {
      const report = aggregatorReport(agent);
      r = report ? { report, subscription: `${report.aggregator}\n${report.feedRef}` } : null;
      if (this.reports.size >= MEMO_SIZE) this.reports.clear();
      this.reports.set(agent, r);
    }
    return r;
  }

  /** Today's salt: the one in the store if it is today's, else a new random one replacing it. */
  private async saltFor(day: Day): Promise<string> {
    if (this.salt?.day === day) return this.salt.value;
    const kept = await this.store.getMeta(SALT_KEY);
    const [keptDay, keptValue] = kept ? kept.split(' ') : [];
    let value: string;
    if (keptDay === day && keptValue) value = keptValue;
    else {
      value = randomBytes(32).toString('base64url');
      await this.store.setMeta(SALT_KEY, `${day} ${value}`);
    }
    this.salt = { day, value };
    return value;
  }
}
