import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnce, summaryLine } from '../../src/ingest/run.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore } from '../../src/storage/store.ts';
import { serveFile, startUpstream, statusOnly, type Upstream } from '../helpers/upstream-server.ts';

const T0 = new Date('2026-11-20T10:00:00.000Z');
let up: Upstream;

beforeAll(async () => {
  up = await startUpstream({ '/good.xml': serveFile('rss2.xml'), '/429': statusOnly(429, { 'retry-after': '600' }) });
});
afterAll(() => up.close());

describe('runOnce (npm run ingest)', () => {
  it('counts failures and writes each line from the poll outcomes', async () => {
    const store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-run-')));
    try {
      const sources = [
        { id: 'good', url: up.url('/good.xml'), name: 'Good', schedule: '*/15 * * * *', language: null },
        { id: 'limited', url: up.url('/429'), name: 'Limited', schedule: '*/15 * * * *', language: null },
      ];
      const run = () =>
        runOnce({
          store,
          sources,
          fetchPolicy: { timeoutMs: 2000, maxBytes: 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test' },
          retention: { maxItemsPerSource: 500, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 },
          logger: silentLogger(),
          targets: () => [{ articleId: 'karabakh', rules: [[['karabakh']]] }],
          now: () => T0,
        });
      const first = await run();
      expect(first.sources.map((s) => s.outcome.kind)).toEqual(['updated', 'failed']);
      expect(first).toMatchObject({ failed: 1, publishedChanged: true });
      expect(first.sources.map(summaryLine)).toEqual([
        'ok    good  200  7 items',
        'FAIL  limited  429  fetch http: HTTP 429  (0 items kept, next poll 2026-11-20T10:10:00.000Z)',
      ]);
      // The same clock again: an unchanged source is a success, whatever the timestamps say.
      const second = await run();
      expect(second.sources.map((s) => s.outcome.kind)).toEqual(['not-modified', 'failed']);
      expect(second).toMatchObject({ failed: 1, publishedChanged: false });
      expect(summaryLine(second.sources[0]!)).toBe('ok    good  304  7 items');
    } finally {
      store.close();
    }
  });
});
