import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamItem } from '../../src/model/item.ts';
import type { RelatableItem } from '../../src/model/poll.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { DAY, item, retention, T0 } from './fixtures.ts';

/**
 * What the service asks of its store, through the `Store` interface only, so that every backend runs the same
 * suite: a backend opens a store for a directory of its own (a new one is empty; the same one again is the same
 * store). SQLite-specific behaviour (files, schema upgrades) is in sqlite.test.ts.
 */
const backends: { name: string; open: (dir: string) => Store }[] = [{ name: 'sqlite', open: (dir) => openStore(dir) }];


/** Every stored item related again by `relate`, as relateAll does it: in batches (of two, so there are several). */
function relateAll(store: Store, relate: (item: RelatableItem) => readonly string[]): boolean {
  let changed = false;
  for (let after: number | null = 0; after !== null; ) {
    const batch = store.recomputeRelationsBatch((item) => ({ articleIds: relate(item) }), after, 2) as { changed: boolean; next: number | null };
    changed ||= batch.changed;
    after = batch.next;
  }
  return changed;
}

describe.each(backends)('store ($name)', ({ open }) => {
  const stores: Store[] = [];
  function tempStore(): { store: Store; dir: string } {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-store-')), 'data');
    const store = open(dir);
    stores.push(store);
    store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);
    return { store, dir };
  }
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
  });

  it('keeps everything across a close and reopen', () => {
    const { store, dir } = tempStore();
    store.updateSourceState('src', { etag: '"e1"', lastSuccessAt: T0 });
    store.commitPoll('src', [{ item: item('a'), articleIds: ['art'] }], {}, retention, T0);
    store.setMeta('relate-rules', 'r1');
    store.rememberValidators('/feeds/id/rss.xml', 'h1', T0);
    store.close();
    const again = open(dir);
    stores.push(again);
    expect(again.itemCount('src')).toBe(1);
    expect(again.sourceState('src')).toMatchObject({ etag: '"e1"', lastSuccessAt: T0 });
    expect(again.relatedForArticle('art', 10).map((i) => i.key)).toEqual(['a']);
    expect(again.getMeta('relate-rules')).toBe('r1');
    expect(again.recallValidators('/feeds/id/rss.xml')).toEqual({ hash: 'h1', lastModified: T0 });
    // Unchanged since: the same poll again changes nothing.
    expect(again.commitPoll('src', [{ item: item('a'), articleIds: ['art'] }], {}, retention, T0)).toMatchObject({ unchanged: 1, publishedChanged: false });
  });

  it('remembers small facts and the validators of each resource, the last written winning', () => {
    const { store } = tempStore();
    expect(store.getMeta('k')).toBeNull();
    store.setMeta('k', 'one');
    store.setMeta('k', 'two');
    expect(store.getMeta('k')).toBe('two');
    expect(store.recallValidators('/a')).toBeNull();
    store.rememberValidators('/a', 'h1', T0);
    store.rememberValidators('/a', 'h2', new Date(T0.getTime() + DAY));
    store.rememberValidators('/a?page=2', 'h3', T0);
    expect(store.recallValidators('/a')).toEqual({ hash: 'h2', lastModified: new Date(T0.getTime() + DAY) });
    expect(store.recallValidators('/a?page=2')).toEqual({ hash: 'h3', lastModified: T0 });
  });

  it('forgets the remembered feed URL and validators of a source whose URL changed in sources.yaml', () => {
    const { store } = tempStore();
    store.updateSourceState('src', { currentUrl: 'https://up.example/moved', etag: '"e"', lastModified: 'Tue, 17 Nov 2026 00:00:00 GMT' });
    store.syncSources([{ id: 'src', name: 'Renamed', url: 'https://up.example/feed' }]);
    expect(store.sourceState('src')).toMatchObject({ name: 'Renamed', currentUrl: 'https://up.example/moved', etag: '"e"' });
    store.syncSources([{ id: 'src', name: 'Renamed', url: 'https://new.example/feed' }]);
    expect(store.sourceState('src')).toMatchObject({ url: 'https://new.example/feed', currentUrl: 'https://new.example/feed', etag: null, lastModified: null });
    expect(store.sourceState('unknown')).toBeNull();
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

  it('forgets a tombstone once the age limit (at least 30 days) has passed; an item listed that late is stored again', () => {
    const { store } = tempStore();
    const keep = { maxItemsPerSource: 100, maxAgeDays: 10, maxRelatedItemsPerSource: 5000 };
    const at = (days: number) => new Date(T0.getTime() + days * DAY);
    const a = { item: item('a'), articleIds: [] };
    const b = { item: item('b'), articleIds: [] };
    expect(store.commitPoll('src', [a, b], {}, keep, T0)).toMatchObject({ inserted: 2, deleted: 0 });
    store.commitPoll('src', [a], {}, keep, at(5));
    // Not listed for more than ten days: pruned.
    expect(store.commitPoll('src', [a], {}, keep, at(11))).toMatchObject({ unchanged: 1, deleted: 1 });
    // Listed again: the tombstone keeps it out.
    expect(store.commitPoll('src', [a, b], {}, keep, at(12))).toMatchObject({ inserted: 0, tombstoned: 1 });
    // Thirty days after the deletion it still does in this poll, and is then forgotten.
    expect(store.commitPoll('src', [a, b], {}, keep, at(42))).toMatchObject({ tombstoned: 1 });
    // Listed even later, it is stored again, and ages again from then.
    expect(store.commitPoll('src', [a, b], {}, keep, at(43))).toMatchObject({ inserted: 1, tombstoned: 0, deleted: 0 });
    expect(store.itemCount('src')).toBe(2);
  });

  it('names the articles whose related items a poll changed, or null when the source moved', () => {
    const { store } = tempStore();
    const poll = (entries: { item: UpstreamItem; articleIds: string[] }[], state = {}, keep = retention) =>
      store.commitPoll('src', entries, state, keep, T0);
    expect(poll([{ item: item('x'), articleIds: ['a1'] }, { item: item('y'), articleIds: [] }]).changedArticles).toEqual(['a1']);
    expect(poll([{ item: item('x'), articleIds: ['a1'] }, { item: item('y'), articleIds: [] }])).toMatchObject({ publishedChanged: false, changedArticles: [] });
    // A relation moves: both ends changed.
    expect(poll([{ item: item('x'), articleIds: ['a2', 'a3'] }]).changedArticles).toEqual(['a1', 'a2', 'a3']);
    // The text changes, the relations do not.
    expect(poll([{ item: item('x', { title: 'Edited' }), articleIds: ['a2', 'a3'] }]).changedArticles).toEqual(['a2', 'a3']);
    // An unrelated item changes: nothing we publish.
    expect(poll([{ item: item('y', { title: 'Edited' }), articleIds: [] }])).toMatchObject({ publishedChanged: false, changedArticles: [] });
    // Retention removes a related item (over the cap on related items): its articles lose it.
    const old = { item: item('old', { publishedAt: new Date(T0.getTime() - 40 * DAY) }), articleIds: ['a4'] };
    expect(poll([old]).changedArticles).toEqual(['a4']);
    expect(poll([], {}, { ...retention, maxRelatedItemsPerSource: 1 })).toMatchObject({ deleted: 1, relatedCapped: 1, publishedChanged: true, changedArticles: ['a4'] });
    // The feed moved: every related item of the source shows its new URL.
    expect(poll([], { currentUrl: 'https://up.example/moved' })).toMatchObject({ publishedChanged: true, changedArticles: null });
    expect(poll([], { currentUrl: 'https://up.example/moved' })).toMatchObject({ publishedChanged: false, changedArticles: [] });
  });

  describe('retention', () => {
    const at = (days: number) => new Date(T0.getTime() + days * DAY);
    const year2020 = new Date('2020-11-03T13:00:00Z');
    const keys = (store: Store) => store.relatedItems(100).map((i) => i.key).sort();

    it('keeps items of any date on arrival, and prunes unrelated ones by the time since the source last listed them', () => {
      const { store } = tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      const old = { item: item('old', { publishedAt: year2020 }), articleIds: [] };
      const rel = { item: item('rel', { publishedAt: year2020 }), articleIds: ['art'] };
      expect(store.commitPoll('src', [old, rel], {}, keep, T0)).toMatchObject({ inserted: 2, deleted: 0 });
      // Still listed a year on: kept.
      expect(store.commitPoll('src', [old, rel], {}, keep, at(365))).toMatchObject({ unchanged: 2, deleted: 0 });
      expect(store.commitPoll('src', [], {}, keep, at(395))).toMatchObject({ deleted: 0 });
      expect(store.commitPoll('src', [], {}, keep, at(396))).toMatchObject({ deleted: 1, publishedChanged: false });
      // The related one stays, listed or not.
      expect(store.commitPoll('src', [], {}, keep, at(5000))).toMatchObject({ deleted: 0 });
      expect(store.itemCount('src')).toBe(1);
      expect(keys(store)).toEqual(['rel']);
    });

    it('takes a 304 as the source still listing what it listed', () => {
      const { store } = tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      const a = { item: item('a'), articleIds: [] };
      const b = { item: item('b'), articleIds: [] };
      store.commitPoll('src', [a, b], { lastSuccessAt: T0 }, keep, T0);
      expect(store.commitNotModified('src', { lastSuccessAt: at(25) }, keep, at(25))).toMatchObject({ deleted: 0 });
      expect(store.commitNotModified('src', { lastSuccessAt: at(50) }, keep, at(50))).toMatchObject({ deleted: 0 });
      // b leaves the listing: it was last seen by the 304 of day 50.
      expect(store.commitPoll('src', [a], { lastSuccessAt: at(60) }, keep, at(60))).toMatchObject({ deleted: 0 });
      expect(store.commitNotModified('src', { lastSuccessAt: at(80) }, keep, at(80))).toMatchObject({ deleted: 0 });
      expect(store.commitNotModified('src', { lastSuccessAt: at(81) }, keep, at(81))).toMatchObject({ deleted: 1, publishedChanged: false });
      expect(store.itemCount('src')).toBe(1);
      expect(store.sourceState('src')!.lastSuccessAt).toEqual(at(81));
    });

    it('prunes unrelated items by count, those listed most recently first; related items are not counted', () => {
      const { store } = tempStore();
      const keep = { maxItemsPerSource: 3, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 };
      const u = (i: number) => ({ item: item(`u${i}`, { publishedAt: new Date(T0.getTime() - (i + 1) * DAY) }), articleIds: [] });
      const rel = { item: item('rel', { publishedAt: year2020 }), articleIds: ['art'] };
      expect(store.commitPoll('src', [u(0), u(1), u(2), rel], {}, keep, T0)).toMatchObject({ inserted: 4, deleted: 0 });
      // Two older items listed a day later push out the two least recently listed (ties: the older ones).
      expect(store.commitPoll('src', [u(3), u(4)], {}, keep, at(1))).toMatchObject({ inserted: 2, deleted: 2 });
      expect(store.itemCount('src')).toBe(4);
      expect(store.commitPoll('src', [u(1), u(2), u(3), u(4)], {}, keep, at(2))).toMatchObject({ tombstoned: 2, unchanged: 2, deleted: 0 });
      expect(keys(store)).toEqual(['rel']);
    });

    it('caps related items per source with RETENTION_RELATED_MAX_ITEMS, and keeps the cut ones out while listed', () => {
      const { store } = tempStore();
      const keep = { maxItemsPerSource: 1, maxAgeDays: 30, maxRelatedItemsPerSource: 2 };
      const r = (i: number) => ({ item: item(`r${i}`, { publishedAt: new Date(year2020.getTime() + i * DAY) }), articleIds: ['art'] });
      const listing = [r(0), r(1), r(2), { item: item('u'), articleIds: [] }];
      expect(store.commitPoll('src', listing, {}, keep, T0)).toMatchObject({ inserted: 4, deleted: 1, relatedCapped: 1 });
      expect(keys(store)).toEqual(['r1', 'r2']);
      expect(store.commitPoll('src', listing, {}, keep, at(1))).toMatchObject({ inserted: 0, tombstoned: 1, deleted: 0, publishedChanged: false });
      // A newly listed related item displaces the one listed least recently.
      expect(store.commitPoll('src', [r(3)], {}, keep, at(2))).toMatchObject({ inserted: 1, relatedCapped: 1, changedArticles: ['art'] });
      expect(keys(store)).toEqual(['r2', 'r3']);
    });

    it('lets related items follow the rules of unrelated ones once their article no longer relates them', () => {
      const { store } = tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      store.commitPoll('src', [{ item: item('z', { publishedAt: year2020 }), articleIds: ['art'] }], {}, keep, T0);
      expect(store.commitPoll('src', [], {}, keep, at(100))).toMatchObject({ deleted: 0 });
      // The article is taken out of the content: relateAll relates the item to nothing.
      relateAll(store, () => []);
      expect(store.commitPoll('src', [], {}, keep, at(101))).toMatchObject({ deleted: 1 });
      // Rules that would relate it again find nothing: it is gone.
      relateAll(store, () => ['art']);
      expect(store.itemCount('src')).toBe(0);
    });

    it('keeps an unrelated item that new rules relate, and stores again a pruned one that comes back related', () => {
      const { store } = tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      store.commitPoll('src', [{ item: item('y'), articleIds: [] }, { item: item('x'), articleIds: [] }], {}, keep, T0);
      relateAll(store, (i) => (i.title === 'Title y' ? ['art'] : []));
      expect(store.commitPoll('src', [], {}, keep, at(31))).toMatchObject({ deleted: 1 });
      expect(keys(store)).toEqual(['y']);
      // x was pruned while it related to nothing; listed again and related now, the tombstone does not hold it.
      expect(store.commitPoll('src', [{ item: item('x'), articleIds: ['art'] }], {}, keep, at(32))).toMatchObject({ inserted: 1, tombstoned: 0, publishedChanged: true });
      expect(keys(store)).toEqual(['x', 'y']);
    });
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

  it('answers many articles in one call as relatedForArticle does for each, sharing items related to several', () => {
    const { store } = tempStore();
    store.syncSources([
      { id: 'src', name: 'Source', url: 'https://up.example/feed' },
      { id: 'gone', name: 'Gone', url: 'https://gone.example/feed' },
    ]);
    const at = (days: number) => new Date(T0.getTime() - days * DAY);
    store.commitPoll(
      'src',
      [
        { item: item('old', { publishedAt: at(3) }), articleIds: ['a1'] },
        { item: item('new', { publishedAt: at(1) }), articleIds: ['a2', 'a1'] },
        { item: item('mid', { publishedAt: at(2) }), articleIds: ['a2'] },
        { item: item('same-date', { publishedAt: at(1) }), articleIds: ['a1'] },
      ],
      {},
      retention,
      T0,
    );
    store.commitPoll('gone', [{ item: item('hidden', { publishedAt: at(0.5) }), articleIds: ['a1'] }], {}, retention, T0);
    store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);

    const ids = ['a2', 'nothing', 'a1', 'a2'];
    for (const limit of [1, 2, 10]) {
      const many = store.relatedForArticles(ids, limit);
      expect([...many.keys()]).toEqual(['a2', 'nothing', 'a1']);
      for (const id of many.keys()) {
        expect(many.get(id)).toEqual(store.relatedForArticle(id, limit).map(({ contentHtml, categories, author, articleIds, ...published }) => published));
      }
    }
    const many = store.relatedForArticles(ids, 10);
    expect(many.get('a1')!.map((i) => i.key)).toEqual(['same-date', 'new', 'old']);
    expect(many.get('a1')![1]).toBe(many.get('a2')![0]);
    expect(store.relatedForArticles([], 10).size).toBe(0);
  });

  it('keeps relations right when an item stops, then starts again, being related', () => {
    const { store } = tempStore();
    const poll = (articleIds: string[]) => store.commitPoll('src', [{ item: item('x'), articleIds }], {}, retention, T0);
    expect(poll(['a', 'b']).publishedChanged).toBe(true);
    expect(poll([]).publishedChanged).toBe(true);
    expect(store.relatedItems(10)).toEqual([]);
    expect(poll([]).publishedChanged).toBe(false);
    expect(poll(['b']).publishedChanged).toBe(true);
    expect(store.relatedItems(10).map((i) => i.articleIds)).toEqual([['b']]);
    expect(relateAll(store, () => [])).toBe(true);
    expect(relateAll(store, () => [])).toBe(false);
    expect(store.relatedForArticle('b', 10)).toEqual([]);
  });

  it('writes every kind of source state patch, again and again', () => {
    const { store } = tempStore();
    const t = new Date(T0.getTime() + DAY);
    for (let i = 0; i < 3; i++) {
      store.updateSourceState('src', { lastAttemptAt: t, lastStatus: 304 });
      store.updateSourceState('src', { lastStatus: 500 + i, consecutiveFailures: i, lastError: `e${i}` });
    }
    expect(store.sourceState('src')).toMatchObject({ lastAttemptAt: t, lastStatus: 502, consecutiveFailures: 2, lastError: 'e2' });
  });

  it('tells apart items whose columns differ only in where one ends and the next begins, in null, or in a lone surrogate', () => {
    const { store } = tempStore();
    store.commitPoll('src', [{ item: item('a', { title: 'ab', summary: 'c' }), articleIds: [] }], {}, retention, T0);
    expect(store.commitPoll('src', [{ item: item('a', { title: 'a', summary: 'bc' }), articleIds: [] }], {}, retention, T0).updated).toBe(1);
    expect(store.commitPoll('src', [{ item: item('a', { title: 'a', summary: 'bc', author: '' }), articleIds: [] }], {}, retention, T0).updated).toBe(1);
    expect(store.commitPoll('src', [{ item: item('a', { title: 'a', summary: 'bc', author: null }), articleIds: [] }], {}, retention, T0).updated).toBe(1);
    // Lone surrogates (UTF-8 would make both U+FFFD).
    expect(store.commitPoll('src', [{ item: item('a', { title: 'a\ud800' }), articleIds: [] }], {}, retention, T0).updated).toBe(1);
    expect(store.commitPoll('src', [{ item: item('a', { title: 'a\ud801' }), articleIds: [] }], {}, retention, T0).updated).toBe(1);
    expect(store.commitPoll('src', [{ item: item('a', { title: 'a\ud801' }), articleIds: [] }], {}, retention, T0).unchanged).toBe(1);
  });

  it('recomputes relations of every stored item', () => {
    const { store } = tempStore();
    store.commitPoll('src', [{ item: item('k', { title: 'Karabakh' }), articleIds: [] }, { item: item('p'), articleIds: [] }], {}, retention, T0);
    expect(relateAll(store, (i) => (i.title.includes('Karabakh') ? ['art'] : []))).toBe(true);
    expect(store.relatedForArticle('art', 10).map((i) => i.key)).toEqual(['k']);
    expect(relateAll(store, (i) => (i.title.includes('Karabakh') ? ['art'] : []))).toBe(false);
  });
});
