import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ContentCache } from '../../src/content/cache.ts';
import { strings } from '../../src/i18n/strings.ts';
import { copyContent, edit, request, type Running, startService, write } from '../helpers/service.ts';

const SLUG = 'rusia-2000-militan-timteng-karabakh';
const TRANSLATION = `articles/${SLUG}/index.en.md`;

let s: Running | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

const page = async (run: Running, p: string) => {
  const r = await request(`${run.origin}${p}`);
  expect(r.status).toBe(200);
  return r.text;
};

describe('dates on pages are shown in the article’s own time zone', () => {
  test('the Indonesian page shows the seed at 20.00 WIB, as written, not 13.00 UTC', async () => {
    s = await startService();
    const html = await page(s, `/id/articles/${SLUG}/`);
    expect(html).toContain('<time datetime="2020-11-03T20:00:00+07:00">3 November 2020 20.00 WIB</time>');
    expect(html).not.toContain('13.00');
    // The language page lists it the same way.
    expect(await page(s, '/id/')).toContain('3 November 2020 20.00 WIB');
  });

  test('the English page shows its own front matter’s zone, named as UTC+7 in English', async () => {
    s = await startService();
    const html = await page(s, `/en/articles/${SLUG}/`);
    expect(html).toContain('<time datetime="2026-11-25T10:00:00+07:00">November 25, 2026, 10:00 AM UTC+7</time>');
  });

  test('another zone is shown with its offset, minutes included, and updated keeps its own zone', async () => {
    const dir = copyContent();
    edit(dir, TRANSLATION, (t) =>
      t
        .replace('published: 2026-11-25T10:00:00+07:00', 'published: 2026-11-25T10:00:00-03:00')
        .replace('updated: 2026-11-25T10:00:00+07:00', 'updated: 2026-11-26T09:15:00+05:30'),
    );
    s = await startService({ contentDir: dir });
    const html = await page(s, `/en/articles/${SLUG}/`);
    expect(html).toContain('<time datetime="2026-11-25T10:00:00-03:00">November 25, 2026, 10:00 AM UTC-3</time>');
    expect(html).toContain('<time datetime="2026-11-26T09:15:00+05:30">November 26, 2026, 9:15 AM UTC+5:30</time>');
  });

  test('a restart served from the parsed-content cache keeps the zone', async () => {
    s = await startService();
    const { contentDir, dataDir } = s;
    await s.close();
    expect(ContentCache.read(path.join(dataDir, 'content-cache.json'), contentDir).files.size).toBeGreaterThan(0);
    s = await startService({ contentDir, dataDir });
    expect(await page(s, `/id/articles/${SLUG}/`)).toContain('3 November 2020 20.00 WIB');
  });
});

describe('words a reader sees come from the language’s strings', () => {
  /** An article written in English, with an Indonesian translation. */
  function englishOriginal(dir: string): void {
    write(
      dir,
      'articles/oil-prices/index.en.md',
      [
        '---',
        'id: 2026-11-20-oil-prices',
        'title: Oil prices rise',
        'summary: Oil prices rose.',
        'published: 2026-11-20T08:00:00+08:00',
        'authors: [Desk]',
        'source: { name: Example Wire, url: "https://wire.example/" }',
        'categories: [timur-tengah]',
        '---',
        'Oil prices rose.',
        '',
      ].join('\n'),
    );
    write(
      dir,
      'articles/oil-prices/index.id.md',
      [
        '---',
        'translationOf: 2026-11-20-oil-prices',
        'title: Harga minyak naik',
        'summary: Harga minyak naik.',
        'published: 2026-11-20T07:00:00+07:00',
        'translator: Meja terjemahan',
        '---',
        'Harga minyak naik.',
        '',
      ].join('\n'),
    );
  }

  test('an English original is credited in English, its Indonesian translation in Indonesian', async () => {
    const dir = copyContent();
    englishOriginal(dir);
    s = await startService({ contentDir: dir });
    const en = await page(s, '/en/articles/oil-prices/');
    expect(en).toContain('<p class="credit">Source: <a href="https://wire.example/">Example Wire</a></p>');
    expect(en).toContain('November 20, 2026, 8:00 AM UTC+8');
    const id = await page(s, '/id/articles/oil-prices/');
    expect(id).toContain(
      '<p class="credit">Diterjemahkan dari versi asli berbahasa Inggris, <a href="http://feeds.example.test/en/articles/oil-prices/" hreflang="en" lang="en">Oil prices rise</a>, yang pertama kali diterbitkan oleh <a href="https://wire.example/">Example Wire</a>. Penerjemah: Meja terjemahan.</p>',
    );
    expect(id).toContain('20 November 2026 07.00 WIB');
    // The feeds carry the same credit.
    expect((await request(`${s.origin}/id/feed.atom`)).text).toContain('Diterjemahkan dari versi asli berbahasa Inggris');
    // The seed keeps its words.
    expect(await page(s, `/id/articles/${SLUG}/`)).toContain('<p class="credit">Sumber: <a href="https://liputanislam.com/">LiputanIslam.com</a> — Kredit asli: (mm/alalam), dari Al-Alam</p>');
  });

  test('a language without strings falls back to English', () => {
    expect(strings('fr')).toBe(strings('en'));
    expect(strings('id').readAt).toBe('Baca di {source}');
  });
});

describe('every page shares one small stylesheet and offers to subscribe', () => {
  test('index, language, category, related and article pages: phone viewport, dark mode, subscribe buttons that copy the feed URL', async () => {
    s = await startService();
    const scopes: [string, string][] = [
      ['/', 'http://feeds.example.test/id/feed.rss'],
      ['/en/', 'http://feeds.example.test/en/feed.rss'],
      ['/id/categories/rusia/', 'http://feeds.example.test/id/categories/rusia/feed.rss'],
      ['/en/related/', 'http://feeds.example.test/en/related/feed.rss'],
      [`/id/articles/${SLUG}/`, 'http://feeds.example.test/id/feed.rss'],
    ];
    for (const [p, feed] of scopes) {
      const html = await page(s, p);
      expect(html, p).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(html, p).toContain('@media (prefers-color-scheme:dark)');
      expect(html, p).toContain('<meta name="color-scheme" content="light dark">');
      // Without the script it is a link to the feed (whose browser view shows the address); with it, it copies.
      const w = strings(p.startsWith('/en') ? 'en' : 'id');
      expect(html, p).toContain(`<a class="button subscribe" href="${feed}" data-copy="${feed}" data-copied="${w.copied}" title="${w.subscribeHint}" aria-live="polite">${w.subscribe}</a>`);
      expect(html, p).toContain("navigator.clipboard.writeText(t)");
      // One stylesheet, inline: no request before the page paints.
      expect(html.match(/<style>/g), p).toHaveLength(1);
      expect(html, p).not.toContain('<link rel="stylesheet"');
    }
  });
});
