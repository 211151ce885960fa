import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonFeed } from '../helpers/json-feed.ts';
import { request, startService, TEST_BASE, type Running } from '../helpers/service.ts';

/**
 * One request with its request line written byte for byte (`GET //evil.example HTTP/1.1`): clients such as
 * fetch or http.request would normalise or refuse such targets before they reach us.
 */
function rawRequest(origin: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      const lines = [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const split = data.indexOf('\r\n\r\n');
      const [statusLine, ...fields] = data.slice(0, split).split('\r\n');
      const head: Record<string, string> = {};
      for (const f of fields) head[f.slice(0, f.indexOf(':')).toLowerCase()] = f.slice(f.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine!.split(' ')[1]), headers: head, body: data.slice(split + 4) });
    });
  });
}

/** The count of responses the cache fast path (before Express) has sent, from /metrics. */
async function servedFromCache(origin: string): Promise<number> {
  const text = (await request(`${origin}/metrics`)).text;
  let n = 0;
  for (const m of text.matchAll(/^kabar_http_responses_total\{[^}]*served_by="cache"[^}]*\} (\d+)$/gm)) n += Number(m[1]);
  return n;
}

let s: Running;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s.close();
});

const FEEDS = [
  ['/id/feed.rss', 'application/rss+xml; charset=utf-8'],
  ['/en/feed.atom', 'application/atom+xml; charset=utf-8'],
  ['/id/categories/rusia/feed.json', 'application/feed+json; charset=utf-8'],
  ['/en/related/feed.rss', 'application/rss+xml; charset=utf-8'],
] as const;

