import type { RetentionPolicy } from '../../src/config.ts';
import type { SyncStore } from '../../src/storage/store.ts';

/**
 * `count` items of a source 'bulk', stored as one poll at `now`, an hour apart from 2026-11-01: every other one
 * "Idlib talks <i>" (a rule on "idlib" relates it), the others "Weather <i>" (nothing relates them).
 */
export function storeBulkItems(store: SyncStore, count: number, retention: RetentionPolicy, now: Date): void {
  store.syncSources([{ id: 'bulk', name: 'Bulk', url: 'https://bulk.example/feed' }]);
  store.commitPoll(
    'bulk',
    Array.from({ length: count }, (_, i) => ({
      item: {
        key: `k${i}`, url: `https://bulk.example/${i}`, title: i % 2 ? `Idlib talks ${i}` : `Weather ${i}`, summary: '', contentHtml: '',
        language: 'en', categories: [], author: null, publishedAt: new Date(Date.UTC(2026, 10, 1, i)), updatedAt: null,
      },
      articleIds: [],
    })),
    {},
    retention,
    now,
  );
}
