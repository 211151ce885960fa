import type { Subscription } from '../../model/subscription.ts';
import { rowToSubscription, type SubscriptionRow } from '../rows.ts';
import type { SqliteDatabase } from './database.ts';

/** The hub's subscribers to our feeds (table `websub_subscriptions`, migration 8), one row per topic and callback. */
export function subscriptionTable(db: SqliteDatabase) {
  const upsert = db.prepare(
    `INSERT INTO websub_subscriptions (topic, callback, secret, lease_seconds, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, lease_seconds = excluded.lease_seconds,
       expires_at = excluded.expires_at`,
  );
  const remove = db.prepare('DELETE FROM websub_subscriptions WHERE topic = ? AND callback = ?');
  const forTopic = db.prepare<[string, number], SubscriptionRow>(
    'SELECT * FROM websub_subscriptions WHERE topic = ? AND expires_at > ? ORDER BY callback',
  );
  const counts = db.prepare<[number], { topic: string; n: number }>(
    'SELECT topic, COUNT(*) AS n FROM websub_subscriptions WHERE expires_at > ? GROUP BY topic ORDER BY topic',
  );
  const purge = db.prepare('DELETE FROM websub_subscriptions WHERE expires_at <= ?');
  return {
    save: (s: Subscription): void =>
      void upsert.run(s.topic, s.callback, s.secret, s.leaseSeconds, s.expiresAt.getTime(), s.createdAt.getTime()),
    remove: (topic: string, callback: string): boolean => remove.run(topic, callback).changes > 0,
    forTopic: (topic: string, now: Date): Subscription[] => forTopic.all(topic, now.getTime()).map(rowToSubscription),
    counts: (now: Date): Map<string, number> => new Map(counts.all(now.getTime()).map((r) => [r.topic, r.n])),
    purgeExpired: (now: Date): number => purge.run(now.getTime()).changes,
  };
}
