import type { SqliteDatabase } from './database.ts';

/** The body hash and Last-Modified of each published resource (table `validators`), so they survive a restart. */
export function validatorTable(db: SqliteDatabase) {
  const recall = db.prepare<[string], { hash: string; last_modified: number }>(
    'SELECT hash, last_modified FROM validators WHERE resource = ?',
  );
  const remember = db.prepare(
    `INSERT INTO validators (resource, hash, last_modified) VALUES (?, ?, ?)
     ON CONFLICT (resource) DO UPDATE SET hash = excluded.hash, last_modified = excluded.last_modified`,
  );
  return {
    recall: (resource: string): { hash: string; lastModified: Date } | null => {
      const row = recall.get(resource);
      return row ? { hash: row.hash, lastModified: new Date(row.last_modified) } : null;
    },
    remember: (resource: string, hash: string, lastModified: Date): void => void remember.run(resource, hash, lastModified.getTime()),
  };
}
