import { parseFeed } from '@rowanmanning/feed-parser';
import { DOMParser, type Element } from '@xmldom/xmldom';
import Parser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonFeed } from '../helpers/json-feed.ts';
import { request, startService, TEST_BASE, type Running } from '../helpers/service.ts';

const ARTICLE = 'rusia-2000-militan-timteng-karabakh';
const ID_TITLE = 'Rusia Nyatakan Ada 2000 Militan Timteng di Karabakh';
const EN_TITLE = 'Russia Says 2,000 Middle Eastern Militants Are in Karabakh';
const ITEM_ID = (lang: string) => `tag:kabar-feeds.example,2026:article/2020-11-03-lavrov-militan-karabakh/${lang}`;

const rssParser = new Parser({
  customFields: {
    feed: ['language'],
    item: [
      ['atom:link', 'atomLinks', { keepArray: true }],
      ['link', 'links', { keepArray: true }],
      ['category', 'cats', { keepArray: true }],
      ['dc:creator', 'creator'],
      ['content:encoded', 'contentEncoded'],
      'author',
      'contributor',
    ],
  },
});

let s: Running;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s.close();
});

async function get(path: string): Promise<string> {
  const r = await request(`${s.origin}${path}`);
  expect(r.status, path).toBe(200);
  return r.text;
}

/** Links of the feed root or of its first item/entry, as the XML states them. */
function links(xml: string, where: 'feed' | 'item'): { rel: string; href: string; type: string; hreflang: string }[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement!;
  const channel = root.nodeName === 'rss' ? (root.getElementsByTagName('channel')[0] as Element) : root;
  const parent = where === 'feed' ? channel : (channel.getElementsByTagName(root.nodeName === 'rss' ? 'item' : 'entry')[0] as Element);
  const out = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    const el = n as Element;
    if (n.nodeType === 1 && (el.localName === 'link') && el.getAttribute('href')) {
      out.push({ rel: el.getAttribute('rel') ?? '', href: el.getAttribute('href')!, type: el.getAttribute('type') ?? '', hreflang: el.getAttribute('hreflang') ?? '' });
    }
  }
  return out;
}

describe.each(['rss', 'atom'] as const)('%s feeds read back by two independent parsers', (format) => {
  test('rss-parser reads title, language, items, ids, links, dates, authors and categories', async () => {
    const xml = await get(`/id/feed.${format}`);
    const feed = await rssParser.parseString(xml);
    expect(feed.title).toBe('Kabar Timur Tengah');
    // rss-parser reads <language> only; Atom's xml:lang is checked with the other parser below.
    if (format === 'rss') expect((feed as { language?: string }).language).toBe('id');
    expect(feed.items).toHaveLength(1);
    const item = feed.items[0]! as unknown as Record<string, unknown> & Parser.Item;
    expect(item.title).toBe(ID_TITLE);
    expect(item.link).toBe(`${TEST_BASE}/id/articles/${ARTICLE}/`);
    expect(item.guid ?? item.id).toBe(ITEM_ID('id'));
    expect(new Date(item.isoDate!).toISOString()).toBe('2020-11-03T13:00:00.000Z');
    const content = (item.contentEncoded as string | undefined) ?? item.content!;
    expect(content).toContain('Moskow, LiputanIslam.com');
    expect(content).toContain('(mm/alalam)');
    expect(item.creator ?? item.author).toContain('Redaksi LiputanIslam.com');
    if (format === 'rss') {
      const cats = item.cats as { _: string; $: { domain: string } }[];
      expect(cats.map((c) => c._)).toEqual(['Konflik Karabakh', 'Rusia', 'Turki', 'Timur Tengah']);
      expect(cats[0]!.$.domain).toBe(`${TEST_BASE}/id/categories/konflik-karabakh/`);
    } else {
      const cats = item.cats as { $: { term: string; label: string; scheme: string } }[];
      expect(cats.map((c) => c.$.label)).toEqual(['Konflik Karabakh', 'Rusia', 'Turki', 'Timur Tengah']);
      expect(cats[0]!.$).toMatchObject({ term: 'konflik-karabakh', scheme: `${TEST_BASE}/id/categories/konflik-karabakh/` });
    }
  });

  test('@rowanmanning/feed-parser reads the same fields, with the English labels in the English feed', async () => {
    const xml = await get(`/en/feed.${format}`);
    const feed = parseFeed(xml);
    expect(feed.title).toBe('Middle East News');
    expect(feed.language).toBe('en');
    expect(feed.self).toBe(`${TEST_BASE}/en/feed.${format}`);
    expect(feed.url).toBe(`${TEST_BASE}/en/`);
    const item = feed.items[0]!;
    expect(item.id).toBe(ITEM_ID('en'));
    expect(item.title).toBe(EN_TITLE);
    expect(item.url).toBe(`${TEST_BASE}/en/articles/${ARTICLE}/`);
    expect(item.description).toMatch(/^Russian Foreign Minister Sergey Lavrov said/);
    expect(item.content).toContain('Translated from the Indonesian original');
    expect(item.published?.toISOString()).toBe('2026-11-25T03:00:00.000Z');
    expect(item.updated?.toISOString()).toBe('2026-11-25T03:00:00.000Z');
    expect(item.authors.map((a) => a.name)).toContain('Redaksi LiputanIslam.com (mm)');
    expect(item.categories.map((c) => c.label)).toEqual(['Karabakh conflict', 'Russia', 'Turkey', 'Middle East']);
  });

  test('the feed links itself and its page (RSS also its other formats and language); each item links its translation', async () => {
    const xml = await get(`/en/feed.${format}`);
    const feedLinks = links(xml, 'feed');
    expect(feedLinks).toContainEqual(expect.objectContaining({ rel: 'self', href: `${TEST_BASE}/en/feed.${format}` }));
    if (format === 'atom') {
      // One alternate only, the HTML page: readers take the first or the last alternate as the feed's home page.
      expect(feedLinks.filter((l) => l.rel === 'alternate')).toEqual([{ rel: 'alternate', href: `${TEST_BASE}/en/`, type: 'text/html', hreflang: 'en' }]);
    } else {
      for (const other of ['rss', 'atom', 'json'].filter((f) => f !== format)) {
        expect(feedLinks).toContainEqual(expect.objectContaining({ rel: 'alternate', href: `${TEST_BASE}/en/feed.${other}`, hreflang: 'en' }));
      }
      expect(feedLinks).toContainEqual(expect.objectContaining({ rel: 'alternate', href: `${TEST_BASE}/id/feed.${format}`, hreflang: 'id' }));
    }
    const itemLinks = links(xml, 'item');
    // The item's own page is its only alternate; the translation (here the original) has a relation no reader takes as the link.
    expect(itemLinks.filter((l) => l.rel === 'alternate').map((l) => l.href)).toEqual(format === 'atom' ? [`${TEST_BASE}/en/articles/${ARTICLE}/`] : []);
    expect(itemLinks).toContainEqual({ rel: 'https://schema.org/translationOfWork', type: 'text/html', hreflang: 'id', href: `${TEST_BASE}/id/articles/${ARTICLE}/` });
  });
});

