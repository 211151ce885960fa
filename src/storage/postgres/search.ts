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

/** Bound on the (article, term) matches a replica keeps between searches; past it they are read again. */
const MAX_CACHED_HITS = 1_000_000;

/** One article containing a term, the term's BM25 there, and whether the term is in the article's head. */
interface TermHit {
  articleId: string;
  score: number;
  head: boolean;
}

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
  /**
   * What this replica read of the index: the article count and their terms in all (for IDF and average length),
   * each term's document frequency, and each term's matches with its BM25 alone (an item's terms recur in other
   * items: each is read once). All read again after this replica indexes, or on `indexed()` (another replica may
   * have indexed since), as the totals always were. A term's entry is its query, shared by searches in flight.
   */
  interface Snapshot {
    totals: Promise<{ articles: number; tokens: number }>;
    df: Map<string, Promise<number | undefined>>;
    hits: Map<string, Promise<TermHit[]>>;
    cachedHits: number;
    /** Article ids as one string each, however many terms' matches name them. */
    ids: Map<string, string>;
  }
  let snapshot: Snapshot | null = null;
  const current = (): Snapshot => {
    if (snapshot) return snapshot;
    const s: Snapshot = {
      totals: db.pool
        .query<{ n: number; tokens: number }>('SELECT COUNT(*)::int AS n, COALESCE(SUM(head_len + body_len), 0)::float8 AS tokens FROM article_index')
        .then(({ rows }) => ({ articles: rows[0]!.n, tokens: rows[0]!.tokens })),
      df: new Map(),
      hits: new Map(),
      cachedHits: 0,
      ids: new Map(),
    };
    s.totals.catch(() => {
      if (snapshot === s) snapshot = null;
    });
    return (snapshot = s);
  };

  /** Each term's matches (all of them: a search restricted to some articles filters them), with its BM25 alone. */
  async function readTermHits(s: Snapshot, terms: readonly string[]): Promise<Map<string, TermHit[]>> {
    const { articles, tokens } = await s.totals;
    const avgdl = tokens / articles;
    // Each matching article's occurrences of each term, with their weights (A: head, B: body).
    const { rows } = await db.pool.query<{ article_id: string; len: number; term: string; weights: string[]; df: number }>({
      name: 'kabar-article-term-hits',
      text: `SELECT a.article_id, a.head_len + a.body_len AS len, u.lexeme AS term, u.weights, t.df
        FROM article_index a CROSS JOIN LATERAL unnest(a.doc) AS u(lexeme, positions, weights)
        JOIN article_terms t ON t.term = u.lexeme
        WHERE a.doc @@ $1::tsquery AND u.lexeme = ANY($2::text[])`,
      values: [anyOf(terms), terms],
    });
    const out = new Map<string, TermHit[]>(terms.map((t) => [t, []]));
    for (const r of rows) {
      let freq = 0;
      let head = false;
      for (const w of r.weights) {
        freq += w === 'A' ? HEAD_WEIGHT : BODY_WEIGHT;
        head ||= w === 'A';
      }
      const score = (idf(articles, r.df) * (freq * (K1 + 1))) / (freq + K1 * (1 - B + (B * r.len) / avgdl));
      let articleId = s.ids.get(r.article_id);
      if (articleId === undefined) s.ids.set(r.article_id, (articleId = r.article_id));
      out.get(r.term)?.push({ articleId, score, head });
    }
    return out;
  }

  /** Each of `terms`' matches, from the snapshot or read now (one query for all those missing). */
  function termHits(s: Snapshot, terms: readonly string[]): Promise<TermHit[][]> {
    const missing = terms.filter((t) => !s.hits.has(t));
    if (missing.length > 0) {
      const read = readTermHits(s, missing);
      for (const t of missing) {
        const hits = read.then((m) => m.get(t)!);
        s.hits.set(t, hits);
        hits.then(
          (h) => {
            s.cachedHits += h.length;
            // Past the bound the snapshot forgets every term's matches (those in flight still answer).
            if (s.cachedHits > MAX_CACHED_HITS) {
              s.hits.clear();
              s.cachedHits = 0;
            }
          },
          () => {
            if (s.hits.get(t) === hits) s.hits.delete(t);
          },
        );
      }
    }
    return Promise.all(terms.map((t) => s.hits.get(t)!));
  }

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
    snapshot = null;
  }

  const search: ArticleSearch = {
    async termStats(terms: readonly string[]): Promise<TermStats> {
      const s = current();
      const { articles } = await s.totals;
      const df = new Map<string, number>();
      if (articles > 0 && terms.length > 0) {
        const missing = terms.filter((t) => !s.df.has(t));
        if (missing.length > 0) {
          const read = db.pool
            .query<{ term: string; df: number }>({ name: 'kabar-article-terms', text: 'SELECT term, df FROM article_terms WHERE term = ANY($1::text[])', values: [missing] })
            .then(({ rows }) => new Map(rows.map((r) => [r.term, r.df])));
          for (const t of missing) {
            const n = read.then((m) => m.get(t));
            s.df.set(t, n);
            n.catch(() => {
              if (s.df.get(t) === n) s.df.delete(t);
            });
          }
        }
        const found = await Promise.all(terms.map((t) => s.df.get(t)!));
        terms.forEach((t, i) => {
          if (found[i] !== undefined) df.set(t, found[i]);
        });
      }
      return { articles, df };
    },
    async search(terms, limit, only = null): Promise<ArticleHit[]> {
      const s = current();
      const { articles } = await s.totals;
      if (articles === 0 || terms.length === 0 || (only && only.length === 0)) return [];
      const among = only ? new Set(only) : null;
      // An article's score is the sum of its terms' (BM25 adds up per term), in query order as FTS5 adds them.
      const byArticle = new Map<string, ArticleHit>();
      const lists = await termHits(s, terms);
      terms.forEach((t, i) => {
        for (const { articleId, score, head } of lists[i]!) {
          if (among && !among.has(articleId)) continue;
          let hit = byArticle.get(articleId);
          if (hit) hit.rank += score;
          else byArticle.set(articleId, (hit = { articleId, rank: score, terms: [], headTerms: [] }));
          hit.terms.push(t);
          if (head) hit.headTerms.push(t);
        }
      });
      return [...byArticle.values()].sort((a, b) => b.rank - a.rank || (a.articleId < b.articleId ? -1 : 1)).slice(0, limit);
    },
  };

  return {
    /** Another connection changed the index: IDF, lengths and matches are read again on the next search. */
    forget: (): void => {
      snapshot = null;
    },
    indexed: async (): Promise<IndexedArticle[]> => {
      // Another replica may have indexed since: IDF, lengths and matches are read again on the next search.
      snapshot = null;
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
    /**
     * After a bulk indexing: moves the GIN index's pending entries (fast update) into the index proper, and gives
     * the planner statistics of the new rows. Without them (autovacuum off, or not yet run) it scans every
     * article's tsvector for a search instead of using the GIN index: 214 ms instead of 18 ms at 10,000 articles.
     */
    compact: async (): Promise<void> => {
      await db.pool.query("SELECT gin_clean_pending_list('article_index_doc'::regclass)");
      await db.pool.query('ANALYZE article_index, article_terms');
    },
  };
}
