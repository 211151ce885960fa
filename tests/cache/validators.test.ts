import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { copyContent, request, startService, TEST_BASE, type Running } from '../helpers/service.ts';

/**
 * A feed changes only when what it shows changes: aggregators re-download a feed whose ETag moved (and,
 * once feeds are pushed, every subscriber would get a push), so one new English article in one category
 * must move exactly the feeds that list it, and a restart that changes nothing must move nothing.
 */

let running: Running[] = [];
afterEach(async () => {
  for (const r of running) await r.close();
  running = [];
});

async function start(opts: Parameters<typeof startService>[0]): Promise<Running> {
  const r = await startService(opts);
  running.push(r);
  return r;
}

/** Every feed URL (xmlUrl) and HTML page (htmlUrl) the OPML lists, as published. */
async function opmlUrls(s: Running): Promise<{ feeds: string[]; pages: string[] }> {
  const opml = (await request(`${s.origin}/feeds.opml`)).text;
  const attr = (name: string) => [...new Set([...opml.matchAll(new RegExp(`${name}="([^"]+)"`, 'g'))].map((m) => m[1]!))];
  return { feeds: attr('xmlUrl'), pages: attr('htmlUrl') };
}

async function validators(s: Running, urls: readonly string[]): Promise<Map<string, { etag: string; lastModified: string }>> {
  const out = new Map<string, { etag: string; lastModified: string }>();
  for (const url of urls) {
    const r = await request(s.local(url));
    expect(r.status, url).toBe(200);
    out.set(url, { etag: String(r.headers.etag), lastModified: String(r.headers['last-modified']) });
  }
  return out;
}

const EN_TURKI_ONLY = `---
id: 2026-11-26-erdogan-aliyev-shusha
title: Erdogan and Aliyev visit Shusha
summary: The Turkish and Azerbaijani presidents visited Shusha a year after the ceasefire.
published: 2026-11-26T09:00:00+03:00
updated: 2026-11-26T09:00:00+03:00
authors: [Kabar Feeds desk]
source: { name: Kabar Feeds }
categories: [turki]
---
The Turkish and Azerbaijani presidents visited Shusha.
`;

test('a new English article in category turki changes exactly the feeds that list it', async () => {
  const s = await start({ now: () => new Date('2026-11-26T12:00:00Z') });
  const { feeds, pages } = await opmlUrls(s);
  expect(feeds).toHaveLength(36);
  const before = await validators(s, [...feeds, ...pages]);

  const dir = path.join(s.contentDir, 'articles', 'erdogan-aliyev-shusha');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'index.en.md'), EN_TURKI_ONLY);
  expect(s.service.content.reload()).toBe(true);
  // The new article is there.
  expect((await request(`${s.origin}/en/categories/turki/feed.atom`)).text).toContain('Erdogan and Aliyev visit Shusha');

  const after = await validators(s, [...feeds, ...pages]);
  const changed = [...before].filter(([url, v]) => after.get(url)!.etag !== v.etag).map(([url]) => url.slice(TEST_BASE.length));
  expect(changed.sort()).toEqual(
    [
      '/en/feed.rss',
      '/en/feed.atom',
      '/en/feed.json',
      '/en/categories/turki/feed.rss',
      '/en/categories/turki/feed.atom',
      '/en/categories/turki/feed.json',
      '/en/',
      '/en/categories/turki/',
    ].sort(),
  );
});

test('a restart with unchanged content keeps every ETag and Last-Modified, the OPML\'s included', async () => {
  const contentDir = copyContent();
  // Two starts a day apart (pinned clocks): anything derived from the time of loading or rendering would move.
  const first = await start({ contentDir, now: () => new Date('2026-11-26T12:00:00Z') });
  const { feeds, pages } = await opmlUrls(first);
  const urls = [...feeds, ...pages, `${TEST_BASE}/feeds.opml`];
  const before = await validators(first, urls);
  await first.close();
  running = [];

  const second = await start({ contentDir, dataDir: first.dataDir, now: () => new Date('2026-11-27T12:00:00Z') });
  const after = await validators(second, urls);
  for (const url of urls) expect(after.get(url), url).toEqual(before.get(url));
});
