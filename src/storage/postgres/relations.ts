import type { PublishedItem, RelatedItem, RelationWhy } from '../../model/item.ts';
import type { RelatableItem, Relating } from '../../model/poll.ts';
import { parseWhy, wanted, type StoredRelation } from '../relating.ts';
import { rowToPublished, rowToRelated, type PublishedRow, type RelatedRowColumns } from '../rows.ts';
import type { Awaitable } from '../store.ts';
import type { PgDatabase, Queryable } from './database.ts';
import { transaction } from './database.ts';

interface RelatedRow extends RelatedRowColumns {
  /** The item's article ids, in article id order. */
  article_ids: string[];
}

/** An item with its source's credit and its article ids (`i` items, `s` sources). */
const RELATED_COLUMNS = `i.*, s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url,
  ARRAY(SELECT article_id FROM relations WHERE item_id = i.id ORDER BY article_id) AS article_ids`;

/** The columns of a PublishedItem (`i` items, `s` sources). */
const PUBLISHED_COLUMNS = `i.id, i.source_id, i.item_key, i.url, i.title, i.summary, i.language, i.published_at, i.updated_at,
  s.name AS source_name, s.current_url AS source_current_url, s.site_url AS source_site_url`;

const toRelated = (r: RelatedRow): RelatedItem => rowToRelated(r, r.article_ids);

/** Relation rows to write (inserted, or re-scored where they exist), as the column arrays `unnest` takes. */
export class RelationRows {
  readonly articleIds: string[] = [];
  readonly itemIds: number[] = [];
  readonly publishedAt: number[] = [];
  readonly scores: number[] = [];
  readonly whys: (string | null)[] = [];
  add(articleId: string, itemId: number, publishedAt: number, r: StoredRelation): void {
    this.articleIds.push(articleId);
    this.itemIds.push(itemId);
    this.publishedAt.push(publishedAt);
    this.scores.push(r.score);
    this.whys.push(r.why);
  }
}

/**
 * Relations that change in one go: (item, article) pairs removed, rows inserted or re-scored, the items whose
 * `is_related` may have changed, and items whose date moved.
 */
export class RelationChanges {
  readonly removedItems: number[] = [];
  readonly removedArticles: string[] = [];
  readonly rows = new RelationRows();
  readonly flagged: number[] = [];
  readonly movedIds: number[] = [];
  readonly movedTo: number[] = [];
}

/** An item's stored relations, as `RELATIONS_OF` reads them. */
export interface StoredRelationRow extends StoredRelation {
  article_id: string;
}

