import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RelateTarget } from '../../src/content/model.ts';
import { compileRelater } from '../../src/ingest/relate.ts';

/** The Karabakh article's rules as the content module gives them: lower-cased alternatives. */
const karabakh: RelateTarget = {
  articleId: 'karabakh-2026',
  rules: [[['karabakh']], [['iran', 'israel'], ['karabakh']], [['idlib'], ['russia', 'rusia'], ['turkey', 'turki']]],
};
const relate = compileRelater([karabakh, { articleId: 'other', rules: [[['tirana']]] }]);
const item = (title: string, summary = '', categories: string[] = []) => ({ title, summary, categories });

describe('relate', () => {
  it.each([
    ['Nagorno-Karabakh talks', ''],
    ["Karabakh's refugees", ''],
    ['KARABAKH', ''],
    ['Iranian drones', 'in the Karabakh war'],
    ['Rusia dan Turki sepakat', 'patroli di Idlib'],
    ['Idlib', 'Russia-Turkey deal'],
    ['Karabağ', ''],
  ])('relates %j / %j to the Karabakh article', (title, summary) => {
    // "Karabağ" is not "karabakh": only the first six rows match by the article's terms.
    const expected = title === 'Karabağ' ? [] : ['karabakh-2026'];
    expect(relate(item(title, summary))).toEqual(expected);
  });

  it('matches at word starts only, and folds case and diacritics', () => {
    expect(relate(item('Tirana wins the cup'))).toEqual(['other']);
    expect(relate(item('KÄRÄBÄKH explained'))).toEqual(['karabakh-2026']);
    expect(relate(item('Idlib ceasefire', 'Turkey alone'))).toEqual([]);
  });

  it('reads categories too', () => {
    expect(relate(item('Refugees return', '', ['Karabakh']))).toEqual(['karabakh-2026']);
  });

  it('does not relate prices, sport or recipes', () => {
    for (const t of ['Fuel prices climb', 'Derby ends goalless in Istanbul', 'Recipe: lentil soup']) {
      expect(relate(item(t, "Turkey's league"))).toEqual([]);
    }
  });
});

/** The matcher as first written, one regular expression per term: the compiled one must agree with it. */
function referenceRelater(targets: readonly RelateTarget[]) {
  const fold = (s: string) => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ');
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const compiled = targets.map((t) => ({
    articleId: t.articleId,
    rules: t.rules
      .filter((rule) => rule.length > 0)
      .map((rule) =>
        rule.map((term) => {
          const alts = term.map((a) => fold(a).trim()).filter(Boolean).map(escape);
          return alts.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${alts.join('|')})`, 'u') : null;
        }),
      )
      .filter((rule): rule is RegExp[] => rule.every((r) => r !== null)),
  }));
  return (i: { title: string; summary: string; categories: readonly string[] }) => {
    const haystack = fold([i.title, i.summary, ...i.categories].join(' \n '));
    return compiled.filter((t) => t.rules.some((rule) => rule.every((re) => re.test(haystack)))).map((t) => t.articleId);
  };
}

describe('relate, compiled into one scan', () => {
  it('finds overlapping alternatives at one position and terms that share alternatives', () => {
    const targets: RelateTarget[] = [
      { articleId: 'iran', rules: [[['iran']]] },
      { articleId: 'iranian-drones', rules: [[['iranian'], ['drone']]] },
      { articleId: 'new-york', rules: [[['new  york', 'nyc']]] },
      { articleId: 'york', rules: [[['york']], [['iran']]] },
      { articleId: 'empty', rules: [[], [['', '  ']], [['x'], []]] },
    ];
    const compiled = compileRelater(targets);
    expect(compiled(item('Iranian drones over New\tYork'))).toEqual(['iran', 'iranian-drones', 'new-york', 'york']);
    expect(compiled(item('Tirana', 'Yorkshire', ['Xenia']))).toEqual(['york']);
    expect(compiled(item('nothing here'))).toEqual([]);
    expect(compileRelater([])(item('Iran'))).toEqual([]);
  });

  it('agrees with one regular expression per term on random rules and texts', () => {
    // Lone surrogates too: the scan must step by code point exactly as a `u` regular expression does.
    const word = fc.constantFrom('iran', 'Iranian', 'tirana', 'karabakh', 'KARABAĞ', 'idlib', 'rusia', 'new york', 'york', 'c++', 'a.b', 'é', 'e\u0301', 'ﬁ', '𝐀b', '東京', '1', 'ab', 'b', '\ud835', '\udc00', 'a\ud835');
    const sep = fc.constantFrom(' ', '-', "'", '\n', '', '.', 'x', '9', '\u00a0', '𝐀', '\ud835', '\udc00');
    const text = fc.array(fc.tuple(word, sep), { maxLength: 8 }).map((parts) => parts.map(([w, s]) => w + s).join(''));
    const term = fc.array(fc.oneof(word, fc.string({ maxLength: 3 })), { minLength: 0, maxLength: 3 });
    const rule = fc.array(term, { maxLength: 3 });
    const targets = fc.array(fc.record({ articleId: fc.constantFrom('a', 'b', 'c', 'd'), rules: fc.array(rule, { maxLength: 3 }) }), { maxLength: 5 });
    fc.assert(
      fc.property(targets, text, text, fc.array(text, { maxLength: 2 }), (ts, title, summary, categories) => {
        const it = { title, summary, categories };
        expect(compileRelater(ts)(it)).toEqual(referenceRelater(ts)(it));
      }),
      { numRuns: 500 },
    );
  });
});
