import type { Article, ContentSnapshot, Language } from '../content/model.ts';
import type { Scope } from './catalog.ts';

/** The UTC month of an instant, `YYYY-MM`: an archive document holds the articles published in one. */
export function monthOf(d: Date): string {
  return d.toISOString().slice(0, 7);
}

const memo = new WeakMap<ContentSnapshot, Map<string, ReadonlyMap<string, readonly Article[]>>>();

/**
 * The articles of a language and scope (site or category) by the UTC month of their publication in that
 * language, oldest month first, each month's articles newest first. Months without articles are not listed.
 * Memoised per content snapshot (a content change is a new snapshot).
 */
export function articlesByMonth(snapshot: ContentSnapshot, lang: Language, scope: Scope): ReadonlyMap<string, readonly Article[]> {
  let perSnapshot = memo.get(snapshot);
  if (!perSnapshot) memo.set(snapshot, (perSnapshot = new Map<string, ReadonlyMap<string, readonly Article[]>>()));
  const key = `${lang} ${scope.kind === 'category' ? scope.slug : scope.kind}`;
  let months = perSnapshot.get(key);
  if (!months) {
    const grouped = new Map<string, Article[]>();
    if (scope.kind !== 'related') {
      for (const a of snapshot.articles) {
        const t = a.translations.get(lang);
        if (!t || (scope.kind === 'category' && !a.categories.includes(scope.slug))) continue;
        const m = monthOf(t.published);
        const list = grouped.get(m);
        if (list) list.push(a);
        else grouped.set(m, [a]);
      }
    }
    const published = (a: Article) => a.translations.get(lang)!.published.getTime();
    months = new Map(
      [...grouped.keys()].sort().map((m) => [m, grouped.get(m)!.sort((a, b) => published(b) - published(a) || a.id.localeCompare(b.id))]),
    );
    perSnapshot.set(key, months);
  }
  return months;
}
