import type { PublishedItem, RelatedItem, RelationWhy } from '../../model/item.ts';
import type { RelatableItem, Relating } from '../../model/poll.ts';
import { parseWhy, wanted, type StoredRelation } from '../relating.ts';
import { rowToPublished, rowToRelated, type PublishedRow, type RelatedRowColumns } from '../rows.ts';
import type { Awaitable } from '../store.ts';
import { writeTransaction, type SqliteDatabase } from './database.ts';

interface RelatedRow extends RelatedRowColumns {
  /** JSON array of the item's article ids, in article id order. */
  article_ids: string;
}

/** An item with its source's credit and its article ids (`i` items, `s` sources). */
const RELATED_COLUMNS = `i.*, s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url,
  (SELECT json_group_array(article_id ORDER BY article_id) FROM relations WHERE item_id = i.id) AS article_ids`;

/** The columns of a PublishedItem (`i` items, `s` sources). */
const PUBLISHED_COLUMNS = `i.id, i.source_id, i.item_key, i.url, i.title, i.summary, i.language, i.published_at, i.updated_at,
  s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url`;

const toRelated = (r: RelatedRow): RelatedItem => rowToRelated(r, JSON.parse(r.article_ids) as string[]);

export type RelationTable = ReturnType<typeof relationTable>;

/**
 * Which stored items relate to which of our articles (table `relations`, and `items.is_related`, which is 1
 * exactly when an item has a relation), and the related items feeds and pages read, with their sources' credit.
 */
