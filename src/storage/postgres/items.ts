import type pg from 'pg';
import type { RetentionPolicy } from '../../config.ts';
import type { ItemToStore, PollResult } from '../../model/poll.ts';
import { contentHash, type ItemColumns } from '../hash.ts';
import type { Queryable } from './database.ts';
import { wanted } from '../relating.ts';
import { RELATIONS_OF, RelationChanges, type PgRelationTable, type StoredRelationRow } from './relations.ts';

const DAY_MS = 86_400_000;

/** Tombstones are kept at least this long, whatever the age limit. */
const TOMBSTONE_MIN_DAYS = 30;

/** What an upsert needs to know about the stored item with the same key, and the key's tombstone. */
interface ExistingRow {
  key: string;
  /** null: no tombstone; 1: removed by the cap on related items; 0: removed as an unrelated item. */
  tombstone: number | null;
  id: number | null;
  published_at: number | null;
  content_hash: string | null;
  is_related: number | null;
  /** The stored item's relations (empty when it has none or there is no item). */
  stored: StoredRelationRow[];
}

/** A key with neither a stored item nor a tombstone. */
const NOTHING_STORED: Omit<ExistingRow, 'key'> = { tombstone: null, id: null, published_at: null, content_hash: null, is_related: null, stored: [] };

/** What a poll counts; null when nothing is counted (bulk loads). */
type Counts = Pick<PollResult, 'inserted' | 'updated' | 'unchanged' | 'tombstoned' | 'deleted' | 'relatedCapped' | 'publishedChanged'>;

/** An item row as a poll writes it: its key and is_related (kept as stored for a changed item), ItemColumns, the hash. */
type WrittenRow = [key: string, isRelated: number, ...ItemColumns, hash: string];
const WRITTEN_COLUMNS = ['item_key', 'is_related', 'url', 'title', 'summary', 'content_html', 'language', 'categories', 'author', 'published_at', 'updated_at', 'content_hash'];
/** What a changed item's write replaces: the columns its content hash covers, and the hash. */
const CONTENT_COLUMNS = WRITTEN_COLUMNS.slice(2);

/**
 * How many rows one statement writes: the new or changed items of a listing go in batches of 256, then of the
 * binary digits of what is left (1,000 = 3 x 256 + 128 + 64 + 32 + 8), so a connection prepares at most these
 * nine statements, and plans each once.
 */
const BATCH_SIZES = [256, 128, 64, 32, 16, 8, 4, 2, 1];

const writeTexts = new Map<number, string>();
/**
 * Inserts `rows` items of source $1 first seen at $2, their columns from $3 on (WRITTEN_COLUMNS, row by row);
 * a key the source already has gets the new content instead. Each value is a parameter of its own: PostgreSQL
 * reads those as they come, where arrays (`unnest`) are parsed character by character, about 20 ms of the
 * server's CPU for the 1.9 MB of a 1,000-item feed.
 */
function writeStatement(rows: number): string {
  let text = writeTexts.get(rows);
  if (text === undefined) {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) {
      const params = WRITTEN_COLUMNS.map((_, c) => `$${3 + r * WRITTEN_COLUMNS.length + c}`);
      tuples.push(`($1, $2, $2, ${params.join(', ')})`);
    }
    text = `INSERT INTO items (source_id, first_seen_at, last_seen_at, ${WRITTEN_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}
      ON CONFLICT (source_id, item_key) DO UPDATE SET ${CONTENT_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')}
      RETURNING id, item_key`;
    writeTexts.set(rows, text);
  }
  return text;
}

/**
 * Splits a listing into rounds in which each key appears once: the k-th occurrence of a key goes to round k, so
 * applying the rounds in order stores what storing the entries one by one would (a repeated key updates the row
 * its first occurrence wrote), with one statement per kind of write and round instead of one per item.
 */
function rounds(entries: readonly ItemToStore[]): ItemToStore[][] {
  const seen = new Map<string, number>();
  const out: ItemToStore[][] = [];
  for (const e of entries) {
    const n = seen.get(e.item.key) ?? 0;
    seen.set(e.item.key, n + 1);
    (out[n] ??= []).push(e);
  }
  return out;
}

export type PgItemTable = ReturnType<typeof itemTable>;

/**
 * Upstream items (table `items`): upsert by (source, key) with change detection by content hash, when each was
 * last listed, and retention, whose deletions leave tombstones; see sqlite/items.ts, whose rules this follows
 * exactly. A listing is read in one query and written in a handful, whatever its length.
 */
