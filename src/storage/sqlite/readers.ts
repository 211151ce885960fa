import type { Day, PollerSighting, ReaderDay, SubscriberReport } from '../../model/readers.ts';
import { readerDays } from '../rows.ts';
import { writeTransaction, type SqliteDatabase } from './database.ts';

/**
 * Who reads us (tables `reader_subscribers` and `reader_pollers`), per feed and UTC day: the latest figure each
 * aggregator reported per subscription, and the salted hashes of other pollers (never an address).
 */
export function readerTables(db: SqliteDatabase) {
  const report = db.prepare(
    `INSERT INTO reader_subscribers (day, feed, aggregator, feed_ref, subscribers, reported_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (day, feed, aggregator, feed_ref) DO UPDATE SET subscribers = excluded.subscribers, reported_at = excluded.reported_at
     WHERE excluded.reported_at >= reader_subscribers.reported_at`,
  );
  const poller = db.prepare('INSERT OR IGNORE INTO reader_pollers (day, feed, poller) VALUES (?, ?, ?)');
  const subscribersByDay = db.prepare<[Day, Day], { day: Day; feed: string; aggregator: string; n: number }>(
    `SELECT day, feed, aggregator, SUM(subscribers) AS n FROM reader_subscribers WHERE day BETWEEN ? AND ?
     GROUP BY day, feed, aggregator ORDER BY day, feed, aggregator`,
  );
  const pollersByDay = db.prepare<[Day, Day], { day: Day; feed: string; n: number }>(
    'SELECT day, feed, COUNT(*) AS n FROM reader_pollers WHERE day BETWEEN ? AND ? GROUP BY day, feed ORDER BY day, feed',
  );
  const record = writeTransaction(db, (day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date) => {
    const ms = at.getTime();
    for (const r of reports) report.run(day, r.feed, r.aggregator, r.feedRef, r.subscribers, ms);
    for (const p of pollers) poller.run(day, p.feed, p.poller);
  });
  return {
    record: (day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date): void => record(day, reports, pollers, at),
    byDay: (from: Day, to: Day): ReaderDay[] => readerDays(subscribersByDay.all(from, to), pollersByDay.all(from, to)),
  };
}
