import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cron from 'node-cron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createIngester, type Ingester } from '../../src/ingest/ingester.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { serveFile, startUpstream, statusOnly, type Handler, type Upstream } from '../helpers/upstream-server.ts';

const T0 = new Date('2026-11-20T10:00:00.000Z');
// Long enough that the fetch's own time limit (a faked timer too) never fires in these tests.
const fetchPolicy = { timeoutMs: 3_600_000, maxBytes: 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test' };

let up: Upstream;
let store: Store;
let ingester: Ingester | null = null;

/** A route that holds every request until released, then serves the RSS fixture. */
function gate(): { handler: Handler; release(): void } {
  const held: (() => void)[] = [];
  const serve = serveFile('rss2.xml');
  let open = false;
  return {
    handler: (req, res) => (open ? serve(req, res) : held.push(() => serve(req, res))),
    release() {
      open = true;
      for (const h of held.splice(0)) h();
    },
  };
}

function build(schedule: string, p: string, jitterMs = 0): Ingester {
  ingester = another(schedule, p, jitterMs);
  return ingester;
}

/** An ingester of the source on the same store (a second replica sharing it); stopped by the test. */
function another(schedule: string, p: string, jitterMs = 0): Ingester {
  return createIngester({
    store,
    sources: [{ id: 'feed', url: up.url(p), name: 'Feed', schedule, language: null }],
    fetchPolicy,
    retention: { maxItemsPerSource: 100, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 },
    logger: silentLogger(),
    targets: () => [],
    onPublishedChange: () => {},
    jitterMs,
  });
}

const hits = (p: string) => up.requests.filter((r) => r.path === p).length;

beforeEach(async () => {
  up = await startUpstream({ '/rss2.xml': serveFile('rss2.xml'), '/500': statusOnly(500) });
  store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-sched-')));
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});

afterEach(async () => {
  await ingester?.stop();
  ingester = null;
  vi.useRealTimers();
  await store.close();
  await up.close();
});

describe('scheduler', () => {
  it('gives each poll the next scheduled run after it, also right at and after a run time', async () => {
    const ing = build('*/15 * * * *', '/rss2.xml');
    const pollAt = async (iso: string) => {
      vi.setSystemTime(new Date(iso));
      await ing.pollSource('feed');
      return (await ing.status())[0]!.nextPollAt;
    };
    expect(await pollAt('2026-11-20T10:00:00.000Z')).toBe('2026-11-20T10:15:00.000Z');
    expect(await pollAt('2026-11-20T10:14:59.000Z')).toBe('2026-11-20T10:15:00.000Z');
    expect(await pollAt('2026-11-20T10:15:00.000Z')).toBe('2026-11-20T10:30:00.000Z');
    expect(await pollAt('2026-11-20T11:07:00.000Z')).toBe('2026-11-20T11:15:00.000Z');
    // The clock set back (NTP, a test): asked again, not taken from before.
    expect(await pollAt('2026-11-20T09:01:00.000Z')).toBe('2026-11-20T09:15:00.000Z');
  });

  it('with two ingesters sharing the store (two replicas), polls once at start and once per tick in total', async () => {
    const first = build('*/15 * * * *', '/rss2.xml', 5_000);
    const second = another('*/15 * * * *', '/rss2.xml', 5_000);
    try {
      first.start();
      second.start();
      await Promise.all([first.whenIdle(), second.whenIdle()]);
      expect(hits('/rss2.xml')).toBe(1);
      // Past each tick and its jitter (up to 5 s).
      await vi.advanceTimersByTimeAsync(5_000);
      for (let tick = 2; tick <= 4; tick++) {
        await vi.advanceTimersByTimeAsync(15 * 60_000);
        await Promise.all([first.whenIdle(), second.whenIdle()]);
        expect(hits('/rss2.xml')).toBe(tick);
      }
    } finally {
      await second.stop();
    }
  });

  it('a replica that dies mid-poll holds the source until its lease ends; then another polls at its next tick', async () => {
    const ing = build('*/15 * * * *', '/rss2.xml');
    const dead = 'a replica killed mid-poll';
    const claimed = await store.claimPoll('feed', { holder: dead, now: T0, notClaimedSince: T0, leaseUntil: new Date(T0.getTime() + 20 * 60_000) });
    expect(claimed).toBe(true);
    ing.start();
    await ing.whenIdle();
    expect(hits('/rss2.xml')).toBe(0);
    // 10:15: the lease (until 10:20) still holds.
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    await ing.whenIdle();
    expect(hits('/rss2.xml')).toBe(0);
    // 10:30: it has ended.
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    await ing.whenIdle();
    expect(hits('/rss2.xml')).toBe(1);
  });

  it('polls once at start, then on the schedule (with jitter)', async () => {
    const ing = build('*/15 * * * *', '/rss2.xml', 5_000);
    ing.start();
    await ing.whenIdle();
    expect(hits('/rss2.xml')).toBe(1);
    expect((await ing.status())[0]!.nextPollAt).toBe('2026-11-20T10:15:00.000Z');
    await vi.advanceTimersByTimeAsync(14 * 60_000);
    await ing.whenIdle();
    expect(hits('/rss2.xml')).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000 + 5_000);
    await ing.whenIdle();
    expect(hits('/rss2.xml')).toBe(2);
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    await ing.whenIdle();
    expect(hits('/rss2.xml')).toBe(3);
  });

  it('never runs two polls of one source at once', async () => {
    const g = gate();
    up.routes.set('/slow.xml', g.handler);
    const ing = build('*/30 * * * * *', '/slow.xml');
    ing.start();
    await vi.advanceTimersByTimeAsync(95_000);
    void ing.pollSource('feed');
    await vi.advanceTimersByTimeAsync(1);
    expect(hits('/slow.xml')).toBe(1);
    g.release();
    await ing.whenIdle();
    expect((await ing.status())[0]!.lastStatus).toBe(200);
    await vi.advanceTimersByTimeAsync(30_000);
    await ing.whenIdle();
    expect(hits('/slow.xml')).toBe(2);
  });

  it('skips scheduled ticks while backing off after failures', async () => {
    const ing = build('*/30 * * * * *', '/500');
    ing.start();
    await ing.whenIdle();
    expect((await ing.status())[0]).toMatchObject({ consecutiveFailures: 1, nextPollAt: '2026-11-20T10:00:30.000Z' });
    await vi.advanceTimersByTimeAsync(30_000);
    await ing.whenIdle();
    expect((await ing.status())[0]).toMatchObject({ consecutiveFailures: 2, nextPollAt: '2026-11-20T10:01:30.000Z' });
    await vi.advanceTimersByTimeAsync(30_000); // 10:01:00, backing off
    await ing.whenIdle();
    expect(hits('/500')).toBe(2);
    await vi.advanceTimersByTimeAsync(30_000); // 10:01:30
    await ing.whenIdle();
    expect(hits('/500')).toBe(3);
    expect((await ing.status())[0]!.consecutiveFailures).toBe(3);
  });

  it('stops: waits for the running poll, then no more polls', async () => {
    const g = gate();
    up.routes.set('/slow.xml', g.handler);
    const ing = build('*/30 * * * * *', '/slow.xml');
    ing.start();
    await vi.advanceTimersByTimeAsync(1);
    let stopped = false;
    const stopping = ing.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(1);
    expect(stopped).toBe(false);
    g.release();
    await stopping;
    expect((await ing.status())[0]!.lastStatus).toBe(200);
    expect([...cron.getTasks().values()].filter((t) => t.name?.startsWith('ingest:'))).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(hits('/slow.xml')).toBe(1);
  });
});
