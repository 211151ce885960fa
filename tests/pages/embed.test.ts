import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonFeed } from '../helpers/json-feed.ts';
import { request, startService, TEST_BASE, type Running } from '../helpers/service.ts';

/**
 * The partners' side over HTTP: /embed.js, the iframe pages /embed/{lang}/..., the JSON Feed read across origins,
 * and the snippets on the index. tests/browser/ runs them in Chromium on a partner's page.
 */

let s: Running;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s.close();
});

describe('/embed.js', () => {
  test('is JavaScript, cached and readable cross-origin, and carries BASE_URL, the languages and their credit', async () => {
    const r = await request(`${s.origin}/embed.js`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(r.headers['cache-control']).toBe('public, max-age=300, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400');
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect(r.headers.etag).toMatch(/^"[\w-]+"$/);
    expect(r.text).toContain(`"base":"${TEST_BASE}"`);
    expect(r.text).toContain('"credit":"Berita dari {site}"');
    expect(r.text).toContain('"credit":"Headlines from {site}"');
    // It parses as a script (it runs in Chromium in tests/browser/).
    expect(() => new vm.Script(r.text)).not.toThrow();
  });

  test('the JSON Feed it reads answers a cross-origin GET and its preflight with Access-Control-Allow-Origin: *', async () => {
    const r = await request(`${s.origin}/en/categories/rusia/feed.json?limit=3`, { headers: { origin: 'http://partner.example', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty' } });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('*');
    expect((JSON.parse(r.text) as JsonFeed).items.length).toBeGreaterThan(0);
    const preflight = await request(`${s.origin}/en/feed.json?limit=3`, {
      method: 'OPTIONS',
      headers: { origin: 'http://partner.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('/embed/{lang}/...: headlines for an iframe', () => {
  test.each(['/embed/en/', '/embed/id/categories/rusia/', '/embed/en/related/', '/embed/id/?limit=1'])('%s is a small page in its language, links opening outside the frame', async (p) => {
    const r = await request(`${s.origin}${p}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    const lang = p.split('/')[2]!;
    expect(r.text).toContain(`<html lang="${lang}">`);
    expect(r.text).toContain('<base target="_blank">');
    expect(r.text).toContain('<meta name="robots" content="noindex">');
    expect(r.text).toMatch(lang === 'en' ? /Headlines from <a href="[^"]+">Middle East News/ : /Berita dari <a href="[^"]+">Kabar Timur Tengah/);
    // No X-Frame-Options or frame-ancestors: any site may frame it.
    expect(r.headers['x-frame-options']).toBeUndefined();
    expect(r.headers['content-security-policy']).toBeUndefined();
  });

  test('lists the scope’s latest headlines, with dates, as its JSON Feed does', async () => {
    const page = (await request(`${s.origin}/embed/id/`)).text;
    expect(page).toContain(`<a href="${TEST_BASE}/id/articles/rusia-2000-militan-timteng-karabakh/">Rusia Nyatakan Ada 2000 Militan Timteng di Karabakh</a>`);
    expect(page).toContain('3 November 2020 20.00 WIB');
  });

  test.each([
    ['/embed/fr/', 404, 'no embed in language "fr"'],
    ['/embed/id/categories/sepak-bola/', 404, 'no category "sepak-bola"'],
    ['/embed/id/?limit=0', 400, 'query parameter "limit" must be a whole number from 1 to 50'],
  ])('%s is a %i naming the reason', async (p, status, reason) => {
    const r = await request(`${s.origin}${p}`);
    expect(r.status).toBe(status);
    expect(r.text).toContain(reason);
  });

  test('/embed/en without the slash redirects to the page', async () => {
    const r = await request(`${s.origin}/embed/en`);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/embed/en/');
  });
});

describe('the index documents both, with snippets to copy', () => {
  test('the script and the iframe snippet, each in a <pre> and on a copy button', async () => {
    const index = (await request(`${s.origin}/`)).text;
    expect(index).toContain('<section id="embed">');
    expect(index).toContain(`&lt;div data-kabar-headlines=&quot;id&quot; data-limit=&quot;5&quot;&gt;&lt;/div&gt;\n&lt;script src=&quot;${TEST_BASE}/embed.js&quot; async&gt;&lt;/script&gt;`);
    expect(index).toContain(`&lt;iframe src=&quot;${TEST_BASE}/embed/id/?limit=5&quot;`);
    expect(index.match(/<button type="button" data-copy="&lt;(div|iframe) /g)).toHaveLength(2);
  });
});
