import type { RetentionPolicy } from '../../config.ts';
import type { ItemToStore, PollResult } from '../../model/poll.ts';
import type { SqliteDatabase } from './database.ts';
import { contentHash, type ItemColumns } from '../hash.ts';
import type { RelationTable } from './relations.ts';

const DAY_MS = 86_400_000;

/** Tombstones are kept at least this long, whatever the age limit. */
const TOMBSTONE_MIN_DAYS = 30;

/** What an upsert needs to know about the stored item with the same key, and the key's tombstone. */
interface ExistingRow {
  /** null: no tombstone; 1: removed by the cap on related items; 0: removed as an unrelated item. */
  tombstone: number | null;
  id: number | null;
  published_at: number | null;
  content_hash: string | null;
  is_related: number | null;
}

/** An item retention may delete. */
interface RetentionRow {
  id: number;
  item_key: string;
  is_related: number;
}

/** What a poll counts; null when nothing is counted (bulk loads). */
type Counts = Pick<PollResult, 'inserted' | 'updated' | 'unchanged' | 'tombstoned' | 'deleted' | 'relatedCapped' | 'publishedChanged'>;

export type ItemTable = ReturnType<typeof itemTable>;

/**
 * Upstream items (table `items`): upsert by (source, key) with change detection by content hash, when each was
 * last listed, and retention, whose deletions leave tombstones (table `tombstones`) so a feed still listing an
 * item does not bring it back.
 */
