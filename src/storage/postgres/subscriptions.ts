import type { Subscription } from '../../model/subscription.ts';
import type { PgDatabase } from './database.ts';

interface SubscriptionRow {
  topic: string;
  callback: string;
  secret: string | null;
  lease_seconds: number;
  expires_at: number;
  created_at: number;
}

const toSubscription = (r: SubscriptionRow): Subscription => ({
  topic: r.topic,
  callback: r.callback,
  secret: r.secret,
  leaseSeconds: r.lease_seconds,
  expiresAt: new Date(r.expires_at),
  createdAt: new Date(r.created_at),
});

/** The hub's subscribers to our feeds (table `websub_subscriptions`), one row per topic and callback. */
export function subscriptionTable(db: PgDatabase) {
  return {
    save: async (s: Subscription): Promise<void> => {
      await db.pool.query(
        `INSERT INTO websub_subscriptions (topic, callback, secret, lease_seconds, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, lease_seconds = excluded.lease_seconds,
           expires_at = excluded.expires_at`,
        [s.topic, s.callback, s.secret, s.leaseSeconds, s.expiresAt.getTime(), s.createdAt.getTime()],
      );
    },
    remove: async (topic: string, callback: string): Promise<boolean> =>
      ((await db.pool.query('DELETE FROM websub_subscriptions WHERE topic = $1 AND callback = $2', [topic, callback])).rowCount ?? 0) > 0,
    forTopic: async (topic: string, now: Date): Promise<Subscription[]> =>
      (
        await db.pool.query<SubscriptionRow>('SELECT * FROM websub_subscriptions WHERE topic = $1 AND expires_at > $2 ORDER BY callback', [topic, now.getTime()])
      ).rows.map(toSubscription),
    counts: async (now: Date): Promise<Map<string, number>> => {
      const { rows } = await db.pool.query<{ topic: string; n: number }>(
        'SELECT topic, count(*)::int AS n FROM websub_subscriptions WHERE expires_at > $1 GROUP BY topic ORDER BY topic',
        [now.getTime()],
      );
      return new Map(rows.map((r) => [r.topic, r.n]));
    },
    purgeExpired: async (now: Date): Promise<number> => (await db.pool.query('DELETE FROM websub_subscriptions WHERE expires_at <= $1', [now.getTime()])).rowCount ?? 0,
  };
}
