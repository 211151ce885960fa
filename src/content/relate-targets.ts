import { createHash } from 'node:crypto';
import { analyseArticle, ANALYSIS_VERSION } from '../search/analyse.ts';
import type { Article, ContentSnapshot, RelateTarget, Site } from './model.ts';

const withText = new WeakMap<ContentSnapshot, RelateTarget[]>();
const rulesOnly = new WeakMap<ContentSnapshot, RelateTarget[]>();

/**
 * What the ingester relates upstream items to. `byContent` (RELATE_BY_CONTENT=on): every article, with its text
 * (all languages, for the search index) and the rules and excludes of all its languages (the editor's overrides).
 * Off: only the articles with rules or excludes, without text, so nothing is indexed or fingerprinted. The same
 * snapshot gives the same array, so the ingester compiles its relater once per content version.
 */
export function relateTargets(snapshot: ContentSnapshot, byContent: boolean): RelateTarget[] {
  const cache = byContent ? withText : rulesOnly;
  let targets = cache.get(snapshot);
  if (!targets) {
    targets = byContent ? snapshot.articles.map((a) => target(snapshot.site, a)) : snapshot.articles.map(ruleTarget).filter((t) => t !== null);
    cache.set(snapshot, targets);
  }
  return targets;
}

/** An article's rules and excludes alone (null: it has none, and relates nothing). */
function ruleTarget(a: Article): RelateTarget | null {
  const translations = [...a.translations.values()];
  const rules = translations.flatMap((t) => t.rules);
  const excludes = translations.flatMap((t) => t.excludes);
  const excludeUrls = translations.flatMap((t) => t.excludeUrls);
  if (rules.length === 0) return null;
  // The shape main's targets have when nothing is excluded: the rules' fingerprint (relate-all.ts) stays the one
  // a database written by main holds, so upgrading does not relate every stored item again.
  return { articleId: a.id, rules, ...(excludes.length > 0 ? { excludes } : {}), ...(excludeUrls.length > 0 ? { excludeUrls } : {}) };
}

function target(site: Site, a: Article): RelateTarget {
  const translations = [...a.translations.values()];
  const labels = a.categories.map((slug) => site.categories.find((c) => c.slug === slug)?.label ?? {});
  // The files (their identity covers front matter and body), the category labels shown in each language, and the
  // analysis: nothing else goes into the indexed text.
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([ANALYSIS_VERSION, translations.map((t) => [t.file, t.stamp]), labels]))
    .digest('base64url')
    .slice(0, 22);
  return {
    articleId: a.id,
    rules: translations.flatMap((t) => t.rules),
    excludes: translations.flatMap((t) => t.excludes),
    excludeUrls: translations.flatMap((t) => t.excludeUrls),
    text: {
      fingerprint,
      source: () => ({
        translations: translations.map((t) => ({
          language: t.language,
          head: [t.title, t.summary, t.tags.join('\n'), labels.map((l) => l[t.language] ?? '').join('\n')].join('\n'),
          body: t.bodyMarkdown(),
        })),
      }),
      doc() {
        return analyseArticle(this.source());
      },
    },
  };
}