test('the Atom feed states its language with xml:lang and entries credit the translator', async () => {
  const xml = await get('/en/feed.atom');
  expect(xml).toMatch(/<feed xmlns="http:\/\/www.w3.org\/2005\/Atom" xml:lang="en">/);
  const feed = await new Parser({ customFields: { item: [['contributor', 'contributor']] } }).parseString(xml);
  expect(JSON.stringify(feed.items[0])).toContain('Kabar Feeds translation desk');
});

test('JSON Feed 1.1 carries language, authors, categories with labels and translations', async () => {
  const feed = JSON.parse(await get('/en/categories/konflik-karabakh/feed.json')) as JsonFeed;
  expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
  expect(feed.language).toBe('en');
  expect(feed.feed_url).toBe(`${TEST_BASE}/en/categories/konflik-karabakh/feed.json`);
  expect(feed.home_page_url).toBe(`${TEST_BASE}/en/categories/konflik-karabakh/`);
  expect(feed.author).toBeUndefined();
  const item = feed.items[0]!;
  expect(item).toMatchObject({
    id: ITEM_ID('en'),
    url: `${TEST_BASE}/en/articles/${ARTICLE}/`,
    title: EN_TITLE,
    language: 'en',
    date_published: '2026-11-25T03:00:00.000Z',
    authors: [{ name: 'Redaksi LiputanIslam.com (mm)', url: 'https://liputanislam.com/' }],
  });
  expect(item.tags).toContain('Karabakh conflict');
  expect(item._kabar.categories[0]).toEqual({ term: 'konflik-karabakh', label: 'Karabakh conflict', scheme: `${TEST_BASE}/en/categories/konflik-karabakh/` });
  expect(item._kabar.translations).toEqual([{ url: `${TEST_BASE}/id/articles/${ARTICLE}/`, language: 'id', title: ID_TITLE }]);
  expect(feed._kabar.alternates).toContainEqual(expect.objectContaining({ url: `${TEST_BASE}/id/categories/konflik-karabakh/feed.json`, language: 'id' }));
});

test('a category feed holds only the articles of that category', async () => {
  const fixture = await startService();
  try {
    // A second article outside the Karabakh category, in Indonesian only.
    const dir = `${fixture.contentDir}/articles/harga-minyak`;
    (await import('node:fs')).mkdirSync(dir, { recursive: true });
    (await import('node:fs')).writeFileSync(
      `${dir}/index.id.md`,
      `---\nid: harga-minyak\ntitle: Harga minyak naik\nsummary: Harga minyak dunia naik.\npublished: 2020-11-05T10:00:00+07:00\nauthors: [Redaksi]\nsource: { name: Redaksi }\ncategories: [timur-tengah]\n---\nHarga minyak naik.\n`,
    );
    expect(fixture.service.content.reload()).toBe(true);
    const whole = parseFeed((await request(`${fixture.origin}/id/feed.atom`)).text);
    expect(whole.items.map((i) => i.title)).toEqual(['Harga minyak naik', ID_TITLE]);
    const karabakh = parseFeed((await request(`${fixture.origin}/id/categories/konflik-karabakh/feed.atom`)).text);
    expect(karabakh.items.map((i) => i.title)).toEqual([ID_TITLE]);
    // The English feed has no English version of the new article.
    const en = parseFeed((await request(`${fixture.origin}/en/feed.atom`)).text);
    expect(en.items.map((i) => i.title)).toEqual([EN_TITLE]);
  } finally {
    await fixture.close();
  }
});
