import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildFeed, NO_RELATED } from '../../src/feeds/build.ts';
import { parseFeedPath, Urls } from '../../src/feeds/catalog.ts';
import { RENDERERS } from '../../src/feeds/render.ts';
import { strings } from '../../src/i18n/strings.ts';
import { request, startService, TEST_BASE, type Running } from '../helpers/service.ts';

/**
 * A feed's URL answers readers with the feed's bytes and a person's browser with a page (src/http/browser-view.ts),
 * chosen by `Sec-Fetch-Dest: document`. The readers' side must not change by a byte.
 */

let s: Running;
let feeds: string[];
beforeAll(async () => {
  s = await startService();
  const opml = (await request(`${s.origin}/feeds.opml`)).text;
  feeds = [...opml.matchAll(/xmlUrl="([^"]+)"/g)].map((m) => m[1]!.slice(TEST_BASE.length));
});
afterAll(async () => {
  await s.close();
});

/** What Chromium sends when a person opens a URL (address bar, link, bookmark), but Accept-Encoding, to read the text. */
const NAVIGATION = {
  'sec-fetch-dest': 'document',
  'sec-fetch-mode': 'navigate',
  'sec-fetch-site': 'none',
  'sec-fetch-user': '?1',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8',
  'upgrade-insecure-requests': '1',
};

