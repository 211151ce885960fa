import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../../src/ingest/websub/signature.ts';
import type { SourceStatus } from '../../../src/model/source.ts';
import { copyContent, request, startService, TEST_BASE, write, type Running } from '../../helpers/service.ts';
import { startHub, type FixtureHub } from '../../helpers/upstream-hub.ts';
import { serveBytes, startUpstream, type Upstream } from '../../helpers/upstream-server.ts';

/**
 * Our WebSub subscriptions to upstream hubs (issue 11), against the real service with WEBSUB_SUBSCRIBE=on, a
 * fixture upstream whose feed advertises a fixture hub (both on loopback), and an injected clock.
 */

const DAY = 24 * 3600_000;
const LEASE = 864000;
let clock = new Date('2026-11-20T10:00:00Z');
let up: Upstream;
let hub: FixtureHub;
let running: Running;
let contentDir: string;

interface Item {
  title: string;
  link: string;
  date: string;
}

const FIRST: Item[] = [
  { title: 'Karabakh talks resume in Moscow', link: 'https://upstream.example/talks', date: 'Thu, 19 Nov 2026 08:00:00 GMT' },
  { title: 'Weather in Jakarta', link: 'https://upstream.example/weather', date: 'Thu, 19 Nov 2026 09:00:00 GMT' },
];
const PUSHED: Item = { title: 'Karabakh ceasefire announced, pushed by the hub', link: 'https://upstream.example/ceasefire', date: 'Fri, 20 Nov 2026 09:30:00 GMT' };

function rss(items: readonly Item[], hubUrl = hub.url): string {
  const entries = items.map((i) => `<item><title>${i.title}</title><link>${i.link}</link><guid>${i.link}</guid><pubDate>${i.date}</pubDate></item>`);
  return (
    `<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>` +
    `<title>Upstream News</title><link>https://upstream.example/</link>` +
    `<atom:link rel="hub" href="${hubUrl}"/><atom:link rel="self" href="${up.url('/feed.xml')}"/>` +
    `${entries.join('')}</channel></rss>`
  );
}

function sourcesYaml(ids: readonly ('pushed' | 'plain')[], schedule = '*/15 * * * *'): string {
  const entries = { pushed: up.url('/feed.xml'), plain: up.url('/plain.xml') };
  return ids.map((id) => `- url: ${entries[id]}\n  id: ${id}\n  name: ${id} news\n  schedule: "${schedule}"\n`).join('');
}

async function status(id: string, r: Running = running): Promise<SourceStatus | undefined> {
  return (await r.service.ingester.status()).find((s) => s.id === id);
}

async function relatedTitles(): Promise<string[]> {
  const res = await request(`${running.origin}/id/related/feed.json`);
  expect(res.status).toBe(200);
  return (JSON.parse(res.text) as { items: { title: string }[] }).items.map((i) => i.title);
}

