import type { Day, ReaderDay, ReaderReport } from '../model/readers.ts';
import { utcDay } from './counter.ts';

/** How many days /stats shows. */
export const REPORT_DAYS = 30;

/** The last `days` days (today included) of every feed read in them, from what the store keeps. */
export async function readerReport(
  readersByDay: (from: Day, to: Day) => ReaderDay[] | Promise<ReaderDay[]>,
  now: Date,
  feedUrl: (path: string) => string,
  days = REPORT_DAYS,
): Promise<ReaderReport> {
  const list: Day[] = [];
  for (let i = days - 1; i >= 0; i--) list.push(utcDay(new Date(now.getTime() - i * 86_400_000)));
  const from = list[0]!;
  const to = list[list.length - 1]!;
  const rows = await readersByDay(from, to);
  const byFeed = new Map<string, Map<Day, ReaderDay>>();
  for (const r of rows) {
    let m = byFeed.get(r.feed);
    if (!m) byFeed.set(r.feed, (m = new Map<Day, ReaderDay>()));
    m.set(r.day, r);
  }
  const feeds = [...byFeed.keys()].sort().map((feed) => ({
    feed,
    url: feedUrl(feed),
    days: list.map((day) => byFeed.get(feed)!.get(day) ?? { day, feed, subscribers: 0, aggregators: {}, pollers: 0 }),
  }));
  const today = { subscribers: 0, pollers: 0, aggregators: {} as Record<string, number> };
  for (const r of rows) {
    if (r.day !== to) continue;
    today.subscribers += r.subscribers;
    today.pollers += r.pollers;
    for (const [a, n] of Object.entries(r.aggregators)) today.aggregators[a] = (today.aggregators[a] ?? 0) + n;
  }
  return { from, to, days: list, feeds, today };
}
