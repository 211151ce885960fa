import type { PollClaim } from '../../model/poll.ts';
import type { SourceState, SourceStatePatch } from '../../model/source.ts';
import type { SourceRow } from '../sqlite/sources.ts';
import type { PgDatabase, Queryable } from './database.ts';
import { transaction } from './database.ts';

const STATE_COLUMNS: Record<keyof SourceStatePatch, keyof SourceRow> = {
  currentUrl: 'current_url',
  siteUrl: 'site_url',
  feedTitle: 'feed_title',
  etag: 'etag',
  lastModified: 'last_modified',
  lastAttemptAt: 'last_attempt_at',
  lastSuccessAt: 'last_success_at',
  lastStatus: 'last_status',
  consecutiveFailures: 'consecutive_failures',
  nextPollAt: 'next_poll_at',
  lastError: 'last_error',
};

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function rowToState(r: SourceRow): SourceState {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    currentUrl: r.current_url,
    siteUrl: r.site_url,
    feedTitle: r.feed_title,
    etag: r.etag,
    lastModified: r.last_modified,
    lastAttemptAt: toDate(r.last_attempt_at),
    lastSuccessAt: toDate(r.last_success_at),
    lastStatus: r.last_status,
    consecutiveFailures: r.consecutive_failures,
    nextPollAt: toDate(r.next_poll_at),
    lastError: r.last_error,
  };
}

export type PgSourceTable = ReturnType<typeof sourceTable>;

/** The configured sources and what polls remember about each (table `sources`); see sqlite/sources.ts. */
export function sourceTable(db: PgDatabase) {
  async function row(on: Queryable, sourceId: string, forUpdate = false): Promise<SourceRow | undefined> {
    const { rows } = await on.query<SourceRow>(`SELECT * FROM sources WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [sourceId]);
    return rows[0];
  }

  /** SQLite's sync in two statements: replicas syncing at the same moment both succeed, with the same result. */
  async function sync(sources: readonly { id: string; name: string; url: string }[]): Promise<void> {
    // The last of a repeated id wins, as it does when SQLite applies them one by one.
    const byId = new Map(sources.map((s) => [s.id, s]));
    const list = [...byId.values()];
    await transaction(db, async (c) => {
      // A source taken out of sources.yaml keeps its rows (it may come back) but is no longer published.
      await c.query('UPDATE sources SET active = 0 WHERE active <> 0 AND NOT (id = ANY($1::text[]))', [list.map((s) => s.id)]);
      // The remembered redirect target and validators belong to the old URL: a changed URL resets them.
      await c.query(
        `INSERT INTO sources (id, name, url, current_url)
         SELECT u.id, u.name, u.url, u.url FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, name, url)
         ON CONFLICT (id) DO UPDATE SET active = 1, name = excluded.name, url = excluded.url,
           current_url = CASE WHEN sources.url = excluded.url THEN sources.current_url ELSE excluded.url END,
           etag = CASE WHEN sources.url = excluded.url THEN sources.etag END,
           last_modified = CASE WHEN sources.url = excluded.url THEN sources.last_modified END
         WHERE sources.active <> 1 OR sources.name <> excluded.name OR sources.url <> excluded.url`,
        [list.map((s) => s.id), list.map((s) => s.name), list.map((s) => s.url)],
      );
    });
  }

  async function update(sourceId: string, patch: SourceStatePatch, on: Queryable = db.pool): Promise<void> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      const column = STATE_COLUMNS[k as keyof SourceStatePatch];
      if (!column || v === undefined) continue;
      values.push(v instanceof Date ? v.getTime() : v);
      sets.push(`${column} = $${values.length}`);
    }
    if (sets.length === 0) return;
    values.push(sourceId);
    await on.query(`UPDATE sources SET ${sets.join(', ')} WHERE id = $${values.length}`, values);
  }

  return {
    sync,
    /** The raw row, for what a poll's transaction compares; `forUpdate` locks it until the transaction ends. */
    row,
    state: async (sourceId: string): Promise<SourceState | null> => {
      const r = await row(db.pool, sourceId);
      return r ? rowToState(r) : null;
    },
    update,
    setListedAt: async (on: Queryable, sourceId: string, at: number): Promise<void> => {
      await on.query('UPDATE sources SET listed_at = $1 WHERE id = $2', [at, sourceId]);
    },
    /** See `SyncStore.claimPoll`: one UPDATE, so of two replicas claiming at once exactly one matches the WHERE. */
    claim: async (sourceId: string, c: PollClaim): Promise<boolean> => {
      const res = await db.pool.query(
        `UPDATE sources SET poll_holder = $1, poll_lease_until = $2, poll_claimed_at = $3
         WHERE id = $4 AND (poll_holder IS NULL OR poll_holder = $1 OR poll_lease_until <= $3)
           AND (poll_claimed_at IS NULL OR poll_claimed_at < $5)`,
        [c.holder, c.leaseUntil.getTime(), c.now.getTime(), sourceId, c.notClaimedSince.getTime()],
      );
      return res.rowCount === 1;
    },
    release: async (sourceId: string, holder: string): Promise<void> => {
      await db.pool.query('UPDATE sources SET poll_holder = NULL, poll_lease_until = NULL WHERE id = $1 AND poll_holder = $2', [sourceId, holder]);
    },
    /** A source row that sources.yaml did not create (bulk loads for benchmarks); active, as every new row. */
    insert: async (on: Queryable, id: string, name: string, url: string): Promise<void> => {
      await on.query('INSERT INTO sources (id, name, url, current_url) VALUES ($1, $2, $3, $3) ON CONFLICT (id) DO NOTHING', [id, name, url]);
    },
  };
}
