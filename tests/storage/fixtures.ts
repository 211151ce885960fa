import type { RetentionPolicy } from '../../src/config.ts';
import type { UpstreamItem } from '../../src/model/item.ts';

/** What the storage tests store: a fixed clock, a retention policy, and upstream items by key. */
export const T0 = new Date('2026-11-20T00:00:00Z');
export const DAY = 86_400_000;
export const retention: RetentionPolicy = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };

export function item(key: string, over: Partial<UpstreamItem> = {}): UpstreamItem {
  return {
    key, url: `https://up.example/${key}`, title: `Title ${key}`, summary: 'Summary', contentHtml: '<p>Body</p>',
    language: 'en', categories: ['World'], author: null, publishedAt: new Date(T0.getTime() - DAY), updatedAt: null, ...over,
  };
}
