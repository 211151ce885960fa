import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { loadSources, readSources, SourcesError } from '../../src/ingest/sources.ts';
import { copyContent, REPO, request, startService } from '../helpers/service.ts';

function dirWith(yaml: string | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-sources-'));
  if (yaml !== null) fs.writeFileSync(path.join(dir, 'sources.yaml'), yaml);
  return dir;
}

function configError(yaml: string): ConfigError {
  try {
    loadSources(dirWith(yaml));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSources', () => {
  it('returns no sources when sources.yaml is missing', () => {
    expect(loadSources(dirWith(null))).toEqual([]);
  });

  it('fills defaults: id from host and path, name from host, every 15 minutes', () => {
    expect(loadSources(dirWith('- url: https://www.example.com/world/rss.xml\n'))).toEqual([
      { id: 'example-com-world-rss-xml', url: 'https://www.example.com/world/rss.xml', name: 'example.com', schedule: '*/15 * * * *', language: null },
    ]);
  });

  it('keeps given fields and accepts six-field cron with seconds', () => {
    const [s] = loadSources(dirWith('- url: http://127.0.0.1:9/feed\n  id: local\n  name: Local\n  schedule: "*/30 * * * * *"\n  language: id\n'));
    expect(s).toEqual({ id: 'local', url: 'http://127.0.0.1:9/feed', name: 'Local', schedule: '*/30 * * * * *', language: 'id' });
  });

  it('names the entry and field for a bad URL, a bad cron and a duplicate id', () => {
    const badUrl = configError('- url: https://ok.example/a\n- url: not a url\n');
    expect(badUrl.message).toMatch(/entry 1 \(not a url\): url/);
    expect(badUrl.keys).toEqual(['sources[1].url']);
    expect(configError('- url: ftp://files.example/feed\n').message).toMatch(/entry 0 .*url must use http or https/);
    const badCron = configError('- url: https://ok.example/a\n  schedule: every hour\n');
    expect(badCron.message).toMatch(/entry 0 \(https:\/\/ok.example\/a\): schedule/);
    const dup = configError('- url: https://ok.example/a\n  id: same\n- url: https://ok.example/b\n  id: same\n');
    expect(dup.message).toMatch(/entry 1 \(https:\/\/ok.example\/b\): id duplicates the id of entry 0/);
    expect(configError('- url: https://ok.example/a\n  shedule: "* * * * *"\n').message).toMatch(/shedule/);
    expect(configError('url: https://ok.example/a\n').message).toMatch(/must be a list/);
  });

  it('loads the shipped content/sources.yaml', () => {
    const sources = loadSources(path.resolve(import.meta.dirname, '../../content'));
    expect(sources.length).toBeGreaterThan(0);
    expect(new Set(sources.map((s) => s.id)).size).toBe(sources.length);
  });
});

/** Five entries with six problems between them; entry 1 is good, and entry 4 takes entry 1's id. */
const BROKEN = [
  '- url: not a url',
  '  schedule: sometimes',
  '- url: https://ok.example/a',
  '  id: same',
  '- url: ftp://files.example/feed',
  '  shedule: "* * * * *"',
  '- 12',
  '- url: https://ok.example/b',
  '  id: same',
  '',
].join('\n');
const BROKEN_FIELDS = ['sources[0].url', 'sources[0].schedule', 'sources[2].url', 'sources[2].shedule', 'sources[3].entry', 'sources[4].id'];

