import type { RelateTarget } from '../content/model.ts';
import type { RelatableItem, Relating, RelationReason } from '../model/poll.ts';
import type { ArticleHit, ArticleSearch, SyncArticleSearch } from '../model/search.ts';
import type { Awaitable } from '../storage/store.ts';
import { analyse, guessLanguage, words } from '../search/analyse.ts';
import { compileRelater } from './relate.ts';

/**
 * How relating by content decides (README, "Related items"; tests/fixtures/relate/README.md says why these rules
 * and figures). The score is BM25 (FTS5's, head weighted) divided by the item's own weight: the sum of the IDFs of
 * all its terms, a term no article has weighing `unknownWeight` times one found in a single article. It reads as
 * "how much of what the item says an article says too": about 0.1 to 2. An item relates to an article among its
 * `maxArticles` best BM25 matches when they share at least `minTerms` distinct terms, its score is at least
 * `ofBest` times the score of the item's best article, and either
 * - the score reaches `threshold` and the shared terms in the article's head (titles, summaries, tags, category
 *   labels: what it is about) weigh at least `headThreshold` of the item's weight (their IDFs): an item that shares only the words of a body's aside ("Turkey's
 *   support for Azerbaijan in Nagorno-Karabakh" in an article on Idlib) or the vocabulary of another event of the
 *   same kind (another earthquake) is not about the article; or
 * - the item writes at least `sharedNames` names (capitalised inside a sentence) that are in the article's head
 *   and in few articles (IDF at least `nameIdf` of a term in one article), however little else it shares:
 *   "Armenia and Azerbaijan trade accusations over shelling of Ganja" and an article whose head names both.
 */
export const RELATE_TUNING = {
  /** Bump when anything here changes: every article's relations are computed again. */
  version: 2,
  threshold: 0.5,
  headThreshold: 0.125,
  sharedNames: 2,
  nameIdf: 0.3,
  minTerms: 2,
  /** Articles one item may relate to by content. */
  maxArticles: 5,
  /** And only those scoring at least this share of its best article's score. */
  ofBest: 0.7,
  /** A term of the item no article has weighs this share of a term found in one article. */
  unknownWeight: 1.0,
  /** The rarest query terms go to the index first, at most this many. */
  maxQueryTerms: 12,
  /**
   * And only while the articles they occur in add up to this (a term in a thousand articles costs a thousand
   * scores and says little): the bound on the cost of one search. An item whose rarest term is in more articles
   * than this shares nothing specific with any: it is not searched.
   */
  postingBudget: 150,
};

/** FTS5's BM25 IDF (floored as it does), so the normalisation weighs terms as the ranking does. */
const idf = (articles: number, df: number): number => Math.max(1e-6, Math.log((articles - df + 0.5) / (df + 0.5)));

/** An item's item-side view: what it says, in which language. */
export type Relatable = Omit<RelatableItem, 'id'>;

/**
 * Relates one item: rules force articles in, content finds them, excludes keep them out. The answer comes at once
 * over a synchronous index (SQLite), later over PostgreSQL.
 */
export type ContentRelater = (item: Relatable) => Awaitable<Relating>;
/** The relater over a synchronous index (SQLite's): its answer comes at once. */
export type SyncContentRelater = (item: Relatable) => Relating;

/** `f` of `value`, at once when `value` is there, else when it comes: one relater for both kinds of index. */
function then<T, U>(value: Awaitable<T>, f: (v: T) => Awaitable<U>): Awaitable<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/**
 * Compiles the relater of `targets` over the article index `search` (null: rules only). With `only`, the item
 * is related to those articles alone (a background pass after they changed).
 */
export function compileContentRelater(targets: readonly RelateTarget[], search: SyncArticleSearch | null, only?: ReadonlySet<string> | null): SyncContentRelater;
export function compileContentRelater(targets: readonly RelateTarget[], search: ArticleSearch | null, only?: ReadonlySet<string> | null): ContentRelater;
export function compileContentRelater(
  targets: readonly RelateTarget[],
  search: ArticleSearch | null,
  only: ReadonlySet<string> | null = null,
): ContentRelater {
  const chosen = only ? targets.filter((t) => only.has(t.articleId)) : targets;
  const byRule = compileRelater(chosen);
  const ruleTerms = new Map(chosen.map((t) => [t.articleId, t.rules]));
  const excluded = compileRelater(chosen.filter((t) => t.excludes?.length).map((t) => ({ articleId: t.articleId, rules: t.excludes! })));
  const excludedUrls = new Map<string, Set<string>>();
  for (const t of chosen) for (const url of t.excludeUrls ?? []) (excludedUrls.get(url) ?? excludedUrls.set(url, new Set()).get(url)!).add(t.articleId);
  const indexed = chosen.some((t) => t.text);
  const onlyIds = only ? [...only] : null;
  // The index may still hold an article the content no longer has (removed at the end of a background pass).
  const known = new Set(chosen.map((t) => t.articleId));

  return (item) => {
    const found = search && indexed ? byContent(search, item, onlyIds) : [];
    return then(found, (byText) => {
      const reasons = new Map<string, RelationReason>();
      for (const r of byText) if (known.has(r.articleId)) reasons.set(r.articleId, r);
      for (const articleId of byRule(item)) {
        // The rule forces it in; the terms are the rule's, as the editor wrote them.
        const rules = ruleTerms.get(articleId) ?? [];
        reasons.set(articleId, { articleId, by: 'rule', score: 1, terms: [...new Set(rules.flat().flat())] });
      }
      if (reasons.size === 0) return { articleIds: [] };
      for (const articleId of excluded(item)) reasons.delete(articleId);
      if (item.url) for (const articleId of excludedUrls.get(item.url) ?? []) reasons.delete(articleId);
      const list = [...reasons.values()];
      return { articleIds: list.map((r) => r.articleId), reasons: list };
    });
  };
}

