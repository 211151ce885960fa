/**
 * A small feed (the repository's content: one article, about 5 KB of RSS, 2 KB gzipped) and its 304, asked as an
 * aggregator asks (a User-Agent with a subscriber count, `Accept-Encoding: gzip`), against bare node:http sending
 * the same bytes and headers: where the per-request cost is not hidden by sending bytes. The figure is the server's
 * CPU time per response (user + system from /proc over the run ÷ responses), ours against bare's: ratio = bare ÷
 * ours (1 is bare's cost). Reader counting (src/stats) is on, as in production, and the service is built and
 * started as `npm start` does it (bench/run.ts serviceCommand), as the rest of the benchmark runs it.
 * A second bare server, measured in the same rounds, is the control: bare ÷ bare is 1 on a quiet machine, and how far
 * it strays is how far the ratio can stray for reasons that are not ours (on the shared 2-core machine, the medians
 * of two identical bare servers came out 0.87 to 1.03 apart, against a goal of 0.95).
 * Run alone: `npx tsx bench/small-feed-only.ts` (prints JSON); bench/run.ts calls measureSmallFeed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, httpGet, pinned, spawnTracked, stopChild, waitForLine, type HttpResult } from './proc.ts';
import { median, round } from './stats.ts';
import { runWrk, type WrkResult } from './wrk.ts';
import type { BareRoute } from '../servers/bare.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
export const SMALL_FEED = '/id/feed.rss';
export const AGGREGATOR_HEADERS: [string, string][] = [
  ['User-Agent', 'Feedly/1.0 (+http://www.feedly.com/fetcher.html; 462 subscribers; )'],
  ['Accept-Encoding', 'gzip'],
  ['Accept', 'application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8'],
];

export interface SmallFeedCase {
  case: '200 gzip' | '304';
  bytes: number;
  ours: { rps: number; cpuUsPerResponse: number };
  bare: { rps: number; cpuUsPerResponse: number };
  /** Bare CPU per response ÷ ours, median of the rounds. */
  ratio: number;
  roundRatios: number[];
  /** The control: bare's CPU per response ÷ a second, identical bare server's, median of the same rounds. */
  control: { cpuUsPerResponse: number; ratio: number; roundRatios: number[] };
}

const HOP = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const endToEnd = (r: HttpResult) => {
  const out: string[] = [];
  for (let i = 0; i + 1 < r.rawHeaders.length; i += 2) if (!HOP.has(r.rawHeaders[i]!.toLowerCase())) out.push(r.rawHeaders[i]!, r.rawHeaders[i + 1]!);
  return out;
};