/** What an aggregator sends: no Fetch Metadata, sometimes text/html among what it accepts (for autodiscovery). */
const READERS: [string, Record<string, string>][] = [
  ['no headers', {}],
  ['Feedly', { 'user-agent': 'Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )', 'accept-encoding': 'gzip' }],
  ['a reader accepting HTML too', { accept: 'application/rss+xml, application/atom+xml, text/html;q=0.5, */*;q=0.1' }],
  ['fetch() from a page (destination "empty")', { 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors', origin: 'http://partner.example' }],
];

function expectedBytes(p: string): Buffer {
  const key = parseFeedPath(p)!;
  return Buffer.from(RENDERERS[key.format](buildFeed(s.service.content.current, key, new Urls(TEST_BASE), NO_RELATED)), 'utf8');
}

describe('readers get exactly the feed', () => {
  test('every feed of the OPML, asked by each kind of reader, is the rendered feed byte for byte, with no stylesheet added', async () => {
    expect(feeds.length).toBeGreaterThan(20);
    for (const p of feeds) {
      const expected = expectedBytes(p);
      // Twice: the first answer comes from Express (render), the second from the cache's fast path.
      for (const [who, headers] of [...READERS, ...READERS]) {
        const r = await request(`${s.origin}${p}`, { headers });
        expect(r.status, `${p} for ${who}`).toBe(200);
        const body = r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body;
        expect(body.equals(expected), `${p} for ${who}`).toBe(true);
        expect(r.text).not.toContain('<?xml-stylesheet');
        expect(r.headers['content-type']).not.toContain('text/html');
      }
    }
  });

  test('the reader’s ETag, Last-Modified and 304 do not depend on the browser view having been served', async () => {
    const before = await request(`${s.origin}/en/feed.atom`);
    await request(`${s.origin}/en/feed.atom`, { headers: NAVIGATION });
    const after = await request(`${s.origin}/en/feed.atom`);
    expect(after.headers.etag).toBe(before.headers.etag);
    expect(after.headers['last-modified']).toBe(before.headers['last-modified']);
    expect((await request(`${s.origin}/en/feed.atom`, { headers: { 'if-none-match': before.headers.etag! } })).status).toBe(304);
  });

  test('RSS and Atom say that they vary by Sec-Fetch-Dest; JSON Feed, which has no view, does not', async () => {
    expect((await request(`${s.origin}/id/feed.rss`)).headers.vary).toBe('Accept-Encoding, Sec-Fetch-Dest');
    expect((await request(`${s.origin}/id/categories/rusia/feed.atom`)).headers.vary).toBe('Accept-Encoding, Sec-Fetch-Dest');
    const json = await request(`${s.origin}/en/feed.json`, { headers: NAVIGATION });
    expect(json.headers['content-type']).toBe('application/feed+json; charset=utf-8');
    expect(json.headers.vary).toBe('Accept-Encoding');
  });
});

describe('a browser opening a feed gets a page', () => {
  test.each(['/id/feed.rss', '/en/feed.atom', '/en/categories/rusia/feed.rss', '/id/related/feed.atom', '/en/feed.rss?limit=1'])(
    '%s: HTML with its own ETag, private, varying by Sec-Fetch-Dest, from the fast path the second time',
    async (p) => {
      const feed = await request(`${s.origin}${p}`);
      const first = await request(`${s.origin}${p}`, { headers: { 'sec-fetch-dest': 'document' } });
      const second = await request(`${s.origin}${p}`, { headers: { 'sec-fetch-dest': 'document' } });
      for (const r of [first, second]) {
        expect(r.status).toBe(200);
        expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(r.headers['cache-control']).toBe('private, max-age=300');
        expect(r.headers.vary).toBe('Accept-Encoding, Sec-Fetch-Dest');
        expect(r.headers['access-control-allow-origin']).toBe('*');
        expect(r.headers.etag).not.toBe(feed.headers.etag);
        expect(r.text).toMatch(/^<!DOCTYPE html>/);
      }
      expect(second.body.equals(first.body)).toBe(true);
      expect(second.headers.etag).toBe(first.headers.etag);
      // Revalidation: the view's ETag is the view's, the feed's does not match it.
      expect((await request(`${s.origin}${p}`, { headers: { 'sec-fetch-dest': 'document', 'if-none-match': first.headers.etag! } })).status).toBe(304);
      expect((await request(`${s.origin}${p}`, { headers: { 'sec-fetch-dest': 'document', 'if-none-match': feed.headers.etag! } })).status).toBe(200);
      const head = await request(`${s.origin}${p}`, { method: 'HEAD', headers: { 'sec-fetch-dest': 'document' } });
      expect(head.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(head.body.length).toBe(0);
    },
  );

  test('a browser that asks first gets the page, and a reader after it the feed (neither order mixes them)', async () => {
    const fresh = await startService();
    try {
      const view = await request(`${fresh.origin}/id/categories/turki/feed.atom`, { headers: NAVIGATION });
      expect(view.headers['content-type']).toBe('text/html; charset=utf-8');
      const feed = await request(`${fresh.origin}/id/categories/turki/feed.atom`);
      expect(feed.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
      expect((await request(`${fresh.origin}/id/categories/turki/feed.atom`, { headers: NAVIGATION })).headers['content-type']).toBe('text/html; charset=utf-8');
    } finally {
      await fresh.close();
    }
  });

  test('the page says what a feed is in the feed’s language, with the address, items, other formats and languages', async () => {
    const id = (await request(`${s.origin}/id/feed.rss`, { headers: NAVIGATION })).text;
    const w = strings('id');
    expect(id).toContain('<html lang="id">');
    expect(id).toContain(w.feedIntro);
    expect(id).toContain(`<input id="address" type="url" readonly value="${TEST_BASE}/id/feed.rss">`);
    expect(id).toContain(`data-copy="${TEST_BASE}/id/feed.rss"`);
    expect(id).toContain('Rusia Nyatakan Ada 2000 Militan Timteng di Karabakh');
    expect(id).toContain('<time datetime="2020-11-03T20:00:00+07:00">3 November 2020 20.00 WIB</time>');
    expect(id).toContain(`<a href="${TEST_BASE}/id/feed.atom" type="application/atom+xml">Atom 1.0</a>`);
    expect(id).toContain(`<a href="${TEST_BASE}/id/feed.json" type="application/feed+json">JSON Feed 1.1</a>`);
    expect(id).toContain(`<a href="${TEST_BASE}/en/feed.rss" hreflang="en" lang="en">Middle East News (English)</a>`);
    expect(id).toContain('<meta name="robots" content="noindex">');
    const en = (await request(`${s.origin}/en/feed.atom`, { headers: NAVIGATION })).text;
    expect(en).toContain(strings('en').feedIntro);
    expect(en).toContain('Russia Says 2,000 Middle Eastern Militants Are in Karabakh');
  });
});

describe('/feed.rss, /feed.atom, /feed.json: the reader’s language', () => {
  test.each([
    ['no Accept-Language', undefined, 'id'],
    ['en-US', 'en-US,en;q=0.9', 'en'],
    ['Indonesian first', 'id-ID,id;q=0.9,en;q=0.8', 'id'],
    ['English preferred by weight', 'id;q=0.3, en;q=0.7', 'en'],
    ['a language we do not have, then English', 'fr-FR, fr;q=0.9, en;q=0.5', 'en'],
    ['only languages we do not have', 'fr, de', 'id'],
    ['anything', '*', 'id'],
  ])('%s → %s', async (_, acceptLanguage, lang) => {
    for (const format of ['rss', 'atom', 'json']) {
      const r = await request(`${s.origin}/feed.${format}`, { headers: acceptLanguage ? { 'accept-language': acceptLanguage } : {} });
      expect(r.status).toBe(302);
      expect(r.headers.location).toBe(`${TEST_BASE}/${lang}/feed.${format}`);
      expect(r.headers.vary).toBe('Accept-Language');
      expect(r.headers['cache-control']).toBe('private, max-age=300');
      expect(r.headers['access-control-allow-origin']).toBe('*');
    }
  });

  test('the query goes along, HEAD is answered too, and other names stay 404', async () => {
    const r = await request(`${s.origin}/feed.atom?limit=3&utm_source=x`, { headers: { 'accept-language': 'en' } });
    expect(r.headers.location).toBe(`${TEST_BASE}/en/feed.atom?limit=3&utm_source=x`);
    const head = await request(`${s.origin}/feed.rss`, { method: 'HEAD', headers: { 'accept-language': 'en' } });
    expect(head.status).toBe(302);
    expect(head.headers.location).toBe(`${TEST_BASE}/en/feed.rss`);
    expect((await request(`${s.origin}/feed.xml`)).status).toBe(404);
    expect((await request(`${s.origin}/feed.rss/`)).status).toBe(404);
  });
});