/** An item's stored relations (`i` items) as a JSON array of StoredRelationRow. */
export const RELATIONS_OF = `COALESCE((SELECT json_agg(json_build_object('article_id', r.article_id, 'score', r.score, 'why', r.why))
  FROM relations r WHERE r.item_id = i.id), '[]'::json)`;

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
    if (changes.removedItems.length > 0) {
      await on.query(
        'DELETE FROM relations r USING unnest($1::bigint[], $2::text[]) AS d(item_id, article_id) WHERE r.item_id = d.item_id AND r.article_id = d.article_id',
        [changes.removedItems, changes.removedArticles],
      );
    }
    const { rows } = changes;
    if (rows.itemIds.length > 0) {
      await on.query(
        `INSERT INTO relations (article_id, item_id, published_at, score, why)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::float8[], $5::text[])
         ON CONFLICT (article_id, item_id) DO UPDATE SET score = excluded.score, why = excluded.why`,
        [rows.articleIds, rows.itemIds, rows.publishedAt, rows.scores, rows.whys],
      );
    }
    if (changes.flagged.length > 0) {
      await on.query(
        `UPDATE items i SET is_related = u.flag FROM (
           SELECT id, (EXISTS (SELECT 1 FROM relations r WHERE r.item_id = f.id))::int AS flag FROM unnest($1::bigint[]) AS f(id)) u
         WHERE i.id = u.id AND i.is_related <> u.flag`,
        [changes.flagged],
      );
    }
  }

  /**
   * Adds to `changes` what replaces an item's relations (those with the articles of `only`, when given) by `rel`'s,
   * as sqlite/relations.ts `set` does; true when they change, and then the articles whose relation was added,
   * removed or re-scored are added to `touched`. `rescore`: false keeps the score and why of a relation that stays.
   */
  function set(
    changes: RelationChanges,
    itemId: number,
    publishedAt: number,
    stored: readonly StoredRelationRow[],
    rel: Relating,
    opts: { touched?: Set<string>; only?: ReadonlySet<string> | null; rescore?: boolean } = {},
  ): boolean {
    const only = opts.only ?? null;
    const before = new Map<string, StoredRelation>();
    for (const r of stored) if (!only || only.has(r.article_id)) before.set(r.article_id, r);
    const after = wanted(rel, only);
    const rescore = opts.rescore ?? true;
    let changed = false;
    for (const a of before.keys()) {
      if (after.has(a)) continue;
      changes.removedItems.push(itemId);
      changes.removedArticles.push(a);
      opts.touched?.add(a);
      changed = true;
    }
    for (const [a, r] of after) {
      const b = before.get(a);
      if (b && (!rescore || (b.score === r.score && b.why === r.why))) continue;
      changes.rows.add(a, itemId, publishedAt, r);
      opts.touched?.add(a);
      changed = true;
    }
    if (changed) changes.flagged.push(itemId);
    return changed;
  }

  /**
   * Relates the `limit` stored items after `afterId` again: every item's relating is awaited first (its searches
   * are round trips of their own), then the changes are written in one transaction, each item's against its
   * relations as they are then. An item a poll changed or retention removed meanwhile is left as the poll left it.
   */
  async function recomputeBatch(
    relate: (item: RelatableItem) => Awaitable<Relating>,
    afterId: number,
    limit: number,
    only: ReadonlySet<string> | null = null,
  ): Promise<{ changed: boolean; next: number | null; touched: string[] }> {
    const { rows } = await db.pool.query<{ id: number; title: string; summary: string; categories: string; url: string | null; language: string | null; content_hash: string }>(
      'SELECT id, title, summary, categories, url, language, content_hash FROM items WHERE id > $1 ORDER BY id LIMIT $2',
      [afterId, limit],
    );
    const next = rows.length === limit ? rows[rows.length - 1]!.id : null;
    const related = await Promise.all(
      rows.map(async (r) => relate({ id: r.id, title: r.title, summary: r.summary, categories: JSON.parse(r.categories) as string[], url: r.url, language: r.language })),
    );
    const hashes = new Map(rows.map((r) => [r.id, r.content_hash]));
    const rels = new Map(rows.map((r, i) => [r.id, related[i]!]));
    return transaction(db, async (c) => {
      // Locked, so a poll of the same items waits for this batch (or this waits for the poll).
      const { rows: now } = await c.query<{ id: number; published_at: number; content_hash: string; stored: StoredRelationRow[] }>(
        `SELECT i.id, i.published_at, i.content_hash, ${RELATIONS_OF} AS stored FROM items i WHERE i.id = ANY($1::bigint[]) ORDER BY i.id FOR UPDATE`,
        [rows.map((r) => r.id)],
      );
      const changes = new RelationChanges();
      const touched = new Set<string>();
      let changed = false;
      for (const r of now) {
        if (r.content_hash !== hashes.get(r.id)) continue;
        if (set(changes, r.id, r.published_at, r.stored, rels.get(r.id)!, { only, touched })) changed = true;
      }
      await apply(c, changes);
      return { changed, next, touched: [...touched].sort() };
    });
  }

  async function forArticles(articleIds: readonly string[], limit: number): Promise<Map<string, PublishedItem[]>> {
    const out = new Map<string, PublishedItem[]>(articleIds.map((id) => [id, []]));
    if (out.size === 0) return out;
    // Per article (in the order given) its best related items (by score, then newest): the lateral subquery is one index range scan
    // of relations per article, stopped by its LIMIT. Prepared once per connection (a render calls it often).
    const { rows } = await db.pool.query<PublishedRow & { for_article: string }>({
      name: 'kabar-related-for-articles',
      text: `SELECT a.article_id AS for_article, ${PUBLISHED_COLUMNS}
        FROM unnest($1::text[]) WITH ORDINALITY AS a(article_id, ord)
        CROSS JOIN LATERAL (
          SELECT r2.item_id, r2.score, r2.published_at FROM relations r2 JOIN items i2 ON i2.id = r2.item_id JOIN sources s2 ON s2.id = i2.source_id
          WHERE r2.article_id = a.article_id AND s2.active = 1 ORDER BY r2.score DESC, r2.published_at DESC, r2.item_id DESC LIMIT $2) r
        JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
        ORDER BY a.ord, r.score DESC, r.published_at DESC, r.item_id DESC`,
      values: [[...out.keys()], limit],
    });
    const byItem = new Map<number, PublishedItem>();
    for (const row of rows) {
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
    apply,
    recomputeBatch,
    /** An article's related items with their score and why, best first (for editors: inactive sources' too). */
    reasons: async (articleId: string, limit: number): Promise<RelationWhy[]> => {
      const { rows } = await db.pool.query<PublishedRow & StoredRelation>(
        `SELECT ${PUBLISHED_COLUMNS}, r.score, r.why
         FROM relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
         WHERE r.article_id = $1 ORDER BY r.score DESC, r.published_at DESC, r.item_id DESC LIMIT $2`,
        [articleId, limit],
      );
      return rows.map((r) => ({ item: rowToPublished(r), score: r.score, ...parseWhy(r.why) }));
    },
    forArticle: async (articleId: string, limit: number): Promise<RelatedItem[]> => {
      const { rows } = await db.pool.query<RelatedRow>(
        `SELECT ${RELATED_COLUMNS}
         FROM relations r JOIN items i ON i.id = r.item_id JOIN sources s ON s.id = i.source_id
         WHERE r.article_id = $1 AND s.active = 1 ORDER BY r.score DESC, r.published_at DESC, r.item_id DESC LIMIT $2`,
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
