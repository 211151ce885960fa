/**
 * `npx tsx bench/rss-only.ts [seconds per case]`: the service's peak RSS under the load of `npm run bench`,
 * alone. Builds and starts the service as bench/run.ts does (on bench/.work's 100k store), waits until relations
 * are current, idles 3 s, resets VmHWM (/proc/<pid>/clear_refs "5"), runs wrk on each load feed and case
 * (identity 200, 304, gzip 200), then prints VmHWM / VmRSS, the server CPU per response of each case, and the
 * heap spaces from /metrics at rest and after the load. No bare server: this measures the service alone.
 * For A/B runs: RSS_ONLY_MAIN (a bundle to run instead of building this checkout's) and RSS_ONLY_DATA (a DATA_DIR
 * instead of bench/.work/data-100k: a copy, as the service rewrites its content cache when its format differs).
 */
import fs from 'node:fs';
import path from 'node:path';
import { freePort, httpGet, installCleanup, stopChild } from './lib/proc.ts';
import { memoryOf } from './lib/sys.ts';
import { runWrk } from './lib/wrk.ts';
import { fetchRepresentations, LOAD_FEEDS, serviceCommand, startService, WORK } from './run.ts';

const seconds = Number(process.argv[2] ?? 4);
const CASES: [string, (etag: string) => [string, string][]][] = [
  ['identity 200', () => []],
  ['304', (etag) => [['If-None-Match', etag]]],
  ['gzip 200', () => [['Accept-Encoding', 'gzip']]],
];

async function heapLines(base: string): Promise<string> {
  const m = await httpGet(`${base}/metrics`, {}, 10_000);
  return m.body
    .toString('utf8')
    .split('\n')
    .filter((l) => /^nodejs_(heap_space_size_used_bytes|heap_size_used_bytes|external_memory_bytes)|^process_resident/.test(l))
    .map((l) => l.replace(/(\d+)$/, (n) => `${(Number(n) / 1048576).toFixed(1)} MB`))
    .join('\n');
}

async function main(): Promise<void> {
  installCleanup();
  const built = await serviceCommand();
  const main = process.env.RSS_ONLY_MAIN;
  const command = main ? { ...built, args: [...built.args.slice(0, -1), main] } : built;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const service = await startService(command, port, null, path.join(WORK, 'service-rss.log'), process.env.RSS_ONLY_DATA ? { DATA_DIR: process.env.RSS_ONLY_DATA } : {});
  const pid = service.child.pid!;
  try {
    console.log(`200 after ${service.startup.spawnToFirst200Ms} ms, relations current after ${service.startup.spawnToRelationsCurrentMs} ms`);
    await new Promise((r) => setTimeout(r, 3000));
    const rest = memoryOf(pid);
    console.log(`at rest: VmHWM ${rest?.peakMB} MB, VmRSS ${rest?.rssMB} MB\n${await heapLines(base)}`);
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    for (const p of LOAD_FEEDS) {
      const rep = await fetchRepresentations(base, p);
      for (const [name, headers] of CASES) {
        const w = await runWrk({ url: base + p, headers: headers(rep.etag), connections: 50, core: null, serverPid: pid, durationS: seconds });
        const m = memoryOf(pid);
        console.log(`${p} ${name}: ${w.rps} req/s, ${((w.serverCpuMs * 1000) / w.requests).toFixed(1)} µs CPU/response; VmHWM ${m?.peakMB} MB, VmRSS ${m?.rssMB} MB`);
      }
    }
    const end = memoryOf(pid);
    console.log(`after load: VmHWM ${end?.peakMB} MB, VmRSS ${end?.rssMB} MB\n${await heapLines(base)}`);
  } finally {
    await stopChild(service.child, 15_000);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`rss-only failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
