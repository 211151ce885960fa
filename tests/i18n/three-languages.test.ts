import fs from 'node:fs';
import path from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import yaml from 'js-yaml';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonFeed } from '../helpers/json-feed.ts';
import { copyContent, REPO, request, startService, TEST_BASE, type Running } from '../helpers/service.ts';

/**
 * A third language is configuration: the shipped content plus an `ar` entry in site.yaml (with category labels) and
 * an Arabic translation of the seed article (tests/fixtures/three-languages/), and no code change. Arabic is
 * written right to left.
 */

const SLUG = 'rusia-2000-militan-timteng-karabakh';
const FIXTURES = path.join(REPO, 'tests/fixtures/three-languages');

function threeLanguageContent(): string {
  const dir = copyContent();
  const site = yaml.load(fs.readFileSync(path.join(dir, 'site.yaml'), 'utf8')) as {
    languages: Record<string, unknown>;
    categories: Record<string, Record<string, string>>;
  };
  const ar = yaml.load(fs.readFileSync(path.join(FIXTURES, 'site-ar.yaml'), 'utf8')) as {
    languages: Record<string, unknown>;
    categories: Record<string, string>;
  };
  Object.assign(site.languages, ar.languages);
  for (const [slug, label] of Object.entries(ar.categories)) site.categories[slug]!.ar = label;
  fs.writeFileSync(path.join(dir, 'site.yaml'), yaml.dump(site, { lineWidth: -1 }));
  fs.copyFileSync(path.join(FIXTURES, 'index.ar.md'), path.join(dir, 'articles', SLUG, 'index.ar.md'));
  return dir;
}

let three: Running;
let two: Running;
beforeAll(async () => {
  three = await startService({ contentDir: threeLanguageContent() });
  two = await startService();
});
afterAll(async () => {
  await three?.close();
  await two?.close();
});

async function get(run: Running, url: string): Promise<string> {
  const r = await request(run.local(url.startsWith('/') ? TEST_BASE + url : url));
  expect(r.status, url).toBe(200);
  return r.text;
}

function outlines(opml: string): { xmlUrl: string; language: string }[] {
  const doc = new DOMParser().parseFromString(opml, 'text/xml');
  return [...(doc.getElementsByTagName('outline') as unknown as Iterable<Element>)]
    .filter((o) => o.getAttribute('xmlUrl'))
    .map((o) => ({ xmlUrl: o.getAttribute('xmlUrl')!, language: o.getAttribute('language')! }));
}

function wellFormed(xml: string): void {
  const parser = new SaxesParser({ xmlns: true });
  parser.on('error', (err) => {
    throw err;
  });
  parser.write(xml).close();
}

/** Links of the first Atom entry: hreflang by rel. */
function entryLinks(atom: string): { rel: string; hreflang: string }[] {
  const doc = new DOMParser().parseFromString(atom, 'text/xml');
  const entry = doc.getElementsByTagName('entry')[0] as Element;
  return [...(entry.getElementsByTagName('link') as unknown as Iterable<Element>)].map((l) => ({
    rel: l.getAttribute('rel') ?? '',
    hreflang: l.getAttribute('hreflang') ?? '',
  }));
}

