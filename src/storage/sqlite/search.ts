import type { ArticleDoc, ArticleHit, IndexedArticle, SyncArticleSearch, TermStats } from '../../model/search.ts';
import type { SqliteDatabase } from './database.ts';

/** Column weights of bm25(): a term in a title, summary, tag or category label counts three times one in a body. */
const HEAD_WEIGHT = 3.0;
const BODY_WEIGHT = 1.0;

/** An FTS5 string literal: the term quoted, so no term is read as an operator (`and`, `near`) or a column filter. */
const literal = (term: string): string => `"${term.replaceAll('"', '""')}"`;

export type SearchTable = ReturnType<typeof searchTable>;

/**
 * Our articles in a full-text index (tables `article_search`, FTS5, contentless; `article_terms`, document
 * frequencies; `article_index`, rowids to article ids with fingerprints): what upstream items are related by.
 * The text is analysed before it comes here (src/search/analyse.ts), so this module only stores and ranks terms.
 */
export function searchTable(db: SqliteDatabase) {
  const q = {
    all: db.prepare<[], { rowid: number; article_id: string; indexed: string; related: string | null }>(
      'SELECT rowid, article_id, indexed, related FROM article_index',
    ),
    row: db.prepare<[string], { rowid: number }>('SELECT rowid FROM article_index WHERE article_id = ?'),
    count: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM article_index'),
    insertRow: db.prepare<[string, string]>('INSERT INTO article_index (article_id, indexed) VALUES (?, ?)'),
    updateRow: db.prepare<[string, number]>('UPDATE article_index SET indexed = ? WHERE rowid = ?'),
    deleteRow: db.prepare<[number]>('DELETE FROM article_index WHERE rowid = ?'),
    setRelated: db.prepare<[string, string]>('UPDATE article_index SET related = ? WHERE article_id = ?'),
    insertDoc: db.prepare<[number, string, string]>('INSERT INTO article_search (rowid, head, body) VALUES (?, ?, ?)'),
    deleteDoc: db.prepare<[number]>('DELETE FROM article_search WHERE rowid = ?'),
    // The distinct terms of a document, kept to decrement article_terms when it goes (the index is contentless), and
    // to tell which terms a hit has, in its head or its body: the head's first, then '' (never a term), then the
    // body's others.
    docTerms: db.prepare<[number], { terms: string }>('SELECT terms FROM article_doc_terms WHERE rowid = ?'),
    setDocTerms: db.prepare<[number, string]>('INSERT OR REPLACE INTO article_doc_terms (rowid, terms) VALUES (?, ?)'),
    deleteDocTerms: db.prepare<[number]>('DELETE FROM article_doc_terms WHERE rowid = ?'),
    addTerms: db.prepare<[string]>(
      `INSERT INTO article_terms (term, df) SELECT value, 1 FROM json_each(?) WHERE value <> ''
       ON CONFLICT (term) DO UPDATE SET df = df + 1`,
    ),
    dropTerms: db.prepare<[string]>('UPDATE article_terms SET df = df - 1 WHERE term IN (SELECT value FROM json_each(?))'),
    purgeTerms: db.prepare('DELETE FROM article_terms WHERE df <= 0'),
    search: db.prepare<[string, number], { rowid: number; article_id: string; rank: number }>(
      `SELECT s.rowid, a.article_id, -bm25(article_search, ${HEAD_WEIGHT}, ${BODY_WEIGHT}) AS rank
       FROM article_search s JOIN article_index a ON a.rowid = s.rowid
       WHERE article_search MATCH ? ORDER BY bm25(article_search, ${HEAD_WEIGHT}, ${BODY_WEIGHT}) LIMIT ?`,
    ),
    searchIn: db.prepare<[string, string, number], { rowid: number; article_id: string; rank: number }>(
      `SELECT s.rowid, a.article_id, -bm25(article_search, ${HEAD_WEIGHT}, ${BODY_WEIGHT}) AS rank
       FROM article_search s JOIN article_index a ON a.rowid = s.rowid
       WHERE article_search MATCH ? AND s.rowid IN (SELECT value FROM json_each(?))
       ORDER BY bm25(article_search, ${HEAD_WEIGHT}, ${BODY_WEIGHT}) LIMIT ?`,
    ),
    optimize: db.prepare("INSERT INTO article_search (article_search) VALUES ('optimize')"),
    docTermsOf: db.prepare<[string], { rowid: number; terms: string }>(
      'SELECT rowid, terms FROM article_doc_terms WHERE rowid IN (SELECT value FROM json_each(?))',
    ),
    allTerms: db.prepare<[], { term: string; df: number }>('SELECT term, df FROM article_terms'),
  };

  /** Article count, kept in memory: read on every search, changed only by `index`. */
  let articles = q.count.get()!.n;
  /** Rowids by article id, for searches restricted to some articles (loaded on first use). */
  let rowids: Map<string, number> | null = null;
  /**
   * Document frequencies, in memory (loaded on first use, kept by `index`): an item's terms are looked up at once,
   * and an item sharing no rare term with any article never reaches the index. About 100 bytes per term.
   */
  let dfs: Map<string, number> | null = null;

  function remove(rowid: number): void {
    const doc = q.docTerms.get(rowid);
    if (doc) q.dropTerms.run(doc.terms);
    q.deleteDoc.run(rowid);
    q.deleteDocTerms.run(rowid);
  }

  const index = db.transaction((docs: readonly ArticleDoc[], removed: readonly string[]): void => {
    // Read again on the next search (also when this transaction fails).
    dfs = null;
    for (const articleId of removed) {
      const row = q.row.get(articleId);
      if (!row) continue;
      remove(row.rowid);
      q.deleteRow.run(row.rowid);
    }
    for (const doc of docs) {
      const row = q.row.get(doc.articleId);
      let rowid: number;
      if (row) {
        remove(row.rowid);
        q.updateRow.run(doc.fingerprint, row.rowid);
        rowid = row.rowid;
      } else {
        rowid = Number(q.insertRow.run(doc.articleId, doc.fingerprint).lastInsertRowid);
      }
      q.insertDoc.run(rowid, doc.head.join(' '), doc.body.join(' '));
      const head = new Set(doc.head);
      const distinct = JSON.stringify([...head, '', ...new Set(doc.body.filter((t) => !head.has(t)))]);
      q.setDocTerms.run(rowid, distinct);
      q.addTerms.run(distinct);
    }
    q.purgeTerms.run();
    articles = q.count.get()!.n;
    rowids = null;
  });

  const search: SyncArticleSearch = {
    termStats(terms: readonly string[]): TermStats {
      const df = new Map<string, number>();
      if (articles === 0 || terms.length === 0) return { articles, df };
      dfs ??= new Map(q.allTerms.all().map((r) => [r.term, r.df]));
      for (const t of terms) {
        const n = dfs.get(t);
        if (n !== undefined) df.set(t, n);
      }
      return { articles, df };
    },
    search(terms, limit, only = null): ArticleHit[] {
      if (articles === 0 || terms.length === 0) return [];
      const match = terms.map(literal).join(' OR ');
      let rows;
      if (only) {
        if (!rowids) rowids = new Map(q.all.all().map((r) => [r.article_id, r.rowid]));
        const ids = only.map((a) => rowids!.get(a)).filter((r) => r !== undefined);
        if (ids.length === 0) return [];
        rows = q.searchIn.all(match, JSON.stringify(ids), limit);
      } else {
        rows = q.search.all(match, limit);
      }
      const hits = rows.map((r) => ({ articleId: r.article_id, rank: r.rank, terms: [] as string[], headTerms: [] as string[] }));
      if (hits.length === 0) return hits;
      // Which terms each hit contains, from its distinct terms (one read for all hits, not one search per term).
      const byRow = new Map(rows.map((r, i) => [r.rowid, hits[i]!]));
      for (const r of q.docTermsOf.all(JSON.stringify(rows.map((x) => x.rowid)))) {
        const distinct = JSON.parse(r.terms) as string[];
        const has = new Set(distinct);
        // The head's terms come before '' (stored before heads were told apart, '' is absent: none are the head's).
        const head = new Set(distinct.slice(0, Math.max(0, distinct.indexOf(''))));
        const hit = byRow.get(r.rowid)!;
        for (const t of terms) {
          if (!has.has(t)) continue;
          hit.terms.push(t);
          if (head.has(t)) hit.headTerms.push(t);
        }
      }
      return hits;
    },
  };

  return {
    /** Every indexed article with its fingerprints. */
    indexed: (): IndexedArticle[] => q.all.all().map((r) => ({ articleId: r.article_id, indexed: r.indexed, related: r.related })),
    /** Adds or replaces `docs` and removes `removed`, in one transaction. */
    index: (docs: readonly ArticleDoc[], removed: readonly string[]): void => index(docs, removed),
    /** The stored relations of these articles now reflect `fingerprint`s. */
    markRelated: db.transaction((done: readonly { articleId: string; fingerprint: string }[]): void => {
      for (const d of done) q.setRelated.run(d.fingerprint, d.articleId);
    }),
    search,
    /**
     * Merges the index's segments into one. Each transaction that indexes articles adds a segment, and a search
     * looks a term up in every segment: after indexing many articles in batches, searches cost three times more.
     */
    compact: (): void => void q.optimize.run(),
  };
}
