import type Database from 'better-sqlite3';
import type { SourceState, SourceStatePatch } from '../../model/source.ts';
import { rowToState, STATE_COLUMNS, type SourceRow } from '../rows.ts';
import type { PollClaim } from '../../model/poll.ts';
import { writeTransaction, type SqliteDatabase } from './database.ts';

export type SourceTable = ReturnType<typeof sourceTable>;

/** The configured sources and what polls remember about each (table `sources`). */
export function sourceTable(db: SqliteDatabase) {
  const q = {
    byId: db.prepare<[string], SourceRow>('SELECT * FROM sources WHERE id = ?'),
    insert: db.prepare('INSERT INTO sources (id, name, url, current_url) VALUES (?, ?, ?, ?)'),
    rename: db.prepare('UPDATE sources SET name = ? WHERE id = ?'),
    deactivateAll: db.prepare('UPDATE sources SET active = 0'),
    activate: db.prepare('UPDATE sources SET active = 1 WHERE id = ?'),
    resetUrl: db.prepare('UPDATE sources SET url = ?, current_url = ?, etag = NULL, last_modified = NULL WHERE id = ?'),
    setListedAt: db.prepare<[number, string]>('UPDATE sources SET listed_at = ? WHERE id = ?'),
    claim: db.prepare<[string, number, number, string, string, number, number]>(
      `UPDATE sources SET poll_holder = ?, poll_lease_until = ?, poll_claimed_at = ?
       WHERE id = ? AND (poll_holder IS NULL OR poll_holder = ? OR poll_lease_until <= ?)
         AND (poll_claimed_at IS NULL OR poll_claimed_at < ?)`,
    ),
    release: db.prepare<[string, string]>('UPDATE sources SET poll_holder = NULL, poll_lease_until = NULL WHERE id = ? AND poll_holder = ?'),
  };

  const sync = writeTransaction(db, (sources: readonly { id: string; name: string; url: string }[]) => {
    // A source taken out of sources.yaml keeps its rows (it may come back) but is no longer published.
    q.deactivateAll.run();
    for (const s of sources) {
      q.activate.run(s.id);
      const row = q.byId.get(s.id);
      if (!row) q.insert.run(s.id, s.name, s.url, s.url);
      else {
        if (row.name !== s.name) q.rename.run(s.name, s.id);
        // The remembered redirect target and validators belong to the old URL.
        if (row.url !== s.url) q.resetUrl.run(s.url, s.url, s.id);
      }
    }
  });

  /** One statement per set of columns a patch writes (a handful in practice: 304, success, failure). */
  const stateUpdates = new Map<string, Database.Statement>();
  function update(sourceId: string, patch: SourceStatePatch): void {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [k, v] of Object.entries(patch)) {
      const column = STATE_COLUMNS[k as keyof SourceStatePatch];
      if (!column || v === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(v instanceof Date ? v.getTime() : v);
    }
    if (sets.length === 0) return;
    const sql = `UPDATE sources SET ${sets.join(', ')} WHERE id = ?`;
    let statement = stateUpdates.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      stateUpdates.set(sql, statement);
    }
    statement.run(...values, sourceId);
  }

  return {
    /** Makes sure every configured source has a row; a changed URL resets the remembered one. */
    sync: (sources: readonly { id: string; name: string; url: string }[]): void => sync(sources),
    /** The raw row, for what a poll's transaction compares (listed_at, the URLs before). */
    row: (sourceId: string): SourceRow | undefined => q.byId.get(sourceId),
    state: (sourceId: string): SourceState | null => {
      const row = q.byId.get(sourceId);
      return row ? rowToState(row) : null;
    },
    update,
    setListedAt: (sourceId: string, at: number): void => void q.setListedAt.run(at, sourceId),
    /** See `SyncStore.claimPoll`. */
    claim: (sourceId: string, c: PollClaim): boolean =>
      q.claim.run(c.holder, c.leaseUntil.getTime(), c.now.getTime(), sourceId, c.holder, c.now.getTime(), c.notClaimedSince.getTime()).changes === 1,
    release: (sourceId: string, holder: string): void => void q.release.run(sourceId, holder),
    /** A source row that sources.yaml did not create (bulk loads for benchmarks); active, as every new row. */
    insert: (id: string, name: string, url: string): void => void q.insert.run(id, name, url, url),
  };
}

