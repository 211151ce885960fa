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
