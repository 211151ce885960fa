import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { bulkItemLoader } from '../../src/storage/sqlite/bulk.ts';
import { closeDatabase, openDatabase } from '../../src/storage/sqlite/database.ts';
import type { SyncStore } from '../../src/storage/store.ts';
import { ARTICLES, fixtureContent, indexedRelater, labelledFeed, readSet, wireLink } from '../helpers/relate-set.ts';
import { startService, type Running } from '../helpers/service.ts';
import { serveBytes, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

/**
 * A background pass (every stored item related again: a first start, a new analysis) runs in the relating worker on
 * the SQLite store, at the lowest CPU priority, so that requests are served at full speed meanwhile: it finds what
 * the polls found, and a poll that commits while it runs is stored (both write through their own connections).
 */

type Line = Record<string, unknown> & { msg: string };
let lines: Line[] = [];
const logged = (msg: string) => lines.filter((l) => l.msg === msg);

let up: Upstream;
let s: Running;
let store: SyncStore;
const set = readSet('tuning');
const [first, second] = [set.slice(0, Math.ceil(set.length / 2)), set.slice(Math.ceil(set.length / 2))];

/** Every relation of the stored items: article, link, score and why, in one sorted list. */
function relations(): string[] {
  return Object.values(ARTICLES)
    .flatMap((a) => store.relationReasons(a, 10_000).map((r) => `${a} ${r.item.url} ${r.score} ${r.by} ${r.terms.join(',')}`))
    .sort();
}

/** Makes the next pass relate every stored item again, as after a new analysis. */
async function relateEverythingAgain(): Promise<void> {
  store.setMeta('relate-rules', 'from another analysis');
  await s.service.ingester.relateAll();
}

beforeAll(async () => {
  up = await startUpstream({
    '/first.xml': serveBytes(labelledFeed(first), { 'content-type': 'application/rss+xml' }),
    '/second.xml': serveBytes(labelledFeed(second), { 'content-type': 'application/rss+xml' }),
  });
  const contentDir = fixtureContent();
  fs.writeFileSync(
    path.join(contentDir, 'sources.yaml'),
    `- url: ${up.url('/first.xml')}\n  id: first\n  language: en\n- url: ${up.url('/second.xml')}\n  id: second\n  language: en\n`,
  );
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as Line) });
  s = await startService({ contentDir, env: { RELATE_BY_CONTENT: 'on' }, logger });
  // The article index is built at start (no stored item yet: nothing to relate).
  await s.service.ingester.whenIdle();
  store = s.service.store as unknown as SyncStore;
});
afterAll(async () => {
  await s?.close();
  await up?.close();
});

describe('the relating worker', () => {
  test('relates every stored item again in its own thread at nice 19, finding exactly what the polls found', async () => {
    await s.service.ingester.pollSource('first');
    const byPolls = relations();
    expect(byPolls.length).toBeGreaterThan(5);
    const before = lines.length;
    await relateEverythingAgain();
    // Started by the first pass at start-up (it related no item), or by this one.
    const [started] = logged('relating worker started');
    expect(started).toMatchObject({ tid: expect.any(Number) as unknown, nice: 19 });
    expect(started!.tid).not.toBe(process.pid);
    const [done] = lines.slice(before).filter((l) => l.msg === 'stored items related to the changed articles');
    expect(done).toMatchObject({ in: 'worker', related_again: expect.any(Number) as unknown });
    expect(done!.related_again as number).toBeGreaterThanOrEqual(Object.keys(ARTICLES).length);
    expect(relations()).toEqual(byPolls);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });

  test('a poll that commits while the worker relates is stored, and the pass still ends', async () => {
    // Enough items that the pass takes many batches (the worker's write transactions) around the poll's.
    const db = openDatabase(s.dataDir);
    try {
      const load = bulkItemLoader(db);
      const filler = Array.from({ length: 6_000 }, (_, i) => {
        const it = set[i % set.length]!;
        return {
          item: {
            key: `filler-${i}`,
            url: `https://filler.example/${i}`,
            title: it.title,
            summary: it.summary,
            contentHtml: '',
            language: it.lang,
            categories: it.categories,
            author: null,
            publishedAt: new Date(Date.UTC(2020, 9, 1) + i * 60_000),
            updatedAt: null,
          },
          articleIds: [],
        };
      });
      load('filler', filler);
    } finally {
      closeDatabase(db);
    }
    lines = [];
    const pass = relateEverythingAgain();
    expect(s.service.ingester.relationsCurrent()).toBe(false);
    const outcome = await s.service.ingester.pollSource('second');
    const stillRelating = !s.service.ingester.relationsCurrent();
    await pass;
    expect(outcome).toMatchObject({ kind: 'updated', counts: { inserted: second.length } });
    expect(stillRelating).toBe(true);
    expect(logged('stored items related to the changed articles')).toHaveLength(1);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(store.relationReasons(ARTICLES.karabakh!, 10_000).map((r) => r.item.url)).toEqual(
      expect.arrayContaining(second.filter((i) => i.rel.includes('karabakh') && i.kind === 'related').map((i) => wireLink(i.id))),
    );
  });
});

