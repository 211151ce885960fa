import { DOMParser, type Element } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { JsonFeed } from '../helpers/json-feed.ts';
import { copyContent, edit, request, startService, TEST_BASE, write, type Running } from '../helpers/service.ts';

/** Articles over several months (the repository's one is 2020-11-03, its English version 2026-11-25). */
const EXTRA: { slug: string; published: string; categories: string[] }[] = [
  { slug: 'a-2020-09', published: '2020-09-10T09:00:00+07:00', categories: ['rusia'] },
  { slug: 'b-2020-10', published: '2020-10-05T06:30:00+07:00', categories: ['turki'] },
  // 31 October 23:30 UTC: still October in UTC, November in Jakarta; months are UTC.
  { slug: 'c-2020-10', published: '2020-11-01T06:30:00+07:00', categories: ['rusia', 'turki'] },
  { slug: 'd-2021-01', published: '2021-01-15T12:00:00+07:00', categories: ['rusia'] },
  { slug: 'e-2026-11', published: '2026-11-20T08:00:00+07:00', categories: ['timur-tengah'] },
];

function article(slug: string, published: string, categories: string[]): string {
  return `---
id: ${slug}
title: Artikel ${slug}
summary: Ringkasan ${slug}.
published: ${published}
updated: ${published}
authors:
  - name: Redaksi
source:
  name: Kabar
  url: https://kabar.example/
categories: [${categories.join(', ')}]
tags: []
relates: []
---

Isi ${slug}.
`;
}

interface Doc {
  url: string;
  status: number;
  cacheControl: string | undefined;
  ids: string[];
  archive: boolean;
  current: string | null;
  prev: string | null;
  next: string | null;
  self: string | null;
}

const ATOM = 'http://www.w3.org/2005/Atom';
const FH = 'http://purl.org/syndication/history/1.0';

function readXml(text: string, format: 'atom' | 'rss'): Omit<Doc, 'url' | 'status' | 'cacheControl'> {
  const d = new DOMParser().parseFromString(text, 'text/xml');
  const root = d.documentElement!;
  const top = format === 'atom' ? root : (root.getElementsByTagName('channel')[0] as Element);
  const links = [...(top.getElementsByTagNameNS(ATOM, 'link') as unknown as Element[])].filter((l) => l.parentNode === top);
  const rel = (r: string) => links.find((l) => l.getAttribute('rel') === r)?.getAttribute('href') ?? null;
  // Feed-level links never use rel="alternate" for the archive: readers take that as the home page.
  for (const l of links) if (l.getAttribute('rel') === 'alternate') expect(l.getAttribute('href')).not.toMatch(/archive/);
  const entries = [...(d.getElementsByTagName(format === 'atom' ? 'entry' : 'item') as unknown as Element[])];
  const ids = entries.map((e) => e.getElementsByTagName(format === 'atom' ? 'id' : 'guid')[0]!.textContent!);
  const archive = [...(top.getElementsByTagNameNS(FH, 'archive') as unknown as Element[])].length === 1;
  return { ids, archive, current: rel('current'), prev: rel('prev-archive'), next: rel('next-archive'), self: rel('self') };
}

function readJson(text: string): Omit<Doc, 'url' | 'status' | 'cacheControl'> {
  const f = JSON.parse(text) as JsonFeed;
  const h = f._kabar.history ?? {};
  return { ids: f.items.map((i) => i.id), archive: h.archive === true, current: h.current ?? null, prev: h.prev_archive ?? null, next: h.next_archive ?? null, self: f.feed_url ?? null };
}

