import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { archiveVersions } from '../../src/feeds/archive.ts';
import { Urls, type FeedKey } from '../../src/feeds/catalog.ts';
import { copyContent, LATER_ARTICLE, laterArticle, request, startService, TEST_BASE, write, type Running } from '../helpers/service.ts';

/**
 * What a CDN in front of the replicas reads: Cache-Control with a shared-cache lifetime, and Surrogate-Key naming
 * what each response shows (README, "Caches in front"), alike on the first request (Express), the fast path,
 * HEAD and 304.
 */

const SHARED = 'public, max-age=300, s-maxage=60, stale-while-revalidate=60, stale-if-error=86400';

let s: Running;
beforeAll(async () => {
  // A second month, so that November 2020 is closed and has a versioned, immutable archive URL.
  const contentDir = copyContent();
  write(contentDir, LATER_ARTICLE, laterArticle('Ringkasan.'));
  s = await startService({ contentDir });
});
afterAll(async () => {
  await s.close();
});

/** The first request renders (through Express), the second is answered by the fast path; both must agree. */
async function twice(path: string, headers: Record<string, string> = {}) {
  const first = await request(`${s.origin}${path}`, { headers });
  const second = await request(`${s.origin}${path}`, { headers });
  expect(second.headers['cache-control']).toBe(first.headers['cache-control']);
  expect(second.headers['surrogate-key']).toBe(first.headers['surrogate-key']);
  return first;
}

describe('feeds', () => {
  test.each([
    ['/id/feed.rss', 'all feeds rss lang:id site id:site id:site:rss'],
    ['/en/categories/rusia/feed.atom', 'all feeds atom lang:en cat:rusia en:cat:rusia en:cat:rusia:atom'],
    ['/id/related/feed.json', 'all feeds json lang:id related id:related id:related:json'],
    // A shorter variant is the same feed to a purge: it shares the feed's own key.
    ['/en/feed.atom?limit=3', 'all feeds atom lang:en site en:site en:site:atom'],
  ])('%s: shared-cache lifetime and its keys, from Express and the fast path', async (path, keys) => {
    const r = await twice(path);
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe(SHARED);
    expect(r.headers['surrogate-key']).toBe(keys);
  });

  test('HEAD and 304 carry the same Cache-Control and Surrogate-Key as the 200, in every coding', async () => {
    for (const coding of ['identity', 'gzip', 'br']) {
      const path = '/en/categories/turki/feed.rss';
      const get = await twice(path, { 'accept-encoding': coding });
      const head = await request(`${s.origin}${path}`, { method: 'HEAD', headers: { 'accept-encoding': coding } });
      const notModified = await request(`${s.origin}${path}`, { headers: { 'accept-encoding': coding, 'if-none-match': get.headers.etag! } });
      expect(head.status).toBe(200);
      expect(notModified.status).toBe(304);
      for (const r of [head, notModified]) {
        expect(r.headers['cache-control']).toBe(SHARED);
        expect(r.headers['surrogate-key']).toBe('all feeds rss lang:en cat:turki en:cat:turki en:cat:turki:rss');
      }
    }
  });

  test('a feed keeps its Vary; its browser view stays private, with no key (no shared cache keeps it)', async () => {
    const feed = await twice('/id/feed.atom');
    expect(feed.headers.vary).toBe('Accept-Encoding, Sec-Fetch-Dest');
    const view = await twice('/id/feed.atom', { 'sec-fetch-dest': 'document' });
    expect(view.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(view.headers['cache-control']).toBe('private, max-age=300');
    expect(view.headers['surrogate-key']).toBeUndefined();
    expect(view.headers.vary).toBe('Accept-Encoding, Sec-Fetch-Dest');
  });

  test('the OPML list and the archive documents: a closed month at its versioned URL stays immutable', async () => {
    const opml = await twice('/feeds.opml');
    expect(opml.headers['cache-control']).toBe(SHARED);
    expect(opml.headers['surrogate-key']).toBe('all feeds opml');
    const current = await twice('/id/archive/2020-11.atom');
    expect(current.status).toBe(200);
    expect(current.headers['surrogate-key']).toBe('all feeds atom lang:id site id:site id:site:atom:2020-11');
    // The month is closed (its articles are years old): it also has a versioned URL, whose bytes never change.
    const feed: FeedKey = { language: 'id', scope: { kind: 'site' }, format: 'atom' };
    const version = archiveVersions(s.service.content.current, feed, new Urls(TEST_BASE)).get('2020-11');
    expect(version).toMatch(/^[0-9a-f]{16}$/);
    const doc = await twice(`/id/archive/2020-11.${version!}.atom`);
    expect(doc.status).toBe(200);
    expect(doc.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(doc.headers['surrogate-key']).toBe('all feeds atom lang:id site id:site id:site:atom:2020-11');
  });
});

describe('pages', () => {
  test.each([
    ['/', 'all pages home'],
    ['/id/', 'all pages lang:id site id:site id:site:page'],
    ['/en/categories/rusia/', 'all pages lang:en cat:rusia en:cat:rusia en:cat:rusia:page'],
    ['/en/related/', 'all pages lang:en related en:related en:related:page'],
    ['/id/articles/rusia-2000-militan-timteng-karabakh/', 'all pages lang:id article:rusia-2000-militan-timteng-karabakh id:article:rusia-2000-militan-timteng-karabakh'],
    ['/embed/en/categories/turki/', 'all pages lang:en cat:turki en:cat:turki en:cat:turki:embed'],
    ['/embed.js', 'all pages embed.js'],
  ])('%s: shared-cache lifetime and its keys', async (path, keys) => {
    const r = await twice(path);
    expect(r.status).toBe(200);
    expect(r.headers['cache-control']).toBe(SHARED);
    expect(r.headers['surrogate-key']).toBe(keys);
  });

  test('responses that are not representations carry no key: errors, redirects, the admin pages', async () => {
    for (const path of ['/xx/feed.atom', '/id', '/feed.atom', '/healthz']) {
      expect((await request(`${s.origin}${path}`)).headers['surrogate-key']).toBeUndefined();
    }
  });
});