describe('a first start with more articles than one index batch', () => {
  test('analyses and indexes them in the worker, and the polls after it relate by that index', async () => {
    const contentDir = fixtureContent();
    const izmir = fs.readFileSync(path.join(contentDir, 'articles/gempa-izmir/index.id.md'), 'utf8');
    // 120 more articles (an index batch is 100): the fixture's Izmir report, each under another id and headline.
    for (let n = 0; n < 120; n++) {
      const dir = path.join(contentDir, 'articles', `filler-${n}`);
      fs.mkdirSync(dir);
      fs.writeFileSync(
        path.join(dir, 'index.id.md'),
        izmir.replace('id: 2020-10-31-gempa-izmir', `id: 2020-09-01-filler-${n}`).replace('title: Gempa Magnitudo 7', `title: Arsip ${n} Gempa Magnitudo 7`),
      );
    }
    fs.writeFileSync(path.join(contentDir, 'sources.yaml'), `- url: ${up.url('/first.xml')}\n  id: first\n  language: en\n`);
    const own: Line[] = [];
    const logger = createLogger('info', { write: (line: string) => void own.push(JSON.parse(line) as Line) });
    const big = await startService({ contentDir, env: { RELATE_BY_CONTENT: 'on' }, logger });
    try {
      await big.service.ingester.whenIdle();
      const [done] = own.filter((l) => l.msg === 'stored items related to the changed articles');
      expect(done).toMatchObject({ indexed: Object.keys(ARTICLES).length + 120 });
      expect(own.filter((l) => l.msg === 'relating worker started')).toHaveLength(1);
      const bigStore = big.service.store as unknown as SyncStore;
      expect(bigStore.indexedArticles()).toHaveLength(Object.keys(ARTICLES).length + 120);
      await big.service.ingester.pollSource('first');
      // The same articles indexed in this thread, in one transaction: each item (as the feed gives it: no categories)
      // relates to the same articles.
      const { store: here, relate } = indexedRelater(big.service.content.current);
      try {
        for (const it of first) {
          const expected = relate({ title: it.title, summary: it.summary, categories: [], url: wireLink(it.id), language: 'en' }).articleIds;
          const got = Object.values(ARTICLES).filter((a) => bigStore.relatedForArticle(a, 100).some((r) => r.url === wireLink(it.id)));
          expect([it.id, ...got]).toEqual([it.id, ...Object.values(ARTICLES).filter((a) => expected.includes(a))]);
        }
      } finally {
        here.close();
      }
      expect(bigStore.relatedForArticle(ARTICLES.karabakh!, 100).length).toBeGreaterThan(3);
      expect(own.filter((l) => (l.level as number) >= 50)).toEqual([]);
    } finally {
      await big.close();
    }
  });
});
