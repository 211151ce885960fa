import type { PgDatabase } from './database.ts';

/** Small facts kept with the data (table `meta`). */
export function metaTable(db: PgDatabase) {
  return {
    get: async (key: string): Promise<string | null> =>
      (await db.pool.query<{ value: string }>('SELECT value FROM meta WHERE key = $1', [key])).rows[0]?.value ?? null,
    set: async (key: string, value: string): Promise<void> => {
      await db.pool.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
    },
  };
}