function post(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function settle(r: Running = running): Promise<void> {
  await r.service.subscriber.whenIdle();
  await hub.settled();
}

beforeAll(async () => {
  up = await startUpstream();
  hub = await startHub((u) => running.local(u));
  up.routes.set('/feed.xml', serveBytes(rss(FIRST), { 'content-type': 'application/rss+xml; charset=utf-8' }));
  up.routes.set('/plain.xml', serveBytes(rss(FIRST).replace(/<atom:link[^>]*>/g, ''), { 'content-type': 'application/rss+xml' }));
  contentDir = copyContent();
  write(contentDir, 'sources.yaml', sourcesYaml(['pushed', 'plain']));
  running = await startService({ contentDir, env: { WEBSUB_SUBSCRIBE: 'on' }, now: () => clock });
});

afterAll(async () => {
  await running?.close();
  await hub?.close();
  await up?.close();
});

describe('subscriptions to upstream hubs', () => {
  it('subscribes to the hub a polled feed advertises, with our callback, a fresh secret and a lease, and answers the verification', async () => {
    await running.service.ingester.pollSource('pushed');
    await running.service.ingester.pollSource('plain');
    await settle();
    expect(hub.requests).toEqual([
      {
        mode: 'subscribe',
        callback: `${TEST_BASE}/websub/callback/pushed`,
        topic: up.url('/feed.xml'),
        leaseSeconds: String(LEASE),
        secret: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown,
      },
    ]);
    expect(hub.verifications).toHaveLength(1);
    expect(hub.verifications[0]).toMatchObject({ status: 200, verified: true });
    expect(hub.verifications[0]!.body).toBe(hub.verifications[0]!.challenge);
    expect(await status('pushed')).toMatchObject({
      pushed: true,
      hub: hub.url,
      leaseEndsAt: new Date(clock.getTime() + LEASE * 1000).toISOString(),
      lastPushAt: null,
      // Existing fields unchanged.
      lastStatus: 200,
      consecutiveFailures: 0,
    });
    // A feed without a hub is only polled.
    expect(await status('plain')).toMatchObject({ pushed: false, hub: null, leaseEndsAt: null, lastPushAt: null });
    const res = await request(`${running.origin}/status`);
    expect((JSON.parse(res.text) as SourceStatus[]).find((s) => s.id === 'pushed')).toMatchObject({ pushed: true, hub: hub.url });
  });

  it('answers only a verification it asked for: another topic, mode or source is a 404', async () => {
    const verify = (id: string, params: Record<string, string>) =>
      request(`${running.origin}/websub/callback/${id}?${new URLSearchParams({ 'hub.challenge': 'c-123', ...params }).toString()}`);
    const topic = up.url('/feed.xml');
    expect((await verify('pushed', { 'hub.mode': 'subscribe', 'hub.topic': 'https://evil.example/feed', 'hub.lease_seconds': '60' })).status).toBe(404);
    // Verified already: nothing is pending, so a replayed or forged verification is refused.
    const replay = await verify('pushed', { 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.lease_seconds': '60' });
    expect(replay.status).toBe(404);
    expect(replay.text).not.toContain('c-123');
    expect((await verify('pushed', { 'hub.mode': 'unsubscribe', 'hub.topic': topic })).status).toBe(404);
    expect((await verify('plain', { 'hub.mode': 'subscribe', 'hub.topic': up.url('/plain.xml'), 'hub.lease_seconds': '60' })).status).toBe(404);
    expect((await verify('nobody', { 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.lease_seconds': '60' })).status).toBe(404);
    // The lease did not move.
    expect((await status('pushed'))!.leaseEndsAt).toBe(new Date(clock.getTime() + LEASE * 1000).toISOString());
  });

  it('slows polling while the hub pushes: the next poll is 6 hours away, not at the next run of the schedule', async () => {
    const pushed = await running.service.ingester.pollSource('pushed');
    const plain = await running.service.ingester.pollSource('plain');
    expect(pushed.kind).toBe('updated');
    expect(plain.kind).toBe('updated');
    const nextPushed = new Date((await status('pushed'))!.nextPollAt!).getTime();
    expect(nextPushed).toBeGreaterThanOrEqual(clock.getTime() + 6 * 3600_000);
    expect(new Date((await status('plain'))!.nextPollAt!).getTime() - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    // Polling the same feed again asks nothing more of the hub.
    await settle();
    expect(hub.requests).toHaveLength(1);
  });

  it('stores a signed push through the poll pipeline and shows it in the related feed at once', async () => {
    const before = (await status('pushed'))!.itemCount;
    expect(await relatedTitles()).not.toContain(PUSHED.title);
    const results = await hub.push(up.url('/feed.xml'), rss([PUSHED, ...FIRST]));
    expect(results).toEqual([{ callback: `${TEST_BASE}/websub/callback/pushed`, status: 202 }]);
    // The response came after the commit: the related feed shows the item on the next request.
    expect(await relatedTitles()).toContain(PUSHED.title);
    expect(await status('pushed')).toMatchObject({ itemCount: before + 1, lastPushAt: clock.toISOString(), pushed: true });
  });

  it('acknowledges a push whose signature does not match (or is missing) and stores nothing', async () => {
    const forged: Item = { title: 'Karabakh forged news', link: 'https://upstream.example/forged', date: 'Fri, 20 Nov 2026 09:40:00 GMT' };
    const body = rss([forged, PUSHED, ...FIRST]);
    const before = (await status('pushed'))!;
    const lastPushAt = before.lastPushAt;
    clock = new Date(clock.getTime() + 60_000);
    const attempts: ((secret: string | null) => string | null)[] = [
      () => sign(body, 'not-our-secret'),
      () => `sha256=${'0'.repeat(64)}`,
      (secret) => sign(`${body} `, secret!),
      (secret) => `md5=${sign(body, secret!).slice('sha256='.length)}`,
      () => null,
    ];
    for (const attempt of attempts) {
      expect(await hub.push(up.url('/feed.xml'), body, { sign: attempt })).toEqual([{ callback: `${TEST_BASE}/websub/callback/pushed`, status: 202 }]);
    }
    expect(await relatedTitles()).not.toContain(forged.title);
    expect(await status('pushed')).toMatchObject({ itemCount: before.itemCount, lastPushAt });
    // Every algorithm WebSub names is accepted when the signature matches.
    for (const method of ['sha1', 'sha384', 'sha512']) {
      const item = { ...forged, title: `Karabakh signed with ${method}`, link: `https://upstream.example/${method}` };
      const signed = rss([item, PUSHED, ...FIRST]);
      await hub.push(up.url('/feed.xml'), signed, { sign: (secret) => sign(signed, secret!, method) });
      expect(await relatedTitles()).toContain(item.title);
    }
  });

  it('answers a push over FETCH_MAX_BYTES with 413, storing nothing', async () => {
    const before = (await status('pushed'))!.itemCount;
    const huge = `${rss(FIRST)}${' '.repeat(5 * 1024 * 1024 + 1)}`;
    const code = await post(`${running.origin}/websub/callback/pushed`, huge, { 'content-type': 'application/rss+xml', 'x-hub-signature': 'sha256=00' });
    expect(code).toBe(413);
    expect((await status('pushed'))!.itemCount).toBe(before);
  });

  it('renews the lease before it ends, with the same callback and secret', async () => {
    const leaseEnd = new Date((await status('pushed'))!.leaseEndsAt!).getTime();
    const secret = hub.requests[0]!.secret;
    clock = new Date(leaseEnd - 2 * DAY);
    await running.service.ingester.renewPushLeases();
    await settle();
    expect(hub.requests).toHaveLength(1);
    // A day before the end of a ten-day lease.
    clock = new Date(leaseEnd - 12 * 3600_000);
    await running.service.ingester.renewPushLeases();
    await settle();
    expect(hub.requests).toHaveLength(2);
    expect(hub.requests[1]).toEqual({ ...hub.requests[0], secret });
    expect(hub.verifications[1]).toMatchObject({ verified: true });
    expect(await status('pushed')).toMatchObject({ pushed: true, leaseEndsAt: new Date(clock.getTime() + LEASE * 1000).toISOString() });
  });

  it('keeps its subscriptions across a restart: the lease, and the secret pushes are checked with', async () => {
    await running.close();
    running = await startService({ contentDir, dataDir: running.dataDir, env: { WEBSUB_SUBSCRIBE: 'on' }, now: () => clock });
    expect(await status('pushed')).toMatchObject({ pushed: true, hub: hub.url });
    const item = { ...PUSHED, title: 'Karabakh news after a restart', link: 'https://upstream.example/restart' };
    expect(await hub.push(up.url('/feed.xml'), rss([item, PUSHED, ...FIRST]))).toEqual([
      { callback: `${TEST_BASE}/websub/callback/pushed`, status: 202 },
    ]);
    expect(await relatedTitles()).toContain(item.title);
  });

  it('unsubscribes when the source leaves sources.yaml, and then answers its pushes with 410 Gone', async () => {
    const secret = hub.requests[0]!.secret!;
    write(contentDir, 'sources.yaml', sourcesYaml(['plain']));
    expect(running.service.sources.reload()).toBe(true);
    await settle();
    expect(hub.requests.at(-1)).toMatchObject({ mode: 'unsubscribe', callback: `${TEST_BASE}/websub/callback/pushed`, topic: up.url('/feed.xml') });
    expect(hub.verifications.at(-1)).toMatchObject({ verified: true });
    expect(hub.subscribers.size).toBe(0);
    expect(running.service.store.pushSubscription('pushed')).toBeNull();
    expect(await status('pushed')).toBeUndefined();
    const body = rss([PUSHED, ...FIRST]);
    const res = await post(`${running.origin}/websub/callback/pushed`, body, { 'content-type': 'application/rss+xml', 'x-hub-signature': sign(body, secret) });
    expect(res).toBe(410);
  });
});
