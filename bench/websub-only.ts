/**
 * `npx tsx bench/websub-only.ts`: the WebSub measurement of `npm run bench` alone (bench/lib/websub.ts), against
 * the service built and started as the benchmark does it, pinned to CPU 0 (this process, wrk and the fixture
 * subscribers on CPU 1). Needs the generated data of an earlier `npm run bench` in bench/.work/ (content/ and
 * data-100k/); prints the three WebSub targets and the figures as JSON. BENCH_DURATION and BENCH_CONNECTIONS as
 * for the benchmark; BENCH_PROFILE=1 writes the service's CPU profile into bench/.work/profiles.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { alive, freePort, httpGet, installCleanup, pinned, sleep, spawnTracked, stopChild } from './lib/proc.ts';
import { measureWebSub, webSubTargets } from './lib/websub.ts';
import { serviceCommand } from './run.ts';

const REPO = path.resolve(import.meta.dirname, '..');
const WORK = path.join(REPO, 'bench', '.work');
const CONTENT_DIR = path.join(WORK, 'content');
const DATA_DIR = path.join(WORK, 'data-100k');
const SERVER_CORE = 0;
const LOAD_CORE = 1;

async function main(): Promise<void> {
  const stamp = JSON.parse(fs.readFileSync(path.join(WORK, 'data.stamp.json'), 'utf8')) as { info: { content: { newestEnFile: string; newestEnTitle: string } } };
  spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  // Built and started as `npm start` does (bench/run.ts serviceCommand), as in `npm run bench`.
  const command = await serviceCommand();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const prof = process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${path.join(WORK, 'profiles')}`, '--cpu-prof-name=websub-service.cpuprofile'] : [];
  const logFile = path.join(WORK, 'websub-service.log');
  const fd = fs.openSync(logFile, 'w');
  const [cmd, args] = pinned(SERVER_CORE, process.execPath, [...prof, ...command.args]);
  const child = spawnTracked(cmd, args, {
    cwd: REPO,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', BASE_URL: base, CONTENT_DIR, DATA_DIR, INGEST: 'off', LOG_LEVEL: 'info', WEBSUB_ALLOW_PRIVATE_CALLBACKS: 'true' },
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd);
  try {
    for (;;) {
      if (!alive(child)) throw new Error(`the service exited; see ${logFile}`);
      const r = await httpGet(`${base}/metrics`, {}, 10_000).catch(() => null);
      if (r?.body.toString('utf8').includes('\nkabar_relations_current 1')) break;
      await sleep(200);
    }
    for (let k = 0; k < 20; k++) await httpGet(`${base}/id/feed.rss`);
    const durationS = Number(process.env.BENCH_DURATION ?? 8);
    const figures = await measureWebSub({
      base,
      pid: child.pid!,
      dataDir: DATA_DIR,
      file: path.join(CONTENT_DIR, stamp.info.content.newestEnFile),
      title: stamp.info.content.newestEnTitle,
      loadCore: LOAD_CORE,
      connections: Number(process.env.BENCH_CONNECTIONS ?? 50),
      durationS: Math.max(3, Math.round(durationS / 2)),
    });
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    for (const t of webSubTargets(figures)) process.stdout.write(`${t.met ? 'met    ' : 'NOT MET'}  ${t.name}: ${t.measured} (goal ${t.target})\n`);
  } finally {
    await stopChild(child, 15_000);
  }
}

installCleanup();
main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`websub bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
