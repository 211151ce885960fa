import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';
import { copyContent, request, startService, type Running } from '../helpers/service.ts';
import { serveBytes, serveFile, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

/**
 * Retention against the archive case of issue 9: a source whose items are from November 2020 (the week of the
 * Karabakh article; two of them are the seed page's own "Baca juga" links), ingested by the whole service with
 * its clock in 2026 and the default retention (180 days, 500 items).
 */

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-29T12:00:00Z');
const ARTICLE = '/id/articles/rusia-2000-militan-timteng-karabakh/';
const RELATED = [
  'Iran Sinyalir Kemungkinan Keberadaan Israel dalam Konflik Karabakh',
  'Financial Times: Genderang Perang antara Rusia dan Turki Ditabuh di Idlib',
];
const UNRELATED = 'Harga Kurma Naik Menjelang Maulid';

/** What the source lists once the 2020 items have left its feed: one new item, related to nothing. */
const LATER_FEED = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>LiputanIslam.com</title><link>https://liputanislam.com</link><description>d</description>
<item><title>Festival Kuliner Halal Dibuka</title><link>https://liputanislam.com/berita/festival-kuliner-halal/</link>
<guid isPermaLink="false">https://liputanislam.com/?p=261101</guid><pubDate>Sun, 15 Jun 2027 08:00:00 +0000</pubDate>
<description>Festival dibuka.</description></item></channel></rss>`;

let up: Upstream;
let s: Running;
let clock = T0;
let contentDir: string;

async function status(): Promise<{ itemCount: number; lastStatus: number | null; lastError: string | null }> {
  const list = JSON.parse((await request(`${s.origin}/status`)).text) as { itemCount: number; lastStatus: number | null; lastError: string | null }[];
  return list[0]!;
}

async function pollAt(days: number): Promise<void> {
  clock = T0 + days * DAY;
  await s.service.ingester.pollSource('liputanislam');
}

/** The related items as readers see them: on the article page, in the article's Atom entry and in the related feed. */
async function shown(): Promise<{ page: string; atom: string; related: string }> {
  return {
    page: (await request(`${s.origin}${ARTICLE}`)).text,
    atom: (await request(`${s.origin}/id/feed.atom`)).text,
    related: (await request(`${s.origin}/id/related/feed.rss`)).text,
  };
}

function expectRelatedShown(v: { page: string; atom: string; related: string }): void {
  expect(v.page).toContain('<h2>Baca juga</h2>');
  for (const title of RELATED) {
    expect(v.page).toContain(title);
    expect(v.atom).toContain(`title="${title}"`);
    expect(v.related).toContain(`<title>${title}</title>`);
  }
  expect(v.related).not.toContain(UNRELATED);
}

beforeAll(async () => {
  up = await startUpstream({ '/feed/': serveFile('liputanislam-2020-11.xml') });
  contentDir = copyContent();
  fs.writeFileSync(
    path.join(contentDir, 'sources.yaml'),
    `- url: ${up.url('/feed/')}\n  id: liputanislam\n  name: LiputanIslam.com\n  language: id\n`,
  );
  s = await startService({ contentDir, now: () => new Date(clock) });
});
afterAll(async () => {
  await s?.close();
  await up?.close();
});

describe('retention keeps what our articles relate to, whatever its date', () => {
  test('a feed of 2020 items is stored, related and shown, not deleted in the poll that stored it', async () => {
    await pollAt(0);
    expect(await status()).toMatchObject({ lastStatus: 200, lastError: null, itemCount: 3 });
    expectRelatedShown(await shown());
  });

  test('an unchanged (304) poll long after keeps them all: the source still lists what it listed', async () => {
    await pollAt(200);
    expect(await status()).toMatchObject({ lastStatus: 304, itemCount: 3 });
    expectRelatedShown(await shown());
  });

  test('once the source no longer lists them, the related items stay and the unrelated one ages from when it was last seen', async () => {
    up.routes.set('/feed/', serveBytes(LATER_FEED, { 'content-type': 'application/rss+xml' }));
    // Last seen by the 304 a day ago: kept.
    await pollAt(201);
    expect(await status()).toMatchObject({ lastStatus: 200, itemCount: 4 });
    // 180 days after the 304 it is still kept; the day after, it is pruned. The related ones stay.
    await pollAt(380);
    expect((await status()).itemCount).toBe(4);
    await pollAt(381);
    expect((await status()).itemCount).toBe(3);
    expectRelatedShown(await shown());
    // Years on, as long as the article is published.
    await pollAt(3000);
    expect((await status()).itemCount).toBe(3);
    expectRelatedShown(await shown());
  });

  test('they survive a restart', async () => {
    const { dataDir } = s;
    await s.close();
    s = await startService({ contentDir, dataDir, now: () => new Date(clock) });
    await s.service.ingester.whenIdle();
    expect((await status()).itemCount).toBe(3);
    expectRelatedShown(await shown());
    await pollAt(3001);
    expect((await status()).itemCount).toBe(3);
    expectRelatedShown(await shown());
  });
});

describe('RETENTION_RELATED_MAX_ITEMS', () => {
  test('defaults to 5000 related items per source, and a bad value stops the start naming the variable', () => {
    expect(loadConfig({}).retention).toEqual({ maxItemsPerSource: 500, maxAgeDays: 180, maxRelatedItemsPerSource: 5000 });
    expect(loadConfig({ RETENTION_RELATED_MAX_ITEMS: '20' }).retention.maxRelatedItemsPerSource).toBe(20);
    for (const bad of ['0', '-1', 'many', '1.5']) {
      let err: unknown;
      try {
        loadConfig({ RETENTION_RELATED_MAX_ITEMS: bad });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain('RETENTION_RELATED_MAX_ITEMS');
    }
  });

  test('caps the related items kept per source: the ones listed most recently, then the newest, are shown', async () => {
    const upstream = await startUpstream({ '/feed/': serveFile('liputanislam-2020-11.xml') });
    const dir = copyContent();
    fs.writeFileSync(path.join(dir, 'sources.yaml'), `- url: ${upstream.url('/feed/')}\n  id: liputanislam\n  language: id\n`);
    const capped = await startService({ contentDir: dir, env: { RETENTION_RELATED_MAX_ITEMS: '1' }, now: () => new Date(T0) });
    try {
      await capped.service.ingester.pollSource('liputanislam');
      const list = JSON.parse((await request(`${capped.origin}/status`)).text) as { itemCount: number; lastStatus: number }[];
      expect(list[0]).toMatchObject({ lastStatus: 200, itemCount: 2 });
      const page = (await request(`${capped.origin}${ARTICLE}`)).text;
      expect(page).toContain(RELATED[1]);
      expect(page).not.toContain(RELATED[0]);
    } finally {
      await capped.close();
      await upstream.close();
    }
  });
});
