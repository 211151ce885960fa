import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReaderReport } from '../../src/model/readers.ts';
import { request, startService, type Running } from '../helpers/service.ts';

const TOKEN = 'newsroom-secret-token-0123456789';
const FEEDLY = 'Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )';

describe('who reads us', () => {
  let s: Running;
  let clock = new Date('2026-11-24T23:59:00Z');
  beforeAll(async () => {
    s = await startService({ now: () => clock });
  });
  afterAll(async () => {
    await s.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => request(`${s.origin}${path}`, { headers });
  const report = async () => JSON.parse((await get('/stats.json')).text) as ReaderReport;

  test('counts aggregators by their latest report per subscription, and other pollers once a day, per feed', async () => {
    await get('/id/feed.rss', { 'user-agent': 'Feedly/1.0 (+http://www.feedly.com/fetcher.html; 400 subscribers; )' });
    // Requests count on the day of the flush that writes them (every 10 s): flushed before midnight here.
    await s.service.readers.flush();
    clock = new Date('2026-11-25T08:00:00Z');
    // From the fast path (cached by now) and with ?limit, which is the same feed.
    await get('/id/feed.rss', { 'user-agent': 'Feedly/1.0 (+http://www.feedly.com/fetcher.html; 450 subscribers; )' });
    await get('/id/feed.rss', { 'user-agent': FEEDLY });
    await get('/id/feed.rss?limit=1', { 'user-agent': 'Feedbin feed-id:11 - 5 subscribers' });
    await get('/id/feed.rss', { 'user-agent': 'Feedbin feed-id:12 - 3 subscribers' });
    await get('/id/feed.rss', { 'user-agent': 'Feedbin feed-id:11 - 6 subscribers' });
    for (let i = 0; i < 3; i++) await get('/id/feed.rss', { 'user-agent': 'Tiny Tiny RSS/24.02 (https://tt-rss.org/)' });
    await get('/id/feed.rss', { 'user-agent': 'newsboat/2.36' });
    await get('/id/feed.rss', { 'user-agent': 'newsboat/2.36', 'if-none-match': '"x"' });
    await get('/en/feed.atom', { 'user-agent': 'newsboat/2.36' });
    // Pages are not feeds: not counted.
    await get('/id/', { 'user-agent': FEEDLY });

    const r = await report();
    expect(r.to).toBe('2026-11-25');
    expect(r.days).toHaveLength(30);
    expect(r.feeds.map((f) => f.feed)).toEqual(['/en/feed.atom', '/id/feed.rss']);
    const id = r.feeds.find((f) => f.feed === '/id/feed.rss')!;
    expect(id.url).toBe('http://feeds.example.test/id/feed.rss');
    const today = id.days.at(-1)!;
    // Feedly's latest figure today (462, not 400 from yesterday nor 450), plus Feedbin's two subscriptions (6 + 3).
    expect(today).toEqual({ day: '2026-11-25', feed: '/id/feed.rss', subscribers: 471, aggregators: { Feedbin: 9, Feedly: 462 }, pollers: 2 });
    expect(id.days.at(-2)).toMatchObject({ day: '2026-11-24', subscribers: 400, pollers: 0 });
    expect(id.days.at(-3)).toMatchObject({ subscribers: 0, pollers: 0 });
    expect(r.today).toEqual({ subscribers: 471, pollers: 3, aggregators: { Feedbin: 9, Feedly: 462 } });
  });

  test('keeps no address nor User-Agent of pollers: only salted hashes, the salt of the day only', async () => {
    const db = fs.readFileSync(`${s.dataDir}/kabar.sqlite-wal`).toString('latin1') + fs.readFileSync(`${s.dataDir}/kabar.sqlite`).toString('latin1');
    expect(db).not.toContain('127.0.0.1');
    expect(db).not.toContain('Tiny Tiny RSS');
    expect(s.service.store.getMeta('readers.salt')).toMatch(/^2026-11-25 [\w-]{43}$/);
    clock = new Date('2026-11-26T00:01:00Z');
    await get('/id/feed.rss', { 'user-agent': 'newsboat/2.36' });
    await report();
    // A new day, a new salt: yesterday's is gone, so yesterday's hashes can no longer be matched to anyone.
    expect(s.service.store.getMeta('readers.salt')).toMatch(/^2026-11-26 /);
  });

  test('GET /stats shows a chart per feed in the default language, drawn as SVG', async () => {
    const r = await get('/stats');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.text).toContain('<html lang="id">');
    expect(r.text).toContain('Siapa membaca kami');
    expect(r.text.match(/<svg class="chart" role="img" aria-label="[^"]+"/g)).toHaveLength(2);
    expect(r.text).toContain('<title>2026-11-25: 471</title>');
  });

  test('/metrics has today\'s totals', async () => {
    const text = (await get('/metrics')).text;
    expect(text).toMatch(/^kabar_readers_subscribers_total 0$/m);
    expect(text).toMatch(/^kabar_readers_pollers 1$/m);
    expect(text).toMatch(/^kabar_readers_dropped_total 0$/m);
  });
});

describe('ADMIN_TOKEN', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startService({ env: { ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await s.close();
  });

  test.each(['/stats', '/stats.json', '/metrics'])('guards %s with a bearer token', async (path) => {
    const none = await request(`${s.origin}${path}`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="kabar-feeds"');
    expect(none.headers['cache-control']).toBe('no-store');
    const wrong = await request(`${s.origin}${path}`, { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe('Bearer realm="kabar-feeds", error="invalid_token"');
    expect((await request(`${s.origin}${path}`, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    expect((await request(`${s.origin}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  test('leaves feeds, pages, health and status open', async () => {
    for (const path of ['/id/feed.rss', '/', '/healthz', '/status']) expect((await request(`${s.origin}${path}`)).status).toBe(200);
  });
});