export async function measureSmallFeed(o: { serverCore: number | null; loadCore: number | null; connections: number; sliceS: number; rounds: number; warmupS: number; serviceArgs: string[] }): Promise<SmallFeedCase[]> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-bench-small-'));
  const content = path.join(work, 'content');
  fs.cpSync(path.join(REPO, 'content'), content, { recursive: true });
  fs.rmSync(path.join(content, 'sources.yaml'), { force: true });
  const port = await freePort();
  // The service as `npm start` runs it (`serviceArgs`: bench/run.ts serviceCommand), not through tsx.
  const [cmd, argv] = pinned(o.serverCore, process.execPath, o.serviceArgs);
  const ours = spawnTracked(cmd, argv, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', CONTENT_DIR: content, DATA_DIR: path.join(work, 'data'), INGEST: 'off', LOG_LEVEL: 'info' },
  });
  let bare: ReturnType<typeof spawnTracked> | null = null;
  let control: ReturnType<typeof spawnTracked> | null = null;
  try {
    await waitForLine(ours, /"msg":"listening"/, 60_000);
    ours.stdout?.resume();
    const base = `http://127.0.0.1:${port}`;
    const h = Object.fromEntries(AGGREGATOR_HEADERS.map(([k, v]) => [k.toLowerCase(), v]));
    const gzip = await httpGet(base + SMALL_FEED, h);
    const etag = gzip.headers.etag!;
    const notModified = await httpGet(base + SMALL_FEED, { ...h, 'if-none-match': etag });
    if (gzip.headers['content-encoding'] !== 'gzip' || notModified.status !== 304) throw new Error('small feed: expected a gzip 200 and a 304');
    const gzipFile = path.join(work, 'feed.gz');
    fs.writeFileSync(gzipFile, gzip.body);
    // Bare answers If-None-Match of the gzip ETag with our 304's headers, else our gzip 200.
    const route: BareRoute = { etag, identityHeaders: endToEnd(gzip), identityFile: gzipFile, gzipHeaders: endToEnd(gzip), gzipFile, notModifiedHeaders: endToEnd(notModified) };
    const routesFile = path.join(work, 'routes.json');
    fs.writeFileSync(routesFile, JSON.stringify({ routes: { [SMALL_FEED]: route } }));
    const [bcmd, bargv] = pinned(o.serverCore, process.execPath, ['--import', 'tsx', 'bench/servers/bare.ts', routesFile]);
    bare = spawnTracked(bcmd, bargv, { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
    const bport = Number((await waitForLine(bare, /LISTENING (\d+)/, 30_000))[1]);
    control = spawnTracked(bcmd, bargv, { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
    const cport = Number((await waitForLine(control, /LISTENING (\d+)/, 30_000))[1]);
    const servers = {
      ours: { base, pid: ours.pid! },
      bare: { base: `http://127.0.0.1:${bport}`, pid: bare.pid! },
      control: { base: `http://127.0.0.1:${cport}`, pid: control.pid! },
    };
    const out: SmallFeedCase[] = [];
    for (const c of [
      { name: '200 gzip' as const, headers: AGGREGATOR_HEADERS, bytes: gzip.body.length },
      { name: '304' as const, headers: [...AGGREGATOR_HEADERS, ['If-None-Match', etag] as [string, string]], bytes: 0 },
    ]) {
      const run = (t: { base: string; pid: number }, durationS: number) =>
        runWrk({ url: t.base + SMALL_FEED, headers: c.headers, connections: o.connections, durationS, core: o.loadCore, serverPid: t.pid });
      if (o.warmupS > 0) {
        await run(servers.ours, o.warmupS);
        await run(servers.bare, o.warmupS);
        await run(servers.control, o.warmupS);
      }
      const a: WrkResult[] = [];
      const b: WrkResult[] = [];
      const k: WrkResult[] = [];
      const slots = [
        { target: servers.ours, into: a },
        { target: servers.bare, into: b },
        { target: servers.control, into: k },
      ];
      for (let i = 0; i < o.rounds; i++) {
        // Rotate which goes first, so drifts of the machine hit all three alike.
        for (let j = 0; j < slots.length; j++) {
          const slot = slots[(i + j) % slots.length]!;
          slot.into.push(await run(slot.target, o.sliceS));
        }
      }
      const roundRatios = a.map((x, i) => round(b[i]!.serverCpuUsPerResponse / x.serverCpuUsPerResponse, 3));
      const controlRatios = k.map((x, i) => round(b[i]!.serverCpuUsPerResponse / x.serverCpuUsPerResponse, 3));
      out.push({
        case: c.name,
        bytes: c.bytes,
        ours: { rps: round(median(a.map((x) => x.rps)), 0), cpuUsPerResponse: round(median(a.map((x) => x.serverCpuUsPerResponse)), 2) },
        bare: { rps: round(median(b.map((x) => x.rps)), 0), cpuUsPerResponse: round(median(b.map((x) => x.serverCpuUsPerResponse)), 2) },
        ratio: round(median(roundRatios), 3),
        roundRatios,
        control: { cpuUsPerResponse: round(median(k.map((x) => x.serverCpuUsPerResponse)), 2), ratio: round(median(controlRatios), 3), roundRatios: controlRatios },
      });
    }
    return out;
  } finally {
    if (control) await stopChild(control, 5000);
    if (bare) await stopChild(bare, 5000);
    await stopChild(ours, 10_000);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

