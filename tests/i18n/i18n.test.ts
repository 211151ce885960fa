import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadContent } from '../../src/content/load.ts';
import { direction, languageName, strings } from '../../src/i18n/strings.ts';
import { copyContent, edit, REPO } from '../helpers/service.ts';

describe('the strings tables decide words and direction, not code', () => {
  test('a language is written in the direction its table or Intl says, left to right when unknown', () => {
    expect(direction('ar')).toBe('rtl');
    expect(direction('id')).toBe('ltr');
    expect(direction('en')).toBe('ltr');
    // No table: Intl's text info (Hebrew, Persian), or left to right for a tag Intl cannot read.
    expect(direction('he')).toBe('rtl');
    expect(direction('fa')).toBe('rtl');
    expect(direction('fr')).toBe('ltr');
    expect(direction('not a tag')).toBe('ltr');
  });

  test('language names come from the table, else from Intl, else the code', () => {
    expect(languageName('en', 'id')).toBe('Inggris');
    expect(languageName('ar', 'id')).toBe('Arab');
    expect(languageName('id', 'ar')).toBe('الإندونيسية');
    expect(languageName('ar', 'ar')).toBe('العربية');
    // French has no table: Intl names the language in French, not English.
    expect(languageName('de', 'fr')).toBe('allemand');
    expect(languageName('zz-invalid!', 'en')).toBe('zz-invalid!');
  });

  test('a language that leaves readAlso out of site.yaml gets its own words for it', () => {
    const dir = copyContent();
    edit(dir, 'site.yaml', (t) => t.replace(/\n\s*readAlso: .*/g, ''));
    const site = loadContent(dir).site;
    expect(site.languages.map((l) => [l.code, l.readAlso])).toEqual([
      ['id', strings('id').readAlso],
      ['en', strings('en').readAlso],
    ]);
    expect(strings('id').readAlso).toBe('Baca juga');
  });

  test('feeds import nothing from pages, and the strings import nothing at all', () => {
    const imports = (file: string) => [...fs.readFileSync(file, 'utf8').matchAll(/^import [^;]*? from '([^']+)'/gm)].map((m) => m[1]!);
    const feeds = path.join(REPO, 'src/feeds');
    for (const f of fs.readdirSync(feeds)) {
      expect(imports(path.join(feeds, f)).filter((i) => i.includes('/pages/')), f).toEqual([]);
    }
    expect(imports(path.join(REPO, 'src/i18n/strings.ts'))).toEqual([]);
  });
});
