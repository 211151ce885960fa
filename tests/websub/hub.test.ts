import { afterEach, describe, expect, test } from 'vitest';
import { verifyHubSignature } from '../../src/websub/signature.ts';
import { edit, request, startService, TEST_BASE, type Running } from '../helpers/service.ts';
import { eventually, startSubscriber, type Subscriber } from '../helpers/subscriber.ts';

/**
 * The built-in WebSub hub against a real service and a fixture subscriber on loopback: discovery, subscription
 * with verification of intent, signed fat pings of changed feeds, unsubscription, leases, denial, limits,
 * retries, restarts and the publish pings to an outside hub.
 */

const ARTICLE = 'articles/rusia-2000-militan-timteng-karabakh/index.en.md';
const TOPIC = `${TEST_BASE}/en/feed.atom`;
const PRIVATE = { WEBSUB_ALLOW_PRIVATE_CALLBACKS: 'true' };

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function service(opts: Parameters<typeof startService>[0] = {}): Promise<Running> {
  const s = await startService({ ...opts, env: { ...PRIVATE, ...opts.env } });
  open.push(s);
  return s;
}

async function subscriber(): Promise<Subscriber> {
  const sub = await startSubscriber();
  open.push(sub);
  return sub;
}

function post(s: Running, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${s.origin}/websub`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

/** Subscribes `callback` to `topic` and waits until the hub has verified it. */
async function subscribe(s: Running, sub: Subscriber, form: Record<string, string> = {}): Promise<void> {
  const before = sub.gets.length;
  const res = await post(s, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': sub.url(), ...form });
  expect(res.status).toBe(202);
  await eventually(() => sub.gets.length > before, 5000, 'the verification GET');
  await eventually(async () => ((await s.service.hub.counts()).get(form['hub.topic'] ?? TOPIC) ?? 0) > 0, 2000, 'the subscription to be stored');
}

/** Edits the English article's summary (a change every English feed shows) and reloads the content. */
function editArticle(s: Running, n: number): void {
  edit(s.contentDir, ARTICLE, (t) => t.replace(/is approaching 2,\d+/, `is approaching 2,${String(n).padStart(3, '0')}`));
  expect(s.service.content.reload()).toBe(true);
}

describe('discovery', () => {
  test('every feed response links its hub and itself in Link headers, from the fast path too, and in the body', async () => {
    const s = await service();
    for (let i = 0; i < 2; i++) {
      const res = await request(`${s.origin}/en/feed.atom`);
      expect(res.headers.link).toBe(`<${TEST_BASE}/websub>; rel="hub", <${TOPIC}>; rel="self"`);
      expect(res.text).toContain(`<link rel="hub" href="${TEST_BASE}/websub"/>`);
    }
    const notModified = await request(`${s.origin}/en/feed.atom`, { headers: { 'if-none-match': (await request(`${s.origin}/en/feed.atom`)).headers.etag! } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.link).toContain('rel="hub"');
    const rss = await request(`${s.origin}/id/feed.rss`);
    expect(rss.text).toContain(`<atom:link rel="hub" href="${TEST_BASE}/websub"/>`);
    expect(rss.text).toContain(`<atom:link href="${TEST_BASE}/id/feed.rss" rel="self"`);
    const json = JSON.parse((await request(`${s.origin}/en/feed.json`)).text) as { hubs: unknown };
    expect(json.hubs).toEqual([{ type: 'WebSub', url: `${TEST_BASE}/websub` }]);
    // Pages are not topics.
    expect((await request(`${s.origin}/en/`)).headers.link).toBeUndefined();
  });

  test('WEBSUB_HUB hubs are advertised after ours, and pinged with hub.mode=publish for every feed whose bytes change', async () => {
    const outside = await subscriber();
    const s = await service({ env: { WEBSUB_HUB: `${outside.url('/hub')}, ${outside.url('/second-hub')}` } });
    const res = await request(`${s.origin}/en/feed.rss`);
    expect(res.headers.link).toBe(
      `<${TEST_BASE}/websub>; rel="hub", <${outside.url('/hub')}>; rel="hub", <${outside.url('/second-hub')}>; rel="hub", <${TEST_BASE}/en/feed.rss>; rel="self"`,
    );
    expect(res.text).toContain(`<atom:link rel="hub" href="${outside.url('/second-hub')}"/>`);
    // A fresh store has published nothing yet: the first render of every feed is news to the outside hubs.
    await s.service.hub.idle();
    expect(outside.posts.length).toBeGreaterThan(0);
    outside.posts.length = 0;
    editArticle(s, 1);
    // Nobody asked for the feeds since the edit: the hub renders them itself to find the changed ones.
    await eventually(() => outside.posts.some((p) => p.body.toString().includes(encodeURIComponent(TOPIC))), 5000, 'the publish ping');
    const ping = outside.posts.find((p) => p.path === '/hub' && p.body.toString().includes(encodeURIComponent(TOPIC)))!;
    expect(ping.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(new URLSearchParams(ping.body.toString()))).toEqual({ 'hub.mode': 'publish', 'hub.url': TOPIC });
    await s.service.hub.idle();
    const pinged = new Set(outside.posts.filter((p) => p.path === '/hub').map((p) => new URLSearchParams(p.body.toString()).get('hub.url')));
    // English feeds showing the article changed; Indonesian ones did not.
    expect(pinged.has(`${TEST_BASE}/en/feed.json`)).toBe(true);
    expect(pinged.has(`${TEST_BASE}/id/feed.atom`)).toBe(false);
    expect(outside.posts.some((p) => p.path === '/second-hub')).toBe(true);
  });
});

describe('subscriptions', () => {
  test('subscribe: 202, a verification GET with a challenge, then the whole new feed signed with the secret on each change', async () => {
    const s = await service();
    const sub = await subscriber();
    await subscribe(s, sub, { 'hub.secret': 'kunci rahasia' });
    const verify = sub.gets[0]!.query;
    expect(verify.get('hub.mode')).toBe('subscribe');
    expect(verify.get('hub.topic')).toBe(TOPIC);
    expect(verify.get('hub.challenge')).toMatch(/^[\w-]{20,}$/);
    expect(verify.get('hub.lease_seconds')).toBe(String(10 * 86_400));

    const summary = (await (await fetch(`${s.origin}/websub`)).json()) as { topics: unknown; lease: { defaultSeconds: number } };
    expect(summary.topics).toEqual([{ topic: TOPIC, subscriptions: 1 }]);
    expect(summary.lease.defaultSeconds).toBe(864_000);
    expect(await (await fetch(`${s.origin}/metrics`)).text()).toContain(`kabar_websub_subscriptions{topic="${TOPIC}"} 1`);

    editArticle(s, 7);
    await eventually(() => sub.posts.length === 1, 5000, 'the delivery');
    const delivered = sub.posts[0]!;
    const served = await request(`${s.origin}/en/feed.atom`);
    expect(delivered.body.equals(served.body)).toBe(true);
    expect(delivered.body.toString()).toContain('approaching 2,007');
    expect(delivered.headers['content-type']).toBe('application/atom+xml; charset=utf-8');
    expect(delivered.headers.link).toBe(served.headers.link);
    expect(delivered.headers['x-hub-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyHubSignature(delivered.headers['x-hub-signature'] as string, 'kunci rahasia', delivered.body)).toBe(true);
    expect(verifyHubSignature(delivered.headers['x-hub-signature'] as string, 'another secret', delivered.body)).toBe(false);

    // A change this feed does not show (an Indonesian-only edit) sends nothing.
    edit(s.contentDir, 'articles/rusia-2000-militan-timteng-karabakh/index.id.md', (t) => t.replace('2000', '2001'));
    s.service.content.reload();
    editArticle(s, 8);
    await eventually(() => sub.posts.length === 2, 5000, 'the second delivery');
    await s.service.hub.idle();
    expect(sub.posts).toHaveLength(2);
  });

  test('a subscriber without a secret gets unsigned deliveries; unsubscribe is verified too, and stops them', async () => {
    const s = await service();
    const sub = await subscriber();
    await subscribe(s, sub);
    editArticle(s, 1);
    await eventually(() => sub.posts.length === 1, 5000, 'the delivery');
    expect(sub.posts[0]!.headers['x-hub-signature']).toBeUndefined();

    const res = await post(s, { 'hub.mode': 'unsubscribe', 'hub.topic': TOPIC, 'hub.callback': sub.url() });
    expect(res.status).toBe(202);
    await eventually(async () => (await s.service.hub.counts()).size === 0, 5000, 'the unsubscription');
    expect(sub.gets.at(-1)!.query.get('hub.mode')).toBe('unsubscribe');
    expect(sub.gets.at(-1)!.query.has('hub.lease_seconds')).toBe(false);
    editArticle(s, 2);
    await new Promise((r) => setTimeout(r, 300));
    await s.service.hub.idle();
    expect(sub.posts).toHaveLength(1);
  });

  test('only a callback that echoes the challenge is subscribed', async () => {
    const s = await service();
    const sub = await subscriber();
    sub.confirm = false;
    expect((await post(s, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': sub.url() })).status).toBe(202);
    await eventually(() => sub.gets.length === 1, 5000, 'the verification GET');
    await new Promise((r) => setTimeout(r, 100));
    expect((await s.service.hub.counts()).size).toBe(0);
  });

  test('a topic we do not serve: 404 naming it, and a denial GET to the callback', async () => {
    const s = await service();
    const sub = await subscriber();
    const res = await post(s, { 'hub.mode': 'subscribe', 'hub.topic': `${TEST_BASE}/fr/feed.atom`, 'hub.callback': sub.url() });
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/hub\.topic .*fr\/feed\.atom.* is not one of our feeds: no feeds in language "fr"/);
    await eventually(() => sub.gets.length === 1, 5000, 'the denial');
    const q = sub.gets[0]!.query;
    expect(q.get('hub.mode')).toBe('denied');
    expect(q.get('hub.topic')).toBe(`${TEST_BASE}/fr/feed.atom`);
    expect(q.get('hub.reason')).toContain('"fr"');
    const elsewhere = await post(s, { 'hub.mode': 'subscribe', 'hub.topic': 'https://elsewhere.example/feed.xml', 'hub.callback': sub.url() });
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.text()).toContain(`our feeds are under ${TEST_BASE}/`);
  });

  test('a bad mode, callback or lease, or a secret over 200 bytes: 400 naming the problem', async () => {
    const s = await service();
    const sub = await subscriber();
    const base = { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': sub.url() };
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'hub.mode': 'publish' }, /hub\.mode must be "subscribe" or "unsubscribe"/],
      [{ 'hub.callback': 'ftp://127.0.0.1/cb' }, /hub\.callback must use http or https/],
      [{ 'hub.callback': 'not a url' }, /hub\.callback must be an absolute URL/],
      [{ 'hub.secret': 'x'.repeat(201) }, /hub\.secret is 201 bytes; at most 200/],
      [{ 'hub.lease_seconds': 'soon' }, /hub\.lease_seconds must be a whole number/],
    ];
    for (const [change, message] of cases) {
      const res = await post(s, { ...base, ...change });
      expect(res.status, JSON.stringify(change)).toBe(400);
      expect(await res.text()).toMatch(message);
    }
    expect((await post(s, { ...base, 'hub.secret': 'é'.repeat(100) })).status).toBe(202);
    // Without WEBSUB_ALLOW_PRIVATE_CALLBACKS, a callback must be on the public Internet.
    const strict = await startService();
    open.push(strict);
    const res = await post(strict, base);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('hub.callback must be on the public Internet: 127.0.0.1 is a loopback address');
  });

  test('a name that resolves to a private address is refused at connect time', async () => {
    const s = await startService();
    open.push(s);
    const sub = await subscriber();
    const callback = sub.url().replace('127.0.0.1', 'localhost');
    const res = await post(s, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': callback });
    expect(res.status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    // The verification never connected: the subscriber saw nothing, and nothing was stored.
    expect(sub.gets).toHaveLength(0);
    expect((await s.service.hub.counts()).size).toBe(0);
  });

  test('leases: asked-for leases are held to the bounds, and an expired subscription gets nothing and is not counted', async () => {
    let now = new Date('2026-11-26T12:00:00Z');
    const s = await service({ now: () => now });
    const sub = await subscriber();
    await subscribe(s, sub, { 'hub.lease_seconds': '60' });
    expect(sub.gets[0]!.query.get('hub.lease_seconds')).toBe('3600');
    now = new Date(now.getTime() + 3_599_000);
    expect((await s.service.hub.counts()).get(TOPIC)).toBe(1);
    now = new Date(now.getTime() + 1_000);
    expect((await s.service.hub.counts()).size).toBe(0);
    editArticle(s, 3);
    await new Promise((r) => setTimeout(r, 300));
    await s.service.hub.idle();
    expect(sub.posts).toHaveLength(0);
    expect(s.service.store.purgeExpiredSubscriptions(now)).toBe(1);

    const other = await subscriber();
    await subscribe(s, other, { 'hub.callback': other.url(), 'hub.lease_seconds': '99999999' });
    expect(other.gets[0]!.query.get('hub.lease_seconds')).toBe(String(30 * 86_400));
  });

  test('subscriptions survive a restart', async () => {
    const first = await service();
    const sub = await subscriber();
    await subscribe(first, sub, { 'hub.secret': 's3cret' });
    await first.close();
    const second = await service({ contentDir: first.contentDir, dataDir: first.dataDir });
    expect((await second.service.hub.counts()).get(TOPIC)).toBe(1);
    editArticle(second, 4);
    await eventually(() => sub.posts.length === 1, 5000, 'the delivery after the restart');
    expect(verifyHubSignature(sub.posts[0]!.headers['x-hub-signature'] as string, 's3cret', sub.posts[0]!.body)).toBe(true);
  });
});

describe('delivery', () => {
  test('a failed delivery is retried after its delay, and a dead subscriber does not hold up the others', async () => {
    const s = await service({ hub: { retryDelaysMs: [200, 200] } });
    const failing = await subscriber();
    const healthy = await subscriber();
    const dead = await subscriber();
    await subscribe(s, failing);
    await subscribe(s, healthy);
    await subscribe(s, dead);
    await dead.close();
    failing.postStatuses = [503];
    editArticle(s, 5);
    await eventually(() => healthy.posts.length === 1 && failing.posts.length === 1, 5000, 'the first attempts');
    expect(s.service.hub.pendingDeliveries).toBeGreaterThan(0);
    await eventually(() => failing.posts.length === 2, 5000, 'the retry');
    expect(failing.posts[1]!.body.equals(failing.posts[0]!.body)).toBe(true);
    // The feed is served all along.
    expect((await request(`${s.origin}/en/feed.atom`)).status).toBe(200);
    const metrics = await (await fetch(`${s.origin}/metrics`)).text();
    expect(metrics).toMatch(/kabar_websub_deliveries_total\{outcome="failed"\} [1-9]/);
    expect(metrics).toMatch(/kabar_websub_deliveries_total\{outcome="delivered"\} [2-9]/);
  });

  test('a callback answering 410 Gone is unsubscribed', async () => {
    const s = await service();
    const sub = await subscriber();
    await subscribe(s, sub);
    sub.postStatuses = [410];
    editArticle(s, 6);
    await eventually(async () => (await s.service.hub.counts()).size === 0, 5000, 'the removal');
  });
});

describe('limits', () => {
  test('subscription requests are rate-limited per client address', async () => {
    const s = await service({ hub: { requestsPerMinute: 3 } });
    const sub = await subscriber();
    const form = { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': sub.url() };
    for (let i = 0; i < 3; i++) expect((await post(s, form)).status).toBe(202);
    const limited = await post(s, form);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('at most 3 a minute');
  });

  test('a topic takes at most the documented number of subscriptions per callback host', async () => {
    const s = await service({ hub: { maxPerCallbackHost: 2 } });
    const sub = await subscriber();
    await subscribe(s, sub, { 'hub.callback': sub.url('/a') });
    await subscribe(s, sub, { 'hub.callback': sub.url('/b') });
    const third = await post(s, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': sub.url('/c') });
    expect(third.status).toBe(403);
    expect(await third.text()).toContain('has 2 subscriptions to this topic already');
    // Renewing one of them is not a new one.
    expect((await post(s, { 'hub.mode': 'subscribe', 'hub.topic': TOPIC, 'hub.callback': sub.url('/a') })).status).toBe(202);
  });
});
