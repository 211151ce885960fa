import type { PublishedItem, RelatedItem } from '../../model/item.ts';
import type { RelatableItem } from '../../model/poll.ts';
import type { SqliteDatabase } from './database.ts';

interface PublishedRow {
  id: number;
  source_id: string;
  item_key: string;
  url: string | null;
  title: string;
  summary: string;
  language: string | null;
  published_at: number;
  updated_at: number;
  source_name: string;
  source_current_url: string;
  source_site_url: string | null;
}

interface RelatedRow extends PublishedRow {
  content_html: string;
  categories: string;
  author: string | null;
  /** JSON array of the item's article ids, in article id order. */
  article_ids: string;
}

/** An item with its source's credit and its article ids (`i` items, `s` sources). */
const RELATED_COLUMNS = `i.*, s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url,
  (SELECT json_group_array(article_id ORDER BY article_id) FROM relations WHERE item_id = i.id) AS article_ids`;

/** The columns of a PublishedItem (`i` items, `s` sources). */
const PUBLISHED_COLUMNS = `i.id, i.source_id, i.item_key, i.url, i.title, i.summary, i.language, i.published_at, i.updated_at,
  s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url`;

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

function toRelated(r: RelatedRow): RelatedItem {
  return {
    ...toPublished(r),
    contentHtml: r.content_html,
    categories: JSON.parse(r.categories) as string[],
    author: r.author,
    articleIds: JSON.parse(r.article_ids) as string[],
  };
}

export type RelationTable = ReturnType<typeof relationTable>;

/**
 * Which stored items relate to which of our articles (table `relations`, and `items.is_related`, which is 1
 * exactly when an item has a relation), and the related items feeds and pages read, with their sources' credit.
 */
export function relationTable(db: SqliteDatabase) {
  const q = {
    of: db.prepare<[number], { article_id: string }>('SELECT article_id FROM relations WHERE item_id = ?'),
    deleteOf: db.prepare('DELETE FROM relations WHERE item_id = ?'),
    insert: db.prepare('INSERT INTO relations (article_id, item_id, published_at) VALUES (?, ?, ?)'),
    setRelated: db.prepare('UPDATE items SET is_related = ? WHERE id = ?'),
    dates: db.prepare('UPDATE relations SET published_at = ? WHERE item_id = ?'),
    forRelate: db.prepare<[number, number], { id: number; title: string; summary: string; categories: string; published_at: number; is_related: number }>(
      'SELECT id, title, summary, categories, published_at, is_related FROM items WHERE id > ? ORDER BY id LIMIT ?',
    ),
    forArticle: db.prepare<[string, number], RelatedRow>(
      `SELECT ${RELATED_COLUMNS}
       FROM relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
       WHERE r.article_id = ? AND s.active = 1 ORDER BY r.published_at DESC, r.item_id DESC LIMIT ?`,
    ),
    // Per article (in the order given) its newest related items: the IN subquery runs once per article, as an
    // index range scan stopped by its LIMIT, and its relation rowids drive the rest.
    forArticles: db.prepare<[string, number], PublishedRow & { for_article: string }>(
      `SELECT a.value AS for_article, ${PUBLISHED_COLUMNS}
       FROM json_each(?) a JOIN relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
       WHERE r.rowid IN (
         SELECT r2.rowid FROM relations r2 JOIN items i2 ON i2.id = r2.item_id JOIN sources s2 ON s2.id = i2.source_id
         WHERE r2.article_id = a.value AND s2.active = 1 ORDER BY r2.published_at DESC, r2.item_id DESC LIMIT ?)
       ORDER BY a.key, r.published_at DESC, r.item_id DESC`,
    ),
    all: db.prepare<[number], RelatedRow>(
      `SELECT ${RELATED_COLUMNS}
       FROM items i JOIN sources s ON s.id = i.source_id
       WHERE i.is_related = 1 AND s.active = 1 ORDER BY i.published_at DESC, i.id DESC LIMIT ?`,
    ),
  };

  /**
   * Replaces an item's relations; true when the set changed, and then the articles it was and is related to
   * are added to `touched`. `isRelated`: the item's is_related, when known.
   */
  function set(itemId: number, publishedAt: number, articleIds: readonly string[], isRelated?: number, touched?: Set<string>): boolean {
    // is_related is 0 exactly when the item has no relation: nothing to read or write for an unrelated item.
    if (isRelated === 0 && articleIds.length === 0) return false;
    const before = new Set(q.of.all(itemId).map((r) => r.article_id));
    const after = new Set(articleIds);
    if (before.size === after.size && [...after].every((a) => before.has(a))) return false;
    for (const a of before) touched?.add(a);
    for (const a of after) touched?.add(a);
    q.deleteOf.run(itemId);
    for (const a of after) q.insert.run(a, itemId, publishedAt);
    q.setRelated.run(after.size > 0 ? 1 : 0, itemId);
    return true;
  }

  const recomputeBatch = db.transaction(
    (relate: (item: RelatableItem) => readonly string[], afterId: number, limit: number): { changed: boolean; next: number | null } => {
      let changed = false;
      const rows = q.forRelate.all(afterId, limit);
      for (const r of rows) {
        const ids = relate({ id: r.id, title: r.title, summary: r.summary, categories: JSON.parse(r.categories) as string[] });
        if (set(r.id, r.published_at, ids, r.is_related)) changed = true;
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
        item = toPublished(row);
        byItem.set(row.id, item);
      }
      out.get(row.for_article)!.push(item);
    }
    return out;
  }

  return {
    set,
    /** The relations of an item just inserted (it has none yet: nothing to compare); its articles go to `touched`. */
    insertNew(itemId: number, publishedAt: number, articleIds: readonly string[], touched: Set<string>): void {
      for (const a of new Set(articleIds)) {
        q.insert.run(a, itemId, publishedAt);
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
    recomputeBatch: (relate: (item: RelatableItem) => readonly string[], afterId: number, limit: number) => recomputeBatch(relate, afterId, limit),
    forArticle: (articleId: string, limit: number): RelatedItem[] => q.forArticle.all(articleId, limit).map(toRelated),
    forArticles,
    all: (limit: number): RelatedItem[] => q.all.all(limit).map(toRelated),
  };
}
