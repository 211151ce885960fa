import { describe, expect, test } from 'vitest';
import { analyse, terms } from '../../src/search/analyse.ts';

/**
 * What relating by content reads in a text (src/search/analyse.ts): the same name, or the same borrowed word, in an
 * English and an Indonesian text is one term, so an item in one language meets an article in the other.
 */
describe('search terms of a text', () => {
  test('a name is one term in English and Indonesian, where the Indonesian stemmer would cut it', () => {
    const id = terms('Pasukan Azerbaijan merebut desa di dekat Yerevan, kata Erdogan.', 'id');
    const en = terms('Troops of Azerbaijan took a village near Yerevan, Erdogan said.', 'en');
    for (const name of ['azerbaijan', 'yerevan', 'erdogan']) {
      const [t] = terms(`near ${name[0]!.toUpperCase()}${name.slice(1)}`, 'en').slice(-1);
      expect(id).toContain(t);
      expect(en).toContain(t);
    }
  });

  test('a word borrowed by Indonesian from English is one term in both', () => {
    const pairs = [
      ['vaksinasi', 'vaccination'],
      ['vaksin', 'vaccines'],
      ['komisi', 'commission'],
      ['delegasi', 'delegation'],
      ['universitas', 'university'],
      ['teknologi', 'technology'],
      ['konflik', 'conflict'],
      ['provinsi', 'province'],
    ];
    for (const [id, en] of pairs) expect(terms(id!, 'id'), `${id} / ${en}`).toEqual(terms(en!, 'en'));
  });

  test('a headline in title case is read like a sentence: its capitals are not names', () => {
    expect(terms('Russian Air Strike Tests the Deal', 'en')).toEqual(terms('a russian air strike tests the deal', 'en'));
    // A word written as a name elsewhere in the text is one in the headline too.
    const text = analyse('Samos Shaken Again by Strong Quake\nA new quake shook the island of Samos on Friday.', 'en');
    expect(text.names).toContain(terms('near Samos', 'en').at(-1));
    expect(text.terms.filter((t) => text.names.has(t))).toHaveLength(2);
  });

  test('what an editor reads for a term is the word it was made from', () => {
    const text = analyse('Fighters of Faylaq al-Sham', 'en');
    expect([...text.words.values()]).toEqual(expect.arrayContaining(['faylaq', 'sham', 'fighters']));
  });
});
