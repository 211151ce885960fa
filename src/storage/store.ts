import { hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RetentionPolicy } from '../config.ts';
import type { UpstreamItem } from '../ingest/model.ts';
import { MIGRATIONS } from './migrations.ts';

const DAY_MS = 86_400_000;

/** An upstream item related to at least one of our articles, with what a feed needs to credit its source. */
export interface RelatedItem {
  sourceId: string;
  sourceName: string;
  sourceFeedUrl: string;
  sourceSiteUrl: string | null;
  key: string;
  url: string | null;
  title: string;
  summary: string;
  contentHtml: string;
  language: string | null;
  categories: string[];
  author: string | null;
  publishedAt: Date;
  updatedAt: Date;
  articleIds: string[];
}

/** What feeds and pages publish of a related item: the fields `relatedForArticles` reads, and no more. */
export type PublishedItem = Pick<
  RelatedItem,
  'sourceId' | 'sourceName' | 'sourceFeedUrl' | 'sourceSiteUrl' | 'key' | 'url' | 'title' | 'summary' | 'language' | 'publishedAt' | 'updatedAt'
>;

/** What the ingester remembers about one source between polls. */
export interface SourceState {
  id: string;
  name: string;
  /** As written in sources.yaml. */
  url: string;
  /** Where the feed lives now (after permanent redirects). */
  currentUrl: string;
  siteUrl: string | null;
  feedTitle: string | null;
  etag: string | null;
  lastModified: string | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastStatus: number | null;
  consecutiveFailures: number;
  nextPollAt: Date | null;
  lastError: string | null;
}

export type SourceStatePatch = Partial<Omit<SourceState, 'id' | 'name' | 'url'>>;

/** An item ready to store, with the ids of the articles it relates to. */
export interface ItemToStore {
  item: UpstreamItem;
  articleIds: readonly string[];
}

export interface PollResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Skipped because retention deleted them before. */
  tombstoned: number;
  /** Deleted by retention in this poll (related items cut by their cap included). */
  deleted: number;
  /** Of those, related items over the cap on related items. */
  relatedCapped: number;
  /** Whether anything we publish changed: a related item added, changed or removed, or a relation changed. */
  publishedChanged: boolean;
  /**
   * The articles whose related items may have changed (sorted), when publishedChanged; null when it may be
   * any of them (the source's feed URL or site moved, which every item of it shows).
   */
  changedArticles: string[] | null;
}

/** Minimal view of a stored item for relating. */
export interface RelatableItem {
  id: number;
  title: string;
  summary: string;
  categories: string[];
}