describe('a site in three languages (id, en, ar) from configuration alone', () => {
  test('the OPML lists every feed of the three languages, and each answers 200 and is well-formed', async () => {
    const list = outlines(await get(three, '/feeds.opml'));
    const byLanguage = (l: string) => list.filter((o) => o.language === l).length;
    expect(byLanguage('ar')).toBeGreaterThan(0);
    expect(byLanguage('ar')).toBe(byLanguage('id'));
    expect(byLanguage('en')).toBe(byLanguage('id'));
    expect(list.length).toBe(3 * byLanguage('id'));
    for (const { xmlUrl } of list) {
      const body = await get(three, xmlUrl);
      if (xmlUrl.endsWith('.json')) expect((): unknown => JSON.parse(body), xmlUrl).not.toThrow();
      else expect(() => wellFormed(body), xmlUrl).not.toThrow();
    }
  });

  test('Arabic pages are right to left, and quote left-to-right text with its own direction', async () => {
    for (const p of ['/ar/', `/ar/articles/${SLUG}/`, '/ar/related/', '/ar/categories/rusia/']) {
      expect(await get(three, p), p).toContain('<html lang="ar" dir="rtl">');
    }
    const article = await get(three, `/ar/articles/${SLUG}/`);
    expect(article).toContain('<h1>روسيا تقول إن نحو ألفي مسلح من الشرق الأوسط في قره باغ</h1>');
    // The original's title in the Arabic credit is Indonesian, laid out left to right.
    expect(article).toContain(
      `<a href="${TEST_BASE}/id/articles/${SLUG}/" hreflang="id" lang="id" dir="ltr">Rusia Nyatakan Ada 2000 Militan Timteng di Karabakh</a>`,
    );
    expect(article).toContain('<p class="credit">مترجم عن الإندونيسية: ');
    expect(article).toContain('الترجمة: <bdi>مكتب الترجمة في Kabar Feeds</bdi>.');
    // The other languages, each named in its own language and direction.
    expect(article).toContain(`<a href="${TEST_BASE}/en/articles/${SLUG}/" hreflang="en" lang="en" dir="ltr">English</a>`);
    // Left-to-right pages are unchanged in their direction, and quote the Arabic right to left.
    const id = await get(three, `/id/articles/${SLUG}/`);
    expect(id).toContain('<html lang="id">');
    expect(id).toContain(`<a href="${TEST_BASE}/ar/articles/${SLUG}/" hreflang="ar" lang="ar" dir="rtl">العربية</a>`);
    const index = await get(three, '/');
    expect(index).toContain('<section lang="ar" dir="rtl">');
    // An Arabic feed opened in a browser, and its embed, are right to left in Arabic words too.
    const view = await request(`${three.origin}/ar/feed.atom`, { headers: { 'sec-fetch-dest': 'document' } });
    expect(view.text).toContain('<html lang="ar" dir="rtl">');
    expect(view.text).toContain('هذه خلاصة أخبار.');
    expect(await get(three, '/embed/ar/')).toContain('<html lang="ar" dir="rtl">');
  });

  test('pages of every language link the article in all three (hreflang)', async () => {
    for (const lang of ['id', 'en', 'ar']) {
      const page = await get(three, `/${lang}/articles/${SLUG}/`);
      for (const other of ['id', 'en', 'ar']) {
        expect(page, `${lang} → ${other}`).toContain(`<link rel="alternate" hreflang="${other}" href="${TEST_BASE}/${other}/articles/${SLUG}/">`);
      }
    }
  });

  test('feeds link the translations: Atom from the original to both, JSON Feed between all three', async () => {
    const fromOriginal = entryLinks(await get(three, '/id/feed.atom'));
    expect(fromOriginal).toContainEqual({ rel: 'https://schema.org/workTranslation', hreflang: 'en' });
    expect(fromOriginal).toContainEqual({ rel: 'https://schema.org/workTranslation', hreflang: 'ar' });
    expect(entryLinks(await get(three, '/ar/feed.atom'))).toContainEqual({ rel: 'https://schema.org/translationOfWork', hreflang: 'id' });
    for (const lang of ['id', 'en', 'ar']) {
      const feed = JSON.parse(await get(three, `/${lang}/feed.json`)) as {
        items: { _kabar: { translations: { language: string }[] } }[];
      };
      const translations = feed.items[0]!._kabar.translations.map((t) => t.language).sort();
      expect(translations, lang).toEqual(['ar', 'en', 'id'].filter((l) => l !== lang));
    }
  });

  test('the Arabic feeds say their language', async () => {
    const atom = await get(three, '/ar/feed.atom');
    expect(atom).toMatch(/<feed [^>]*xml:lang="ar"/);
    expect(atom).toContain('<title type="text">أخبار الشرق الأوسط</title>');
    // Entry content in Arabic words: the credit and the related list's heading come from the ar strings and site.yaml.
    expect(atom).toContain('مترجم عن الإندونيسية: ');
    expect((JSON.parse(await get(three, '/ar/feed.json')) as JsonFeed).language).toBe('ar');
    expect(await get(three, '/ar/feed.rss')).toContain('<language>ar</language>');
  });

  test('the Indonesian and English feeds and pages are those of the two-language site, but for the links to Arabic', async () => {
    const urls = [
      ...outlines(await get(two, '/feeds.opml')).map((o) => o.xmlUrl),
      ...['id', 'en'].flatMap((l) => [`/${l}/`, `/${l}/articles/${SLUG}/`, `/${l}/related/`, `/${l}/categories/rusia/`]),
    ];
    expect(urls.length).toBeGreaterThan(20);
    for (const url of urls) {
      const before = await get(two, url);
      const after = await get(three, url);
      if (url.endsWith('.json')) expect(withoutArabicJson(JSON.parse(after)), url).toEqual(JSON.parse(before));
      else expect(withoutArabicMarkup(after), url).toBe(before);
      expect(after === before || after.includes('hreflang="ar"') || after.includes('"language": "ar"'), url).toBe(true);
    }
  });
});

/** The two-language bytes: links to Arabic removed (head and feed links, and the "Also in" entry). */
function withoutArabicMarkup(text: string): string {
  return text
    .replace(/<(?:atom:)?link [^>]*hreflang="ar"[^>]*>\n?/g, '')
    .replace(/, <a [^>]*hreflang="ar"[^>]*>[^<]*<\/a>/g, '');
}

function withoutArabicJson(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value
      .filter((v) => !(v && typeof v === 'object' && (v as { language?: unknown }).language === 'ar'))
      .map(withoutArabicJson);
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withoutArabicJson(v)]));
  }
  return value;
}
