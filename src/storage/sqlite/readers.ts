import type { Day, PollerSighting, ReaderDay, SubscriberReport } from '../../model/readers.ts';
import type { SqliteDatabase } from './database.ts';

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
  const record = db.transaction((day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date) => {
    const ms = at.getTime();
    for (const r of reports) report.run(day, r.feed, r.aggregator, r.feedRef, r.subscribers, ms);
    for (const p of pollers) poller.run(day, p.feed, p.poller);
  });
  return {
    record: (day: Day, reports: readonly SubscriberReport[], pollers: readonly PollerSighting[], at: Date): void => record(day, reports, pollers, at),
    byDay: (from: Day, to: Day): ReaderDay[] => {
      const out = new Map<string, { day: Day; feed: string; subscribers: number; aggregators: Record<string, number>; pollers: number }>();
      const row = (day: Day, feed: string) => {
        const k = `${day} ${feed}`;
        let r = out.get(k);
        if (!r) out.set(k, (r = { day, feed, subscribers: 0, aggregators: {}, pollers: 0 }));
        return r;
      };
      for (const s of subscribersByDay.all(from, to)) {
        const r = row(s.day, s.feed);
        r.subscribers += s.n;
        r.aggregators[s.aggregator] = s.n;
      }
      for (const p of pollersByDay.all(from, to)) row(p.day, p.feed).pollers = p.n;
      return [...out.values()].sort((a, b) => a.day.localeCompare(b.day) || a.feed.localeCompare(b.feed));
    },
  };
}