export interface Store {
  /** Makes sure every configured source has a state row; a changed URL in sources.yaml resets the remembered one. */
  syncSources(sources: readonly { id: string; name: string; url: string }[]): void;
  sourceState(sourceId: string): SourceState | null;
  updateSourceState(sourceId: string, patch: SourceStatePatch): void;
  /**
   * Stores one successful poll in one transaction: upserts by (source, key), sets relations, marks the listed items
   * seen, applies retention and writes the source state. Either all of it is stored or none.
   */
  commitPoll(
    sourceId: string,
    items: readonly ItemToStore[],
    state: SourceStatePatch,
    retention: RetentionPolicy,
    now: Date,
  ): PollResult;
  /**
   * Stores an unchanged (304) poll: the source still lists what it listed, so those items count as seen now.
   * Applies retention (items it no longer lists go on ageing) and writes the source state, in one transaction.
   */
  commitNotModified(sourceId: string, state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult;
  itemCount(sourceId: string): number;
  /** Recomputes every stored item's relations (a transaction per batch); true when any relation changed. */
  recomputeRelations(relate: (item: RelatableItem) => readonly string[]): boolean;
  /**
   * One batch of that, in one transaction: the `limit` items after id `afterId`. `next` is the id to continue
   * after, null when this was the last batch.
   */
  recomputeRelationsBatch(relate: (item: RelatableItem) => readonly string[], afterId: number, limit: number): { changed: boolean; next: number | null };
  relatedForArticle(articleId: string, limit: number): RelatedItem[];
  /**
   * `relatedForArticle` for many articles in one query: each id maps to what `relatedForArticle(id, limitPerArticle)`
   * returns (every id of `articleIds` is a key, with an empty list when nothing relates). An item related to several
   * of the articles is one object, shared by their lists. Items carry the published fields only (a feed reads
   * hundreds of them at once; bodies, categories and article ids would double the cost of the query).
   */
  relatedForArticles(articleIds: readonly string[], limitPerArticle: number): Map<string, PublishedItem[]>;
  relatedItems(limit: number): RelatedItem[];
  /** Small facts kept with the data, e.g. a fingerprint of the rules the relations were computed with. */
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  /** The body hash and Last-Modified a published resource (path and query) last had; null if never stored. */
  recallValidators(resource: string): { hash: string; lastModified: Date } | null;
  rememberValidators(resource: string, hash: string, lastModified: Date): void;
  /** For benchmarks: bulk inserts synthetic items for a source (created if missing) in one transaction. */
  insertItemsForBenchmark(sourceId: string, items: readonly ItemToStore[]): void;
  close(): void;
}

interface SourceRow {
  id: string;
  name: string;
  url: string;
  current_url: string;
  site_url: string | null;
  feed_title: string | null;
  etag: string | null;
  last_modified: string | null;
  last_attempt_at: number | null;
  last_success_at: number | null;
  last_status: number | null;
  consecutive_failures: number;
  next_poll_at: number | null;
  last_error: string | null;
  /** When the items of the source's current listing were fetched (the last 200); see migration 6. */
  listed_at: number | null;
}

interface ItemRow {
  id: number;
  source_id: string;
  item_key: string;
  url: string | null;
  title: string;
  summary: string;
  content_html: string;
  language: string | null;
  categories: string;
  author: string | null;
  published_at: number;
  updated_at: number;
  first_seen_at: number;
  last_seen_at: number;
  content_hash: string;
  is_related: number;
}

type PublishedRow = Pick<ItemRow, 'id' | 'source_id' | 'item_key' | 'url' | 'title' | 'summary' | 'language' | 'published_at' | 'updated_at'> & {
  source_name: string;
  source_current_url: string;
  source_site_url: string | null;
};

interface RelatedRow extends ItemRow {
  source_name: string;
  source_current_url: string;
  source_site_url: string | null;
  /** JSON array of the item's article ids, in article id order. */
  article_ids: string;
}

/** What an upsert needs to know about the stored item with the same key, and the key's tombstone. */
interface ExistingRow {
  /** null: no tombstone; 1: removed by the cap on related items; 0: removed as an unrelated item. */
  tombstone: number | null;
  id: number | null;
  published_at: number | null;
  content_hash: string | null;
  is_related: number | null;
}

/** The stored columns of an item that its content hash covers, in this order. */
type ItemColumns = [
  url: string | null,
  title: string,
  summary: string,
  contentHtml: string,
  language: string | null,
  categories: string,
  author: string | null,
  publishedAt: number,
  updatedAt: number,
];

const HASH_PREFIX = 'v2:';
const SURROGATE = /[\ud800-\udfff]/;
const UTF16_MARK = Buffer.from([0xff]);

/**
 * What tells a changed item from an unchanged one: SHA-256 of the columns, each length-prefixed (so no two rows
 * share an input). Cheaper than the JSON the first hashes were made of (escaping a kilobyte of HTML costs more
 * than hashing it); those are recognised by their missing prefix.
 */
function hashOf(row: ItemColumns): string {
  let text = '';
  for (const v of row) text += v === null ? '~' : typeof v === 'number' ? `${v};` : `${v.length}:${v}`;
  // UTF-8 would turn every lone surrogate into the same U+FFFD: text with surrogates is hashed as UTF-16,
  // after a 0xFF byte, which no UTF-8 holds.
  const data = SURROGATE.test(text) ? Buffer.concat([UTF16_MARK, Buffer.from(text, 'utf16le')]) : text;
  return HASH_PREFIX + hash('sha256', data, 'hex');
}

/** An item retention may delete. */
interface RetentionRow {
  id: number;
  item_key: string;
  is_related: number;
}

const emptyResult = (): PollResult => ({
  inserted: 0, updated: 0, unchanged: 0, tombstoned: 0, deleted: 0, relatedCapped: 0, publishedChanged: false, changedArticles: [],
});

/** Items per transaction when relations are recomputed. */
export const RELATE_BATCH = 2000;

/** Tombstones are kept at least this long, whatever the age limit. */
const TOMBSTONE_MIN_DAYS = 30;

/** The hash as stored before HASH_PREFIX existed. */
function legacyHashOf(row: ItemColumns): string {
  return hash('sha256', JSON.stringify(row), 'hex');
}

/** An item with its source's credit and its article ids (`i` items, `s` sources). */
const RELATED_COLUMNS = `i.*, s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url,
  (SELECT json_group_array(article_id ORDER BY article_id) FROM relations WHERE item_id = i.id) AS article_ids`;

/** The columns of a PublishedItem (`i` items, `s` sources). */
const PUBLISHED_COLUMNS = `i.id, i.source_id, i.item_key, i.url, i.title, i.summary, i.language, i.published_at, i.updated_at,
  s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url`;

const STATE_COLUMNS: Record<keyof SourceStatePatch, keyof SourceRow> = {
  currentUrl: 'current_url',
  siteUrl: 'site_url',
  feedTitle: 'feed_title',
  etag: 'etag',
  lastModified: 'last_modified',
  lastAttemptAt: 'last_attempt_at',
  lastSuccessAt: 'last_success_at',
  lastStatus: 'last_status',
  consecutiveFailures: 'consecutive_failures',
  nextPollAt: 'next_poll_at',
  lastError: 'last_error',
};

const toDate = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));

