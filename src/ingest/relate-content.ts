import type { RelateTarget } from '../content/model.ts';
import type { RelatableItem, Relating, RelationReason } from '../model/poll.ts';
import type { ArticleSearch, SyncArticleSearch } from '../model/search.ts';
import type { Awaitable } from '../storage/store.ts';
import { guessLanguage, terms, words } from '../search/analyse.ts';
import { compileRelater } from './relate.ts';

/**
 * How relating by content decides (README, "Related items"). An item relates to an article when the article is
 * among the item's best BM25 matches, its normalised score reaches THRESHOLD, and they share at least MIN_TERMS
 * distinct terms. The normalised score is BM25 (FTS5's, head weighted) divided by the item's own weight: the sum
 * of the IDFs of all its terms, a term no article has counting as one in a single article. It reads as "how much
 * of what the item says an article says too": about 0.1 to 2.
 */
export const RELATE_TUNING = {
  /** Bump when anything here changes: every article's relations are computed again. */
  version: 1,
  threshold: 0.35,
  minTerms: 2,
  /** Articles one item may relate to by content. */
  maxArticles: 5,
  /** And only those scoring at least this share of its best article's score. */
  ofBest: 0.0,
  /** A term of the item no article has weighs this share of a term found in one article. */
  unknownWeight: 2.0,
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
  const itemTerms = [...new Set(terms(text, language))];
  if (itemTerms.length < RELATE_TUNING.minTerms) return [];
  return then(search.termStats(itemTerms), (stats): Awaitable<RelationReason[]> => {
    if (stats.articles === 0 || stats.df.size < RELATE_TUNING.minTerms) return [];
    let weight = 0;
    for (const t of itemTerms) {
      const df = stats.df.get(t);
      weight += df === undefined ? RELATE_TUNING.unknownWeight * idf(stats.articles, 1) : idf(stats.articles, df);
    }
    const known = [...stats.df].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
    const query: string[] = [];
    let postings = 0;
    for (const [t, df] of known) {
      if (query.length >= RELATE_TUNING.maxQueryTerms || postings + df > RELATE_TUNING.postingBudget) break;
      query.push(t);
      postings += df;
    }
    if (query.length < RELATE_TUNING.minTerms) return [];
    return then(search.search(query, RELATE_TUNING.maxArticles, only), (found) => {
      const best = found[0]?.rank ?? 0;
      const out: RelationReason[] = [];
      for (const h of found) {
        if (h.rank / weight < RELATE_TUNING.threshold || h.rank < RELATE_TUNING.ofBest * best || h.terms.length < RELATE_TUNING.minTerms) continue;
        out.push({ articleId: h.articleId, by: 'content', score: h.rank / weight, terms: h.terms });
      }
      return out;
    });
  });
}
