import type { ArticleDoc, ArticleHit, ArticleSearch, IndexedArticle, TermStats } from '../../model/search.ts';
import { transaction, type PgDatabase } from './database.ts';

/** Column weights, as SQLite's bm25() is given them (sqlite/search.ts): a head term counts three body terms. */
const HEAD_WEIGHT = 3.0;
const BODY_WEIGHT = 1.0;
/** FTS5's BM25 constants. */
const K1 = 1.2;
const B = 0.75;

/** FTS5's IDF, floored as it floors it. */
const idf = (rows: number, hits: number): number => Math.max(1e-6, Math.log((rows - hits + 0.5) / (hits + 0.5)));

/** A tsquery of exact lexemes (quoted: no term is read as an operator), any of them. */
const anyOf = (terms: readonly string[]): string => terms.map((t) => `'${t.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`).join(' | ');

/**
 * Our articles in PostgreSQL's full-text search (table `article_index`: a tsvector per article, head terms at
 * weight A and body terms at B, with a GIN index; `article_terms`: document frequencies): what upstream items are
 * related by. The text comes analysed (src/search/analyse.ts); the 'simple' configuration only splits it.
 *
 * The index finds the articles (`@@`, GIN); the ranking is FTS5's BM25, computed here from each match's term
 * frequencies (the tsvector's positions with their weights) and the articles' term counts, so that both
 * backends relate an item to the same articles with the same scores. ts_rank is not used: its scale is not
 * BM25's, and the documented threshold is on BM25. A tsvector keeps at most 256 positions of a term, none past
 * 16,383: a very long body counts fewer occurrences than FTS5 would.
 */
