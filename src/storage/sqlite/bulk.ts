import type { ItemToStore } from '../../model/poll.ts';
import { writeTransaction, type SqliteDatabase } from './database.ts';
import { itemTable } from './items.ts';
import { relationTable } from './relations.ts';
import { sourceTable } from './sources.ts';

/**
 * Bulk loading outside the service (the benchmark's synthetic stores): not part of `Store`. Each call stores one
 * source's items in one transaction, as a poll would store them but with none of a poll's bookkeeping (no
 * listing, no retention, no counts); a source missing from the table is created with a `.invalid` URL.
 */
export function bulkItemLoader(db: SqliteDatabase): (sourceId: string, items: readonly ItemToStore[]) => void {
  const sources = sourceTable(db);
  const items = itemTable(db, relationTable(db));
  return writeTransaction(db, (sourceId: string, entries: readonly ItemToStore[]) => {
    if (!sources.row(sourceId)) sources.insert(sourceId, sourceId, `https://${sourceId}.invalid/feed`);
    const now = Date.now();
    for (const entry of entries) items.upsert(sourceId, entry, now, null, new Set());
  });
}
