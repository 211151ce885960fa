import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/store.ts';
import { neverEndingBody, serveFile, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** Runs `npm run ingest`'s entry (tsx src/cli/ingest.ts) with its own CONTENT_DIR and DATA_DIR. */
function runCli(env: Record<string, string>): { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/ingest.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** A content tree: the repository's (whatever the publishing side needs), with our sources.yaml. */
function contentDir(sourcesYaml: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-content-'));
  fs.cpSync(path.join(ROOT, 'content'), dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'sources.yaml'), sourcesYaml);
  return dir;
}

let up: Upstream;
beforeAll(async () => {
  up = await startUpstream({ '/good.xml': serveFile('rss2.xml'), '/slow.xml': neverEndingBody });
});
afterAll(() => up.close());

describe('npm run ingest', () => {
  it('survives SIGKILL mid-poll: the database opens, stored items are intact, the next run completes', async () => {
    const content = contentDir(`- url: ${up.url('/good.xml')}\n  id: good\n- url: ${up.url('/slow.xml')}\n  id: slow\n`);
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-data-'));
    const env = { CONTENT_DIR: content, DATA_DIR: data };

    const first = runCli(env);
    await until(() => /"source_id":"good"[^\n]*"msg":"polled"/.test(first.stderr()), 'the good source to be stored');
    await until(() => up.requests.some((r) => r.path === '/slow.xml'), 'the slow source to be fetched');
    first.child.kill('SIGKILL');
    expect(await first.exit).toBeNull();

    const check = openStore(data);
    expect(check.itemCount('good')).toBe(7);
    expect(check.itemCount('slow')).toBe(0);
    check.close();

    up.routes.set('/slow.xml', serveFile('atom.xml', 'application/atom+xml'));
    const second = runCli(env);
    const code = await second.exit;
    expect(second.stderr()).not.toMatch(/"level":(50|60)/);
    expect(code).toBe(0);
    expect(second.stdout()).toMatch(/^ok {4}good {2}304 {2}7 items$/m);
    expect(second.stdout()).toMatch(/^ok {4}slow {2}200 {2}4 items$/m);
    expect(second.stdout()).toMatch(/2 sources polled, 2 ok, 0 failed/);

    const after = openStore(data);
    expect([after.itemCount('good'), after.itemCount('slow')]).toEqual([7, 4]);
    // Related through the repository's own articles (content/), whatever they are: prices, sport and recipes never.
    expect(after.relatedItems(100).map((i) => i.title).join('\n')).not.toMatch(/prices|Derby|Recipe|Tirana|lamb/i);
    after.close();
  });

  it('exits 0 and counts failures when a source fails, non-zero on a config error', async () => {
    const data = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-data-'));
    const failing = runCli({
      CONTENT_DIR: contentDir(`- url: ${up.url('/good.xml')}\n  id: good\n- url: ${up.url('/missing.xml')}\n  id: missing\n`),
      DATA_DIR: data,
    });
    expect(await failing.exit).toBe(0);
    expect(failing.stdout()).toMatch(/^FAIL {2}missing {2}404 {2}fetch http: HTTP 404/m);
    expect(failing.stdout()).toMatch(/2 sources polled, 1 ok, 1 failed/);

    const bad = runCli({ CONTENT_DIR: contentDir('- url: https://ok.example/feed\n  schedule: sometimes\n'), DATA_DIR: data });
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toMatch(/sources.yaml entry 0 \(https:\/\/ok.example\/feed\): schedule/);
  });
});
