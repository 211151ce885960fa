import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Target } from './report.ts';
import { sleep } from './proc.ts';
import { quantile, round } from './stats.ts';
import { runWrk } from './wrk.ts';

/**
 * The WebSub hub's figures, against the running service (started with WEBSUB_ALLOW_PRIVATE_CALLBACKS=true):
 * - latency: a subscriber of /en/feed.rss, subscribed through POST /websub; the newest English article's title is
 *   edited `edits` times, and each time from the file write (the content watcher's settle included) until the
 *   callback has the new feed;
 * - fan-out: `fanOut` more subscribers of that feed on loopback (written into the store, as the rate limit would
 *   take minutes to subscribe them over HTTP), then the cached-feed throughput of /id/feed.rss (wrk) without
 *   deliveries, and again while edits are fanned out back to back; each fan-out from write to the last delivery.
 */

export interface WebSubBenchInput {
  /** The service's origin, which is also its BASE_URL. */
  base: string;
  pid: number;
  dataDir: string;
  /** The article file to edit and the title it has. */
  file: string;
  title: string;
  loadCore: number | null;
  connections: number;
  durationS: number;
  edits?: number;
  fanOut?: number;
}

export interface WebSubFigures {
  latency: { edits: number; received: number; p50Ms: number; p99Ms: number; maxMs: number };
  fanOut: {
    subscribers: number;
    changes: number;
    /** Per change: from the file write to the last of the `subscribers` deliveries. */
    allDeliveredMs: number[];
    rpsWithout: number;
    rpsDuring: number;
    ratio: number;
  };
}

interface Receiver {
  origin: string;
  /** Arrival times (performance.now) per path and edit number. */
  arrivals: Map<number, Map<string, number>>;
  close(): Promise<void>;
}

const MARK = /\(websub edit (\d+)\)/;

async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<number, Map<string, number>>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    if (req.method === 'GET') {
      res.end(url.searchParams.get('hub.challenge') ?? '');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const m = MARK.exec(Buffer.concat(chunks).toString('utf8'));
      if (m) {
        const n = Number(m[1]);
        let byPath = arrivals.get(n);
        if (!byPath) arrivals.set(n, (byPath = new Map<string, number>()));
        if (!byPath.has(url.pathname)) byPath.set(url.pathname, at);
      }
      res.writeHead(204);
      res.end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > until) return false;
    await sleep(5);
  }
  return true;
}

