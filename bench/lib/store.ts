/**
 * What the benchmark does to a store that the service never does, kept out of the production `Store`: bulk
 * loading synthetic items (through the SQLite backend's own upsert), and recomputing every item's relations in
 * one go (the service does it in batches between which the event loop runs; see relateAll).
 */
import type { ItemToStore, RelatableItem, Relating } from '../../src/model/poll.ts';
import { bulkItemLoader } from '../../src/storage/sqlite/bulk.ts';
import { closeDatabase, openDatabase } from '../../src/storage/sqlite/database.ts';
import { RELATE_BATCH, type SyncStore } from '../../src/storage/store.ts';

export interface BulkStore {
  /** Stores a source's items (the source is created if missing) in one transaction. */
  insertItems(sourceId: string, items: readonly ItemToStore[]): void;
  close(): void;
}

/** Opens (creating if needed) the SQLite store under `dataDir` for bulk loading. */
export function openBulkStore(dataDir: string): BulkStore {
  const db = openDatabase(dataDir);
  const insertItems = bulkItemLoader(db);
  return { insertItems, close: () => closeDatabase(db) };
}

/** Recomputes every stored item's relations, RELATE_BATCH items per transaction; true when any relation changed. */
export function recomputeAllRelations(store: SyncStore, relate: (item: RelatableItem) => Relating): boolean {
  let changed = false;
  for (let after: number | null = 0; after !== null; ) {
    const batch = store.recomputeRelationsBatch(relate, after, RELATE_BATCH);
    changed ||= batch.changed;
    after = batch.next;
  }
  return changed;
}