function rowToState(r: SourceRow): SourceState {
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    currentUrl: r.current_url,
    siteUrl: r.site_url,
    feedTitle: r.feed_title,
    etag: r.etag,
    lastModified: r.last_modified,
    lastAttemptAt: toDate(r.last_attempt_at),
    lastSuccessAt: toDate(r.last_success_at),
    lastStatus: r.last_status,
    consecutiveFailures: r.consecutive_failures,
    nextPollAt: toDate(r.next_poll_at),
    lastError: r.last_error,
  };
}

function applyMigrations(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}

/** Opens (creating if needed) `${dataDir}/kabar.sqlite` and brings its schema up to date. */
export function openStore(dataDir: string): Store {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'kabar.sqlite'));
  // WAL: readers (the HTTP side) never wait for a poll's transaction, and a crash leaves the last commit intact.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  applyMigrations(db);

  const q = {
    sourceById: db.prepare<[string], SourceRow>('SELECT * FROM sources WHERE id = ?'),
    insertSource: db.prepare('INSERT INTO sources (id, name, url, current_url) VALUES (?, ?, ?, ?)'),
    renameSource: db.prepare('UPDATE sources SET name = ? WHERE id = ?'),
    deactivateSources: db.prepare('UPDATE sources SET active = 0'),
    activateSource: db.prepare('UPDATE sources SET active = 1 WHERE id = ?'),
    resetSourceUrl: db.prepare(
      'UPDATE sources SET url = ?, current_url = ?, etag = NULL, last_modified = NULL WHERE id = ?',
    ),
    // One lookup per upstream item: its tombstone and the stored row's few columns an upsert compares.
    existing: db.prepare<[string, string, string, string], ExistingRow>(
      `SELECT (SELECT related_cap FROM tombstones WHERE source_id = ? AND item_key = ?) AS tombstone,
         i.id, i.published_at, i.content_hash, i.is_related
       FROM (SELECT 1) LEFT JOIN items i ON i.source_id = ? AND i.item_key = ?`,
    ),
    insertItem: db.prepare<[string, string, ...ItemColumns, number, number, string, number]>(
      `INSERT INTO items (source_id, item_key, url, title, summary, content_html, language, categories, author,
         published_at, updated_at, first_seen_at, last_seen_at, content_hash, is_related)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    updateItem: db.prepare<[...ItemColumns, string, number]>(
      `UPDATE items SET url = ?, title = ?, summary = ?, content_html = ?, language = ?, categories = ?, author = ?,
         published_at = ?, updated_at = ?, content_hash = ?
       WHERE id = ?`,
    ),
    setHash: db.prepare('UPDATE items SET content_hash = ? WHERE id = ?'),
    relationsOf: db.prepare<[number], { article_id: string }>('SELECT article_id FROM relations WHERE item_id = ?'),
    deleteRelations: db.prepare('DELETE FROM relations WHERE item_id = ?'),
    insertRelation: db.prepare('INSERT INTO relations (article_id, item_id, published_at) VALUES (?, ?, ?)'),
    setRelated: db.prepare('UPDATE items SET is_related = ? WHERE id = ?'),
    relationDates: db.prepare('UPDATE relations SET published_at = ? WHERE item_id = ?'),
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
    setListedAt: db.prepare<[number, string]>('UPDATE sources SET listed_at = ? WHERE id = ?'),
    deleteTombstone: db.prepare<[string, string]>('DELETE FROM tombstones WHERE source_id = ? AND item_key = ?'),
    deleteItem: db.prepare('DELETE FROM items WHERE id = ?'),
    hasRelated: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM items WHERE source_id = ? AND is_related = 1 LIMIT 1'),
    getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
    recallValidators: db.prepare<[string], { hash: string; last_modified: number }>(
      'SELECT hash, last_modified FROM validators WHERE resource = ?',
    ),
    rememberValidators: db.prepare(
      `INSERT INTO validators (resource, hash, last_modified) VALUES (?, ?, ?)
       ON CONFLICT (resource) DO UPDATE SET hash = excluded.hash, last_modified = excluded.last_modified`,
    ),
    setMeta: db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    ),
    purgeTombstones: db.prepare('DELETE FROM tombstones WHERE source_id = ? AND deleted_at < ?'),
    addTombstone: db.prepare<[string, string, number, number]>(
      `INSERT INTO tombstones (source_id, item_key, deleted_at, related_cap) VALUES (?, ?, ?, ?)
       ON CONFLICT (source_id, item_key) DO UPDATE SET deleted_at = excluded.deleted_at, related_cap = excluded.related_cap`,
    ),
    count: db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM items WHERE source_id = ?'),
    forRelate: db.prepare<[number, number], { id: number; title: string; summary: string; categories: string; published_at: number; is_related: number }>(
      'SELECT id, title, summary, categories, published_at, is_related FROM items WHERE id > ? ORDER BY id LIMIT ?',
    ),
    relatedForArticle: db.prepare<[string, number], RelatedRow>(
      `SELECT ${RELATED_COLUMNS}
       FROM relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
       WHERE r.article_id = ? AND s.active = 1 ORDER BY r.published_at DESC, r.item_id DESC LIMIT ?`,
    ),
    // Per article (in the order given) its newest related items: the IN subquery runs once per article, as an
    // index range scan stopped by its LIMIT, and its relation rowids drive the rest.
    relatedForArticles: db.prepare<[string, number], PublishedRow & { for_article: string }>(
      `SELECT a.value AS for_article, ${PUBLISHED_COLUMNS}
       FROM json_each(?) a JOIN relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
       WHERE r.rowid IN (
         SELECT r2.rowid FROM relations r2 JOIN items i2 ON i2.id = r2.item_id JOIN sources s2 ON s2.id = i2.source_id
         WHERE r2.article_id = a.value AND s2.active = 1 ORDER BY r2.published_at DESC, r2.item_id DESC LIMIT ?)
       ORDER BY a.key, r.published_at DESC, r.item_id DESC`,
    ),
    relatedItems: db.prepare<[number], RelatedRow>(
      `SELECT ${RELATED_COLUMNS}
       FROM items i JOIN sources s ON s.id = i.source_id
       WHERE i.is_related = 1 AND s.active = 1 ORDER BY i.published_at DESC, i.id DESC LIMIT ?`,
    ),
  };

  /**
   * Replaces an item's relations; true when the set changed, and then the articles it was and is related to
   * are added to `touched`. `isRelated`: the item's is_related, when known.
   */
  function setRelations(itemId: number, publishedAt: number, articleIds: readonly string[], isRelated?: number, touched?: Set<string>): boolean {
    // is_related is 0 exactly when the item has no relation: nothing to read or write for an unrelated item.
    if (isRelated === 0 && articleIds.length === 0) return false;
    const before = new Set(q.relationsOf.all(itemId).map((r) => r.article_id));
    const after = new Set(articleIds);
    if (before.size === after.size && [...after].every((a) => before.has(a))) return false;
    for (const a of before) touched?.add(a);
    for (const a of after) touched?.add(a);
    q.deleteRelations.run(itemId);
    for (const a of after) q.insertRelation.run(a, itemId, publishedAt);
    q.setRelated.run(after.size > 0 ? 1 : 0, itemId);
    return true;
  }

  function deleteWithTombstone(sourceId: string, rows: readonly RetentionRow[], now: number, touched: Set<string>): void {
    for (const r of rows) {
      if (r.is_related === 1) {
        for (const rel of q.relationsOf.all(r.id)) touched.add(rel.article_id);
        q.deleteRelations.run(r.id);
      }
      q.deleteItem.run(r.id);
      q.addTombstone.run(sourceId, r.item_key, now, r.is_related);
    }
  }

  /**
   * Retention of one source (README, "Retention"): unrelated items by age since last listed and by count, related
   * items by their own cap only. Deleted items leave tombstones.
   */
  function applyRetention(sourceId: string, retention: RetentionPolicy, listedAt: number | null, now: number, result: PollResult, touched: Set<string>): void {
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

  /** One statement per set of columns a patch writes (a handful in practice: 304, success, failure). */
  const stateUpdates = new Map<string, Database.Statement>();
  function updateState(sourceId: string, patch: SourceStatePatch): void {
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

  /** Stores one item; `touched` collects the articles whose related items it changed. */
  function upsert(sourceId: string, entry: ItemToStore, now: number, result: PollResult | null, touched: Set<string>): void {
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
    const content_hash = hashOf(row);
    if (!existing) {
      const info = q.insertItem.run(sourceId, item.key, ...row, now, now, content_hash, entry.articleIds.length > 0 ? 1 : 0);
      // A new item has no relations yet: insert them without comparing.
      const id = Number(info.lastInsertRowid);
      for (const a of new Set(entry.articleIds)) {
        q.insertRelation.run(a, id, publishedAt);
        touched.add(a);
      }
      if (result) {
        result.inserted++;
        if (entry.articleIds.length > 0) result.publishedChanged = true;
      }
      return;
    }
    let changed = false;
    if (existing.content_hash !== content_hash) {
      if (!existing.content_hash!.startsWith(HASH_PREFIX) && existing.content_hash === legacyHashOf(row)) {
        // Stored before hashes were versioned, and unchanged: only the hash is rewritten, once.
        q.setHash.run(content_hash, existing.id);
      } else {
        q.updateItem.run(...row, content_hash, existing.id);
        if (existing.published_at !== publishedAt) q.relationDates.run(publishedAt, existing.id);
        changed = true;
      }
    }
    const relChanged = setRelations(existing.id, publishedAt, entry.articleIds, existing.is_related ?? undefined, touched);
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

  const commitPoll = db.transaction(
    (sourceId: string, items: readonly ItemToStore[], state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult => {
      const result = emptyResult();
      const nowMs = now.getTime();
      const touched = new Set<string>();
      const before = q.sourceById.get(sourceId);
      // The previous listing, confirmed by any 304 since, was last seen at the last success; this one is seen now.
      if (before?.listed_at != null && before.last_success_at !== null && before.last_success_at > before.listed_at) {
        q.seenUntil.run(before.last_success_at, sourceId, before.listed_at);
      }
      for (const entry of items) upsert(sourceId, entry, nowMs, result, touched);
      q.markListed.run(nowMs, sourceId, JSON.stringify(items.map((e) => e.item.key)));
      q.setListedAt.run(nowMs, sourceId);
      applyRetention(sourceId, retention, nowMs, nowMs, result, touched);
      // Every related item of the source shows its feed URL and site: if those move, any article may show it.
      const moved =
        before !== undefined &&
        ((state.currentUrl !== undefined && state.currentUrl !== before.current_url) ||
          (state.siteUrl !== undefined && state.siteUrl !== before.site_url)) &&
        q.hasRelated.get(sourceId) !== undefined;
      updateState(sourceId, state);
      if (moved) {
        result.publishedChanged = true;
        result.changedArticles = null;
      } else {
        result.changedArticles = [...touched].sort();
      }
      return result;
    },
  );

  const commitNotModified = db.transaction(
    (sourceId: string, state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult => {
      const result = emptyResult();
      const touched = new Set<string>();
      applyRetention(sourceId, retention, q.sourceById.get(sourceId)?.listed_at ?? null, now.getTime(), result, touched);
      updateState(sourceId, state);
      result.changedArticles = [...touched].sort();
      return result;
    },
  );

  const recomputeBatch = db.transaction(
    (relate: (item: RelatableItem) => readonly string[], afterId: number, limit: number): { changed: boolean; next: number | null } => {
      let changed = false;
      const rows = q.forRelate.all(afterId, limit);
      for (const r of rows) {
        const ids = relate({ id: r.id, title: r.title, summary: r.summary, categories: JSON.parse(r.categories) as string[] });
        if (setRelations(r.id, r.published_at, ids, r.is_related)) changed = true;
      }
      return { changed, next: rows.length === limit ? rows[rows.length - 1]!.id : null };
    },
  );

  function recompute(relate: (item: RelatableItem) => readonly string[]): boolean {
    let changed = false;
    for (let after: number | null = 0; after !== null; ) {
      const batch: { changed: boolean; next: number | null } = recomputeBatch(relate, after, RELATE_BATCH);
      changed ||= batch.changed;
      after = batch.next;
    }
    return changed;
  }

  function toRelated(r: RelatedRow): RelatedItem {
    return {
      ...toPublished(r),
      contentHtml: r.content_html,
      categories: JSON.parse(r.categories) as string[],
      author: r.author,
      articleIds: JSON.parse(r.article_ids) as string[],
    };
  }

  function toPublished(r: PublishedRow): PublishedItem {
    return {
      sourceId: r.source_id,
      sourceName: r.source_name,
      sourceFeedUrl: r.source_current_url,
      sourceSiteUrl: r.source_site_url,
      key: r.item_key,
      url: r.url,
      title: r.title,
      summary: r.summary,
      language: r.language,
      publishedAt: new Date(r.published_at),
      updatedAt: new Date(r.updated_at),
    };
  }

  function relatedForArticles(articleIds: readonly string[], limit: number): Map<string, PublishedItem[]> {
    const out = new Map<string, PublishedItem[]>(articleIds.map((id) => [id, []]));
    if (out.size === 0) return out;
    const byItem = new Map<number, PublishedItem>();
    for (const row of q.relatedForArticles.all(JSON.stringify([...out.keys()]), limit)) {
      let item = byItem.get(row.id);
      if (!item) {
        item = toPublished(row);
        byItem.set(row.id, item);
      }
      out.get(row.for_article)!.push(item);
    }
    return out;
  }

  return {
    syncSources(sources) {
      db.transaction(() => {
        // A source taken out of sources.yaml keeps its rows (it may come back) but is no longer published.
        q.deactivateSources.run();
        for (const s of sources) {
          q.activateSource.run(s.id);
          const row = q.sourceById.get(s.id);
          if (!row) q.insertSource.run(s.id, s.name, s.url, s.url);
          else {
            if (row.name !== s.name) q.renameSource.run(s.name, s.id);
            // The remembered redirect target and validators belong to the old URL.
            if (row.url !== s.url) q.resetSourceUrl.run(s.url, s.url, s.id);
          }
        }
      })();
    },
    sourceState(sourceId) {
      const row = q.sourceById.get(sourceId);
      return row ? rowToState(row) : null;
    },
    updateSourceState: updateState,
    commitPoll: (sourceId, items, state, retention, now) => commitPoll(sourceId, items, state, retention, now),
    commitNotModified: (sourceId, state, retention, now) => commitNotModified(sourceId, state, retention, now),
    itemCount: (sourceId) => q.count.get(sourceId)?.n ?? 0,
    recomputeRelations: (relate) => recompute(relate),
    recomputeRelationsBatch: (relate, afterId, limit) => recomputeBatch(relate, afterId, limit),
    relatedForArticle: (articleId, limit) => q.relatedForArticle.all(articleId, limit).map(toRelated),
    relatedForArticles,
    relatedItems: (limit) => q.relatedItems.all(limit).map(toRelated),
    getMeta: (key) => q.getMeta.get(key)?.value ?? null,
    setMeta: (key, value) => void q.setMeta.run(key, value),
    recallValidators(resource) {
      const row = q.recallValidators.get(resource);
      return row ? { hash: row.hash, lastModified: new Date(row.last_modified) } : null;
    },
    rememberValidators: (resource, hash, lastModified) => void q.rememberValidators.run(resource, hash, lastModified.getTime()),
    insertItemsForBenchmark(sourceId, items) {
      db.transaction(() => {
        if (!q.sourceById.get(sourceId)) q.insertSource.run(sourceId, sourceId, `https://${sourceId}.invalid/feed`, `https://${sourceId}.invalid/feed`);
        const now = Date.now();
        for (const entry of items) upsert(sourceId, entry, now, null, new Set());
      })();
    },
    close() {
      if (db.open) db.close();
    },
  };
}
