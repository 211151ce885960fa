import type { PgDatabase } from './database.ts';

/** The body hash and Last-Modified of each published resource (table `validators`), shared by every replica. */
export function validatorTable(db: PgDatabase) {
  /**
   * See `SyncStore.settleValidators`. The upsert writes only a different hash; of replicas settling the same new
   * hash at once, one writes it (and sees `changed`), the others wait for its row, find their hash there, and
   * read its Last-Modified. The upsert locks the row it does not update, so that read (a statement of its own,
   * with a snapshot taken after the writer committed) sees the winner's row.
   */
  async function settle(resource: string, hash: string, at: Date): Promise<{ lastModified: Date; changed: boolean }> {
    const written = await db.pool.query<{ last_modified: number }>(
      `INSERT INTO validators (resource, hash, last_modified) VALUES ($1, $2, $3)
       ON CONFLICT (resource) DO UPDATE SET hash = excluded.hash, last_modified = excluded.last_modified
       WHERE validators.hash <> excluded.hash
       RETURNING last_modified`,
      [resource, hash, at.getTime()],
    );
    if (written.rows[0]) return { lastModified: new Date(written.rows[0].last_modified), changed: true };
    const { rows } = await db.pool.query<{ hash: string; last_modified: number }>('SELECT hash, last_modified FROM validators WHERE resource = $1', [resource]);
    const row = rows[0];
    // Between the two statements another replica may have settled a newer hash: the bytes we rendered are
    // stale, and that replica's Last-Modified is the one to serve.
    if (!row) throw new Error(`validators of ${resource} vanished while being settled`);
    return { lastModified: new Date(row.last_modified), changed: false };
  }
  return { settle };
}
