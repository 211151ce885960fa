/**
 * Who reads our feeds, per feed and per day (UTC): what aggregators report in their User-Agent, and how many
 * other distinct clients polled. Crosses stats/ (counting), storage/ (keeping) and http/ and pages/ (showing).
 */

/** A feed by its path (`/id/feed.rss`; `?limit=N` variants count as the feed). */
export type FeedPath = string;

/** A UTC calendar day, `YYYY-MM-DD`. */
export type Day = string;

/** What one aggregator said in its User-Agent about one of its subscriptions to one of our feeds. */
export interface SubscriberReport {
  feed: FeedPath;
  /** The aggregator, e.g. `Feedly`, `Inoreader`. */
  aggregator: string;
  /** The aggregator's id of the subscription when it gives one (Feedbin's `feed-id:`), else ''. */
  feedRef: string;
  subscribers: number;
}

/** One other client seen polling a feed on a day: a salted hash of its address and User-Agent, never the address. */
export interface PollerSighting {
  feed: FeedPath;
  poller: string;
}

/** One feed on one day. */
export interface ReaderDay {
  day: Day;
  feed: FeedPath;
  /** The sum over aggregators (and their subscriptions) of the latest figure each reported that day. */
  subscribers: number;
  /** That sum per aggregator. */
  aggregators: Readonly<Record<string, number>>;
  /** Distinct other clients (address and User-Agent) that polled the feed that day. */
  pollers: number;
}

/** The last days of every feed anyone read, as /stats and /stats.json show them. */
export interface ReaderReport {
  /** First and last day shown (UTC), `to` being today. */
  from: Day;
  to: Day;
  /** Every day from `from` to `to`. */
  days: readonly Day[];
  /** One per feed read in those days, by path; `days` has one entry per day of the report (zeros when nothing). */
  feeds: readonly { feed: FeedPath; url: string; days: readonly ReaderDay[] }[];
  /** Today's sums over every feed. */
  today: { subscribers: number; pollers: number; aggregators: Readonly<Record<string, number>> };
}
