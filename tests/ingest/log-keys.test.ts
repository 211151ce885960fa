import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIngester } from '../../src/ingest/ingester.ts';
import { LiveSources } from '../../src/ingest/sources.ts';
import { createLogger } from '../../src/log.ts';
import { openStore } from '../../src/storage/store.ts';
import { copyContent, REPO } from '../helpers/service.ts';
import { fixture, redirect, serveBytes, serveFile, startUpstream, statusOnly, type Upstream } from '../helpers/upstream-server.ts';

/** Log keys are snake_case (`source_id`, `feed_url`, `status`); pino's own are too. */
const KEY = /^[a-z0-9_]+$/;

/** Every key of a log record at any depth, but inside `err` (pino's error serialiser writes those). */
function keysOf(value: unknown, at = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keysOf(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => (k === 'err' ? [`${at}${k}`] : [`${at}${k}`, ...keysOf(v, `${at}${k}.`)]));
}

function badKeys(lines: string[]): string[] {
  const records = lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
  return records.flatMap((r) => keysOf(r).filter((k) => !KEY.test(k.split(/[.[\]]/).filter(Boolean).pop()!)).map((k) => `${String(r.msg)}: ${k}`));
}

let up: Upstream;
beforeAll(async () => {
  const many = Array.from({ length: 5 }, (_, i) => `<item><title>Item ${i}</title><link>https://many.example/${i}</link></item>`).join('');
  up = await startUpstream({
    '/rss2.xml': serveFile('rss2.xml'),
    '/old': redirect(301, '/atom.xml'),
    '/atom.xml': serveFile('atom.xml', 'application/atom+xml'),
    '/many.xml': serveBytes(`<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>${many}</channel></rss>`),
    '/malformed.xml': serveBytes(fixture('malformed.xml')),
    '/429': statusOnly(429, { 'retry-after': '60' }),
  });
});
afterAll(() => up.close());

describe('log keys are snake_case', () => {
  it('in every line a poll writes: polled, not modified, moved, cut to retention, failed; and a refused sources.yaml', async () => {
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (line: string) => void lines.push(line) });
    const store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-logkeys-')));
    const paths = { rss2: '/rss2.xml', moved: '/old', many: '/many.xml', bad: '/malformed.xml', limited: '/429' };
    const ingester = createIngester({
      store,
      sources: Object.entries(paths).map(([id, p]) => ({ id, url: up.url(p), name: id, schedule: '*/15 * * * *', language: null })),
      fetchPolicy: { timeoutMs: 2000, maxBytes: 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test' },
      retention: { maxItemsPerSource: 3, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 },
      logger,
      targets: () => [{ articleId: 'karabakh', rules: [[['karabakh']]] }],
      onPublishedChange: () => {},
    });
    const contentDir = copyContent();
    fs.writeFileSync(path.join(contentDir, 'sources.yaml'), `- url: ${up.url('/rss2.xml')}\n`);
    const live = new LiveSources(contentDir, logger);
    try {
      await ingester.pollAll();
      await ingester.pollAll();
      await ingester.relateAll();
      ingester.setSources([]);
      fs.writeFileSync(path.join(contentDir, 'sources.yaml'), '- url: not a url\n  schedule: sometimes\n');
      live.reload();
    } finally {
      await ingester.stop();
      store.close();
    }
    const messages = new Set(lines.map((l) => (JSON.parse(l) as { msg: string }).msg));
    for (const msg of ['polled', 'not modified', 'feed moved permanently', 'poll failed', 'sources changed']) expect(messages).toContain(msg);
    expect([...messages].some((m) => m.startsWith('feed has more items'))).toBe(true);
    expect([...messages].some((m) => m.startsWith('sources.yaml change rejected'))).toBe(true);
    expect(badKeys(lines)).toEqual([]);
  });

  it('in every line `npm start` writes from start to stop, with a poll in between', async () => {
    const contentDir = copyContent();
    fs.writeFileSync(path.join(contentDir, 'sources.yaml'), `- url: ${up.url('/rss2.xml')}\n  id: good\n- url: ${up.url('/429')}\n  id: limited\n`);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        PORT: '0',
        HOST: '127.0.0.1',
        CONTENT_DIR: contentDir,
        DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-logkeys-data-')),
        LOG_LEVEL: 'trace',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 400 && !(/"msg":"polled"/.test(out) && /"msg":"poll failed"/.test(out)); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    const lines = out.split('\n').filter((l) => l !== '');
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    for (const msg of ['listening', 'polled', 'poll failed', 'stopping']) expect(messages).toContain(msg);
    expect(badKeys(lines)).toEqual([]);
  });
});