export function relationTable(db: SqliteDatabase) {
  const q = {
    of: db.prepare<[number], { article_id: string } & StoredRelation>('SELECT article_id, score, why FROM relations WHERE item_id = ?'),
    deleteOne: db.prepare<[number, string]>('DELETE FROM relations WHERE item_id = ? AND article_id = ?'),
    deleteOf: db.prepare('DELETE FROM relations WHERE item_id = ?'),
    insert: db.prepare<[string, number, number, number, string | null]>(
      'INSERT INTO relations (article_id, item_id, published_at, score, why) VALUES (?, ?, ?, ?, ?)',
    ),
    upsert: db.prepare<[string, number, number, number, string | null]>(
      `INSERT INTO relations (article_id, item_id, published_at, score, why) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (article_id, item_id) DO UPDATE SET score = excluded.score, why = excluded.why`,
    ),
    isRelated: db.prepare<[number, number]>('UPDATE items SET is_related = EXISTS (SELECT 1 FROM relations WHERE item_id = ?) WHERE id = ?'),
    dates: db.prepare('UPDATE relations SET published_at = ? WHERE item_id = ?'),
    forRelate: db.prepare<
      [number, number],
      { id: number; title: string; summary: string; categories: string; url: string | null; language: string | null; published_at: number; is_related: number }
    >('SELECT id, title, summary, categories, url, language, published_at, is_related FROM items WHERE id > ? ORDER BY id LIMIT ?'),
    forArticle: db.prepare<[string, number], RelatedRow>(
      `SELECT ${RELATED_COLUMNS}
       FROM relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
       WHERE r.article_id = ? AND s.active = 1 ORDER BY r.score DESC, r.published_at DESC, r.item_id DESC LIMIT ?`,
    ),
    // Per article (in the order given) its best related items (by score, then newest): the IN subquery runs once per
    // article, as an index range scan stopped by its LIMIT, and its relation rowids drive the rest.
    forArticles: db.prepare<[string, number], PublishedRow & { for_article: string }>(
      `SELECT a.value AS for_article, ${PUBLISHED_COLUMNS}
       FROM json_each(?) a JOIN relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
       WHERE r.rowid IN (
         SELECT r2.rowid FROM relations r2 JOIN items i2 ON i2.id = r2.item_id JOIN sources s2 ON s2.id = i2.source_id
         WHERE r2.article_id = a.value AND s2.active = 1 ORDER BY r2.score DESC, r2.published_at DESC, r2.item_id DESC LIMIT ?)
       ORDER BY a.key, r.score DESC, r.published_at DESC, r.item_id DESC`,
    ),
    reasons: db.prepare<[string, number], PublishedRow & StoredRelation>(
      `SELECT ${PUBLISHED_COLUMNS}, r.score, r.why
       FROM relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
       WHERE r.article_id = ? ORDER BY r.score DESC, r.published_at DESC, r.item_id DESC LIMIT ?`,
    ),
    all: db.prepare<[number], RelatedRow>(
      `SELECT ${RELATED_COLUMNS}
       FROM items i JOIN sources s ON s.id = i.source_id
       WHERE i.is_related = 1 AND s.active = 1 ORDER BY i.published_at DESC, i.id DESC LIMIT ?`,
    ),
  };

  /**
   * Replaces an item's relations (only those with the articles of `only`, when given); true when they changed, and
   * then the articles whose relation was added, removed or re-scored are added to `touched`. `isRelated`: the
   * item's is_related, when known. `rescore`: false keeps the stored score and why of a relation that stays (an
   * unchanged item polled again: the scores of other items drift as articles come and go, and must not reorder
   * feeds on every poll).
   */
  function set(
    itemId: number,
    publishedAt: number,
    rel: Relating,
    opts: { isRelated?: number; touched?: Set<string>; only?: ReadonlySet<string> | null; rescore?: boolean } = {},
  ): boolean {
    const only = opts.only ?? null;
    // is_related is 0 exactly when the item has no relation: nothing to read or write for an unrelated item.
    if (opts.isRelated === 0 && !rel.articleIds.some((a) => !only || only.has(a))) return false;
    const before = new Map<string, StoredRelation>();
    for (const r of q.of.all(itemId)) if (!only || only.has(r.article_id)) before.set(r.article_id, r);
    const after = wanted(rel, only);
    const rescore = opts.rescore ?? true;
    let changed = false;
    for (const a of before.keys()) {
      if (after.has(a)) continue;
      q.deleteOne.run(itemId, a);
      opts.touched?.add(a);
      changed = true;
    }
    for (const [a, r] of after) {
      const b = before.get(a);
      if (b && (!rescore || (b.score === r.score && b.why === r.why))) continue;
      q.upsert.run(a, itemId, publishedAt, r.score, r.why);
      opts.touched?.add(a);
      changed = true;
    }
    if (changed) q.isRelated.run(itemId, itemId);
    return changed;
  }

  const recomputeBatch = writeTransaction(db,
    (relate: (item: RelatableItem) => Awaitable<Relating>, afterId: number, limit: number, only: ReadonlySet<string> | null, touched: Set<string>): { changed: boolean; next: number | null } => {
      let changed = false;
      const rows = q.forRelate.all(afterId, limit);
      for (const r of rows) {
        const rel = relate({ id: r.id, title: r.title, summary: r.summary, categories: JSON.parse(r.categories) as string[], url: r.url, language: r.language });
        // Relating over SQLite's own index answers at once; a promise here would outlive the transaction.
        if (rel instanceof Promise) throw new TypeError('SQLite relates inside its transaction: the relater must answer synchronously');
        if (set(r.id, r.published_at, rel, { isRelated: r.is_related, only, touched })) changed = true;
      }
      return { changed, next: rows.length === limit ? rows[rows.length - 1]!.id : null };
    },
  );

  function forArticles(articleIds: readonly string[], limit: number): Map<string, PublishedItem[]> {
    const out = new Map<string, PublishedItem[]>(articleIds.map((id) => [id, []]));
    if (out.size === 0) return out;
    const byItem = new Map<number, PublishedItem>();
    for (const row of q.forArticles.all(JSON.stringify([...out.keys()]), limit)) {
      let item = byItem.get(row.id);
      if (!item) {
        item = rowToPublished(row);
        byItem.set(row.id, item);
      }
      out.get(row.for_article)!.push(item);
    }
    return out;
  }

  return {
    set,
    /** The relations of an item just inserted (it has none yet: nothing to compare); its articles go to `touched`. */
    insertNew(itemId: number, publishedAt: number, rel: Relating, touched: Set<string>): void {
      for (const [a, r] of wanted(rel, null)) {
        q.insert.run(a, itemId, publishedAt, r.score, r.why);
        touched.add(a);
      }
    },
    /** Relations are ordered by their item's date: it moved. */
    setDate: (itemId: number, publishedAt: number): void => void q.dates.run(publishedAt, itemId),
    /** Removes an item's relations (before the item is deleted); its articles go to `touched`. */
    deleteOf(itemId: number, touched: Set<string>): void {
      for (const rel of q.of.all(itemId)) touched.add(rel.article_id);
      q.deleteOf.run(itemId);
    },
    /**
     * Relates the `limit` stored items after id `afterId` again, in one transaction; with `only`, just their
     * relations with those articles. The articles whose related items changed are added to `touched`.
     */
    recomputeBatch: (
      relate: (item: RelatableItem) => Awaitable<Relating>,
      afterId: number,
      limit: number,
      only: ReadonlySet<string> | null = null,
      touched: Set<string> = new Set(),
    ) => recomputeBatch(relate, afterId, limit, only, touched),
    /** An article's related items with their score and why, best first (for editors: inactive sources' too). */
    reasons: (articleId: string, limit: number): RelationWhy[] =>
      q.reasons.all(articleId, limit).map((r) => {
        const why = parseWhy(r.why);
        return { item: rowToPublished(r), score: r.score, by: why.by, terms: why.terms };
      }),
    forArticle: (articleId: string, limit: number): RelatedItem[] => q.forArticle.all(articleId, limit).map(toRelated),
    forArticles,
    all: (limit: number): RelatedItem[] => q.all.all(limit).map(toRelated),
  };
}