describe('the whole archive (RFC 5005)', () => {
  let s: Running;
  beforeAll(async () => {
    const dir = copyContent();
    for (const a of EXTRA) write(dir, `articles/${a.slug}/index.id.md`, article(a.slug, a.published, a.categories));
    s = await startService({ contentDir: dir });
  });
  afterAll(async () => {
    await s.close();
  });

  async function fetchDoc(url: string, format: 'atom' | 'rss' | 'json'): Promise<Doc> {
    const r = await request(s.local(url));
    expect(r.status, url).toBe(200);
    return { url, status: r.status, cacheControl: r.headers['cache-control'], ...(format === 'json' ? readJson(r.text) : readXml(r.text, format)) };
  }

  /** Walks from a subscription feed back to its oldest archive document, then forward again. */
  async function walk(feedPath: string, format: 'atom' | 'rss' | 'json') {
    const feedUrl = `${TEST_BASE}${feedPath}`;
    const sub = await fetchDoc(feedUrl, format);
    expect(sub.archive).toBe(false);
    const back: Doc[] = [];
    for (let url = sub.prev; url !== null; url = back.at(-1)!.prev) {
      expect(back.length).toBeLessThan(50);
      back.push(await fetchDoc(url, format));
    }
    const forward: Doc[] = [back.at(-1)!];
    while (forward.at(-1)!.next !== null) forward.push(await fetchDoc(forward.at(-1)!.next!, format));
    return { sub, back, forward };
  }

  const idOf = (slug: string) => `tag:kabar-feeds.example,2026:article/${slug}/id`;

  test.each(['atom', 'rss', 'json'] as const)('a client walks the %s site feed back to the first article and forward again, finding each article once', async (format) => {
    const { sub, back, forward } = await walk(`/id/feed.${format}`, format);
    for (const d of back) {
      expect(d.archive).toBe(true);
      expect(d.current).toBe(`${TEST_BASE}/id/feed.${format}`);
      expect(d.ids.length).toBeGreaterThan(0);
    }
    // Newest month first: the open month (November 2026) at its plain URL, older ones at versioned, immutable URLs.
    const months = back.map((d) => /archive\/(\d{4}-\d{2})/.exec(d.url)![1]);
    expect(months).toEqual(['2026-11', '2021-01', '2020-11', '2020-10', '2020-09']);
    expect(back[0]!.url).toBe(`${TEST_BASE}/id/archive/2026-11.${format}`);
    expect(back[0]!.cacheControl).toMatch(/max-age=300/);
    for (const d of back.slice(1)) {
      expect(d.url).toMatch(new RegExp(`/id/archive/\\d{4}-\\d{2}\\.[0-9a-f]{16}\\.${format}$`));
      expect(d.cacheControl).toBe('public, max-age=31536000, immutable');
      expect(d.self).toBe(d.url.replace(/\.[0-9a-f]{16}\./, '.'));
    }
    expect(back.at(-1)!.prev).toBeNull();
    // Forward from the oldest: the same months in the other order, up to the open month.
    expect(forward.map((d) => /archive\/(\d{4}-\d{2})/.exec(d.url)![1])).toEqual([...months].reverse());
    expect(forward.at(-1)!.next).toBeNull();
    const found = back.flatMap((d) => d.ids);
    expect(new Set(found).size).toBe(found.length);
    expect(found.sort()).toEqual(['2020-11-03-lavrov-militan-karabakh', ...EXTRA.map((a) => a.slug)].map(idOf).sort());
    expect(sub.ids.every((id) => found.includes(id))).toBe(true);
  });

  test('category feeds have their own archives', async () => {
    const { back } = await walk('/id/categories/rusia/feed.atom', 'atom');
    expect(back.map((d) => /archive\/(\d{4}-\d{2})/.exec(d.url)![1])).toEqual(['2021-01', '2020-11', '2020-10', '2020-09']);
    expect(back[0]!.url).toBe(`${TEST_BASE}/id/categories/rusia/archive/2021-01.atom`);
    expect(back.flatMap((d) => d.ids).sort()).toEqual(['2020-11-03-lavrov-militan-karabakh', 'a-2020-09', 'c-2020-10', 'd-2021-01'].map(idOf).sort());
  });

  test('a versioned document never changes: an edit gives that month and every newer one a new version', async () => {
    const before = (await walk('/id/feed.atom', 'atom')).back;
    const old = await request(s.local(before[3]!.url));
    edit(s.contentDir, 'articles/b-2020-10/index.id.md', (t) => t.replace('title: Artikel b-2020-10', 'title: Artikel b-2020-10 (diperbaiki)'));
    expect(s.service.content.reload()).toBe(true);
    const after = (await walk('/id/feed.atom', 'atom')).back;
    // October 2020 changed: its version and those of newer months (which link it) are new; September's is not.
    expect(after.map((d) => d.url === before[after.indexOf(d)]!.url)).toEqual([true, false, false, false, true]);
    const gone = await request(s.local(before[3]!.url));
    expect(gone.status).toBe(404);
    expect(gone.text).toContain(`${TEST_BASE}/id/archive/2020-10.atom`);
    expect((await request(s.local(after[3]!.url))).text).not.toBe(old.text);
  });

  test('the open month and unknown months have no versioned URL', async () => {
    expect((await request(`${s.origin}/id/archive/2026-11.0123456789abcdef.atom`)).status).toBe(404);
    expect((await request(`${s.origin}/id/archive/2019-01.atom`)).status).toBe(404);
    expect((await request(`${s.origin}/xx/archive/2020-10.atom`)).status).toBe(404);
    expect((await request(`${s.origin}/id/related/archive/2020-10.atom`)).status).toBe(404);
  });
});