describe('conditional GET, as aggregators poll', () => {
  test.each(FEEDS)('%s has a strong ETag, Last-Modified, Cache-Control and its media type', async (p, type) => {
    const r = await request(`${s.origin}${p}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(type);
    expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(new Date(r.headers['last-modified']!).toUTCString()).toBe(r.headers['last-modified']);
    expect(r.headers['cache-control']).toMatch(/max-age=\d+/);
    expect(r.headers['content-length']).toBe(String(r.body.length));
    expect(r.headers['access-control-allow-origin']).toBe('*');
  });

  test('serves 304 with no body when the ETag matches', async () => {
    const first = await request(`${s.origin}/id/feed.rss`);
    const again = await request(`${s.origin}/id/feed.rss`, { headers: { 'if-none-match': first.headers.etag! } });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(first.headers.etag);
    const list = await request(`${s.origin}/id/feed.rss`, { headers: { 'if-none-match': `"other", W/${first.headers.etag}` } });
    expect(list.status).toBe(304);
  });

  test('serves 200 when the ETag does not match, even if If-Modified-Since would', async () => {
    const first = await request(`${s.origin}/id/feed.rss`);
    const r = await request(`${s.origin}/id/feed.rss`, {
      headers: { 'if-none-match': '"stale"', 'if-modified-since': first.headers['last-modified']! },
    });
    expect(r.status).toBe(200);
  });

  test('serves 304 for If-Modified-Since at or after Last-Modified, 200 before it', async () => {
    const first = await request(`${s.origin}/en/feed.atom`);
    const lm = new Date(first.headers['last-modified']!);
    expect((await request(`${s.origin}/en/feed.atom`, { headers: { 'if-modified-since': lm.toUTCString() } })).status).toBe(304);
    const before = new Date(lm.getTime() - 1000).toUTCString();
    expect((await request(`${s.origin}/en/feed.atom`, { headers: { 'if-modified-since': before } })).status).toBe(200);
    expect((await request(`${s.origin}/en/feed.atom`, { headers: { 'if-modified-since': 'not a date' } })).status).toBe(200);
  });

  test('a restart keeps Last-Modified of unchanged feeds, so If-Modified-Since still gets 304; a changed feed moves on', async () => {
    let now = new Date('2026-11-25T10:00:00Z');
    const first = await startService({ now: () => now });
    const before = await request(`${first.origin}/id/feed.rss`);
    const beforeAtom = await request(`${first.origin}/en/feed.atom`);
    await first.close();
    expect(before.headers['last-modified']).toBe('Wed, 25 Nov 2026 10:00:00 GMT');

    // Two hours later, on the same data; the English summary was edited while the service was down.
    now = new Date('2026-11-25T12:00:00Z');
    const file = path.join(first.contentDir, 'articles/rusia-2000-militan-timteng-karabakh/index.en.md');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Russian Foreign Minister Sergey Lavrov said', 'Sergey Lavrov, Russia’s foreign minister, said'));
    const second = await startService({ now: () => now, contentDir: first.contentDir, dataDir: first.dataDir });
    try {
      const after = await request(`${second.origin}/id/feed.rss`, { headers: { 'if-modified-since': before.headers['last-modified']! } });
      expect(after.status).toBe(304);
      expect(after.headers['last-modified']).toBe(before.headers['last-modified']);
      expect(after.headers.etag).toBe(before.headers.etag);
      // The English feed carries the summary: new bytes, new ETag, Last-Modified of the restart.
      const atom = await request(`${second.origin}/en/feed.atom`, { headers: { 'if-modified-since': beforeAtom.headers['last-modified']! } });
      expect(atom.status).toBe(200);
      expect(atom.text).toContain('Russia’s foreign minister');
      expect(atom.headers.etag).not.toBe(beforeAtom.headers.etag);
      expect(atom.headers['last-modified']).toBe('Wed, 25 Nov 2026 12:00:00 GMT');
    } finally {
      await second.close();
    }
  });

  test('HEAD gives the headers of GET and no body', async () => {
    const get = await request(`${s.origin}/id/feed.atom`);
    const head = await request(`${s.origin}/id/feed.atom`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(head.headers.etag).toBe(get.headers.etag);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });
});

describe('compression by Accept-Encoding', () => {
  test.each([
    ['br', brotliDecompressSync],
    ['gzip', gunzipSync],
  ] as const)('%s: decodes to the identity bytes, with Vary and its own ETag', async (coding, decode) => {
    const plain = await request(`${s.origin}/id/feed.rss`);
    const r = await request(`${s.origin}/id/feed.rss`, { headers: { 'accept-encoding': coding } });
    expect(r.headers['content-encoding']).toBe(coding);
    // RSS and Atom also vary by Sec-Fetch-Dest: a browser opening them gets their HTML view (tests/http/browser-view.test.ts).
    expect(r.headers.vary).toBe('Accept-Encoding, Sec-Fetch-Dest');
    expect(r.headers.etag).not.toBe(plain.headers.etag);
    expect(decode(r.body).equals(plain.body)).toBe(true);
    expect(r.body.length).toBeLessThan(plain.body.length);
    const again = await request(`${s.origin}/id/feed.rss`, { headers: { 'accept-encoding': coding, 'if-none-match': r.headers.etag! } });
    expect(again.status).toBe(304);
  });

  test('prefers brotli on equal weight, honours q-values, and sends identity when nothing else is accepted', async () => {
    expect((await request(`${s.origin}/id/feed.json`, { headers: { 'accept-encoding': 'gzip, deflate, br' } })).headers['content-encoding']).toBe('br');
    expect((await request(`${s.origin}/id/feed.json`, { headers: { 'accept-encoding': 'br;q=0.1, gzip' } })).headers['content-encoding']).toBe('gzip');
    const plain = await request(`${s.origin}/id/feed.json`, { headers: { 'accept-encoding': 'deflate' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('Accept-Encoding');
  });
});

describe('errors a client can act on', () => {
  test.each([
    ['/fr/feed.rss', 404, 'no feeds in language "fr"'],
    ['/id/categories/sepak-bola/feed.atom', 404, 'no category "sepak-bola"'],
    ['/id/feed.xml', 404, 'nothing at /id/feed.xml'],
    ['/id/articles/tidak-ada/', 404, 'no article "tidak-ada"'],
    ['/id/feed.rss?limit=0', 400, 'query parameter "limit" must be a whole number from 1 to 50'],
    ['/id/feed.rss?limit=ten', 400, 'query parameter "limit"'],
    ['/id/feed.rss?limit=1&limit=2', 400, 'query parameter "limit" is given more than once'],
    ['/id/feed.rss?utm_source=x&limit=ten', 400, 'query parameter "limit"'],
    ['/id/?page=2', 400, 'query parameter "page" must be a whole number from 1 to 1, got "2"'],
    ['/id/categories/rusia/?page=0&ref=home', 400, 'query parameter "page" must be a whole number'],
    ['/%E0%A4%A/feed.rss', 400, 'not validly percent-encoded'],
  ])('%s answers %i naming the problem, in plain text', async (p, status, message) => {
    const r = await request(`${s.origin}${p}`);
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.text).toContain(message);
    expect(r.text).not.toMatch(/\bat .*\.ts:\d+/);
  });

  test('?limit=N gives the first N items of the same feed', async () => {
    const r = await request(`${s.origin}/id/feed.json?limit=1`);
    expect(r.status).toBe(200);
    expect((JSON.parse(r.text) as JsonFeed).items).toHaveLength(1);
  });

  test('other methods get 405 with Allow; CORS preflight is answered', async () => {
    const post = await request(`${s.origin}/id/feed.rss`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
    const pre = await request(`${s.origin}/id/feed.rss`, {
      method: 'OPTIONS',
      headers: { origin: 'https://partner.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-headers']).toMatch(/If-None-Match/i);
    expect(pre.headers['access-control-allow-headers']).toMatch(/If-Match/i);
  });

  test('a path without its trailing slash redirects to the page', async () => {
    const r = await request(`${s.origin}/en`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/en/');
  });
});

describe('pages, index, OPML and health', () => {
  test('every URL in every feed that points at us answers 200', async () => {
    const opml = (await request(`${s.origin}/feeds.opml`)).text;
    const feedUrls = [...opml.matchAll(/xmlUrl="([^"]+)"/g)].map((m) => m[1]!);
    expect(feedUrls).toHaveLength(2 * 6 * 3); // languages x (site + 4 categories + related) x formats
    const seen = new Set<string>();
    for (const feedUrl of feedUrls) {
      const body = (await request(s.local(feedUrl))).text;
      for (const m of body.matchAll(/https?:\/\/[^"'<>\s\\]+/g)) if (m[0].startsWith(TEST_BASE)) seen.add(m[0].replace(/&amp;/g, '&'));
    }
    expect(seen.size).toBeGreaterThan(40);
    for (const url of seen) {
      const r = await request(s.local(url));
      expect(r.status, url).toBe(200);
    }
  });

  test('an article page is accessible HTML with its translations and feed autodiscovery', async () => {
    const r = await request(`${s.origin}/en/articles/rusia-2000-militan-timteng-karabakh/`);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.text).toContain('<html lang="en">');
    expect(r.text).toContain('<h1>Russia Says 2,000 Middle Eastern Militants Are in Karabakh</h1>');
    expect(r.text).toContain(`<link rel="alternate" hreflang="id" href="${TEST_BASE}/id/articles/rusia-2000-militan-timteng-karabakh/">`);
    expect(r.text).toContain(`<link rel="alternate" type="application/rss+xml" title="Middle East News (RSS 2.0)" href="${TEST_BASE}/en/feed.rss">`);
    expect(r.text).toContain('Translation: Kabar Feeds translation desk');
  });

  test('the Indonesian page keeps the publisher body word for word', async () => {
    const r = await request(`${s.origin}/id/articles/rusia-2000-militan-timteng-karabakh/`);
    const seed = fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/seed/karabakh-article.txt'), 'utf8');
    const paragraphs = seed.split('\n').filter((l) => l.trim()).slice(3, 11);
    expect(paragraphs[0]).toMatch(/^Moskow, LiputanIslam.com/);
    expect(paragraphs[7]).toMatch(/\(mm\/alalam\)$/);
    const text = r.text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    for (const p of paragraphs) expect(text).toContain(p.replace(/\s+$/, ''));
    expect(r.text).not.toContain('Baca juga:');
    expect(r.text).not.toContain('DISKUSI');
  });

  test('/ lists every feed by language and category with autodiscovery links', async () => {
    const r = await request(`${s.origin}/`);
    expect(r.status).toBe(200);
    for (const lang of ['id', 'en']) {
      for (const fmt of ['rss', 'atom', 'json']) expect(r.text).toContain(`href="${TEST_BASE}/${lang}/categories/konflik-karabakh/feed.${fmt}"`);
      expect(r.text).toContain(`<link rel="alternate" type="application/atom+xml"`);
    }
  });

  test('/feeds.opml is OPML 2.0 with xmlUrl, htmlUrl, type and language on every outline', async () => {
    const r = await request(`${s.origin}/feeds.opml`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/x-opml; charset=utf-8');
    expect(r.text).toContain('<opml version="2.0">');
    const outlines = [...r.text.matchAll(/<outline [^>]*xmlUrl[^>]*>/g)].map((m) => m[0]);
    for (const o of outlines) {
      expect(o).toMatch(/ type="rss"/);
      expect(o).toMatch(/ htmlUrl="http:\/\/feeds\.example\.test\//);
      expect(o).toMatch(/ language="(id|en)"/);
    }
  });

  test('language and category pages list 50 articles a page, with links to the older ones', async () => {
    const { copyContent } = await import('../helpers/service.ts');
    const dir = copyContent();
    for (let i = 0; i < 60; i++) {
      const n = String(i).padStart(2, '0');
      fs.mkdirSync(path.join(dir, 'articles', `arsip-${n}`));
      fs.writeFileSync(
        path.join(dir, 'articles', `arsip-${n}`, 'index.id.md'),
        `---\nid: arsip-${n}\ntitle: Arsip ${n}\nsummary: Ringkasan.\npublished: 2019-01-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00+07:00\nauthors: [Redaksi]\nsource: { name: Redaksi }\ncategories: [rusia]\n---\nIsi.\n`,
      );
    }
    const big = await startService({ contentDir: dir });
    try {
      const first = (await request(`${big.origin}/id/`)).text;
      expect(first.match(/<li><a href="[^"]+\/articles\//g)).toHaveLength(50);
      expect(first).toContain(`<a rel="next" href="${TEST_BASE}/id/?page=2">`);
      const second = await request(`${big.origin}/id/?page=2`);
      expect(second.status).toBe(200);
      expect(second.text.match(/<li><a href="[^"]+\/articles\//g)).toHaveLength(11);
      expect(second.text).toContain(`<a rel="prev" href="${TEST_BASE}/id/">`);
      const category = (await request(`${big.origin}/id/categories/rusia/?page=2`)).text;
      expect(category.match(/<li><a href="[^"]+\/articles\//g)).toHaveLength(11);
      expect((await request(`${big.origin}/id/?page=3`)).status).toBe(400);
    } finally {
      await big.close();
    }
  });

  test('/healthz is 200 JSON once ready', async () => {
    const r = await request(`${s.origin}/healthz`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ status: 'ok', content: { articles: 1, rejectedChange: null } });
  });
});

describe('request targets that are not ours', () => {
  test.each(['//', '///', '//evil.example', '//evil.example/', '//evil.example/en', '//evil.example/en/feed.rss', '/\\evil.example/en', '///evil.example/id'])(
    'GET %s is a 404 in plain text: no page, no redirect, no 500',
    async (target) => {
      const r = await rawRequest(s.origin, target);
      expect(r.status).toBe(404);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.headers.location).toBeUndefined();
      expect(r.body).toMatch(/^Not Found: nothing at \/\//);
      // Asked again, now that anything could be cached: still no page.
      expect((await rawRequest(s.origin, target)).status).toBe(404);
    },
  );

  test('a redirect to the slash-terminated page stays on the site, also for an absolute-form target', async () => {
    for (const target of ['/en', 'http://evil.example/en', '/en?utm_source=x']) {
      const r = await rawRequest(s.origin, target);
      expect(r.status, target).toBe(301);
      expect(r.headers.location, target).toMatch(/^\/en\/(\?utm_source=x)?$/);
    }
  });

  test('a target that is not a path is a 400, not a 500', async () => {
    const r = await rawRequest(s.origin, '*');
    expect(r.status).toBe(400);
    expect(r.body).toContain('the request target is not a path');
  });
});

describe('query parameters we do not read, as link sharers add them', () => {
  test.each([
    ['/id/feed.rss', '?utm_source=x'],
    ['/en/feed.atom', '?fbclid=IwAR0abc&utm_medium=social'],
    ['/id/categories/rusia/feed.json', '?ref=home'],
    ['/en/related/feed.rss', '?'],
    ['/feeds.opml', '?utm_campaign=y'],
    ['/id/', '?utm_source=x'],
    ['/en/articles/rusia-2000-militan-timteng-karabakh/', '?fbclid=abc'],
    ['/', '?ref=x'],
  ])('%s%s serves the same bytes and ETag as without them', async (p, query) => {
    const plain = await request(`${s.origin}${p}`);
    const tagged = await request(`${s.origin}${p}${query}`);
    expect(tagged.status).toBe(200);
    expect(tagged.headers.etag).toBe(plain.headers.etag);
    expect(tagged.body.equals(plain.body)).toBe(true);
    const revalidated = await request(`${s.origin}${p}${query}`, { headers: { 'if-none-match': plain.headers.etag! } });
    expect(revalidated.status).toBe(304);
  });

  test('limit and page still apply beside them', async () => {
    const one = await request(`${s.origin}/id/feed.json?utm_source=x&limit=1`);
    expect(one.status).toBe(200);
    expect((JSON.parse(one.text) as JsonFeed).items).toHaveLength(1);
    expect(one.headers.etag).toBe((await request(`${s.origin}/id/feed.json?limit=1`)).headers.etag);
  });

  test('a cached feed asked for with such parameters is answered on the fast path, before Express', async () => {
    await request(`${s.origin}/en/categories/rusia/feed.rss`);
    await request(`${s.origin}/en/categories/rusia/feed.rss?limit=1`);
    const before = await servedFromCache(s.origin);
    expect((await request(`${s.origin}/en/categories/rusia/feed.rss?utm_source=newsletter&fbclid=abc`)).status).toBe(200);
    expect((await request(`${s.origin}/en/categories/rusia/feed.rss?ref=home&limit=1`)).status).toBe(200);
    expect(await servedFromCache(s.origin)).toBe(before + 2);
  });
});

describe('preconditions (RFC 9110 13), alike on the fast path and through Express', () => {
  let clock = new Date('2026-11-25T10:00:00Z');
  let t: Running;
  let etag: string;
  beforeAll(async () => {
    t = await startService({ now: () => clock });
    etag = (await request(`${t.origin}/id/feed.rss`)).headers.etag!;
    clock = new Date('2026-11-25T12:00:00Z'); // Last-Modified stays 10:00, the server's now is 12:00.
  });
  afterAll(() => t.close());

  /** The status of the first request after a content change (rendered by Express) and of the next (the cache's). */
  async function statuses(headers: Record<string, string>, method = 'GET'): Promise<[number, number]> {
    t.service.cache.invalidate();
    const before = await servedFromCache(t.origin);
    const app = await request(`${t.origin}/id/feed.rss`, { method, headers });
    expect(await servedFromCache(t.origin)).toBe(before);
    const cache = await request(`${t.origin}/id/feed.rss`, { method, headers });
    expect(await servedFromCache(t.origin)).toBe(before + 1);
    expect(app.headers.etag ?? etag).toBe(etag);
    return [app.status, cache.status];
  }

  test('If-Modified-Since that is not an HTTP-date is ignored', async () => {
    expect(await statuses({ 'if-modified-since': '2026-11-25T11:00:00Z' })).toEqual([200, 200]);
    expect(await statuses({ 'if-modified-since': '2026-11-25' })).toEqual([200, 200]);
    expect(await statuses({ 'if-modified-since': 'Wed, 25 Nov 2026 11:00:00 +0000' })).toEqual([200, 200]);
  });

  test('If-Modified-Since after the server’s now is ignored', async () => {
    expect(await statuses({ 'if-modified-since': 'Wed, 25 Nov 2026 12:00:01 GMT' })).toEqual([200, 200]);
    expect(await statuses({ 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' })).toEqual([200, 200]);
  });

  test('a valid If-Modified-Since, in each of the three HTTP-date forms, still gets 304', async () => {
    expect(await statuses({ 'if-modified-since': 'Wed, 25 Nov 2026 11:00:00 GMT' })).toEqual([304, 304]);
    expect(await statuses({ 'if-modified-since': 'Wednesday, 25-Nov-26 10:00:00 GMT' })).toEqual([304, 304]);
    expect(await statuses({ 'if-modified-since': 'Wed Nov 25 10:00:00 2026' })).toEqual([304, 304]);
    expect(await statuses({ 'if-modified-since': 'Wed, 25 Nov 2026 09:59:59 GMT' })).toEqual([200, 200]);
  });

  test('If-Match that names no current ETag answers 412; the current one, or *, passes', async () => {
    expect(await statuses({ 'if-match': '"stale"' })).toEqual([412, 412]);
    expect(await statuses({ 'if-match': `W/${etag}` })).toEqual([412, 412]); // strong comparison
    expect(await statuses({ 'if-match': etag })).toEqual([200, 200]);
    expect(await statuses({ 'if-match': `"stale", ${etag}` })).toEqual([200, 200]);
    expect(await statuses({ 'if-match': '*' })).toEqual([200, 200]);
    expect(await statuses({ 'if-match': '"stale"' }, 'HEAD')).toEqual([412, 412]);
    const r = await request(`${t.origin}/id/feed.rss`, { headers: { 'if-match': '"stale"' } });
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.text).toContain('Precondition Failed: If-Match');
  });

  test('If-Unmodified-Since before Last-Modified answers 412; at or after it, or not a date, passes', async () => {
    expect(await statuses({ 'if-unmodified-since': 'Wed, 25 Nov 2026 09:59:59 GMT' })).toEqual([412, 412]);
    expect(await statuses({ 'if-unmodified-since': 'Wed, 25 Nov 2026 10:00:00 GMT' })).toEqual([200, 200]);
    expect(await statuses({ 'if-unmodified-since': '2020-01-01T00:00:00Z' })).toEqual([200, 200]);
    const r = await request(`${t.origin}/id/feed.rss`, { headers: { 'if-unmodified-since': 'Wed, 25 Nov 2026 09:00:00 GMT' } });
    expect(r.text).toContain('Precondition Failed: the resource was modified after If-Unmodified-Since');
  });

  test('evaluated in the RFC’s order: If-Match before If-Unmodified-Since, both before If-None-Match', async () => {
    // With If-Match, If-Unmodified-Since is not looked at.
    expect(await statuses({ 'if-match': etag, 'if-unmodified-since': 'Wed, 25 Nov 2026 09:00:00 GMT' })).toEqual([200, 200]);
    // A failed If-Match is a 412 even when If-None-Match would give a 304.
    expect(await statuses({ 'if-match': '"stale"', 'if-none-match': etag })).toEqual([412, 412]);
    expect(await statuses({ 'if-unmodified-since': 'Wed, 25 Nov 2026 09:00:00 GMT', 'if-none-match': etag })).toEqual([412, 412]);
    // Passing preconditions leave If-None-Match to decide.
    expect(await statuses({ 'if-match': etag, 'if-none-match': etag })).toEqual([304, 304]);
  });
});
