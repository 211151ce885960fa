import type { ArticleDoc, ArticleHit, IndexedArticle, SyncArticleSearch, TermStats } from '../../model/search.ts';
import { writeTransaction, type SqliteDatabase } from './database.ts';

/** Column weights of bm25(): a term in a title, summary, tag or category label counts three times one in a body. */
const HEAD_WEIGHT = 3.0;
const BODY_WEIGHT = 1.0;

/** An FTS5 string literal: the term quoted, so no term is read as an operator (`and`, `near`) or a column filter. */
const literal = (term: string): string => `"${term.replaceAll('"', '""')}"`;
/** Bound on the (article, term) matches kept in memory between searches (16 bytes each); past it they are read again. */
const MAX_CACHED_HITS = 1_000_000;

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
    // The distinct terms of a document, kept to decrement article_terms when it goes (the index is contentless).
    docTerms: db.prepare<[number], { terms: string }>('SELECT terms FROM article_doc_terms WHERE rowid = ?'),
    setDocTerms: db.prepare<[number, string]>('INSERT OR REPLACE INTO article_doc_terms (rowid, terms) VALUES (?, ?)'),
    deleteDocTerms: db.prepare<[number]>('DELETE FROM article_doc_terms WHERE rowid = ?'),
    addTerms: db.prepare<[string]>(
      `INSERT INTO article_terms (term, df) SELECT value, 1 FROM json_each(?) WHERE value <> ''
       ON CONFLICT (term) DO UPDATE SET df = df + 1`,
    ),
    dropTerms: db.prepare<[string]>('UPDATE article_terms SET df = df - 1 WHERE term IN (SELECT value FROM json_each(?))'),
    purgeTerms: db.prepare('DELETE FROM article_terms WHERE df <= 0'),
    // One term's matches with its BM25 alone: FTS5's BM25 of an OR query is the sum of its terms' (see `search`).
    // The second score, of the head alone, is above 0 exactly when the term is in the article's head (FTS5 floors
    // the IDF above 0).
    termHits: db
      .prepare<[string], [number, number, number]>(
        `SELECT rowid, -bm25(article_search, ${HEAD_WEIGHT}, ${BODY_WEIGHT}), -bm25(article_search, 1, 0) FROM article_search WHERE article_search MATCH ?`,
      )
      .raw(true),
    optimize: db.prepare("INSERT INTO article_search (article_search) VALUES ('optimize')"),
    allTerms: db.prepare<[], { term: string; df: number }>('SELECT term, df FROM article_terms'),
  };

  /** Article count, kept in memory: read on every search, changed only by `index`. */
  let articles = q.count.get()!.n;
  /** Article ids by rowid and the other way round (loaded on the first search, read again after `index`). */
  let articleIds: [ids: string[], rowids: Map<string, number>] | null = null;
  /** Scratch of `search`, by rowid: each article's score so far, and whether it has one. */
  let sums = new Float64Array(0);
  let met = new Uint8Array(0);
  /** The rowids of the last `only` searched among. */
  let restricted: { only: readonly string[]; rowids: ReadonlySet<number> } | null = null;
  /**
   * Per term searched: each article containing it (rowid) and the term's BM25 there by FTS5 alone, flat (rowid,
   * score, rowid, score...). An item's terms recur in other items (a full re-relate asks for the same rare terms
   * thousands of times): each is read from the index once. Valid until `index` changes the index (IDF, lengths).
   */
  const termHits = new Map<string, number[]>();
  /** Per term in `termHits`: the articles (rowids) that have it in their head (title, summary, tags, labels). */
  const termHeads = new Map<string, Set<number>>();
  let cachedHits = 0;
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

  /** Everything kept from the index is read again on the next search. */
  function forget(): void {
    dfs = null;
    termHits.clear();
    termHeads.clear();
    cachedHits = 0;
    articles = q.count.get()!.n;
    articleIds = null;
    restricted = null;
  }

  const index = writeTransaction(db, (docs: readonly ArticleDoc[], removed: readonly string[]): void => {
    // Read again on the next search (also when this transaction fails).
    forget();
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
      const distinct = JSON.stringify([...new Set([...doc.head, ...doc.body])]);
      q.setDocTerms.run(rowid, distinct);
      q.addTerms.run(distinct);
    }
    q.purgeTerms.run();
    forget();
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
      const [ids, rowids] = (articleIds ??= loadArticleIds());
      let among: ReadonlySet<number> | null = null;
      if (only) {
        // A background pass asks with the same articles for every item.
        if (only !== restricted?.only) restricted = { only, rowids: new Set(only.map((a) => rowids.get(a)).filter((r) => r !== undefined)) };
        if (restricted.rowids.size === 0) return [];
        among = restricted.rowids;
      }
      // Each term's matches, from the cache or read now (taken before a read may clear the cache).
      const lists = terms.map((t) => termHits.get(t));
      const missing = terms.filter((_, i) => lists[i] === undefined);
      if (missing.length > 0) {
        const read = readTermHits(missing, ids);
        terms.forEach((t, i) => (lists[i] ??= read.get(t)));
      }
      // FTS5's bm25() of an OR query adds up, phrase by phrase in query order, each phrase's own BM25 (its IDF, the
      // row's frequency and length): summed in that order, the terms' own scores are the OR query's, to the bit.
      const touched: number[] = [];
      for (const found of lists as number[][]) {
        for (let i = 0; i < found.length; i += 2) {
          const rowid = found[i]!;
          if (among && !among.has(rowid)) continue;
          if (met[rowid]) {
            sums[rowid] = sums[rowid]! + found[i + 1]!;
          } else {
            met[rowid] = 1;
            sums[rowid] = found[i + 1]!;
            touched.push(rowid);
          }
        }
      }
      // The `limit` best, best first; a tie in the order FTS5 meets the rows (by rowid), as ORDER BY bm25() LIMIT
      // keeps them. Picked in one pass: sorting every match cost more than all the rest of a search.
      const best: number[] = [];
      for (const rowid of touched) {
        if (best.length === limit && !above(rowid, best[limit - 1]!)) continue;
        let at = best.length;
        while (at > 0 && above(rowid, best[at - 1]!)) at--;
        best.splice(at, 0, rowid);
        if (best.length > limit) best.pop();
      }
      const hits = best.map((rowid) => ({
        articleId: ids[rowid]!,
        rank: sums[rowid]!,
        terms: terms.filter((_, n) => has(lists[n]!, rowid)),
        headTerms: terms.filter((t) => termHeads.get(t)?.has(rowid)),
      }));
      for (const rowid of touched) met[rowid] = 0;
      return hits;
    },
  };

  /** Article ids by rowid, rowids by article id; and room for `search` to add up every article's scores. */
  function loadArticleIds(): [ids: string[], rowids: Map<string, number>] {
    const ids: string[] = [];
    const rowids = new Map<string, number>();
    for (const r of q.all.all()) {
      ids[r.rowid] = r.article_id;
      rowids.set(r.article_id, r.rowid);
    }
    sums = new Float64Array(ids.length);
    met = new Uint8Array(ids.length);
    return [ids, rowids];
  }

  /** Whether article `a` ranks above article `b` (rowids) in the scores `search` added up. */
  function above(a: number, b: number): boolean {
    return sums[a]! > sums[b]! || (sums[a] === sums[b] && a < b);
  }

  /** Whether a term's matches (rowid, score, ...) include `rowid`. */
  function has(found: readonly number[], rowid: number): boolean {
    for (let i = 0; i < found.length; i += 2) if (found[i] === rowid) return true;
    return false;
  }

  /**
   * Reads the matches of `terms` from the index (those of articles in `ids`), and keeps them in the cache; in one read
   * transaction (outside one, each statement would take and release the database's read lock).
   */
  const readTermHits = (terms: readonly string[], ids: readonly string[]): Map<string, number[]> => {
    const out = new Map<string, number[]>();
    const read = () => {
      for (const t of terms) {
        const rows = q.termHits.all(literal(t));
        // Sized at once: a cache of many small lists must not carry an array's room to grow.
        const found = new Array<number>(rows.length * 2);
        const heads = new Set<number>();
        let n = 0;
        for (const [rowid, rank, headRank] of rows) {
          if (ids[rowid] === undefined) continue;
          found[n++] = rowid;
          found[n++] = rank;
          if (headRank > 0) heads.add(rowid);
        }
        found.length = n;
        if (cachedHits + found.length / 2 > MAX_CACHED_HITS) {
          termHits.clear();
          termHeads.clear();
          cachedHits = 0;
        }
        termHits.set(t, found);
        termHeads.set(t, heads);
        cachedHits += found.length / 2;
        out.set(t, found);
      }
    };
    if (db.inTransaction) read();
    else readTransaction(read);
    return out;
  };
  const readTransaction = db.transaction((read: () => void) => read());

  return {
    /** Every indexed article with its fingerprints. */
    indexed: (): IndexedArticle[] => q.all.all().map((r) => ({ articleId: r.article_id, indexed: r.indexed, related: r.related })),
    /** Another connection changed the index (the relating worker): searches read it again. */
    forget,
    /** Adds or replaces `docs` and removes `removed`, in one transaction. */
    index: (docs: readonly ArticleDoc[], removed: readonly string[]): void => index(docs, removed),
    /** The stored relations of these articles now reflect `fingerprint`s. */
    markRelated: writeTransaction(db, (done: readonly { articleId: string; fingerprint: string }[]): void => {
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