export function itemTable(db: SqliteDatabase, relations: RelationTable) {
  const q = {
    // One lookup per upstream item: its tombstone and the stored row's few columns an upsert compares.
    existing: db.prepare<[string, string, string, string], ExistingRow>(
      `SELECT (SELECT related_cap FROM tombstones WHERE source_id = ? AND item_key = ?) AS tombstone,
         i.id, i.published_at, i.content_hash, i.is_related
       FROM (SELECT 1) LEFT JOIN items i ON i.source_id = ? AND i.item_key = ?`,
    ),
    insert: db.prepare<[string, string, ...ItemColumns, number, number, string, number]>(
      `INSERT INTO items (source_id, item_key, url, title, summary, content_html, language, categories, author,
         published_at, updated_at, first_seen_at, last_seen_at, content_hash, is_related)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    update: db.prepare<[...ItemColumns, string, number]>(
      `UPDATE items SET url = ?, title = ?, summary = ?, content_html = ?, language = ?, categories = ?, author = ?,
         published_at = ?, updated_at = ?, content_hash = ?
       WHERE id = ?`,
    ),
    // Retention, on the index (source_id, is_related, last_seen_at, published_at). Unrelated items the source has
    // not listed since the cut-off; the current listing (last_seen_at = listed_at) counts as seen now.
    expired: db.prepare<[string, number, number], RetentionRow>(
      `SELECT id, item_key, is_related FROM items
       WHERE source_id = ? AND is_related = 0 AND last_seen_at < ? AND last_seen_at <> ?`,
    ),
    // Unrelated (0) or related (1) items beyond the first N, the most recently listed first.
    beyondCount: db.prepare<[string, number, number], RetentionRow>(
      `SELECT id, item_key, is_related FROM items WHERE source_id = ? AND is_related = ?
       ORDER BY last_seen_at DESC, published_at DESC, id DESC LIMIT -1 OFFSET ?`,
    ),
    // The items of the previous listing were seen until the source's last success (a 304 confirms them).
    seenUntil: db.prepare<[number, string, number]>(
      'UPDATE items SET last_seen_at = ? WHERE source_id = ? AND is_related IN (0, 1) AND last_seen_at = ?',
    ),
    markListed: db.prepare<[number, string, string]>(
      'UPDATE items SET last_seen_at = ? WHERE source_id = ? AND item_key IN (SELECT value FROM json_each(?))',
    ),
    deleteTombstone: db.prepare<[string, string]>('DELETE FROM tombstones WHERE source_id = ? AND item_key = ?'),
    delete: db.prepare('DELETE FROM items WHERE id = ?'),
    hasRelated: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM items WHERE source_id = ? AND is_related = 1 LIMIT 1'),
    purgeTombstones: db.prepare('DELETE FROM tombstones WHERE source_id = ? AND deleted_at < ?'),
    addTombstone: db.prepare<[string, string, number, number]>(
      `INSERT INTO tombstones (source_id, item_key, deleted_at, related_cap) VALUES (?, ?, ?, ?)
       ON CONFLICT (source_id, item_key) DO UPDATE SET deleted_at = excluded.deleted_at, related_cap = excluded.related_cap`,
    ),
    count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM items WHERE source_id = ?'),
  };

  /** Stores one item; `touched` collects the articles whose related items it changed. */
  function upsert(sourceId: string, entry: ItemToStore, now: number, result: Counts | null, touched: Set<string>): void {
    const { item } = entry;
    const found = q.existing.get(sourceId, item.key, sourceId, item.key)!;
    if (found.tombstone !== null) {
      // A tombstone holds back an item that relates to nothing, and one cut by the cap on related items; an item
      // pruned while unrelated that comes back related to one of our articles is stored again.
      if (found.tombstone === 1 || entry.articleIds.length === 0) {
        if (result) result.tombstoned++;
        return;
      }
      q.deleteTombstone.run(sourceId, item.key);
    }
    const existing = found.id === null ? null : (found as ExistingRow & { id: number; published_at: number });
    // A missing date is the first-seen time, and stays so on every later poll.
    const publishedAt = item.publishedAt?.getTime() ?? existing?.published_at ?? now;
    const row: ItemColumns = [
      item.url,
      item.title,
      item.summary,
      item.contentHtml,
      item.language,
      JSON.stringify(item.categories),
      item.author,
      publishedAt,
      Math.max(item.updatedAt?.getTime() ?? publishedAt, publishedAt),
    ];
    const content_hash = contentHash(row);
    if (!existing) {
      const info = q.insert.run(sourceId, item.key, ...row, now, now, content_hash, entry.articleIds.length > 0 ? 1 : 0);
      relations.insertNew(Number(info.lastInsertRowid), publishedAt, entry, touched);
      if (result) {
        result.inserted++;
        if (entry.articleIds.length > 0) result.publishedChanged = true;
      }
      return;
    }
    const changed = existing.content_hash !== content_hash;
    if (changed) {
      q.update.run(...row, content_hash, existing.id);
      if (existing.published_at !== publishedAt) relations.setDate(existing.id, publishedAt);
    }
    const relChanged = relations.set(existing.id, publishedAt, entry, {
      ...(existing.is_related !== null ? { isRelated: existing.is_related } : {}),
      touched,
      rescore: changed,
    });
    // Changed text of a related item shows wherever it is related (unchanged relations: before equals after).
    if (changed) for (const a of entry.articleIds) touched.add(a);
    if (result) {
      if (changed) result.updated++;
      else result.unchanged++;
      if (relChanged || (changed && (existing.is_related === 1 || entry.articleIds.length > 0))) {
        result.publishedChanged = true;
      }
    }
  }

  function deleteWithTombstone(sourceId: string, rows: readonly RetentionRow[], now: number, touched: Set<string>): void {
    for (const r of rows) {
      if (r.is_related === 1) relations.deleteOf(r.id, touched);
      q.delete.run(r.id);
      q.addTombstone.run(sourceId, r.item_key, now, r.is_related);
    }
  }

  /**
   * Retention of one source (README, "Retention"): unrelated items by age since last listed and by count, related
   * items by their own cap only. Deleted items leave tombstones.
   */
  function applyRetention(sourceId: string, retention: RetentionPolicy, listedAt: number | null, now: number, result: Counts, touched: Set<string>): void {
    const expired = q.expired.all(sourceId, now - retention.maxAgeDays * DAY_MS, listedAt ?? -1);
    deleteWithTombstone(sourceId, expired, now, touched);
    const excess = q.beyondCount.all(sourceId, 0, retention.maxItemsPerSource);
    deleteWithTombstone(sourceId, excess, now, touched);
    const capped = q.beyondCount.all(sourceId, 1, retention.maxRelatedItemsPerSource);
    deleteWithTombstone(sourceId, capped, now, touched);
    result.deleted += expired.length + excess.length + capped.length;
    result.relatedCapped += capped.length;
    if (capped.length > 0) result.publishedChanged = true;
    // A tombstone only matters while the upstream feed may still list its item. After the longer of the age
    // limit and TOMBSTONE_MIN_DAYS it goes: an item listed even later is stored again (and, unrelated and
    // unlisted, ages again from then).
    q.purgeTombstones.run(sourceId, now - Math.max(retention.maxAgeDays, TOMBSTONE_MIN_DAYS) * DAY_MS);
  }

  return {
    upsert,
    applyRetention,
    /** The items of a listing were last seen at `at`. */
    markListed: (sourceId: string, keys: readonly string[], at: number): void => void q.markListed.run(at, sourceId, JSON.stringify(keys)),
    /** The items last seen at `listedAt` (the previous listing) were seen until `until`. */
    seenUntil: (sourceId: string, listedAt: number, until: number): void => void q.seenUntil.run(until, sourceId, listedAt),
    hasRelated: (sourceId: string): boolean => q.hasRelated.get(sourceId) !== undefined,
    count: (sourceId: string): number => q.count.get(sourceId)?.n ?? 0,
  };
}
