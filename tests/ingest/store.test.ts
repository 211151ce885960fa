import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamItem } from '../../src/ingest/model.ts';
import { openStore, type Store } from '../../src/storage/store.ts';

const T0 = new Date('2026-11-20T00:00:00Z');
const DAY = 86_400_000;
const retention = { maxItemsPerSource: 100, maxAgeDays: 30 };

function item(key: string, over: Partial<UpstreamItem> = {}): UpstreamItem {
  return {
    key, url: `https://up.example/${key}`, title: `Title ${key}`, summary: 'Summary', contentHtml: '<p>Body</p>',
    language: 'en', categories: ['World'], author: null, publishedAt: new Date(T0.getTime() - DAY), updatedAt: null, ...over,
  };
}

const stores: Store[] = [];
function tempStore(): { store: Store; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-store-'));
  const store = openStore(path.join(dir, 'data'));
  stores.push(store);
  store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);
  return { store, dir };
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

describe('store', () => {
  it('creates the data dir, applies migrations once, and keeps data across reopen', () => {
    const { store, dir } = tempStore();
    store.commitPoll('src', [{ item: item('a'), articleIds: ['art'] }], {}, retention, T0);
    store.close();
    const again = openStore(path.join(dir, 'data'));
    stores.push(again);
    expect(again.itemCount('src')).toBe(1);
    const db = new Database(path.join(dir, 'data', 'kabar.sqlite'), { readonly: true });
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('stops publishing the items of a source taken out of sources.yaml, and publishes them again when it returns', () => {
    const { store } = tempStore();
    store.commitPoll('src', [{ item: item('a'), articleIds: ['art'] }], {}, retention, T0);
    expect(store.relatedItems(10).map((i) => i.key)).toEqual(['a']);
    store.syncSources([{ id: 'other', name: 'Other', url: 'https://other.example/feed' }]);
    expect(store.relatedItems(10)).toEqual([]);
    expect(store.relatedForArticle('art', 10)).toEqual([]);
    store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);
    expect(store.relatedForArticle('art', 10).map((i) => i.key)).toEqual(['a']);
  });

  it('upserts by (source, key): seen again is updated, never duplicated', () => {
    const { store } = tempStore();
    const first = store.commitPoll('src', [{ item: item('a'), articleIds: [] }, { item: item('b'), articleIds: [] }], {}, retention, T0);
    expect(first).toMatchObject({ inserted: 2, updated: 0 });
    const same = store.commitPoll('src', [{ item: item('a'), articleIds: [] }], {}, retention, T0);
    expect(same).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, publishedChanged: false });
    const changed = store.commitPoll('src', [{ item: item('a', { title: 'New title' }), articleIds: [] }], {}, retention, T0);
    expect(changed).toMatchObject({ updated: 1, publishedChanged: false });
    expect(store.itemCount('src')).toBe(2);
  });

  it('keeps the first-seen date of an undated item on every later poll', () => {
    const { store } = tempStore();
    store.commitPoll('src', [{ item: item('undated', { publishedAt: null }), articleIds: ['art'] }], {}, retention, T0);
    const later = new Date(T0.getTime() + 3 * 3_600_000);
    const r = store.commitPoll('src', [{ item: item('undated', { publishedAt: null }), articleIds: ['art'] }], {}, retention, later);
    expect(r.unchanged).toBe(1);
    expect(store.relatedForArticle('art', 10)[0]!.publishedAt).toEqual(T0);
  });

  it('reports published changes only for related items and relations', () => {
    const { store } = tempStore();
    expect(store.commitPoll('src', [{ item: item('x'), articleIds: [] }], {}, retention, T0).publishedChanged).toBe(false);
    expect(store.commitPoll('src', [{ item: item('x'), articleIds: ['art'] }], {}, retention, T0).publishedChanged).toBe(true);
    expect(store.commitPoll('src', [{ item: item('x', { title: 'Edited' }), articleIds: ['art'] }], {}, retention, T0).publishedChanged).toBe(true);
    expect(store.commitPoll('src', [{ item: item('x', { title: 'Edited' }), articleIds: ['art'] }], {}, retention, T0).publishedChanged).toBe(false);
  });

  it('applies retention by count and by age, leaving tombstones so items are not ingested again', () => {
    const { store } = tempStore();
    const items = Array.from({ length: 5 }, (_, i) => ({
      item: item(`n${i}`, { publishedAt: new Date(T0.getTime() - (i + 1) * DAY) }),
      articleIds: ['art'],
    }));
    items.push({ item: item('old', { publishedAt: new Date(T0.getTime() - 40 * DAY) }), articleIds: ['art'] });
    const r = store.commitPoll('src', items, {}, { maxItemsPerSource: 3, maxAgeDays: 30 }, T0);
    expect(r).toMatchObject({ inserted: 6, deleted: 3 });
    expect(store.relatedForArticle('art', 10).map((i) => i.key)).toEqual(['n0', 'n1', 'n2']);
    const again = store.commitPoll('src', items, {}, { maxItemsPerSource: 3, maxAgeDays: 30 }, T0);
    expect(again).toMatchObject({ inserted: 0, tombstoned: 3, deleted: 0, publishedChanged: false });
    expect(store.itemCount('src')).toBe(3);
  });

  it('lists related items newest first, per article and overall, with their source', () => {
    const { store } = tempStore();
    store.updateSourceState('src', { siteUrl: 'https://up.example/', currentUrl: 'https://up.example/moved' });
    store.commitPoll(
      'src',
      [
        { item: item('old', { publishedAt: new Date(T0.getTime() - 3 * DAY) }), articleIds: ['a1'] },
        { item: item('new', { publishedAt: new Date(T0.getTime() - DAY) }), articleIds: ['a1', 'a2'] },
        { item: item('mid', { publishedAt: new Date(T0.getTime() - 2 * DAY) }), articleIds: ['a2'] },
        { item: item('none'), articleIds: [] },
      ],
      {},
      retention,
      T0,
    );
    expect(store.relatedForArticle('a1', 10).map((i) => i.key)).toEqual(['new', 'old']);
    expect(store.relatedForArticle('a1', 1).map((i) => i.key)).toEqual(['new']);
    const all = store.relatedItems(10);
    expect(all.map((i) => [i.key, i.articleIds])).toEqual([['new', ['a1', 'a2']], ['mid', ['a2']], ['old', ['a1']]]);
    expect(all[0]).toMatchObject({
      sourceId: 'src', sourceName: 'Source', sourceFeedUrl: 'https://up.example/moved', sourceSiteUrl: 'https://up.example/',
      categories: ['World'], language: 'en',
    });
  });

  it('recomputes relations of every stored item', () => {
    const { store } = tempStore();
    store.commitPoll('src', [{ item: item('k', { title: 'Karabakh' }), articleIds: [] }, { item: item('p'), articleIds: [] }], {}, retention, T0);
    expect(store.recomputeRelations((i) => (i.title.includes('Karabakh') ? ['art'] : []))).toBe(true);
    expect(store.relatedForArticle('art', 10).map((i) => i.key)).toEqual(['k']);
    expect(store.recomputeRelations((i) => (i.title.includes('Karabakh') ? ['art'] : []))).toBe(false);
  });

  it('bulk-inserts synthetic items for benchmarks', () => {
    const { store } = tempStore();
    store.insertItemsForBenchmark('bench', Array.from({ length: 1000 }, (_, i) => ({ item: item(`b${i}`), articleIds: i % 2 ? ['art'] : [] })));
    expect(store.itemCount('bench')).toBe(1000);
    expect(store.relatedForArticle('art', 20)).toHaveLength(20);
  });
});
