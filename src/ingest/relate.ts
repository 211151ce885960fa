import type { RelateTarget } from '../content/model.ts';

/** Case- and diacritic-insensitive form: NFKD, combining marks removed, lower case, spaces collapsed. */
export function foldText(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ');
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Relatable {
  title: string;
  summary: string;
  categories: readonly string[];
}

export type Relater = (item: Relatable) => string[];

/**
 * Compiles articles' rules into one function: an item relates to an article when any of its rules matches;
 * a rule matches when each of its terms does; a term when any alternative occurs at the start of a word
 * ("karabakh" in "Nagorno-Karabakh's", "iran" in "Iranian" but not in "Tirana").
 */
export function compileRelater(targets: readonly RelateTarget[]): Relater {
  const compiled = targets.map((t) => ({
    articleId: t.articleId,
    rules: t.rules
      .filter((rule) => rule.length > 0)
      .map((rule) =>
        rule.map((term) => {
          const alts = term.map((a) => foldText(a).trim()).filter(Boolean).map(escapeRegExp);
          return alts.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join('|')})`, 'u') : null;
        }),
      )
      .filter((rule) => rule.every((r) => r !== null)) as RegExp[][],
  }));
  return (item) => {
    const haystack = foldText([item.title, item.summary, ...item.categories].join(' \n '));
    const ids: string[] = [];
    for (const t of compiled) {
      if (t.rules.some((rule) => rule.every((re) => re.test(haystack)))) ids.push(t.articleId);
    }
    return ids;
  };
}
