import type { PushSubscription } from '../../model/push.ts';
import { rowToPushSubscription, toMs, type PushRow } from '../rows.ts';
import type { PgDatabase } from './database.ts';

/** Our subscriptions to upstream WebSub hubs, one per source (table `push_subscriptions`). */
export function pushTable(db: PgDatabase) {
  return {
    get: async (sourceId: string): Promise<PushSubscription | null> => {
      const { rows } = await db.pool.query<PushRow>('SELECT * FROM push_subscriptions WHERE source_id = $1', [sourceId]);
      return rows[0] ? rowToPushSubscription(rows[0]) : null;
    },
    all: async (): Promise<PushSubscription[]> =>
      (await db.pool.query<PushRow>('SELECT * FROM push_subscriptions ORDER BY source_id')).rows.map(rowToPushSubscription),
    save: async (s: PushSubscription): Promise<void> => {
      await db.pool.query(
        `INSERT INTO push_subscriptions (source_id, hub, topic, secret, pending, requested_at, verified_at, lease_ends_at, last_push_at, last_error)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic, secret = excluded.secret,
           pending = excluded.pending, requested_at = excluded.requested_at, verified_at = excluded.verified_at,
           lease_ends_at = excluded.lease_ends_at, last_push_at = excluded.last_push_at, last_error = excluded.last_error`,
        [s.sourceId, s.hub, s.topic, s.secret, s.pending, s.requestedAt.getTime(), toMs(s.verifiedAt), toMs(s.leaseEndsAt), toMs(s.lastPushAt), s.lastError],
      );
    },
    remove: async (sourceId: string): Promise<void> => {
      await db.pool.query('DELETE FROM push_subscriptions WHERE source_id = $1', [sourceId]);
    },
  };
}
