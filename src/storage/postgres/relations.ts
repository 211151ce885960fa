import type { PublishedItem, RelatedItem } from '../../model/item.ts';
import type { RelatableItem } from '../../model/poll.ts';
import type { PgDatabase, Queryable } from './database.ts';
import { transaction } from './database.ts';

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
  /** The item's article ids, in article id order. */
  article_ids: string[];
}

/** An item with its source's credit and its article ids (`i` items, `s` sources). */
const RELATED_COLUMNS = `i.*, s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url,
  ARRAY(SELECT article_id FROM relations WHERE item_id = i.id ORDER BY article_id) AS article_ids`;

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
    articleIds: r.article_ids,
  };
}

/** Relation rows to write, as the column arrays `unnest` takes. */
export class RelationRows {
  readonly articleIds: string[] = [];
  readonly itemIds: number[] = [];
  readonly publishedAt: number[] = [];
  add(articleId: string, itemId: number, publishedAt: number): void {
    this.articleIds.push(articleId);
    this.itemIds.push(itemId);
    this.publishedAt.push(publishedAt);
  }
}

/**
 * Relations that change in one go: items whose set of articles changed (old rows deleted, `rows` inserted,
 * `is_related` rewritten), inserted items' first relations, and items whose date moved.
 */
export class RelationChanges {
  readonly replaced: number[] = [];
  readonly relatedFlag: number[] = [];
  readonly rows = new RelationRows();
  readonly movedIds: number[] = [];
  readonly movedTo: number[] = [];
}

/** Whether an item's stored articles (`before`) and new ones (`after`) differ as sets. */
export function sameArticles(before: ReadonlySet<string>, after: ReadonlySet<string>): boolean {
  return before.size === after.size && [...after].every((a) => before.has(a));
}

export type PgRelationTable = ReturnType<typeof relationTable>;

/**
 * Which stored items relate to which of our articles (table `relations`, and `items.is_related`, 1 exactly when
 * an item has a relation), and the related items feeds and pages read; see sqlite/relations.ts. Writes are
 * collected (RelationChanges) and applied in a few statements, not one per item.
 */
export function relationTable(db: PgDatabase) {
  /**
   * Writes `changes`: dates first (a replaced item's new rows carry the new date anyway), then each replaced
   * item's rows go, then every new row is inserted.
   */
  async function apply(on: Queryable, changes: RelationChanges): Promise<void> {
    if (changes.movedIds.length > 0) {
      await on.query(
        'UPDATE relations r SET published_at = u.published_at FROM unnest($1::bigint[], $2::bigint[]) AS u(item_id, published_at) WHERE r.item_id = u.item_id',
        [changes.movedIds, changes.movedTo],
      );
    }
    if (changes.replaced.length > 0) {
      await on.query('DELETE FROM relations WHERE item_id = ANY($1::bigint[])', [changes.replaced]);
      await on.query(
        'UPDATE items i SET is_related = u.flag FROM unnest($1::bigint[], $2::int[]) AS u(id, flag) WHERE i.id = u.id AND i.is_related <> u.flag',
        [changes.replaced, changes.relatedFlag],
      );
    }
    const { rows } = changes;
    if (rows.itemIds.length > 0) {
      await on.query('INSERT INTO relations (article_id, item_id, published_at) SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[])', [
        rows.articleIds,
        rows.itemIds,
        rows.publishedAt,
      ]);
    }
  }

  /**
   * Adds to `changes` the replacement of an item's relations by `articleIds`, if the set differs from `before`;
   * true when it does, and then the articles it was and is related to are added to `touched`.
   */
  function set(changes: RelationChanges, itemId: number, publishedAt: number, before: readonly string[], articleIds: readonly string[], touched?: Set<string>): boolean {
    const was = new Set(before);
    const after = new Set(articleIds);
    if (sameArticles(was, after)) return false;
    for (const a of was) touched?.add(a);
    for (const a of after) touched?.add(a);
    changes.replaced.push(itemId);
    changes.relatedFlag.push(after.size > 0 ? 1 : 0);
    for (const a of after) changes.rows.add(a, itemId, publishedAt);
    return true;
  }

  async function recomputeBatch(relate: (item: RelatableItem) => readonly string[], afterId: number, limit: number): Promise<{ changed: boolean; next: number | null }> {
    return transaction(db, async (c) => {
      const { rows } = await c.query<{ id: number; title: string; summary: string; categories: string; published_at: number; article_ids: string[] }>(
        `SELECT id, title, summary, categories, published_at, ARRAY(SELECT article_id FROM relations WHERE item_id = items.id) AS article_ids
         FROM items WHERE id > $1 ORDER BY id LIMIT $2`,
        [afterId, limit],
      );
      const changes = new RelationChanges();
      let changed = false;
      for (const r of rows) {
        const ids = relate({ id: r.id, title: r.title, summary: r.summary, categories: JSON.parse(r.categories) as string[] });
        if (set(changes, r.id, r.published_at, r.article_ids, ids)) changed = true;
      }
      await apply(c, changes);
      return { changed, next: rows.length === limit ? rows[rows.length - 1]!.id : null };
    });
  }

  async function forArticles(articleIds: readonly string[], limit: number): Promise<Map<string, PublishedItem[]>> {
    const out = new Map<string, PublishedItem[]>(articleIds.map((id) => [id, []]));
    if (out.size === 0) return out;
    // Per article (in the order given) its newest related items: the lateral subquery is one index range scan
    // of relations per article, stopped by its LIMIT. Prepared once per connection (a render calls it often).
    const { rows } = await db.pool.query<PublishedRow & { for_article: string }>({
      name: 'kabar-related-for-articles',
      text: `SELECT a.article_id AS for_article, ${PUBLISHED_COLUMNS}
        FROM unnest($1::text[]) WITH ORDINALITY AS a(article_id, ord)
        CROSS JOIN LATERAL (
          SELECT r2.item_id, r2.published_at FROM relations r2 JOIN items i2 ON i2.id = r2.item_id JOIN sources s2 ON s2.id = i2.source_id
          WHERE r2.article_id = a.article_id AND s2.active = 1 ORDER BY r2.published_at DESC, r2.item_id DESC LIMIT $2) r
        JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
        ORDER BY a.ord, r.published_at DESC, r.item_id DESC`,
      values: [[...out.keys()], limit],
    });
    const byItem = new Map<number, PublishedItem>();
    for (const row of rows) {
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
    apply,
    recomputeBatch,
    forArticle: async (articleId: string, limit: number): Promise<RelatedItem[]> => {
      const { rows } = await db.pool.query<RelatedRow>(
        `SELECT ${RELATED_COLUMNS}
         FROM relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
         WHERE r.article_id = $1 AND s.active = 1 ORDER BY r.published_at DESC, r.item_id DESC LIMIT $2`,
        [articleId, limit],
      );
      return rows.map(toRelated);
    },
    forArticles,
    all: async (limit: number): Promise<RelatedItem[]> => {
      const { rows } = await db.pool.query<RelatedRow>(
        `SELECT ${RELATED_COLUMNS}
         FROM items i JOIN sources s ON s.id = i.source_id
         WHERE i.is_related = 1 AND s.active = 1 ORDER BY i.published_at DESC, i.id DESC LIMIT $1`,
        [limit],
      );
      return rows.map(toRelated);
    },
  };
}
