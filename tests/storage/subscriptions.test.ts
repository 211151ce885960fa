import { afterEach, describe, expect, test } from 'vitest';
import type { Store } from '../../src/storage/store.ts';
import { backends, type Place } from './backends.ts';

/** The hub's subscriptions in the store, on every backend: renewals, removal, leases and counts per topic. */

const T0 = new Date('2026-11-26T12:00:00Z');

const sub = (topic: string, callback: string, leaseSeconds: number, secret: string | null = null) => ({
  topic, callback, secret, leaseSeconds, expiresAt: new Date(T0.getTime() + leaseSeconds * 1000), createdAt: T0,
});

describe.each(backends)('subscriptions ($name)', (backend) => {
  const stores: Store[] = [];
  const places: Place[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const p of places.splice(0)) await p.drop();
  });
  async function open(place?: Place): Promise<{ s: Store; place: Place }> {
    if (!place) places.push((place = await backend.place()));
    const s = await place.open();
    stores.push(s);
    return { s, place };
  }

  test('a subscription is kept once per topic and callback; a renewal replaces its lease and secret', async () => {
    const { s } = await open();
    await s.saveSubscription(sub('t1', 'http://a/cb', 3600, 'old'));
    await s.saveSubscription(sub('t1', 'http://a/cb', 7200, 'new'));
    await s.saveSubscription(sub('t1', 'http://b/cb', 3600));
    await s.saveSubscription(sub('t2', 'http://a/cb', 3600));
    const t1 = await s.subscriptionsFor('t1', T0);
    expect(t1.map((x) => [x.callback, x.secret, x.leaseSeconds])).toEqual([['http://a/cb', 'new', 7200], ['http://b/cb', null, 3600]]);
    expect(t1[0]!.createdAt).toEqual(T0);
    expect([...(await s.subscriptionCounts(T0))]).toEqual([['t1', 2], ['t2', 1]]);
    expect(await s.removeSubscription('t1', 'http://b/cb')).toBe(true);
    expect(await s.removeSubscription('t1', 'http://b/cb')).toBe(false);
  });

  test('an ended lease counts for nothing, is purged, and subscriptions survive reopening the store', async () => {
    const { s, place } = await open();
    await s.saveSubscription(sub('t1', 'http://a/cb', 3600));
    await s.saveSubscription(sub('t1', 'http://b/cb', 7200));
    const later = new Date(T0.getTime() + 3600 * 1000);
    expect((await s.subscriptionsFor('t1', later)).map((x) => x.callback)).toEqual(['http://b/cb']);
    await s.close();
    const again = (await open(place)).s;
    expect((await again.subscriptionCounts(T0)).get('t1')).toBe(2);
    expect(await again.purgeExpiredSubscriptions(later)).toBe(1);
    expect((await again.subscriptionCounts(T0)).get('t1')).toBe(1);
  });
});
