import type { Day, PollerSighting, ReaderDay, SubscriberReport } from '../../model/readers.ts';
import { readerDays } from '../rows.ts';
import { transaction, type PgDatabase } from './database.ts';

/**
 * Who reads us (tables `reader_subscribers` and `reader_pollers`), per feed and UTC day: the latest figure each
 * aggregator reported per subscription, and the salted hashes of other pollers (never an address).
 */
export function readerTables(db: PgDatabase) {
  async function record(day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date): Promise<void> {
    // Of one batch's reports of the same subscription the last counts, as when SQLite writes them one by one
    // (one statement may not update a row twice).
    const latest = new Map(reports.map((r) => [`${r.feed}\n${r.aggregator}\n${r.feedRef}`, r]));
    const list = [...latest.values()];
    await transaction(db, async (c) => {
      if (list.length > 0) {
        await c.query(
          `INSERT INTO reader_subscribers (day, feed, aggregator, feed_ref, subscribers, reported_at)
           SELECT $1, u.feed, u.aggregator, u.feed_ref, u.subscribers, $2
           FROM unnest($3::text[], $4::text[], $5::text[], $6::int[]) AS u(feed, aggregator, feed_ref, subscribers)
           ON CONFLICT (day, feed, aggregator, feed_ref) DO UPDATE SET subscribers = excluded.subscribers, reported_at = excluded.reported_at
           WHERE excluded.reported_at >= reader_subscribers.reported_at`,
          [day, at.getTime(), list.map((r) => r.feed), list.map((r) => r.aggregator), list.map((r) => r.feedRef), list.map((r) => r.subscribers)],
        );
      }
      if (pollers.length > 0) {
        await c.query(
          `INSERT INTO reader_pollers (day, feed, poller) SELECT $1, u.feed, u.poller FROM unnest($2::text[], $3::text[]) AS u(feed, poller)
           ON CONFLICT DO NOTHING`,
          [day, pollers.map((p) => p.feed), pollers.map((p) => p.poller)],
        );
      }
    });
  }

  async function byDay(from: Day, to: Day): Promise<ReaderDay[]> {
    const [subscribers, pollers] = await Promise.all([
      db.pool.query<{ day: Day; feed: string; aggregator: string; n: number }>(
        `SELECT day, feed, aggregator, sum(subscribers)::bigint AS n FROM reader_subscribers WHERE day BETWEEN $1 AND $2
         GROUP BY day, feed, aggregator ORDER BY day, feed, aggregator`,
        [from, to],
      ),
      db.pool.query<{ day: Day; feed: string; n: number }>(
        'SELECT day, feed, count(*)::int AS n FROM reader_pollers WHERE day BETWEEN $1 AND $2 GROUP BY day, feed ORDER BY day, feed',
        [from, to],
      ),
    ]);
    return readerDays(subscribers.rows, pollers.rows);
  }

  return { record, byDay };
}
