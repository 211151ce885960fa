import type { PendingMode, PushSubscription } from '../../model/push.ts';
import type { PgDatabase } from './database.ts';

interface PushRow {
  source_id: string;
  hub: string;
  topic: string;
  secret: string;
  pending: PendingMode | null;
  requested_at: number;
  verified_at: number | null;
  lease_ends_at: number | null;
  last_push_at: number | null;
  last_error: string | null;
}

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
const toMs = (d: Date | null): number | null => (d === null ? null : d.getTime());

function rowToSubscription(r: PushRow): PushSubscription {
  return {
    sourceId: r.source_id,
    hub: r.hub,
    topic: r.topic,
    secret: r.secret,
    pending: r.pending,
    requestedAt: new Date(r.requested_at),
    verifiedAt: toDate(r.verified_at),
    leaseEndsAt: toDate(r.lease_ends_at),
    lastPushAt: toDate(r.last_push_at),
    lastError: r.last_error,
  };
}

/** Our subscriptions to upstream WebSub hubs, one per source (table `push_subscriptions`). */
export function pushTable(db: PgDatabase) {
  return {
    get: async (sourceId: string): Promise<PushSubscription | null> => {
      const { rows } = await db.pool.query<PushRow>('SELECT * FROM push_subscriptions WHERE source_id = $1', [sourceId]);
      return rows[0] ? rowToSubscription(rows[0]) : null;
    },
    all: async (): Promise<PushSubscription[]> =>
      (await db.pool.query<PushRow>('SELECT * FROM push_subscriptions ORDER BY source_id')).rows.map(rowToSubscription),
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
