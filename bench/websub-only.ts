/**
 * `npx tsx bench/websub-only.ts`: the WebSub measurement of `npm run bench` alone (bench/lib/websub.ts), against
 * the service built and started as the benchmark does it (bench/run.ts serviceCommand: `npm start`'s node flags),
 * pinned to CPU 0 (this process, wrk and the fixture subscribers on CPU 1). Needs the generated data of an earlier
 * `npm run bench` in bench/.work/ (content/ and data-100k/); prints the three WebSub targets and the figures as JSON.
 * BENCH_DURATION and BENCH_CONNECTIONS as for the benchmark; BENCH_PROFILE=1 writes the service's CPU profile into
 * bench/.work/profiles.
 *
 * BENCH_PRELOAD=full: before the measurement, the service serves what the service of `npm run bench` has served by
 * its WebSub phase (see preloadAsFullBench): a fresh service is not the one the full benchmark measures, whose heap
 * has grown under a minute of cached-feed load. BENCH_SERVICE_FLAGS: node flags added before `npm start`'s (for a
 * look inside, e.g. `--trace-gc`; the service's output goes to bench/.work/websub-service.log). BENCH_WRK_DELAY_MS:
 * each wrk connection of the measurement pauses this long between requests (bench/wrk/timeline.lua), for a load at
 * about a fixed pace: on a machine others are using, compare the service's CPU figures (serviceCpuUsPerRequest,
 * serviceCpuMsPerChangeUnderLoad), not its req/s.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, httpGet, installCleanup, sleep, stopChild } from './lib/proc.ts';
import { runWrk } from './lib/wrk.ts';
import { measureWebSub, webSubTargets } from './lib/websub.ts';
import { CONTENT_DIR, fetchRepresentations, LOAD_FEEDS, serviceCommand, startService, WORK } from './run.ts';

const DATA_DIR = path.join(WORK, 'data-100k');
const SERVER_CORE = 0;
const LOAD_CORE = 1;

interface Stamp {
  info: { content: { newestEnFile: string; newestEnTitle: string } };
}

/**
 * What bench/run.ts has the measured service serve before its WebSub phase, with the default settings (2 s warm-up,
 * 8 rounds of 1 s, 50 connections), the other side's turns as idle time of the same length:
 * - the load cases: each of LOAD_FEEDS as identity 200, 304 (If-None-Match) and gzip 200, 2 s warm-up then 8 slices
 *   of 1 s, alternating with the bare server's;
 * - the small feed (services of its own): this one idles, about 45 s;
 * - PostgreSQL: this service is the SQLite side of identity 200 on each load feed, after the twin's two starts;
 * - the content change: one edit of the newest English article, served, then written back.
 */
async function preloadAsFullBench(base: string, pid: number, content: Stamp['info']['content']): Promise<void> {
  const log = (msg: string) => process.stderr.write(`[preload] ${msg}\n`);
  const wrk = (url: string, headers: [string, string][], durationS: number) =>
    runWrk({ url, headers, connections: Number(process.env.BENCH_CONNECTIONS ?? 50), core: LOAD_CORE, serverPid: pid, durationS });
  const pair = async (url: string, headers: [string, string][], oursFirst: boolean) => {
    await wrk(url, headers, 2);
    await sleep(2000);
    for (let r = 0; r < 8; r++) {
      if ((r % 2 === 0) === oursFirst) {
        await wrk(url, headers, 1);
        await sleep(1000);
      } else {
        await sleep(1000);
        await wrk(url, headers, 1);
      }
    }
  };
  for (const p of LOAD_FEEDS) {
    const rep = await fetchRepresentations(base, p);
    for (const [name, headers] of [
      ['identity 200', []],
      ['304', [['If-None-Match', rep.etag]]],
      ['gzip 200', [['Accept-Encoding', 'gzip']]],
    ] as [string, [string, string][]][]) {
      log(`${p} ${name}`);
      await pair(base + p, headers, true);
    }
  }
  log('idle (the small feed phase)');
  await sleep(45_000);
  log('idle (PostgreSQL twin starts), then identity 200 as its SQLite side');
  await sleep(10_000);
  for (const p of LOAD_FEEDS) await pair(base + p, [], false);
  log('content change');
  const file = path.join(CONTENT_DIR, content.newestEnFile);
  const original = fs.readFileSync(file, 'utf8');
  const newTitle = `${content.newestEnTitle} (bench edit)`;
  fs.writeFileSync(file, original.replace(`title: ${JSON.stringify(content.newestEnTitle)}`, `title: ${JSON.stringify(newTitle)}`));
  try {
    for (let k = 0; k < 600; k++) {
      const r = await httpGet(`${base}/en/feed.rss`).catch(() => null);
      if (r?.status === 200 && r.body.includes(newTitle.replace(/&/g, '&amp;'))) break;
      await sleep(100);
    }
  } finally {
    fs.writeFileSync(file, original);
  }
}

async function main(): Promise<void> {
  const stamp = JSON.parse(fs.readFileSync(path.join(WORK, 'data.stamp.json'), 'utf8')) as Stamp;
  spawnSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], { stdio: 'ignore' });
  const built = await serviceCommand();
  const extra = (process.env.BENCH_SERVICE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const command = { ...built, args: [...extra, ...built.args] };
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const logFile = path.join(WORK, 'websub-service.log');
  if (process.env.BENCH_PROFILE === '1') fs.mkdirSync(path.join(WORK, 'profiles'), { recursive: true });
  const { child } = await startService(command, port, SERVER_CORE, logFile);
  try {
    for (let k = 0; k < 20; k++) await httpGet(`${base}/id/feed.rss`);
    const preload = process.env.BENCH_PRELOAD ?? '';
    if (preload === 'full') await preloadAsFullBench(base, child.pid!, stamp.info.content);
    else if (preload !== '') throw new Error(`BENCH_PRELOAD must be "full" or unset, got ${JSON.stringify(preload)}`);
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
      // For a CPU profile (BENCH_PROFILE=1): its samples between these two times are the measured rounds.
      onRounds: (phase, atMs) => process.stderr.write(`rounds ${phase} at ${atMs.toFixed(0)} ms (CLOCK_MONOTONIC)\n`),
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
