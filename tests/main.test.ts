import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyContent, REPO, request, TEST_BASE } from './helpers/service.ts';

/** `npm start`'s entry run from source (as tests/cli/ingest.test.ts runs the ingest CLI), on loopback. */
function start(env: Record<string, string>, viaTerminal = false): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> } {
  const fullEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HOST: '127.0.0.1',
    BASE_URL: TEST_BASE,
    INGEST: 'off',
    LOG_LEVEL: 'info',
    CONTENT_DIR: copyContent(),
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-data-')),
    ...env,
  };
  const command = [process.execPath, '--import', 'tsx', 'src/main.ts'];
  // util-linux `script` gives the service a pseudo-terminal as stdout and stderr, as a person's shell does.
  const child = viaTerminal
    ? spawn('script', ['-qfec', command.map((a) => `'${a}'`).join(' '), '/dev/null'], { cwd: REPO, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(command[0]!, command.slice(1), { cwd: REPO, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  running.push(child);
  return { child, out: () => out, err: () => err, exit };
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

const LISTENING = /^kabar-feeds listening on (http:\/\/127\.0\.0\.1:(\d+)) \(feeds and pages link to http:\/\/feeds\.example\.test\)\r?$/m;

describe('npm start', () => {
  it('prints one human line with the URL to open, on stderr; the logs on stdout stay JSON', async () => {
    const s = start({ PORT: '0' });
    await until(() => LISTENING.test(s.err()), 'the listening line');
    const url = LISTENING.exec(s.err())![1]!;
    expect((await request(`${url}/healthz`)).status).toBe(200);
    await until(() => /"msg":"listening"/.test(s.out()), 'the listening log');
    expect(s.err().trimEnd().split('\n')).toHaveLength(1);
    for (const line of s.out().trimEnd().split('\n')) expect((): unknown => JSON.parse(line), line).not.toThrow();
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('a port in use is one line naming PORT and HOST, exit code 1, no stack trace', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const s = start({ PORT: String(port) });
      expect(await s.exit).toBe(1);
      expect(s.err()).toBe(`PORT ${port} is already in use on HOST 127.0.0.1: set PORT to a free port\n`);
      expect(s.out()).not.toMatch(/EADDRINUSE|\bat .*:\d+:\d+/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('in a terminal, log lines are laid out for people, not JSON', async () => {
    const s = start({ PORT: '0' }, true);
    await until(() => LISTENING.test(s.out()), 'the listening line in the terminal');
    await until(() => / INFO +listening /.test(s.out()), 'the listening log in the terminal');
    expect(s.out()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO +listening host=127\.0\.0\.1 port=\d+ base_url=http:\/\/feeds\.example\.test /m);
    expect(s.out()).not.toContain('{"level"');
    s.child.kill('SIGTERM');
    await s.exit;
  });
});
