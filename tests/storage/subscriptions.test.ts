import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { openStore, type Store } from '../../src/storage/store.ts';

/** The hub's subscriptions in the store: renewals, removal, leases and counts per topic. */

const T0 = new Date('2026-11-26T12:00:00Z');
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function store(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-subs-'))): { s: Store; dir: string } {
  const s = openStore(dir);
  stores.push(s);
  return { s, dir };
}

const sub = (topic: string, callback: string, leaseSeconds: number, secret: string | null = null) => ({
  topic, callback, secret, leaseSeconds, expiresAt: new Date(T0.getTime() + leaseSeconds * 1000), createdAt: T0,
});

test('a subscription is kept once per topic and callback; a renewal replaces its lease and secret', () => {
  const { s } = store();
  s.saveSubscription(sub('t1', 'http://a/cb', 3600, 'old'));
  s.saveSubscription(sub('t1', 'http://a/cb', 7200, 'new'));
  s.saveSubscription(sub('t1', 'http://b/cb', 3600));
  s.saveSubscription(sub('t2', 'http://a/cb', 3600));
  const t1 = s.subscriptionsFor('t1', T0);
  expect(t1.map((x) => [x.callback, x.secret, x.leaseSeconds])).toEqual([['http://a/cb', 'new', 7200], ['http://b/cb', null, 3600]]);
  expect(t1[0]!.createdAt).toEqual(T0);
  expect([...s.subscriptionCounts(T0)]).toEqual([['t1', 2], ['t2', 1]]);
  expect(s.removeSubscription('t1', 'http://b/cb')).toBe(true);
  expect(s.removeSubscription('t1', 'http://b/cb')).toBe(false);
});

test('an ended lease counts for nothing, is purged, and subscriptions survive reopening the store', () => {
  const { s, dir } = store();
  s.saveSubscription(sub('t1', 'http://a/cb', 3600));
  s.saveSubscription(sub('t1', 'http://b/cb', 7200));
  const later = new Date(T0.getTime() + 3600 * 1000);
  expect(s.subscriptionsFor('t1', later).map((x) => x.callback)).toEqual(['http://b/cb']);
  s.close();
  stores.pop();
  const again = store(dir).s;
  expect(again.subscriptionCounts(T0).get('t1')).toBe(2);
  expect(again.purgeExpiredSubscriptions(later)).toBe(1);
  expect(again.subscriptionCounts(T0).get('t1')).toBe(1);
});
