import { afterAll, beforeAll, expect, test } from 'vitest';
import { request, startService, type Running } from '../helpers/service.ts';

let s: Running;
beforeAll(async () => {
  s = await startService();
});
afterAll(async () => {
  await s.close();
});

/** The samples of a Prometheus text exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

test('GET /metrics counts responses from the fast path and from the app, renders, content and cache', async () => {
  const first = await request(`${s.origin}/id/feed.rss`);
  await request(`${s.origin}/id/feed.rss`, { headers: { 'if-none-match': first.headers.etag! } });
  await request(`${s.origin}/id/feed.rss`);
  await request(`${s.origin}/no/such/feed.rss`);

  const r = await request(`${s.origin}/metrics`);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  expect(r.headers['cache-control']).toBe('no-store');
  const m = samples(r.text);
  // The first request rendered the feed in the app; the next two were answered from the cache.
  expect(m.get('kabar_http_responses_total{served_by="app",status="200"}')).toBe(1);
  expect(m.get('kabar_http_responses_total{served_by="cache",status="304"}')).toBe(1);
  expect(m.get('kabar_http_responses_total{served_by="cache",status="200"}')).toBe(1);
  expect(m.get('kabar_http_responses_total{served_by="app",status="404"}')).toBe(1);
  expect(m.get('kabar_render_duration_seconds_count{type="application/rss+xml"}')).toBe(1);
  expect(m.get('kabar_content_articles')).toBe(1);
  expect(m.get('kabar_content_change_rejected')).toBe(0);
  expect(m.get('kabar_relations_current')).toBe(1);
  expect(m.get('kabar_cache_entries')).toBe(1);
  expect(m.get('kabar_cache_bytes')).toBe(first.body.length);
  expect(m.get('process_resident_memory_bytes')).toBeGreaterThan(0);

  // The scrape itself is counted on the next one.
  const again = samples((await request(`${s.origin}/metrics`)).text);
  expect(again.get('kabar_http_responses_total{served_by="app",status="200"}')).toBe(2);
});
