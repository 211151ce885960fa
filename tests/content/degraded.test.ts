import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ContentError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { copyContent, edit, request, type Running, startService } from '../helpers/service.ts';

const SLUG = 'rusia-2000-militan-timteng-karabakh';
const ORIGINAL = `articles/${SLUG}/index.id.md`;

let s: Running | null = null;
afterEach(async () => {
  await s?.close();
  s = null;
});

/** A logger whose JSON lines the test reads back. */
function capturedLogger(): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const logger = createLogger('info', { write: (line: string) => void out.push(line) });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const health = async (run: Running) => {
  const r = await request(`${run.origin}/healthz`);
  expect(r.status).toBe(200);
  return JSON.parse(r.text) as { status: string; content: { rejectedChange: { file: string; field: string | null }[] | null } };
};

describe('a start with invalid content', () => {
  test('serves the last good content from the content cache, and says why in /healthz and the log', async () => {
    s = await startService();
    const { contentDir, dataDir } = s;
    const feed = await request(`${s.origin}/id/feed.rss`);
    const page = await request(`${s.origin}/id/articles/${SLUG}/`);
    await s.close();

    edit(contentDir, ORIGINAL, (t) => t.replace('published: 2020-11-03T20:00:00+07:00', 'published: kemarin'));
    const log = capturedLogger();
    s = await startService({ contentDir, dataDir, logger: log.logger });

    const again = await request(`${s.origin}/id/feed.rss`);
    expect(again.status).toBe(200);
    expect(again.headers.etag).toBe(feed.headers.etag);
    expect(again.text).toBe(feed.text);
    expect((await request(`${s.origin}/id/articles/${SLUG}/`)).text).toBe(page.text);
    const h = await health(s);
    expect(h.status).toBe('degraded');
    expect(h.content.rejectedChange).toContainEqual(expect.objectContaining({ file: ORIGINAL, field: 'published' }));
    const logged = log.lines().find((l) => l.level === 50 && Array.isArray(l.problems));
    expect(logged?.problems).toContainEqual(expect.objectContaining({ file: ORIGINAL, field: 'published' }));

    // Fixed while running: the new version is served and /healthz is ok again.
    edit(contentDir, ORIGINAL, (t) => t.replace('published: kemarin', 'published: 2020-11-03T20:00:00+07:00'));
    s.service.content.reload();
    expect(await health(s)).toMatchObject({ status: 'ok', content: { rejectedChange: null } });
  });

  test('a change refused while running is not what a restart serves: the last good version is', async () => {
    s = await startService();
    const { contentDir, dataDir } = s;
    // Valid on its own, refused across files (an unknown category): its new title must not be served.
    edit(contentDir, ORIGINAL, (t) =>
      t.replace('title: Rusia Nyatakan', 'title: Judul Baru Rusia Nyatakan').replace('categories: [konflik-karabakh', 'categories: [olahraga, konflik-karabakh'),
    );
    expect(s.service.content.reload()).toBe(false);
    expect((await health(s)).status).toBe('degraded');
    await s.close();

    s = await startService({ contentDir, dataDir });
    const page = (await request(`${s.origin}/id/articles/${SLUG}/`)).text;
    expect(page).toContain('<h1>Rusia Nyatakan Ada 2000 Militan Timteng di Karabakh</h1>');
    expect(page).not.toContain('Judul Baru');
    expect((await health(s)).content.rejectedChange).toContainEqual(expect.objectContaining({ file: ORIGINAL, field: 'categories.0' }));
  });

  test('with no last good content, the start fails with the list of problems', async () => {
    const contentDir = copyContent();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-data-'));
    edit(contentDir, ORIGINAL, (t) => t.replace('published: 2020-11-03T20:00:00+07:00', 'published: kemarin'));
    const err = await startService({ contentDir, dataDir }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ContentError);
    expect((err as ContentError).problems).toContainEqual(expect.objectContaining({ file: ORIGINAL, field: 'published' }));
  });
});
