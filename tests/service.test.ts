import fs from 'node:fs';
import path from 'node:path';
import { parseFeed } from '@rowanmanning/feed-parser';
import Parser from 'rss-parser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonFeed } from './helpers/json-feed.ts';
import { copyContent, request, startService, TEST_BASE, type Running } from './helpers/service.ts';
import { fixture, serveFile, startUpstream, statusOnly, type Upstream } from './helpers/upstream-server.ts';

/**
 * The whole service with upstream ingestion: a fixture publisher on loopback, our feeds and pages
 * showing what relates to the Karabakh article, and /status telling how each source went.
 */

let up: Upstream;
let s: Running;

beforeAll(async () => {
  up = await startUpstream({ '/world.xml': serveFile('rss2.xml'), '/down.xml': statusOnly(500) });
  const contentDir = copyContent();
  fs.writeFileSync(
    path.join(contentDir, 'sources.yaml'),
    `- url: ${up.url('/world.xml')}\n  name: Wire & World\n  language: en\n- url: ${up.url('/down.xml')}\n  id: down\n`,
  );
  s = await startService({ contentDir });
  await s.service.ingester.pollAll();
});
afterAll(async () => {
  await s?.close();
  await up?.close();
});

test('GET /status has one entry per source with the contract fields', async () => {
  const r = await request(`${s.origin}/status`);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const status = JSON.parse(r.text) as Record<string, unknown>[];
  expect(status).toHaveLength(2);
  const [world, down] = status;
  expect(world).toMatchObject({ url: up.url('/world.xml'), lastStatus: 200, consecutiveFailures: 0, lastError: null });
  expect(world!.itemCount).toBeGreaterThan(3);
  for (const key of ['lastAttemptAt', 'lastSuccessAt', 'nextPollAt']) expect(new Date(world![key] as string).toString()).not.toBe('Invalid Date');
  expect(down).toMatchObject({ url: up.url('/down.xml'), lastStatus: 500, consecutiveFailures: 1, lastSuccessAt: null, itemCount: 0 });
  expect(down!.lastError).toMatch(/500/);
});

test('GET /metrics has each source\'s items, failures and last success, as /status has them', async () => {
  const status = JSON.parse((await request(`${s.origin}/status`)).text) as { id: string; itemCount: number; lastSuccessAt: string | null }[];
  const text = (await request(`${s.origin}/metrics`)).text;
  const value = (sample: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
    return line === undefined ? undefined : Number(line.slice(sample.length + 1));
  };
  const [world, down] = status;
  expect(value(`kabar_source_items{source="${world!.id}"}`)).toBe(world!.itemCount);
  expect(value(`kabar_source_consecutive_failures{source="${world!.id}"}`)).toBe(0);
  expect(value(`kabar_source_last_success_timestamp_seconds{source="${world!.id}"}`)).toBe(Date.parse(world!.lastSuccessAt!) / 1000);
  expect(value(`kabar_source_consecutive_failures{source="down"}`)).toBe(1);
  expect(value(`kabar_source_last_success_timestamp_seconds{source="down"}`)).toBeUndefined();
  expect(down!.lastSuccessAt).toBeNull();
});

