import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { copyContent, request, startService, type Running } from '../helpers/service.ts';
import { serveFile, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

let up: Upstream;
let s: Running | null = null;

beforeEach(async () => {
  up = await startUpstream({ '/a.xml': serveFile('rss2.xml'), '/b.xml': serveFile('atom.xml', 'application/atom+xml'), '/c.xml': serveFile('rss1.xml') });
});

afterEach(async () => {
  await s?.close();
  s = null;
  await up.close();
});

interface Status {
  id: string;
  url: string;
  lastAttemptAt: string | null;
  lastSuccessAt: string | null;
  nextPollAt: string | null;
  itemCount: number;
}

function sourcesYaml(entries: { id: string; path: string; schedule?: string }[]): string {
  return entries
    .map((e) => `- url: ${up.url(e.path)}\n  id: ${e.id}\n${e.schedule ? `  schedule: "${e.schedule}"\n` : ''}`)
    .join('');
}

async function status(run: Running): Promise<Status[]> {
  const r = await request(`${run.origin}/status`);
  expect(r.status).toBe(200);
  return JSON.parse(r.text) as Status[];
}

async function health(run: Running) {
  return JSON.parse((await request(`${run.origin}/healthz`)).text) as { status: string; sources: { rejectedChange: { file: string; field: string | null; message: string }[] | null } };
}

const hits = (p: string) => up.requests.filter((r) => r.path === p).length;

/** A running service with INGEST on, polling `a` and `b` from the fixture upstream. */
async function running(opts: { watch?: boolean } = {}): Promise<Running> {
  const contentDir = copyContent();
  fs.writeFileSync(path.join(contentDir, 'sources.yaml'), sourcesYaml([{ id: 'a', path: '/a.xml' }, { id: 'b', path: '/b.xml' }]));
  const run = await startService({ contentDir, env: { INGEST: 'on' }, watch: opts.watch ?? false });
  run.service.ingester.start();
  await run.service.ingester.whenIdle();
  return run;
}

describe('sources.yaml is picked up without a restart', () => {
  test('sources added, removed and rescheduled; /status follows the new list', async () => {
    s = await running();
    expect((await status(s)).map((x) => x.id)).toEqual(['a', 'b']);
    expect((await status(s)).every((x) => x.lastSuccessAt !== null && x.itemCount > 0)).toBe(true);
    const related = async () => (await request(`${s!.origin}/en/related/feed.json`)).text;
    // An item of a's feed (rss2.xml) is related to the seed article and shown.
    const A_ITEM = 'Ceasefire talks over Karabakh stall again';
    expect(await related()).toContain(A_ITEM);

    // Remove a and reschedule b to 03:17 every day: nothing is polled, and both show at once.
    fs.writeFileSync(path.join(s.contentDir, 'sources.yaml'), sourcesYaml([{ id: 'b', path: '/b.xml', schedule: '17 3 * * *' }]));
    expect(s.service.sources.reload()).toBe(true);
    expect((await status(s)).map((x) => x.id)).toEqual(['b']);
    // A removed source's items are no longer published.
    expect(await related()).not.toContain(A_ITEM);

    // Add c.
    fs.writeFileSync(
      path.join(s.contentDir, 'sources.yaml'),
      sourcesYaml([{ id: 'b', path: '/b.xml', schedule: '17 3 * * *' }, { id: 'c', path: '/c.xml' }]),
    );
    expect(s.service.sources.reload()).toBe(true);
    await s.service.ingester.whenIdle();

    const after = await status(s);
    expect(after.map((x) => x.id)).toEqual(['b', 'c']);
    // The new source is polled at once, not at its first scheduled run.
    expect(hits('/c.xml')).toBe(1);
    expect(after[1]!.lastSuccessAt).not.toBeNull();
    expect(after[1]!.itemCount).toBeGreaterThan(0);
    // The rescheduled one shows the next run of its new schedule (node-cron reads local time).
    const next = new Date(after[0]!.nextPollAt!);
    expect([next.getHours(), next.getMinutes()]).toEqual([3, 17]);
    // Polling every source now polls the new list only.
    const aHits = hits('/a.xml');
    await s.service.ingester.pollAll();
    expect(hits('/a.xml')).toBe(aHits);
    expect(hits('/c.xml')).toBe(2);
    expect((await health(s)).status).toBe('ok');
  });

  test('an invalid change is refused with the reason in /healthz, and the sources in service go on polling', async () => {
    s = await running();
    const before = await status(s);
    fs.writeFileSync(
      path.join(s.contentDir, 'sources.yaml'),
      `${sourcesYaml([{ id: 'a', path: '/a.xml' }])}- url: ${up.url('/c.xml')}\n  schedule: every minute\n`,
    );
    expect(s.service.sources.reload()).toBe(false);

    const h = await health(s);
    expect(h.status).toBe('degraded');
    expect(h.sources.rejectedChange).toEqual([
      expect.objectContaining({ file: 'sources.yaml', field: 'sources[1].schedule', message: expect.stringContaining('every minute') as unknown }),
    ]);
    expect((await status(s)).map((x) => x.id)).toEqual(before.map((x) => x.id));

    const [a, b] = [hits('/a.xml'), hits('/b.xml')];
    await s.service.ingester.pollAll();
    expect([hits('/a.xml'), hits('/b.xml'), hits('/c.xml')]).toEqual([a + 1, b + 1, 0]);

    // Fixed: taken into service, and /healthz is ok again.
    fs.writeFileSync(path.join(s.contentDir, 'sources.yaml'), sourcesYaml([{ id: 'a', path: '/a.xml' }]));
    expect(s.service.sources.reload()).toBe(true);
    expect(await health(s)).toMatchObject({ status: 'ok', sources: { rejectedChange: null } });
    expect((await status(s)).map((x) => x.id)).toEqual(['a']);
  });

  test('the running service sees the file change by itself', async () => {
    s = await running({ watch: true });
    fs.writeFileSync(
      path.join(s.contentDir, 'sources.yaml'),
      sourcesYaml([{ id: 'a', path: '/a.xml' }, { id: 'b', path: '/b.xml' }, { id: 'c', path: '/c.xml' }]),
    );
    // Waits for the watcher, however long the machine takes (bounded by the test's own timeout).
    for (;;) {
      const ids = (await status(s)).map((x) => x.id);
      if (ids.includes('c')) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await s.service.ingester.whenIdle();
    expect((await status(s)).find((x) => x.id === 'c')!.lastSuccessAt).not.toBeNull();
  });
});