export async function measureWebSub(i: WebSubBenchInput): Promise<WebSubFigures> {
  const edits = i.edits ?? 20;
  const fanOut = i.fanOut ?? 1000;
  const topic = `${i.base}/en/feed.rss`;
  const original = fs.readFileSync(i.file, 'utf8');
  const titleLine = `title: ${JSON.stringify(i.title)}`;
  if (!original.includes(titleLine)) throw new Error(`websub bench: no line ${titleLine} in ${i.file}`);
  let n = 0;
  /** Writes the next edit and returns its number and when it was written. */
  const edit = (): { n: number; at: number } => {
    n++;
    const at = performance.now();
    fs.writeFileSync(i.file, original.replace(titleLine, `title: ${JSON.stringify(`${i.title} (websub edit ${n})`)}`));
    return { n, at };
  };
  const receiver = await startReceiver();
  const db = new Database(path.join(i.dataDir, 'kabar.sqlite'));
  db.pragma('busy_timeout = 5000');
  try {
    const res = await fetch(`${i.base}/websub`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.callback': `${receiver.origin}/latency`, 'hub.secret': 'bench' }),
    });
    if (res.status !== 202) throw new Error(`websub bench: subscription answered ${res.status}: ${await res.text()}`);
    const counted = async () => ((await (await fetch(`${i.base}/websub`)).json()) as { topics: { topic: string; subscriptions: number }[] }).topics.find((t) => t.topic === topic)?.subscriptions ?? 0;
    for (let k = 0; k < 200 && (await counted()) === 0; k++) await sleep(25);

    const latencies: number[] = [];
    for (let k = 0; k < edits; k++) {
      const e = edit();
      if (await waitFor(() => receiver.arrivals.get(e.n)?.has('/latency') ?? false, 10_000)) latencies.push(receiver.arrivals.get(e.n)!.get('/latency')! - e.at);
      await sleep(300);
    }

    const insert = db.prepare(
      `INSERT OR REPLACE INTO websub_subscriptions (topic, callback, secret, lease_seconds, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const now = Date.now();
    db.transaction(() => {
      for (let k = 0; k < fanOut; k++) insert.run(topic, `${receiver.origin}/fan/${k}`, k % 2 === 0 ? `secret-${k}` : null, 864_000, now + 864_000_000, now);
    })();
    const fanned = (m: number) => [...(receiver.arrivals.get(m)?.keys() ?? [])].filter((p) => p.startsWith('/fan/')).length;
    const wrk = (durationS: number) =>
      runWrk({ url: `${i.base}/id/feed.rss`, headers: [], connections: i.connections, core: i.loadCore, serverPid: i.pid, durationS });

    // One warm-up change, so connections to the subscribers are open as they would be in service.
    const warm = edit();
    await waitFor(() => fanned(warm.n) >= fanOut, 30_000);
    await sleep(500);
    const without = await wrk(i.durationS);
    const allDelivered: number[] = [];
    let running = true;
    const changes = (async () => {
      await sleep(200);
      while (running) {
        const e = edit();
        const ok = await waitFor(() => fanned(e.n) >= fanOut, 30_000);
        allDelivered.push(ok ? performance.now() - e.at : Infinity);
        await sleep(300);
      }
    })();
    const during = await wrk(i.durationS);
    running = false;
    await changes;
    return {
      latency: {
        edits,
        received: latencies.length,
        p50Ms: round(quantile(latencies, 0.5), 0),
        p99Ms: latencies.length < edits ? Infinity : round(quantile(latencies, 0.99), 0),
        maxMs: round(Math.max(...latencies), 0),
      },
      fanOut: {
        subscribers: fanOut,
        changes: allDelivered.length,
        allDeliveredMs: allDelivered.map((ms) => round(ms, 0)),
        rpsWithout: without.rps,
        rpsDuring: during.rps,
        ratio: round(during.rps / without.rps, 2),
      },
    };
  } finally {
    db.prepare(`DELETE FROM websub_subscriptions WHERE topic = ?`).run(topic);
    db.close();
    fs.writeFileSync(i.file, original);
    await receiver.close();
  }
}

export function webSubTargets(f: WebSubFigures): Target[] {
  const worst = Math.max(...f.fanOut.allDeliveredMs);
  return [
    {
      name: `WebSub: a content edit reaches a subscriber as the new feed, from the file write (${f.latency.edits} edits)`,
      target: 'p99 < 1 s',
      measured: `p99 ${f.latency.p99Ms} ms, p50 ${f.latency.p50Ms} ms (${f.latency.received}/${f.latency.edits} received)`,
      met: f.latency.p99Ms < 1000,
    },
    {
      name: `WebSub fan-out of one change to ${f.fanOut.subscribers.toLocaleString('en-US')} loopback subscribers, from the file write`,
      target: '< 3 s',
      measured: `worst ${worst} ms over ${f.fanOut.changes} changes (${f.fanOut.allDeliveredMs.join(', ')} ms)`,
      met: f.fanOut.changes > 0 && worst < 3000,
    },
    {
      name: 'Cached feed throughput during WebSub fan-out, /id/feed.rss',
      target: '≥ 0.8 × without fan-out',
      measured: `${f.fanOut.ratio} (${f.fanOut.rpsDuring.toLocaleString('en-US')} vs ${f.fanOut.rpsWithout.toLocaleString('en-US')} req/s)`,
      met: f.fanOut.ratio >= 0.8,
    },
  ];
}
