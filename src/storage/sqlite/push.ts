import type { PushSubscription } from '../../model/push.ts';
import { rowToPushSubscription, toMs, type PushRow } from '../rows.ts';
import type { SqliteDatabase } from './database.ts';

/** Our subscriptions to upstream WebSub hubs, one per source (table `push_subscriptions`). */
export function pushTable(db: SqliteDatabase) {
  const q = {
    byId: db.prepare<[string], PushRow>('SELECT * FROM push_subscriptions WHERE source_id = ?'),
    all: db.prepare<[], PushRow>('SELECT * FROM push_subscriptions ORDER BY source_id'),
    save: db.prepare(
      `INSERT INTO push_subscriptions (source_id, hub, topic, secret, pending, requested_at, verified_at, lease_ends_at, last_push_at, last_error)
       VALUES (@source_id, @hub, @topic, @secret, @pending, @requested_at, @verified_at, @lease_ends_at, @last_push_at, @last_error)
       ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic, secret = excluded.secret,
         pending = excluded.pending, requested_at = excluded.requested_at, verified_at = excluded.verified_at,
         lease_ends_at = excluded.lease_ends_at, last_push_at = excluded.last_push_at, last_error = excluded.last_error`,
    ),
    remove: db.prepare<[string]>('DELETE FROM push_subscriptions WHERE source_id = ?'),
  };
  return {
    get: (sourceId: string): PushSubscription | null => {
      const row = q.byId.get(sourceId);
      return row ? rowToPushSubscription(row) : null;
    },
    all: (): PushSubscription[] => q.all.all().map(rowToPushSubscription),
    save: (s: PushSubscription): void =>
      void q.save.run({
        source_id: s.sourceId,
        hub: s.hub,
        topic: s.topic,
        secret: s.secret,
        pending: s.pending,
        requested_at: s.requestedAt.getTime(),
        verified_at: toMs(s.verifiedAt),
        lease_ends_at: toMs(s.leaseEndsAt),
        last_push_at: toMs(s.lastPushAt),
        last_error: s.lastError,
      }),
    remove: (sourceId: string): void => void q.remove.run(sourceId),
  };
}
