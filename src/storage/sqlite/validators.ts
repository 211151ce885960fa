import { writeTransaction, type SqliteDatabase } from './database.ts';

/** The body hash and Last-Modified of each published resource (table `validators`), so they survive a restart. */
export function validatorTable(db: SqliteDatabase) {
  const recall = db.prepare<[string], { hash: string; last_modified: number }>(
    'SELECT hash, last_modified FROM validators WHERE resource = ?',
  );
  const remember = db.prepare(
    `INSERT INTO validators (resource, hash, last_modified) VALUES (?, ?, ?)
     ON CONFLICT (resource) DO UPDATE SET hash = excluded.hash, last_modified = excluded.last_modified`,
  );
  /** See `SyncStore.settleValidators` (one process: the read and the write cannot interleave with another's). */
  const settle = writeTransaction(db, (resource: string, hash: string, at: Date): { lastModified: Date; changed: boolean } => {
    const row = recall.get(resource);
    if (row && row.hash === hash) return { lastModified: new Date(row.last_modified), changed: false };
    remember.run(resource, hash, at.getTime());
    return { lastModified: at, changed: true };
  });
  return { settle: (resource: string, hash: string, at: Date) => settle(resource, hash, at) };
}