/** The articles an item relates to by its content, with their scores and shared terms. */
export function byContent(search: ArticleSearch, item: Relatable, only: readonly string[] | null = null): Awaitable<RelationReason[]> {
  const text = `${item.title}\n${item.summary}\n${item.categories.join('\n')}`;
  const language = guessLanguage(words(`${item.title} ${item.summary}`), item.language ?? null);
  const analysed = analyse(text, language);
  const distinct = [...new Set(analysed.terms)];
  if (distinct.length < RELATE_TUNING.minTerms) return [];
  const asNames = [...new Set(analysed.maybeNames.values())];
  return then(search.termStats(asNames.length > 0 ? [...new Set([...distinct, ...asNames])] : distinct), (found): Awaitable<RelationReason[]> => {
    if (found.articles === 0) return [];
    // A word capitalised where case says nothing (a headline in title case, a sentence's first word) is a name
    // where the index has it as one.
    const itemTerms = new Set<string>();
    for (const t of distinct) {
      const name = analysed.maybeNames.get(t);
      itemTerms.add(name !== undefined && found.df.has(name) ? name : t);
    }
    const df = new Map<string, number>();
    let weight = 0;
    for (const t of itemTerms) {
      const n = found.df.get(t);
      if (n !== undefined) df.set(t, n);
      weight += n === undefined ? RELATE_TUNING.unknownWeight * idf(found.articles, 1) : idf(found.articles, n);
    }
    if (df.size < RELATE_TUNING.minTerms) return [];
    const known = [...df].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    const query: string[] = [];
    let postings = 0;
    for (const [t, n] of known) {
      if (query.length >= RELATE_TUNING.maxQueryTerms || postings + n > RELATE_TUNING.postingBudget) break;
      query.push(t);
      postings += n;
    }
    if (query.length < RELATE_TUNING.minTerms) return [];
    const idfOf = (t: string) => idf(found.articles, df.get(t)!);
    // Only the words the item writes as names (inside a sentence): a headline's capitals say nothing.
    const names = query.filter((t) => analysed.names.has(t) && idfOf(t) >= RELATE_TUNING.nameIdf * idf(found.articles, 1));
    const searched: Searched = { query, weight, idf: idfOf, names, words: analysed.words };
    return then(search.search(query, RELATE_TUNING.maxArticles, only), (hits) => decide(search, hits, searched, only));
  });
}

/** An item as it was searched. */
interface Searched {
  /** Its terms that went to the index. */
  query: readonly string[];
  /** The sum of the IDFs of all its terms. */
  weight: number;
  idf: (term: string) => number;
  /** Its query terms written as names and in few articles. */
  names: readonly string[];
  /** Term → the item's word for it. */
  words: ReadonlyMap<string, string>;
}

/** Which of an item's hits it relates to (RELATE_TUNING), with the score each gets. */
function decide(search: ArticleSearch, found: readonly ArticleHit[], item: Searched, only: readonly string[] | null): Awaitable<RelationReason[]> {
  const shares = (h: ArticleHit) => h.terms.length >= RELATE_TUNING.minTerms;
  const hits = found.filter(shares);
  if (hits.length === 0) return [];
  const score = (h: ArticleHit) => h.rank / item.weight;
  // How much of the item's weight the article's head has: the IDFs of the shared terms in it.
  const headShare = (h: ArticleHit) => h.headTerms.reduce((sum, t) => sum + item.idf(t), 0) / item.weight;
  const byScore = (h: ArticleHit) => score(h) >= RELATE_TUNING.threshold && headShare(h) >= RELATE_TUNING.headThreshold;
  const byNames = (h: ArticleHit) => h.headTerms.filter((t) => item.names.includes(t)).length >= RELATE_TUNING.sharedNames;
  const candidates = hits.filter((h) => byScore(h) || byNames(h));
  if (candidates.length === 0) return [];
  // The best article of all, also when this search was among some articles only (a background pass after they
  // changed): an item relates to them as it would in a pass over all articles.
  const best = only
    ? then(search.search(item.query, RELATE_TUNING.maxArticles), (all) => Math.max(...hits.map(score), ...all.filter(shares).map(score)))
    : Math.max(...hits.map(score));
  return then(best, (top) =>
    candidates
      .filter((h) => score(h) >= RELATE_TUNING.ofBest * top)
      // The shared terms as the item writes them (folded): "faylaq", not a spelling of the index such as "faylak".
      .map((h): RelationReason => ({ articleId: h.articleId, by: 'content', score: score(h), terms: [...new Set(h.terms.map((t) => item.words.get(t) ?? t))] })),
  );
}