describe('related items in what readers see', () => {
  test('the article entry lists them under "Baca juga" and links them with rel="https://schema.org/relatedLink" in Atom', async () => {
    const xml = (await request(`${s.origin}/id/feed.atom`)).text;
    // Not rel="related": NetNewsWire takes the first such link as the item's permalink, ahead of its alternate.
    expect(xml).not.toContain('rel="related"');
    const related = [...xml.matchAll(/<link rel="https:\/\/schema\.org\/relatedLink" type="text\/html"(?: hreflang="[^"]+")? href="([^"]+)" title="([^"]+)"/g)].map((m) => m[2]);
    expect(related).toEqual(
      expect.arrayContaining(['Ceasefire talks over Karabakh stall again', 'Russia and Turkey agree new patrols in Idlib']),
    );
    expect(related.join()).not.toMatch(/Fuel prices|Derby|lentil soup/);
    const entry = parseFeed(xml).items[0]!;
    expect(entry.content).toContain('<h2>Baca juga</h2>');
    expect(entry.content).toContain('Ceasefire talks over Karabakh stall again');
  });

  test('RSS and JSON Feed carry them too, with "Read also" in English', async () => {
    const rss = await new Parser({ customFields: { item: [['content:encoded', 'contentEncoded']] } }).parseString(
      (await request(`${s.origin}/en/feed.rss`)).text,
    );
    expect((rss.items[0] as unknown as { contentEncoded: string }).contentEncoded).toContain('<h2>Read also</h2>');
    const json = JSON.parse((await request(`${s.origin}/en/feed.json`)).text) as JsonFeed;
    expect(json.items[0]!._kabar.related.map((r) => r.title)).toContain('Russia and Turkey agree new patrols in Idlib');
  });

  test('the article page shows them', async () => {
    const page = (await request(`${s.origin}/id/articles/rusia-2000-militan-timteng-karabakh/`)).text;
    expect(page).toContain('<h2>Baca juga</h2>');
    expect(page).toContain('Ceasefire talks over Karabakh stall again');
    expect(page).not.toContain('Fuel prices');
  });

  test('the related feed lists every related item newest first, crediting its source', async () => {
    const rssText = (await request(`${s.origin}/id/related/feed.rss`)).text;
    const rss = await new Parser({ customFields: { item: [['source', 'source']] } }).parseString(rssText);
    const titles = rss.items.map((i) => i.title);
    expect(titles).toEqual(expect.arrayContaining(['Ceasefire talks over Karabakh stall again', 'Russia and Turkey agree new patrols in Idlib']));
    expect(titles.join()).not.toMatch(/Fuel prices|Derby|lentil soup/);
    const dates = rss.items.map((i) => new Date(i.isoDate!).getTime());
    expect([...dates].sort((a, b) => b - a)).toEqual(dates);
    expect(rssText).toContain(`<source url="${up.url('/world.xml')}">Wire &amp; World</source>`);
    // The upstream items are English; the Indonesian feed marks them so.
    expect(rssText).toContain('<dc:language>en</dc:language>');

    const atom = (await request(`${s.origin}/en/related/feed.atom`)).text;
    expect(atom).toContain(`<source><id>${up.url('/world.xml')}</id><title type="text">Wire &amp; World</title>`);
    const json = JSON.parse((await request(`${s.origin}/id/related/feed.json`)).text) as JsonFeed;
    expect(json.items[0]!._kabar.source!.feed_url).toBe(up.url('/world.xml'));
  });

  test('an unchanged poll (304 upstream) keeps every ETag; a changed one refreshes the affected feeds', async () => {
    const before = await request(`${s.origin}/id/feed.atom`);
    const opmlBefore = await request(`${s.origin}/feeds.opml`);
    const relatedBefore = await request(`${s.origin}/id/related/feed.atom`);
    await s.service.ingester.pollAll();
    expect(up.requests.filter((r) => r.path === '/world.xml').at(-1)?.headers['if-none-match']).toBe('"rss2.xml-v1"');
    expect((await request(`${s.origin}/id/feed.atom`)).headers.etag).toBe(before.headers.etag);

    const changed = fixture('rss2.xml')
      .toString('utf8')
      .replace('Ceasefire talks over Karabakh stall again', 'Ceasefire talks over Karabakh resume');
    up.routes.set('/world.xml', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"v2"' });
      res.end(changed);
    });
    await s.service.ingester.pollAll();
    const after = await request(`${s.origin}/id/feed.atom`);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(after.text).toContain('Ceasefire talks over Karabakh resume');
    expect((await request(`${s.origin}/id/related/feed.atom`)).headers.etag).not.toBe(relatedBefore.headers.etag);
    // What the change does not touch keeps its validators.
    const opmlAfter = await request(`${s.origin}/feeds.opml`);
    expect([opmlAfter.headers.etag, opmlAfter.headers['last-modified']]).toEqual([opmlBefore.headers.etag, opmlBefore.headers['last-modified']]);
  });
});

test('every URL in the related feeds that points at us answers 200', async () => {
  for (const p of ['/id/related/feed.atom', '/en/related/feed.rss']) {
    const body = (await request(`${s.origin}${p}`)).text;
    for (const m of body.matchAll(/https?:\/\/[^"'<>\s]+/g)) {
      if (!m[0].startsWith(TEST_BASE)) continue;
      expect((await request(s.local(m[0].replace(/&amp;/g, '&')))).status, m[0]).toBe(200);
    }
  }
});
