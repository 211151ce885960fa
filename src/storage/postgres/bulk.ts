import type { ItemToStore } from '../../model/poll.ts';
import { transaction, type PgDatabase } from './database.ts';
import { itemTable } from './items.ts';
import { relationTable } from './relations.ts';
import { sourceTable } from './sources.ts';

/**
 * Bulk loading outside the service (the benchmark's synthetic stores): not part of `Store`; the PostgreSQL twin
 * of sqlite/bulk.ts. Each call stores one source's items in one transaction, as a poll would store them but with
 * none of a poll's bookkeeping (no listing, no retention, no counts); a source missing from the table is created
 * with a `.invalid` URL.
 */
export function bulkItemLoader(db: PgDatabase): (sourceId: string, items: readonly ItemToStore[]) => Promise<void> {
  const sources = sourceTable(db);
  const items = itemTable(relationTable(db));
  return (sourceId, entries) =>
    transaction(db, async (c) => {
      await sources.insert(c, sourceId, sourceId, `https://${sourceId}.invalid/feed`);
      await items.upsertAll(c, sourceId, entries, Date.now(), null, new Set(), false);
    });
}