describe('every problem of sources.yaml at once', () => {
  it('readSources lists each problem with its file, field and message, and keeps the valid entries', () => {
    const { sources, problems } = readSources(dirWith(BROKEN));
    expect(sources.map((s) => s.id)).toEqual(['same']);
    expect(problems.map((p) => p.field)).toEqual(BROKEN_FIELDS);
    expect(problems.every((p) => p.file === 'sources.yaml')).toBe(true);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^sources.yaml entry 0 \(not a url\): url must be an absolute URL$/),
      expect.stringMatching(/^sources.yaml entry 0 \(not a url\): schedule is not a valid cron expression: "sometimes"$/),
      expect.stringMatching(/^sources.yaml entry 2 \(ftp:.*\): url must use http or https$/),
      expect.stringMatching(/^sources.yaml entry 2 \(ftp:.*\): shedule .*shedule/),
      expect.stringMatching(/^sources.yaml entry 3 \(\(no url\)\): entry /),
      expect.stringMatching(/^sources.yaml entry 4 \(https:\/\/ok.example\/b\): id duplicates the id of entry 1: "same"$/),
    ]);
  });

  it('loadSources throws one SourcesError (a ConfigError) naming every field', () => {
    const err = configError(BROKEN);
    expect(err).toBeInstanceOf(SourcesError);
    expect((err as SourcesError).problems).toHaveLength(6);
    expect(err.keys).toEqual(BROKEN_FIELDS);
    expect(err.message.split('\n')).toHaveLength(7);
    expect(err.message).toMatch(/^sources.yaml has 6 problems:\n {2}sources.yaml entry 0 /);
  });

  it('npm run check prints every problem and exits 1', async () => {
    const dir = copyContent();
    fs.writeFileSync(path.join(dir, 'sources.yaml'), BROKEN);
    const err = await promisify(execFile)(path.join(REPO, 'node_modules/.bin/tsx'), ['src/cli/check.ts', dir], { cwd: REPO }).then(
      () => null,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stdout).toMatch(/^content ok: /m);
    expect(err?.stderr).toMatch(/^sources.yaml has 6 problems:$/m);
    for (const m of ['entry 0 (not a url): url', 'entry 0 (not a url): schedule', 'entry 2 (ftp://files.example/feed): url', 'entry 3 ((no url)): entry', 'entry 4 (https://ok.example/b): id']) {
      expect(err?.stderr).toContain(m);
    }
  });

  it('npm run check finds CONTENT_DIR as the service does, and leaves the other variables to npm start', async () => {
    const dir = copyContent();
    fs.writeFileSync(path.join(dir, 'sources.yaml'), '- url: https://ok.example/a\n- url: https://ok.example/b\n');
    const { stdout } = await promisify(execFile)(path.join(REPO, 'node_modules/.bin/tsx'), ['src/cli/check.ts'], {
      cwd: REPO,
      // A shell with a variable the service would refuse: check is about the content, not this shell.
      env: { ...process.env, CONTENT_DIR: path.relative(REPO, dir), FETCH_TIMEOUT_MS: 'soon' },
    });
    expect(stdout).toContain(`in ${dir}\n`);
    expect(stdout).toMatch(/^sources ok: 2 upstream feeds$/m);
  });

  it('a start with a broken sources.yaml stops with every problem', async () => {
    const dir = copyContent();
    fs.writeFileSync(path.join(dir, 'sources.yaml'), BROKEN);
    const err = await startService({ contentDir: dir }).then(
      async (s) => {
        await s.close();
        return null;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SourcesError);
    expect((err as SourcesError).problems.map((p) => p.field)).toEqual(BROKEN_FIELDS);
  });

  it('a refused live change shows every problem in /healthz sources.rejectedChange', async () => {
    const dir = copyContent();
    fs.writeFileSync(path.join(dir, 'sources.yaml'), '- url: https://ok.example/a\n');
    const s = await startService({ contentDir: dir });
    try {
      fs.writeFileSync(path.join(dir, 'sources.yaml'), BROKEN);
      expect(s.service.sources.reload()).toBe(false);
      const health = JSON.parse((await request(`${s.origin}/healthz`)).text) as { status: string; sources: { rejectedChange: { file: string; field: string | null; message: string }[] } };
      expect(health.status).toBe('degraded');
      expect(health.sources.rejectedChange).toEqual(readSources(dir).problems);
      expect(health.sources.rejectedChange.map((p) => p.field)).toEqual(BROKEN_FIELDS);
      expect(s.service.sources.current.map((x) => x.url)).toEqual(['https://ok.example/a']);
    } finally {
      await s.close();
    }
  });
});
