import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RelateTarget } from '../../src/content/model.ts';
import { createRelateAll } from '../../src/ingest/relate-all.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore, type Store, type SyncStore } from '../../src/storage/store.ts';
import { storeBulkItems } from '../helpers/bulk-items.ts';

const retention = { maxItemsPerSource: 500, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 };
const now = new Date('2026-11-20T10:00:00Z');

describe('a background pass over the stored items', () => {
  let dir: string;
  let store: SyncStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-relate-all-'));
    store = openStore(dir);
    storeBulkItems(store, 60, retention, now);
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sizes batches that hold the event loop to a CPU budget (small while relating is slow, up to the maximum while fast) and publishes once per maximum batch', async () => {
    // A CPU clock of the test's own: relating an item costs `cost` ms on it.
    let cpu = 0;
    let cost = 5;
    const sizes: number[] = [];
    const related: number[] = [];
    const published: (readonly string[])[] = [];
    const watched: Store = {
      ...store,
      recomputeRelationsBatch(relate, afterId, limit, only) {
        sizes.push(limit);
        let n = 0;
        const batch = store.recomputeRelationsBatch(
          (item) => {
            n++;
            cpu += cost;
            return relate(item);
          },
          afterId,
          limit,
          only,
        );
        related.push(n);
        return batch;
      },
    };
    let rules: RelateTarget[] = [{ articleId: 'idlib', rules: [[['idlib']]] }];
    /** A pass over `on`, at most 50 items a batch, aiming at 20 ms of the fake CPU clock per batch. */
    const passOver = (on: Store) =>
      createRelateAll({
        store: on,
        logger: silentLogger(),
        targets: () => rules,
        search: null,
        onPublishedChange: (articles) => void published.push(articles),
        batch: 50,
        batchCpuMs: 20,
        cpuMs: () => cpu,
        stopped: () => false,
      });
    const pass = passOver(watched);

    await pass.run();
    expect(store.relatedForArticle('idlib', 100)).toHaveLength(30);
    // The first batch is small, before the cost is known; then 20 ms / 5 ms per item = 4 items a batch.
    expect(sizes[0]).toBe(16);
    expect(new Set(sizes.slice(1))).toEqual(new Set([4]));
    expect(related.reduce((a, b) => a + b, 0)).toBe(60);
    // Published as often as batches of 50 would be: once the first 50 items are done (at 52), and at the end.
    expect(published).toEqual([['idlib'], ['idlib']]);

    // Cheap relating (rules changed: every item again): from the first batch, doubling up to the maximum of 50.
    cost = 0;
    sizes.length = 0;
    related.length = 0;
    published.length = 0;
    rules = [{ articleId: 'weather', rules: [[['weather']]] }];
    await pass.run();
    expect(store.relatedForArticle('weather', 100)).toHaveLength(30);
    expect(store.relatedForArticle('idlib', 100)).toHaveLength(0);
    expect(sizes).toEqual([16, 32, 50]);
    expect(related).toEqual([16, 32, 12]);
    expect(published).toEqual([['idlib', 'weather']]);

    // A store that answers later (as PostgreSQL does, the event loop running meanwhile): the maximum from the
    // second batch on, whatever relating costs.
    cost = 5;
    sizes.length = 0;
    published.length = 0;
    const later: Store = { ...watched, recomputeRelationsBatch: (...args) => Promise.resolve(watched.recomputeRelationsBatch(...args)) };
    const laterPass = passOver(later);
    rules = [{ articleId: 'talks', rules: [[['talks']]] }];
    await laterPass.run();
    expect(store.relatedForArticle('talks', 100)).toHaveLength(30);
    expect(sizes).toEqual([16, 50]);
    expect(published).toEqual([['talks', 'weather']]);
  });
});