export function searchTable(db: PgDatabase) {
  /** Indexed articles and their terms in all, for IDF and average length; read again after this replica indexes. */
  let totals: Promise<{ articles: number; tokens: number }> | null = null;
  const readTotals = () =>
    (totals ??= db.pool
      .query<{ n: number; tokens: number }>('SELECT COUNT(*)::int AS n, COALESCE(SUM(head_len + body_len), 0)::float8 AS tokens FROM article_index')
      .then(({ rows }) => ({ articles: rows[0]!.n, tokens: rows[0]!.tokens }))
      .catch((err: unknown) => {
        totals = null;
        throw err;
      }));

  async function index(docs: readonly ArticleDoc[], removed: readonly string[]): Promise<void> {
    const ids = [...removed, ...docs.map((d) => d.articleId)];
    if (ids.length === 0) return;
    await transaction(db, async (c) => {
      // One writer of the index at a time across replicas: document frequencies are counts of what it holds.
      await c.query("SELECT pg_advisory_xact_lock(hashtext('kabar-article-index'))");
      await c.query(
        `UPDATE article_terms t SET df = t.df - x.n FROM (
           SELECT lexeme, COUNT(*)::int AS n FROM article_index a CROSS JOIN unnest(tsvector_to_array(a.doc)) AS lexeme
           WHERE a.article_id = ANY($1::text[]) GROUP BY lexeme) x
         WHERE t.term = x.lexeme`,
        [ids],
      );
      if (removed.length > 0) await c.query('DELETE FROM article_index WHERE article_id = ANY($1::text[])', [removed]);
      if (docs.length > 0) {
        await c.query(
          `INSERT INTO article_index (article_id, indexed, doc, head_len, body_len)
           SELECT u.article_id, u.indexed,
             setweight(to_tsvector('simple', u.head), 'A') || setweight(to_tsvector('simple', u.body), 'B'), u.head_len, u.body_len
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[]) AS u(article_id, indexed, head, body, head_len, body_len)
           ON CONFLICT (article_id) DO UPDATE SET indexed = excluded.indexed, doc = excluded.doc, head_len = excluded.head_len, body_len = excluded.body_len`,
          [
            docs.map((d) => d.articleId),
            docs.map((d) => d.fingerprint),
            docs.map((d) => d.head.join(' ')),
            docs.map((d) => d.body.join(' ')),
            docs.map((d) => d.head.length),
            docs.map((d) => d.body.length),
          ],
        );
        await c.query(
          `INSERT INTO article_terms (term, df)
           SELECT lexeme, COUNT(*)::int FROM article_index a CROSS JOIN unnest(tsvector_to_array(a.doc)) AS lexeme
           WHERE a.article_id = ANY($1::text[]) GROUP BY lexeme
           ON CONFLICT (term) DO UPDATE SET df = article_terms.df + excluded.df`,
          [docs.map((d) => d.articleId)],
        );
      }
      await c.query('DELETE FROM article_terms WHERE df <= 0');
    });
    totals = null;
  }

  const search: ArticleSearch = {
    async termStats(terms: readonly string[]): Promise<TermStats> {
      const { articles } = await readTotals();
      const df = new Map<string, number>();
      if (articles > 0 && terms.length > 0) {
        const { rows } = await db.pool.query<{ term: string; df: number }>({
          name: 'kabar-article-terms',
          text: 'SELECT term, df FROM article_terms WHERE term = ANY($1::text[])',
          values: [terms],
        });
        for (const r of rows) df.set(r.term, r.df);
      }
      return { articles, df };
    },
    async search(terms, limit, only = null): Promise<ArticleHit[]> {
      const { articles, tokens } = await readTotals();
      if (articles === 0 || terms.length === 0 || (only && only.length === 0)) return [];
      // Each matching article's occurrences of each term, with their weights (A: head, B: body).
      const { rows } = await db.pool.query<{ article_id: string; len: number; term: string; weights: string[]; df: number }>({
        name: 'kabar-article-search',
        text: `SELECT a.article_id, a.head_len + a.body_len AS len, u.lexeme AS term, u.weights, t.df
          FROM article_index a CROSS JOIN LATERAL unnest(a.doc) AS u(lexeme, positions, weights)
          JOIN article_terms t ON t.term = u.lexeme
          WHERE a.doc @@ $1::tsquery AND u.lexeme = ANY($2::text[]) AND ($3::text[] IS NULL OR a.article_id = ANY($3::text[]))`,
        values: [anyOf(terms), terms, only],
      });
      const avgdl = tokens / articles;
      const byArticle = new Map<string, ArticleHit>();
      for (const r of rows) {
        let freq = 0;
        let head = false;
        for (const w of r.weights) {
          freq += w === 'A' ? HEAD_WEIGHT : BODY_WEIGHT;
          head ||= w === 'A';
        }
        const score = (idf(articles, r.df) * (freq * (K1 + 1))) / (freq + K1 * (1 - B + (B * r.len) / avgdl));
        const hit = byArticle.get(r.article_id) ?? { articleId: r.article_id, rank: 0, terms: [], headTerms: [] };
        hit.rank += score;
        if (head) hit.headTerms.push(r.term);
        hit.terms.push(r.term);
        byArticle.set(r.article_id, hit);
      }
      // Terms in the order searched, as SQLite lists them.
      const order = new Map(terms.map((t, i) => [t, i]));
      const hits = [...byArticle.values()].sort((a, b) => b.rank - a.rank || (a.articleId < b.articleId ? -1 : 1)).slice(0, limit);
      for (const h of hits) for (const list of [h.terms, h.headTerms]) list.sort((a, b) => order.get(a)! - order.get(b)!);
      return hits;
    },
  };

  return {
    indexed: async (): Promise<IndexedArticle[]> => {
      // Another replica may have indexed since: IDF and lengths are read again on the next search.
      totals = null;
      const { rows } = await db.pool.query<{ article_id: string; indexed: string; related: string | null }>('SELECT article_id, indexed, related FROM article_index');
      return rows.map((r) => ({ articleId: r.article_id, indexed: r.indexed, related: r.related }));
    },
    index,
    markRelated: async (done: readonly { articleId: string; fingerprint: string }[]): Promise<void> => {
      if (done.length === 0) return;
      await db.pool.query('UPDATE article_index a SET related = u.related FROM unnest($1::text[], $2::text[]) AS u(article_id, related) WHERE a.article_id = u.article_id', [
        done.map((d) => d.articleId),
        done.map((d) => d.fingerprint),
      ]);
    },
    search,
    /** Moves the GIN index's pending entries (fast update) into the index proper after a bulk indexing. */
    compact: async (): Promise<void> => {
      await db.pool.query("SELECT gin_clean_pending_list('article_index_doc'::regclass)");
    },
  };
}
