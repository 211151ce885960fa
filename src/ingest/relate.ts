import type { RelateTarget } from '../content/model.ts';

const NOT_ASCII = /[\x80-\uffff]/;

/** Case- and diacritic-insensitive form: NFKD, combining marks removed, lower case, spaces collapsed. */
export function foldText(s: string): string {
  return foldCase(s).replace(/\s+/g, ' ');
}

/** foldText without collapsing spaces. */
function foldCase(s: string): string {
  // ASCII is its own NFKD form and has no combining marks: skip the two passes that cost the most.
  const decomposed = NOT_ASCII.test(s) ? s.normalize('NFKD').replace(/\p{M}/gu, '') : s;
  return decomposed.toLowerCase();
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export interface Relatable {
  title: string;
  summary: string;
  categories: readonly string[];
}

export type Relater = (item: Relatable) => string[];

/** A folded alternative of a term, and the terms it belongs to. */
interface Alternative {
  text: string;
  /** Ends in a high surrogate: must not match the first half of a pair (the `u` regex it stands for would not). */
  endsHigh: boolean;
  terms: number[];
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * Compiles articles' rules into one function: an item relates to an article when any of its rules matches;
 * a rule matches when each of its terms does; a term when any alternative occurs at the start of a word
 * ("karabakh" in "Nagorno-Karabakh's", "iran" in "Iranian" but not in "Tirana").
 *
 * All alternatives of all articles go into one regular expression, so the item text is scanned once whatever
 * the number of articles. That scan reports one alternative per position; where it stops, every alternative
 * starting with the same character is checked there, because a shorter one ("iran") and a longer one
 * ("iranian") can both start at that position and belong to different terms.
 */
export function compileRelater(targets: readonly RelateTarget[]): Relater {
  const alternatives = new Map<string, Alternative>();
  /** Per rule: its article (index into `targets`) and its terms (indexes into the matched-terms array). */
  const rules: { target: number; terms: number[] }[] = [];
  let termCount = 0;
  targets.forEach((t, target) => {
    for (const rule of t.rules) {
      if (rule.length === 0) continue;
      const folded = rule.map((term) => [...new Set(term.map((a) => foldText(a).trim()).filter(Boolean))]);
      // A term with no usable alternative can never match, so neither can its rule.
      if (folded.some((alts) => alts.length === 0)) continue;
      const terms: number[] = [];
      for (const alts of folded) {
        const term = termCount++;
        terms.push(term);
        for (const text of alts) {
          let alt = alternatives.get(text);
          if (!alt) {
            alt = { text, endsHigh: isHighSurrogate(text.charCodeAt(text.length - 1)), terms: [] };
            alternatives.set(text, alt);
          }
          alt.terms.push(term);
        }
      }
      rules.push({ target, terms });
    }
  });
  if (rules.length === 0) return () => [];

  const byFirstChar = new Map<number, Alternative[]>();
  for (const alt of alternatives.values()) {
    const first = alt.text.charCodeAt(0);
    const list = byFirstChar.get(first);
    if (list) list.push(alt);
    else byFirstChar.set(first, [alt]);
  }
  const anyAlternative = new RegExp(
    `(?<![\\p{L}\\p{N}])(?:${[...alternatives.keys()].map(escapeRegExp).join('|')})`,
    'gu',
  );
  const matched = new Uint8Array(termCount);
  // Folded alternatives hold no whitespace but single spaces. Without any, a run of whitespace in the item can
  // neither be part of a match nor a letter or digit before one: it need not be collapsed.
  const fold = [...alternatives.keys()].some((a) => a.includes(' ')) ? foldText : foldCase;

  return (item) => {
    const haystack = fold([item.title, item.summary, ...item.categories].join(' \n '));
    matched.fill(0);
    let any = false;
    anyAlternative.lastIndex = 0;
    for (let m = anyAlternative.exec(haystack); m; m = anyAlternative.exec(haystack)) {
      const at = m.index;
      for (const alt of byFirstChar.get(haystack.charCodeAt(at)) ?? []) {
        if (!haystack.startsWith(alt.text, at)) continue;
        if (alt.endsHigh) {
          const next = haystack.charCodeAt(at + alt.text.length);
          if (next >= 0xdc00 && next <= 0xdfff) continue;
        }
        for (const term of alt.terms) matched[term] = 1;
        any = true;
      }
      // Next position, one code point on: matches may overlap ("a b" and "b").
      anyAlternative.lastIndex = at + (haystack.codePointAt(at)! > 0xffff ? 2 : 1);
    }
    if (!any) return [];
    const ids: string[] = [];
    let last = -1;
    for (const rule of rules) {
      if (rule.target === last) continue;
      if (rule.terms.every((term) => matched[term] === 1)) {
        ids.push(targets[rule.target]!.articleId);
        last = rule.target;
      }
    }
    return ids;
  };
}