export function itemTable(relations: PgRelationTable) {
  /** One round (see `rounds`). */
  async function upsertRound(
    on: pg.PoolClient, sourceId: string, entries: readonly ItemToStore[], now: number, result: Counts | null, touched: Set<string>, listing: boolean,
  ): Promise<void> {
    // The listing's stored items and tombstones, found by the (source_id, item_key) indexes, one probe per key.
    // Planned on each call, against the table as it is: a plan kept from a young table's first poll (a few rows,
    // no statistics) may read all the source's items and compare each with every key, and did (a join of the
    // key list to the items: 60 ms of PostgreSQL's CPU per 1,000 items, once the source had them). Relations
    // are read for related items only (is_related = 0: none).
    const { rows: found } = await on.query<ExistingRow>({
      text: `SELECT i.item_key AS key, NULL::int AS tombstone, i.id, i.published_at, i.content_hash, i.is_related,
          CASE WHEN i.is_related = 1 THEN ${RELATIONS_OF} ELSE '[]'::json END AS stored
        FROM items i WHERE i.source_id = $1 AND i.item_key = ANY($2::text[])
        UNION ALL
        SELECT t.item_key, t.related_cap, NULL, NULL, NULL, NULL, '[]'::json
        FROM tombstones t WHERE t.source_id = $1 AND t.item_key = ANY($2::text[])`,
      values: [sourceId, entries.map((e) => e.item.key)],
    });
    const byKey = new Map<string, ExistingRow>();
    const storedIds: number[] = [];
    for (const r of found) {
      const other = byKey.get(r.key);
      byKey.set(r.key, !other ? r : r.id === null ? { ...other, tombstone: r.tombstone } : { ...r, tombstone: other.tombstone });
      if (r.id !== null) storedIds.push(r.id);
    }
    // One statement at a time, as a connection takes them, but not waited for at once: the next one waits for
    // it, and meanwhile this process goes on with the next items (PostgreSQL's work and ours overlap). Writes
    // return the ids of the rows they wrote; the new items' relations need them.
    const ids = new Map<string, number>();
    let running: Promise<void> = Promise.resolve();
    const send = async (query: pg.QueryConfig): Promise<void> => {
      await running;
      running = on.query<{ id: number; item_key: string }>(query).then(({ rows }) => {
        for (const r of rows) ids.set(r.item_key, r.id);
      });
      // Awaited by the next statement or at the end; until then a failure is not an unhandled rejection.
      running.catch(() => {});
    };
    // The listed items stored before are seen now (the new ones are written so): a poll's only write to most.
    if (listing && storedIds.length > 0) {
      await send({ text: 'UPDATE items SET last_seen_at = $1 WHERE id = ANY($2::bigint[]) AND last_seen_at <> $1', values: [now, storedIds] });
    }
    const untombstoned: string[] = [];
    const writes: WrittenRow[] = [];
    let written = 0;
    /** Sends the writes not sent yet, in batches of BATCH_SIZES (`full`: only whole batches of the largest). */
    const sendWrites = async (full: boolean): Promise<void> => {
      for (const size of full ? BATCH_SIZES.slice(0, 1) : BATCH_SIZES) {
        for (; writes.length - written >= size; written += size) {
          const values: unknown[] = [sourceId, now];
          for (let i = written; i < written + size; i++) values.push(...writes[i]!);
          await send({ name: `kabar-items-write-${size}`, text: writeStatement(size), values });
        }
      }
    };
    const inserted: { key: string; publishedAt: number; entry: ItemToStore }[] = [];
    const changes = new RelationChanges();

    for (const entry of entries) {
      const { item } = entry;
      const row0 = byKey.get(item.key) ?? { key: item.key, ...NOTHING_STORED };
      if (row0.tombstone !== null) {
        // A tombstone holds back an item that relates to nothing, and one cut by the cap on related items; an item
        // pruned while unrelated that comes back related to one of our articles is stored again.
        if (row0.tombstone === 1 || entry.articleIds.length === 0) {
          if (result) result.tombstoned++;
          continue;
        }
        untombstoned.push(item.key);
      }
      const existing = row0.id === null ? null : (row0 as ExistingRow & { id: number; published_at: number });
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
      const hash = contentHash(row);
      if (!existing) {
        writes.push([item.key, entry.articleIds.length > 0 ? 1 : 0, ...row, hash]);
        await sendWrites(true);
        inserted.push({ key: item.key, publishedAt, entry });
        if (result) {
          result.inserted++;
          if (entry.articleIds.length > 0) result.publishedChanged = true;
        }
        continue;
      }
      const changed = existing.content_hash !== hash;
      if (changed) {
        writes.push([item.key, existing.is_related ?? 0, ...row, hash]);
        await sendWrites(true);
        if (existing.published_at !== publishedAt) {
          changes.movedIds.push(existing.id);
          changes.movedTo.push(publishedAt);
        }
      }
      // is_related is 0 exactly when the item has no relation: nothing to compare for an unrelated item.
      // Unchanged text keeps the stored scores of relations that stay (see sqlite/relations.ts `set`).
      const relChanged =
        !(existing.is_related === 0 && entry.articleIds.length === 0) &&
        relations.set(changes, existing.id, publishedAt, existing.stored, entry, { touched, rescore: changed });
      // Changed text of a related item shows wherever it is related (unchanged relations: before equals after).
      if (changed) for (const a of entry.articleIds) touched.add(a);
      if (result) {
        if (changed) result.updated++;
        else result.unchanged++;
        if (relChanged || (changed && (existing.is_related === 1 || entry.articleIds.length > 0))) result.publishedChanged = true;
      }
    }

    if (untombstoned.length > 0) {
      await send({ text: 'DELETE FROM tombstones WHERE source_id = $1 AND item_key = ANY($2::text[])', values: [sourceId, untombstoned] });
    }
    await sendWrites(false);
    await running;
    for (const n of inserted) {
      for (const [a, r] of wanted(n.entry, null)) {
        changes.rows.add(a, ids.get(n.key)!, n.publishedAt, r);
        touched.add(a);
      }
    }
    await relations.apply(on, changes);
  }

  /**
   * Stores a listing's items in order; `touched` collects the articles whose related items they changed.
   * `listing`: the entries are what the source lists now, each last seen `now` (a poll; not a bulk load).
   */
  async function upsertAll(
    on: pg.PoolClient, sourceId: string, entries: readonly ItemToStore[], now: number, result: Counts | null, touched: Set<string>, listing: boolean,
  ): Promise<void> {
    for (const round of rounds(entries)) await upsertRound(on, sourceId, round, now, result, touched, listing);
  }

  /**
   * Deletes the items `doomed` selects (`id, item_key, is_related`; its parameters from $3 on) with their
   * relations, leaving tombstones, in one statement; returns how many, and adds their articles to `touched`.
   */
  async function deleteWithTombstones(on: Queryable, sourceId: string, now: number, doomed: string, params: unknown[], touched: Set<string>): Promise<number> {
    const { rows } = await on.query<{ n: number; articles: string[] }>(
      `WITH doomed AS (${doomed}),
       rel AS (DELETE FROM relations r USING doomed d WHERE r.item_id = d.id RETURNING r.article_id),
       gone AS (DELETE FROM items i USING doomed d WHERE i.id = d.id RETURNING i.id),
       tomb AS (
         INSERT INTO tombstones (source_id, item_key, deleted_at, related_cap) SELECT $1, item_key, $2, is_related FROM doomed
         ON CONFLICT (source_id, item_key) DO UPDATE SET deleted_at = excluded.deleted_at, related_cap = excluded.related_cap)
       SELECT (SELECT count(*) FROM gone)::int AS n, ARRAY(SELECT DISTINCT article_id FROM rel) AS articles`,
      [sourceId, now, ...params],
    );
    const r = rows[0]!;
    for (const a of r.articles) touched.add(a);
    return r.n;
  }

  /**
   * Retention of one source (README, "Retention"): unrelated items by age since last listed and by count, related
   * items by their own cap only. Deleted items leave tombstones. Each step sees the previous one's deletions.
   */
  async function applyRetention(on: Queryable, sourceId: string, retention: RetentionPolicy, listedAt: number | null, now: number, result: Counts, touched: Set<string>): Promise<void> {
    // Unrelated items the source has not listed since the cut-off; the current listing (last_seen_at = listed_at)
    // counts as seen now.
    const expired = await deleteWithTombstones(
      on, sourceId, now,
      'SELECT id, item_key, is_related FROM items WHERE source_id = $1 AND is_related = 0 AND last_seen_at < $3 AND last_seen_at <> $4',
      [now - retention.maxAgeDays * DAY_MS, listedAt ?? -1],
      touched,
    );
    // Unrelated (0) or related (1) items beyond the first N, the most recently listed first.
    const beyond = 'SELECT id, item_key, is_related FROM items WHERE source_id = $1 AND is_related = $3 ORDER BY last_seen_at DESC, published_at DESC, id DESC OFFSET $4';
    const excess = await deleteWithTombstones(on, sourceId, now, beyond, [0, retention.maxItemsPerSource], touched);
    const capped = await deleteWithTombstones(on, sourceId, now, beyond, [1, retention.maxRelatedItemsPerSource], touched);
    result.deleted += expired + excess + capped;
    result.relatedCapped += capped;
    if (capped > 0) result.publishedChanged = true;
    // A tombstone only matters while the upstream feed may still list its item (see sqlite/items.ts).
    await on.query('DELETE FROM tombstones WHERE source_id = $1 AND deleted_at < $2', [
      sourceId,
      now - Math.max(retention.maxAgeDays, TOMBSTONE_MIN_DAYS) * DAY_MS,
    ]);
  }

  return {
    upsertAll,
    applyRetention,
    /** The items last seen at `listedAt` (the previous listing) were seen until `until`. */
    seenUntil: async (on: Queryable, sourceId: string, listedAt: number, until: number): Promise<void> => {
      await on.query('UPDATE items SET last_seen_at = $1 WHERE source_id = $2 AND is_related IN (0, 1) AND last_seen_at = $3', [until, sourceId, listedAt]);
    },
    hasRelated: async (on: Queryable, sourceId: string): Promise<boolean> =>
      (await on.query('SELECT 1 FROM items WHERE source_id = $1 AND is_related = 1 LIMIT 1', [sourceId])).rowCount === 1,
    count: async (on: Queryable, sourceId: string): Promise<number> =>
      (await on.query<{ n: number }>('SELECT count(*)::int AS n FROM items WHERE source_id = $1', [sourceId])).rows[0]?.n ?? 0,
  };
}
