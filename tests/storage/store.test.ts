import { afterEach, describe, expect, it } from 'vitest';
import type { UpstreamItem } from '../../src/model/item.ts';
import type { PublishedChange, RelatableItem } from '../../src/model/poll.ts';
import type { Store } from '../../src/storage/store.ts';
import { backends, type Place } from './backends.ts';
import { DAY, item, retention, T0 } from './fixtures.ts';

/**
 * What the service asks of its store, through the `Store` interface only, so that every backend runs the same
 * suite (backends.ts): each test's store lives in a place of its own (a directory, a PostgreSQL schema), opened
 * again it is the same store. Backend-specific behaviour (files, schema upgrades, migrating under a lock) is in
 * sqlite.test.ts and postgres.test.ts.
 */

/** Every stored item related again by `relate`, as relateAll does it: in batches (of two, so there are several). */
async function relateAll(store: Store, relate: (item: RelatableItem) => readonly string[]): Promise<boolean> {
  let changed = false;
  for (let after: number | null = 0; after !== null; ) {
    const batch: { changed: boolean; next: number | null } = await store.recomputeRelationsBatch((item) => ({ articleIds: relate(item) }), after, 2);
    changed ||= batch.changed;
    after = batch.next;
  }
  return changed;
}

describe.each(backends)('store ($name)', (backend) => {
  const stores: Store[] = [];
  const places: Place[] = [];
  /** Opens a store of `place` (another replica when the backend is shared), closed after the test. */
  async function open(place: Place): Promise<Store> {
    const store = await place.open();
    stores.push(store);
    return store;
  }
  async function tempStore(): Promise<{ store: Store; place: Place }> {
    const place = await backend.place();
    places.push(place);
    const store = await open(place);
    await store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);
    return { store, place };
  }
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const p of places.splice(0)) await p.drop();
  });

  it('keeps everything across a close and reopen', async () => {
    const { store, place } = await tempStore();
    await store.updateSourceState('src', { etag: '"e1"', lastSuccessAt: T0 });
    await store.commitPoll('src', [{ item: item('a'), articleIds: ['art'] }], {}, retention, T0);
    await store.setMeta('relate-rules', 'r1');
    await store.settleValidators('/feeds/id/rss.xml', 'h1', T0);
    await store.close();
    const again = await open(place);
    expect(await again.itemCount('src')).toBe(1);
    expect(await again.sourceState('src')).toMatchObject({ etag: '"e1"', lastSuccessAt: T0 });
    expect((await again.relatedForArticle('art', 10)).map((i) => i.key)).toEqual(['a']);
    expect(await again.getMeta('relate-rules')).toBe('r1');
    expect(await again.settleValidators('/feeds/id/rss.xml', 'h1', new Date(T0.getTime() + DAY))).toEqual({ lastModified: T0, changed: false });
    // Unchanged since: the same poll again changes nothing.
    expect(await again.commitPoll('src', [{ item: item('a'), articleIds: ['art'] }], {}, retention, T0)).toMatchObject({ unchanged: 1, publishedChanged: false });
  });

  it('remembers small facts, the last written winning', async () => {
    const { store } = await tempStore();
    expect(await store.getMeta('k')).toBeNull();
    await store.setMeta('k', 'one');
    await store.setMeta('k', 'two');
    expect(await store.getMeta('k')).toBe('two');
  });

  it('settles validators: the same hash keeps its Last-Modified, a new hash takes the new time, per resource', async () => {
    const { store } = await tempStore();
    const at = (days: number) => new Date(T0.getTime() + days * DAY);
    expect(await store.settleValidators('/a', 'h1', T0)).toEqual({ lastModified: T0, changed: true });
    expect(await store.settleValidators('/a', 'h1', at(1))).toEqual({ lastModified: T0, changed: false });
    expect(await store.settleValidators('/a', 'h2', at(2))).toEqual({ lastModified: at(2), changed: true });
    expect(await store.settleValidators('/a?page=2', 'h1', at(3))).toEqual({ lastModified: at(3), changed: true });
    expect(await store.settleValidators('/a', 'h2', at(4))).toEqual({ lastModified: at(2), changed: false });
    // Back to bytes seen before: they are new again (the clients' copies are of h2).
    expect(await store.settleValidators('/a', 'h1', at(5))).toEqual({ lastModified: at(5), changed: true });
  });

  it('settles the same new bytes rendered by replicas at once: one changed, one Last-Modified', async () => {
    const { store, place } = await tempStore();
    const replicas = [store, await open(place), await open(place)];
    for (let round = 0; round < 5; round++) {
      const results = await Promise.all(replicas.map((r, i) => Promise.resolve(r.settleValidators('/feed', `h${round}`, new Date(T0.getTime() + round * DAY + i)))));
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      expect(new Set(results.map((r) => r.lastModified.getTime())).size).toBe(1);
    }
  });

  describe('poll claims', () => {
    const MIN = 60_000;
    const at = (minutes: number) => new Date(T0.getTime() + minutes * MIN);
    const claim = (holder: string, now: number, notClaimedSince = now, lease = 5) =>
      ({ holder, now: at(now), notClaimedSince: at(notClaimedSince), leaseUntil: at(now + lease) });

    it('grants a tick to one holder; a lease past its end can be taken, a released one is free', async () => {
      const { store } = await tempStore();
      expect(await store.claimPoll('src', claim('a', 0))).toBe(true);
      expect(await store.claimPoll('src', claim('b', 1))).toBe(false);
      // The holder may claim again (an explicit poll during its own).
      expect(await store.claimPoll('src', claim('a', 2))).toBe(true);
      // a was killed: its lease ends at minute 7, then b takes it.
      expect(await store.claimPoll('src', claim('b', 6))).toBe(false);
      expect(await store.claimPoll('src', claim('b', 7))).toBe(true);
      await store.releasePoll('src', 'a');
      expect(await store.claimPoll('src', claim('c', 8))).toBe(false);
      await store.releasePoll('src', 'b');
      expect(await store.claimPoll('src', claim('c', 8))).toBe(true);
      expect(await store.claimPoll('unknown', claim('a', 9))).toBe(false);
    });

    it('grants a scheduled tick once: a source claimed at or after notClaimedSince is not claimed again', async () => {
      const { store } = await tempStore();
      // A tick at minute 0 (interval 10 minutes: not claimed since minute -5).
      expect(await store.claimPoll('src', claim('a', 0, -5))).toBe(true);
      await store.releasePoll('src', 'a');
      // Replica b's timer fires for the same tick a little later: the source was claimed since.
      expect(await store.claimPoll('src', claim('b', 0.5, -4.5))).toBe(false);
      // The next tick.
      expect(await store.claimPoll('src', claim('b', 10, 5))).toBe(true);
    });

    it('lets exactly one of several replicas claiming at once win', async () => {
      const { store, place } = await tempStore();
      const replicas = [store, await open(place), await open(place)];
      for (let tick = 0; tick < 5; tick++) {
        const won = await Promise.all(replicas.map((r, i) => Promise.resolve(r.claimPoll('src', claim(`r${i}`, tick * 10, tick * 10 - 5)))));
        expect(won.filter(Boolean)).toHaveLength(1);
        await Promise.all(replicas.map((r, i) => Promise.resolve(r.releasePoll('src', `r${i}`))));
      }
    });
  });

  it('announces changes to the other replicas, never to the announcer (SQLite: one process, nothing to hear)', async () => {
    const { store, place } = await tempStore();
    const other = await open(place);
    const heardByOther: PublishedChange[] = [];
    const heardBySelf: PublishedChange[] = [];
    await other.onChangeAnnounced((c) => heardByOther.push(c));
    await store.onChangeAnnounced((c) => heardBySelf.push(c));
    const long = Array.from({ length: 2000 }, (_, i) => `article-with-a-long-id-${i}`);
    await store.announceChange({ articles: ['a1', 'a2'] });
    await store.announceChange({ articles: null });
    // Too long for one notification: announced as any article.
    await store.announceChange({ articles: long });
    if (backend.shared) {
      await expect.poll(() => heardByOther.length, { timeout: 1000, interval: 20 }).toBe(3);
      expect(heardByOther).toEqual([{ articles: ['a1', 'a2'] }, { articles: null }, { articles: null }]);
    } else {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heardByOther).toEqual([]);
    }
    expect(heardBySelf).toEqual([]);
  });

  it('forgets the remembered feed URL and validators of a source whose URL changed in sources.yaml', async () => {
    const { store } = await tempStore();
    await store.updateSourceState('src', { currentUrl: 'https://up.example/moved', etag: '"e"', lastModified: 'Tue, 17 Nov 2026 00:00:00 GMT' });
    await store.syncSources([{ id: 'src', name: 'Renamed', url: 'https://up.example/feed' }]);
    expect(await store.sourceState('src')).toMatchObject({ name: 'Renamed', currentUrl: 'https://up.example/moved', etag: '"e"' });
    await store.syncSources([{ id: 'src', name: 'Renamed', url: 'https://new.example/feed' }]);
    expect(await store.sourceState('src')).toMatchObject({ url: 'https://new.example/feed', currentUrl: 'https://new.example/feed', etag: null, lastModified: null });
    expect(await store.sourceState('unknown')).toBeNull();
  });

  it('stops publishing the items of a source taken out of sources.yaml, and publishes them again when it returns', async () => {
    const { store } = await tempStore();
    await store.commitPoll('src', [{ item: item('a'), articleIds: ['art'] }], {}, retention, T0);
    expect((await store.relatedItems(10)).map((i) => i.key)).toEqual(['a']);
    await store.syncSources([{ id: 'other', name: 'Other', url: 'https://other.example/feed' }]);
    expect(await store.relatedItems(10)).toEqual([]);
    expect(await store.relatedForArticle('art', 10)).toEqual([]);
    await store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);
    expect((await store.relatedForArticle('art', 10)).map((i) => i.key)).toEqual(['a']);
  });

  it('upserts by (source, key): seen again is updated, never duplicated', async () => {
    const { store } = await tempStore();
    const first = await store.commitPoll('src', [{ item: item('a'), articleIds: [] }, { item: item('b'), articleIds: [] }], {}, retention, T0);
    expect(first).toMatchObject({ inserted: 2, updated: 0 });
    const same = await store.commitPoll('src', [{ item: item('a'), articleIds: [] }], {}, retention, T0);
    expect(same).toMatchObject({ inserted: 0, updated: 0, unchanged: 1, publishedChanged: false });
    const changed = await store.commitPoll('src', [{ item: item('a', { title: 'New title' }), articleIds: [] }], {}, retention, T0);
    expect(changed).toMatchObject({ updated: 1, publishedChanged: false });
    expect(await store.itemCount('src')).toBe(2);
  });

  it('keeps the first-seen date of an undated item on every later poll', async () => {
    const { store } = await tempStore();
    await store.commitPoll('src', [{ item: item('undated', { publishedAt: null }), articleIds: ['art'] }], {}, retention, T0);
    const later = new Date(T0.getTime() + 3 * 3_600_000);
    const r = await store.commitPoll('src', [{ item: item('undated', { publishedAt: null }), articleIds: ['art'] }], {}, retention, later);
    expect(r.unchanged).toBe(1);
    expect((await store.relatedForArticle('art', 10))[0]!.publishedAt).toEqual(T0);
  });

  it('reports published changes only for related items and relations', async () => {
    const { store } = await tempStore();
    expect((await store.commitPoll('src', [{ item: item('x'), articleIds: [] }], {}, retention, T0)).publishedChanged).toBe(false);
    expect((await store.commitPoll('src', [{ item: item('x'), articleIds: ['art'] }], {}, retention, T0)).publishedChanged).toBe(true);
    expect((await store.commitPoll('src', [{ item: item('x', { title: 'Edited' }), articleIds: ['art'] }], {}, retention, T0)).publishedChanged).toBe(true);
    expect((await store.commitPoll('src', [{ item: item('x', { title: 'Edited' }), articleIds: ['art'] }], {}, retention, T0)).publishedChanged).toBe(false);
  });

  it('forgets a tombstone once the age limit (at least 30 days) has passed; an item listed that late is stored again', async () => {
    const { store } = await tempStore();
    const keep = { maxItemsPerSource: 100, maxAgeDays: 10, maxRelatedItemsPerSource: 5000 };
    const at = (days: number) => new Date(T0.getTime() + days * DAY);
    const a = { item: item('a'), articleIds: [] };
    const b = { item: item('b'), articleIds: [] };
    expect(await store.commitPoll('src', [a, b], {}, keep, T0)).toMatchObject({ inserted: 2, deleted: 0 });
    await store.commitPoll('src', [a], {}, keep, at(5));
    // Not listed for more than ten days: pruned.
    expect(await store.commitPoll('src', [a], {}, keep, at(11))).toMatchObject({ unchanged: 1, deleted: 1 });
    // Listed again: the tombstone keeps it out.
    expect(await store.commitPoll('src', [a, b], {}, keep, at(12))).toMatchObject({ inserted: 0, tombstoned: 1 });
    // Thirty days after the deletion it still does in this poll, and is then forgotten.
    expect(await store.commitPoll('src', [a, b], {}, keep, at(42))).toMatchObject({ tombstoned: 1 });
    // Listed even later, it is stored again, and ages again from then.
    expect(await store.commitPoll('src', [a, b], {}, keep, at(43))).toMatchObject({ inserted: 1, tombstoned: 0, deleted: 0 });
    expect(await store.itemCount('src')).toBe(2);
  });

  it('names the articles whose related items a poll changed, or null when the source moved', async () => {
    const { store } = await tempStore();
    const poll = (entries: { item: UpstreamItem; articleIds: string[] }[], state = {}, keep = retention) =>
      store.commitPoll('src', entries, state, keep, T0);
    expect((await poll([{ item: item('x'), articleIds: ['a1'] }, { item: item('y'), articleIds: [] }])).changedArticles).toEqual(['a1']);
    expect(await poll([{ item: item('x'), articleIds: ['a1'] }, { item: item('y'), articleIds: [] }])).toMatchObject({ publishedChanged: false, changedArticles: [] });
    // A relation moves: both ends changed.
    expect((await poll([{ item: item('x'), articleIds: ['a2', 'a3'] }])).changedArticles).toEqual(['a1', 'a2', 'a3']);
    // The text changes, the relations do not.
    expect((await poll([{ item: item('x', { title: 'Edited' }), articleIds: ['a2', 'a3'] }])).changedArticles).toEqual(['a2', 'a3']);
    // An unrelated item changes: nothing we publish.
    expect(await poll([{ item: item('y', { title: 'Edited' }), articleIds: [] }])).toMatchObject({ publishedChanged: false, changedArticles: [] });
    // Retention removes a related item (over the cap on related items): its articles lose it.
    const old = { item: item('old', { publishedAt: new Date(T0.getTime() - 40 * DAY) }), articleIds: ['a4'] };
    expect((await poll([old])).changedArticles).toEqual(['a4']);
    expect(await poll([], {}, { ...retention, maxRelatedItemsPerSource: 1 })).toMatchObject({ deleted: 1, relatedCapped: 1, publishedChanged: true, changedArticles: ['a4'] });
    // The feed moved: every related item of the source shows its new URL.
    expect(await poll([], { currentUrl: 'https://up.example/moved' })).toMatchObject({ publishedChanged: true, changedArticles: null });
    expect(await poll([], { currentUrl: 'https://up.example/moved' })).toMatchObject({ publishedChanged: false, changedArticles: [] });
  });

  describe('retention', () => {
    const at = (days: number) => new Date(T0.getTime() + days * DAY);
    const year2020 = new Date('2020-11-03T13:00:00Z');
    const keys = async (store: Store) => (await store.relatedItems(100)).map((i) => i.key).sort();

    it('keeps items of any date on arrival, and prunes unrelated ones by the time since the source last listed them', async () => {
      const { store } = await tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      const old = { item: item('old', { publishedAt: year2020 }), articleIds: [] };
      const rel = { item: item('rel', { publishedAt: year2020 }), articleIds: ['art'] };
      expect(await store.commitPoll('src', [old, rel], {}, keep, T0)).toMatchObject({ inserted: 2, deleted: 0 });
      // Still listed a year on: kept.
      expect(await store.commitPoll('src', [old, rel], {}, keep, at(365))).toMatchObject({ unchanged: 2, deleted: 0 });
      expect(await store.commitPoll('src', [], {}, keep, at(395))).toMatchObject({ deleted: 0 });
      expect(await store.commitPoll('src', [], {}, keep, at(396))).toMatchObject({ deleted: 1, publishedChanged: false });
      // The related one stays, listed or not.
      expect(await store.commitPoll('src', [], {}, keep, at(5000))).toMatchObject({ deleted: 0 });
      expect(await store.itemCount('src')).toBe(1);
      expect(await keys(store)).toEqual(['rel']);
    });

    it('takes a 304 as the source still listing what it listed', async () => {
      const { store } = await tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      const a = { item: item('a'), articleIds: [] };
      const b = { item: item('b'), articleIds: [] };
      await store.commitPoll('src', [a, b], { lastSuccessAt: T0 }, keep, T0);
      expect(await store.commitNotModified('src', { lastSuccessAt: at(25) }, keep, at(25))).toMatchObject({ deleted: 0 });
      expect(await store.commitNotModified('src', { lastSuccessAt: at(50) }, keep, at(50))).toMatchObject({ deleted: 0 });
      // b leaves the listing: it was last seen by the 304 of day 50.
      expect(await store.commitPoll('src', [a], { lastSuccessAt: at(60) }, keep, at(60))).toMatchObject({ deleted: 0 });
      expect(await store.commitNotModified('src', { lastSuccessAt: at(80) }, keep, at(80))).toMatchObject({ deleted: 0 });
      expect(await store.commitNotModified('src', { lastSuccessAt: at(81) }, keep, at(81))).toMatchObject({ deleted: 1, publishedChanged: false });
      expect(await store.itemCount('src')).toBe(1);
      expect((await store.sourceState('src'))!.lastSuccessAt).toEqual(at(81));
    });

    it('prunes unrelated items by count, those listed most recently first; related items are not counted', async () => {
      const { store } = await tempStore();
      const keep = { maxItemsPerSource: 3, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 };
      const u = (i: number) => ({ item: item(`u${i}`, { publishedAt: new Date(T0.getTime() - (i + 1) * DAY) }), articleIds: [] });
      const rel = { item: item('rel', { publishedAt: year2020 }), articleIds: ['art'] };
      expect(await store.commitPoll('src', [u(0), u(1), u(2), rel], {}, keep, T0)).toMatchObject({ inserted: 4, deleted: 0 });
      // Two older items listed a day later push out the two least recently listed (ties: the older ones).
      expect(await store.commitPoll('src', [u(3), u(4)], {}, keep, at(1))).toMatchObject({ inserted: 2, deleted: 2 });
      expect(await store.itemCount('src')).toBe(4);
      expect(await store.commitPoll('src', [u(1), u(2), u(3), u(4)], {}, keep, at(2))).toMatchObject({ tombstoned: 2, unchanged: 2, deleted: 0 });
      expect(await keys(store)).toEqual(['rel']);
    });

    it('caps related items per source with RETENTION_RELATED_MAX_ITEMS, and keeps the cut ones out while listed', async () => {
      const { store } = await tempStore();
      const keep = { maxItemsPerSource: 1, maxAgeDays: 30, maxRelatedItemsPerSource: 2 };
      const r = (i: number) => ({ item: item(`r${i}`, { publishedAt: new Date(year2020.getTime() + i * DAY) }), articleIds: ['art'] });
      const listing = [r(0), r(1), r(2), { item: item('u'), articleIds: [] }];
      expect(await store.commitPoll('src', listing, {}, keep, T0)).toMatchObject({ inserted: 4, deleted: 1, relatedCapped: 1 });
      expect(await keys(store)).toEqual(['r1', 'r2']);
      expect(await store.commitPoll('src', listing, {}, keep, at(1))).toMatchObject({ inserted: 0, tombstoned: 1, deleted: 0, publishedChanged: false });
      // A newly listed related item displaces the one listed least recently.
      expect(await store.commitPoll('src', [r(3)], {}, keep, at(2))).toMatchObject({ inserted: 1, relatedCapped: 1, changedArticles: ['art'] });
      expect(await keys(store)).toEqual(['r2', 'r3']);
    });

    it('lets related items follow the rules of unrelated ones once their article no longer relates them', async () => {
      const { store } = await tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      await store.commitPoll('src', [{ item: item('z', { publishedAt: year2020 }), articleIds: ['art'] }], {}, keep, T0);
      expect(await store.commitPoll('src', [], {}, keep, at(100))).toMatchObject({ deleted: 0 });
      // The article is taken out of the content: relateAll relates the item to nothing.
      await relateAll(store, () => []);
      expect(await store.commitPoll('src', [], {}, keep, at(101))).toMatchObject({ deleted: 1 });
      // Rules that would relate it again find nothing: it is gone.
      await relateAll(store, () => ['art']);
      expect(await store.itemCount('src')).toBe(0);
    });

    it('keeps an unrelated item that new rules relate, and stores again a pruned one that comes back related', async () => {
      const { store } = await tempStore();
      const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
      await store.commitPoll('src', [{ item: item('y'), articleIds: [] }, { item: item('x'), articleIds: [] }], {}, keep, T0);
      await relateAll(store, (i) => (i.title === 'Title y' ? ['art'] : []));
      expect(await store.commitPoll('src', [], {}, keep, at(31))).toMatchObject({ deleted: 1 });
      expect(await keys(store)).toEqual(['y']);
      // x was pruned while it related to nothing; listed again and related now, the tombstone does not hold it.
      expect(await store.commitPoll('src', [{ item: item('x'), articleIds: ['art'] }], {}, keep, at(32))).toMatchObject({ inserted: 1, tombstoned: 0, publishedChanged: true });
      expect(await keys(store)).toEqual(['x', 'y']);
    });
  });

  it('lists related items newest first, per article and overall, with their source', async () => {
    const { store } = await tempStore();
    await store.updateSourceState('src', { siteUrl: 'https://up.example/', currentUrl: 'https://up.example/moved' });
    await store.commitPoll(
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
    expect((await store.relatedForArticle('a1', 10)).map((i) => i.key)).toEqual(['new', 'old']);
    expect((await store.relatedForArticle('a1', 1)).map((i) => i.key)).toEqual(['new']);
    const all = await store.relatedItems(10);
    expect(all.map((i) => [i.key, i.articleIds])).toEqual([['new', ['a1', 'a2']], ['mid', ['a2']], ['old', ['a1']]]);
    expect(all[0]).toMatchObject({
      sourceId: 'src', sourceName: 'Source', sourceFeedUrl: 'https://up.example/moved', sourceSiteUrl: 'https://up.example/',
      categories: ['World'], language: 'en',
    });
  });

  it('answers many articles in one call as relatedForArticle does for each, sharing items related to several', async () => {
    const { store } = await tempStore();
    await store.syncSources([
      { id: 'src', name: 'Source', url: 'https://up.example/feed' },
      { id: 'gone', name: 'Gone', url: 'https://gone.example/feed' },
    ]);
    const at = (days: number) => new Date(T0.getTime() - days * DAY);
    await store.commitPoll(
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
    await store.commitPoll('gone', [{ item: item('hidden', { publishedAt: at(0.5) }), articleIds: ['a1'] }], {}, retention, T0);
    await store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);

    const ids = ['a2', 'nothing', 'a1', 'a2'];
    for (const limit of [1, 2, 10]) {
      const many = await store.relatedForArticles(ids, limit);
      expect([...many.keys()]).toEqual(['a2', 'nothing', 'a1']);
      for (const id of many.keys()) {
        expect(many.get(id)).toEqual((await store.relatedForArticle(id, limit)).map(({ contentHtml, categories, author, articleIds, ...published }) => published));
      }
    }
    const many = await store.relatedForArticles(ids, 10);
    expect(many.get('a1')!.map((i) => i.key)).toEqual(['same-date', 'new', 'old']);
    expect(many.get('a1')![1]).toBe(many.get('a2')![0]);
    expect((await store.relatedForArticles([], 10)).size).toBe(0);
  });

  it('keeps relations right when an item stops, then starts again, being related', async () => {
    const { store } = await tempStore();
    const poll = (articleIds: string[]) => store.commitPoll('src', [{ item: item('x'), articleIds }], {}, retention, T0);
    expect((await poll(['a', 'b'])).publishedChanged).toBe(true);
    expect((await poll([])).publishedChanged).toBe(true);
    expect(await store.relatedItems(10)).toEqual([]);
    expect((await poll([])).publishedChanged).toBe(false);
    expect((await poll(['b'])).publishedChanged).toBe(true);
    expect((await store.relatedItems(10)).map((i) => i.articleIds)).toEqual([['b']]);
    expect(await relateAll(store, () => [])).toBe(true);
    expect(await relateAll(store, () => [])).toBe(false);
    expect(await store.relatedForArticle('b', 10)).toEqual([]);
  });

  it('writes every kind of source state patch, again and again', async () => {
    const { store } = await tempStore();
    const t = new Date(T0.getTime() + DAY);
    for (let i = 0; i < 3; i++) {
      await store.updateSourceState('src', { lastAttemptAt: t, lastStatus: 304 });
      await store.updateSourceState('src', { lastStatus: 500 + i, consecutiveFailures: i, lastError: `e${i}` });
    }
    expect(await store.sourceState('src')).toMatchObject({ lastAttemptAt: t, lastStatus: 502, consecutiveFailures: 2, lastError: 'e2' });
  });

  it('tells apart items whose columns differ only in where one ends and the next begins, in null, or in a lone surrogate', async () => {
    const { store } = await tempStore();
    await store.commitPoll('src', [{ item: item('a', { title: 'ab', summary: 'c' }), articleIds: [] }], {}, retention, T0);
    expect((await store.commitPoll('src', [{ item: item('a', { title: 'a', summary: 'bc' }), articleIds: [] }], {}, retention, T0)).updated).toBe(1);
    expect((await store.commitPoll('src', [{ item: item('a', { title: 'a', summary: 'bc', author: '' }), articleIds: [] }], {}, retention, T0)).updated).toBe(1);
    expect((await store.commitPoll('src', [{ item: item('a', { title: 'a', summary: 'bc', author: null }), articleIds: [] }], {}, retention, T0)).updated).toBe(1);
    // Lone surrogates (UTF-8 would make both U+FFFD).
    expect((await store.commitPoll('src', [{ item: item('a', { title: 'a\ud800' }), articleIds: [] }], {}, retention, T0)).updated).toBe(1);
    expect((await store.commitPoll('src', [{ item: item('a', { title: 'a\ud801' }), articleIds: [] }], {}, retention, T0)).updated).toBe(1);
    expect((await store.commitPoll('src', [{ item: item('a', { title: 'a\ud801' }), articleIds: [] }], {}, retention, T0)).unchanged).toBe(1);
  });

  it('stores a listing that repeats a key as if its entries came one by one', async () => {
    const { store } = await tempStore();
    const r = await store.commitPoll(
      'src',
      [
        { item: item('a'), articleIds: ['a1'] },
        { item: item('b'), articleIds: [] },
        { item: item('a', { title: 'Second' }), articleIds: ['a2'] },
        { item: item('a', { title: 'Second' }), articleIds: ['a2'] },
      ],
      {},
      retention,
      T0,
    );
    expect(r).toMatchObject({ inserted: 2, updated: 1, unchanged: 1, publishedChanged: true, changedArticles: ['a1', 'a2'] });
    expect((await store.relatedItems(10)).map((i) => [i.key, i.title, i.articleIds])).toEqual([['a', 'Second', ['a2']]]);
    expect(await store.itemCount('src')).toBe(2);
  });

  it('stores a listing of a thousand items, new, changed, unchanged and held back, item by item as it stores a short one', async () => {
    const { store } = await tempStore();
    const keep = { maxItemsPerSource: 5000, maxAgeDays: 30, maxRelatedItemsPerSource: 40 };
    // Every fifth item relates to the article; every tenth but three has no date (its first-seen time stays).
    const entry = (n: number, title = `Title ${n}`) => ({
      item: item(`k${String(n).padStart(4, '0')}`, { title, publishedAt: n % 10 === 3 ? null : new Date(T0.getTime() - n * 60_000) }),
      articleIds: n % 5 === 0 ? ['art'] : [],
    });
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    // An odd count, so the listing is not written in even batches only.
    const odd = (title: string) => ({ item: item('odd', { title }), articleIds: [] });
    // 140 related items: the cap keeps the 40 newest (k0000-k0195) and holds the other 100 back.
    expect(await store.commitPoll('src', [...range(0, 700).map((n) => entry(n)), odd('Odd')], {}, keep, T0)).toMatchObject({
      inserted: 701, updated: 0, unchanged: 0, tombstoned: 0, deleted: 100, relatedCapped: 100, publishedChanged: true, changedArticles: ['art'],
    });
    // k0100-k0399 edited, k0400-k0699 as they were, k0700-k0999 new; k0000-k0099 no longer listed.
    const later = new Date(T0.getTime() + 3_600_000);
    const second = [...range(100, 400).map((n) => entry(n, `Edited ${n}`)), odd('Odd, edited'), ...range(400, 1000).map((n) => entry(n))];
    // Listed related items go first, newest first: k0100-k0195 and k0700-k0795 stay, 60 others go.
    expect(await store.commitPoll('src', second, {}, keep, later)).toMatchObject({
      inserted: 300, updated: 261, unchanged: 240, tombstoned: 100, deleted: 60, relatedCapped: 60, publishedChanged: true, changedArticles: ['art'],
    });
    expect(await store.itemCount('src')).toBe(841);
    const related = (await store.relatedForArticle('art', 100)).map((i) => [i.key, i.title]).sort();
    expect(related).toEqual([...range(100, 200), ...range(700, 800)].filter((n) => n % 5 === 0).map((n) => [`k${String(n).padStart(4, '0')}`, n < 400 ? `Edited ${n}` : `Title ${n}`]));
    // The same listing again: nothing changes.
    expect(await store.commitPoll('src', second, {}, keep, later)).toMatchObject({
      inserted: 0, updated: 0, unchanged: 761, tombstoned: 140, deleted: 0, publishedChanged: false, changedArticles: [],
    });
  });

  it('keeps times to the millisecond', async () => {
    const { store } = await tempStore();
    const t = new Date('2026-11-20T01:02:03.456Z');
    await store.updateSourceState('src', { lastAttemptAt: t, nextPollAt: new Date(t.getTime() + 1) });
    await store.commitPoll('src', [{ item: item('a', { publishedAt: t, updatedAt: new Date(t.getTime() + 7) }), articleIds: ['art'] }], {}, retention, T0);
    expect(await store.sourceState('src')).toMatchObject({ lastAttemptAt: t, nextPollAt: new Date(t.getTime() + 1) });
    expect((await store.relatedForArticle('art', 1))[0]).toMatchObject({ publishedAt: t, updatedAt: new Date(t.getTime() + 7) });
  });

  it('keeps our subscriptions to upstream hubs, one per source', async () => {
    const { store } = await tempStore();
    const push = {
      sourceId: 'src', hub: 'https://hub.example/', topic: 'https://up.example/feed', secret: 'ab12', pending: 'subscribe' as const,
      requestedAt: T0, verifiedAt: null, leaseEndsAt: null, lastPushAt: null, lastError: null,
    };
    expect(await store.pushSubscription('src')).toBeNull();
    await store.savePushSubscription(push);
    const verified = { ...push, pending: null, verifiedAt: new Date(T0.getTime() + 1), leaseEndsAt: new Date(T0.getTime() + DAY), lastError: null };
    await store.savePushSubscription(verified);
    expect(await store.pushSubscription('src')).toEqual(verified);
    expect(await store.pushSubscriptions()).toEqual([verified]);
    await store.forgetPushSubscription('src');
    expect(await store.pushSubscriptions()).toEqual([]);
  });

  it('counts readers per feed and day: the latest report per subscription, each poller once', async () => {
    const { store } = await tempStore();
    const at = new Date('2026-11-20T10:00:00Z');
    await store.recordReaders('2026-11-20', [
      { feed: '/id/feed.rss', aggregator: 'Feedly', feedRef: '', subscribers: 10 },
      { feed: '/id/feed.rss', aggregator: 'Feedbin', feedRef: '1', subscribers: 2 },
      { feed: '/id/feed.rss', aggregator: 'Feedbin', feedRef: '2', subscribers: 3 },
      { feed: '/id/feed.rss', aggregator: 'Feedly', feedRef: '', subscribers: 12 },
    ], [{ feed: '/id/feed.rss', poller: 'p1' }, { feed: '/id/feed.rss', poller: 'p1' }, { feed: '/en/feed.rss', poller: 'p2' }], at);
    // An older report does not replace a newer one; a poller seen again that day is not counted again.
    await store.recordReaders('2026-11-20', [{ feed: '/id/feed.rss', aggregator: 'Feedly', feedRef: '', subscribers: 1 }], [{ feed: '/id/feed.rss', poller: 'p1' }], new Date(at.getTime() - 1));
    await store.recordReaders('2026-11-21', [], [{ feed: '/id/feed.rss', poller: 'p1' }], new Date(at.getTime() + DAY));
    expect(await store.readersByDay('2026-11-20', '2026-11-21')).toEqual([
      { day: '2026-11-20', feed: '/en/feed.rss', subscribers: 0, aggregators: {}, pollers: 1 },
      { day: '2026-11-20', feed: '/id/feed.rss', subscribers: 17, aggregators: { Feedbin: 5, Feedly: 12 }, pollers: 1 },
      { day: '2026-11-21', feed: '/id/feed.rss', subscribers: 0, aggregators: {}, pollers: 1 },
    ]);
    expect(await store.readersByDay('2026-11-21', '2026-11-21')).toHaveLength(1);
  });

  it('recomputes relations of every stored item', async () => {
    const { store } = await tempStore();
    await store.commitPoll('src', [{ item: item('k', { title: 'Karabakh' }), articleIds: [] }, { item: item('p'), articleIds: [] }], {}, retention, T0);
    expect(await relateAll(store, (i) => (i.title.includes('Karabakh') ? ['art'] : []))).toBe(true);
    expect((await store.relatedForArticle('art', 10)).map((i) => i.key)).toEqual(['k']);
    expect(await relateAll(store, (i) => (i.title.includes('Karabakh') ? ['art'] : []))).toBe(false);
  });

  describe('article index', () => {
    const docs = [
      { articleId: 'karabakh', fingerprint: 'f1', head: ['karabakh', 'ceasefir', 'armenia'], body: ['azerbaijan', 'shell', 'ganja', 'karabakh', 'armenia', 'stepanakert'] },
      { articleId: 'idlib', fingerprint: 'f2', head: ['idlib', 'rusia', 'turki'], body: ['idlib', 'suriah', 'ankara', 'moskow', 'patroli'] },
      { articleId: 'izmir', fingerprint: 'f3', head: ['gempa', 'izmir'], body: ['gempa', 'turki', 'izmir', 'korban', 'bangunan', 'runtuh', 'gempa'] },
      { articleId: 'vaksin', fingerprint: 'f4', head: ['vaksin', 'covid'], body: ['vaksin', 'sinovac', 'uji', 'bandung'] },
    ];

    it('counts in how many articles each term occurs, and ranks matches by BM25 as FTS5 does, head weighted', async () => {
      const { store } = await tempStore();
      await store.indexArticles(docs, []);
      const search = await store.articleSearch();
      expect(await search.termStats(['turki', 'gempa', 'nowhere'])).toEqual({ articles: 4, df: new Map([['turki', 2], ['gempa', 1]]) });
      const hits = await search.search(['gempa', 'turki', 'izmir'], 5);
      expect(hits.map((h) => [h.articleId, h.terms])).toEqual([
        ['izmir', ['gempa', 'turki', 'izmir']],
        ['idlib', ['turki']],
      ]);
      // FTS5's own figures (SQLite computes them): PostgreSQL computes the same from its tsvector.
      expect(hits[0]!.rank).toBeCloseTo(2.880004, 5);
      expect(hits[1]!.rank).toBeCloseTo(0.0000015714, 9);
      expect((await search.search(['ganja', 'armenia'], 5)).map((h) => h.articleId)).toEqual(['karabakh']);
      expect(await search.search(['nowhere'], 5)).toEqual([]);
      // Restricted to some articles.
      expect((await search.search(['gempa', 'turki', 'izmir'], 5, ['idlib'])).map((h) => h.articleId)).toEqual(['idlib']);
      expect(await search.search(['gempa'], 5, [])).toEqual([]);
    });

    it('tells which of the terms a match has in its head', async () => {
      const { store } = await tempStore();
      await store.indexArticles(docs, []);
      const search = await store.articleSearch();
      expect(await search.search(['ganja', 'armenia'], 5)).toMatchObject([{ articleId: 'karabakh', terms: ['ganja', 'armenia'], headTerms: ['armenia'] }]);
      expect(await search.search(['ganja', 'stepanakert'], 5)).toMatchObject([{ articleId: 'karabakh', headTerms: [] }]);
      const hits = await search.search(['turki', 'karabakh', 'izmir'], 5);
      expect(new Map(hits.map((h) => [h.articleId, h.headTerms]))).toEqual(
        new Map([['karabakh', ['karabakh']], ['idlib', ['turki']], ['izmir', ['izmir']]]),
      );
    });

    it('replaces an article indexed again and drops a removed one, with their terms; keeps fingerprints', async () => {
      const { store, place } = await tempStore();
      await store.indexArticles(docs, []);
      await store.indexArticles([{ articleId: 'izmir', fingerprint: 'f3b', head: ['gempa', 'aegea'], body: ['tsunami'] }], ['vaksin']);
      await store.markArticlesRelated([{ articleId: 'izmir', fingerprint: 'r3' }]);
      const again = await open(place);
      const search = await again.articleSearch();
      expect(await search.termStats(['turki', 'izmir', 'aegea', 'vaksin'])).toEqual({ articles: 3, df: new Map([['turki', 1], ['aegea', 1]]) });
      expect(await search.search(['vaksin', 'sinovac'], 5)).toEqual([]);
      expect((await search.search(['tsunami', 'aegea'], 5)).map((h) => [h.articleId, h.terms])).toEqual([['izmir', ['tsunami', 'aegea']]]);
      const indexed = (await again.indexedArticles()).sort((a, b) => (a.articleId < b.articleId ? -1 : 1));
      expect(indexed).toEqual([
        { articleId: 'idlib', indexed: 'f2', related: null },
        { articleId: 'izmir', indexed: 'f3b', related: 'r3' },
        { articleId: 'karabakh', indexed: 'f1', related: null },
      ]);
      await again.compactArticleIndex();
    });

    it('keeps each relation\'s score and why, lists related items best first, and recomputes only the articles asked', async () => {
      const { store } = await tempStore();
      const why = (articleId: string, score: number, terms: string[]) => ({ articleId, by: 'content' as const, score, terms });
      await store.commitPoll(
        'src',
        [
          { item: item('old', { publishedAt: T0 }), articleIds: ['art', 'other'], reasons: [why('art', 0.9, ['karabakh', 'ganja']), why('other', 0.5, ['x', 'y'])] },
          { item: item('new', { publishedAt: new Date(T0.getTime() + DAY) }), articleIds: ['art'], reasons: [why('art', 0.4, ['karabakh', 'armenia'])] },
        ],
        {},
        retention,
        T0,
      );
      expect((await store.relatedForArticle('art', 10)).map((i) => i.key)).toEqual(['old', 'new']);
      expect((await store.relationReasons('art', 10)).map((r) => [r.item.key, r.score, r.by, r.terms])).toEqual([
        ['old', 0.9, 'content', ['karabakh', 'ganja']],
        ['new', 0.4, 'content', ['karabakh', 'armenia']],
      ]);
      // Only `other` related again: `art` keeps its relations, whatever the relater says of it.
      const batch = await store.recomputeRelationsBatch((i) => (i.title === item('old').title ? { articleIds: [] } : { articleIds: ['art'] }), 0, 10, new Set(['other']));
      expect(batch).toEqual({ changed: true, next: null, touched: ['other'] });
      expect(await store.relatedForArticle('other', 10)).toEqual([]);
      expect((await store.relationReasons('art', 10)).map((r) => r.score)).toEqual([0.9, 0.4]);
      // A rule's relation (no reason given) scores 1 and tops the list.
      await store.recomputeRelationsBatch(() => ({ articleIds: ['art'] }), 0, 10, new Set(['art']));
      expect((await store.relationReasons('art', 10)).map((r) => [r.score, r.by])).toEqual([[1, 'rule'], [1, 'rule']]);
    });

    it('relates with a relater that answers later (PostgreSQL\'s searches) before it writes', async () => {
      const { store, place } = await tempStore();
      await store.commitPoll('src', [{ item: item('k', { title: 'Karabakh' }), articleIds: [] }], {}, retention, T0);
      const later = async (i: RelatableItem) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return { articleIds: i.title.includes('Karabakh') ? ['art'] : [] };
      };
      if (backend.name === 'sqlite') {
        // SQLite relates inside its transaction: an answer that comes later is refused, and nothing is written.
        expect(() => store.recomputeRelationsBatch(later, 0, 10)).toThrow(/synchronously/);
      } else {
        expect(await store.recomputeRelationsBatch(later, 0, 10)).toEqual({ changed: true, next: null, touched: ['art'] });
      }
      expect((await (await open(place)).relatedForArticle('art', 10)).map((i) => i.key)).toEqual(backend.name === 'sqlite' ? [] : ['k']);
    });
  });
});
