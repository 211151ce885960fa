import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Target } from './report.ts';
import { sleep } from './proc.ts';
import { LATENCY_SECRET, secretOf, startSubscribers } from './subscribers.ts';
import { quantile, round } from './stats.ts';
import { cpuMsOf, mergeWindows } from './sys.ts';
import { countOver, monotonicMs, runWrk, type WrkResult } from './wrk.ts';

/**
 * The WebSub hub's figures, against the running service (started with WEBSUB_ALLOW_PRIVATE_CALLBACKS=true):
 * - latency: a subscriber of /en/feed.rss, subscribed through POST /websub; the newest English article's title is
 *   edited `edits` times, and each time from the file write (the content watcher's settle included) until the
 *   callback has the new feed;
 * - fan-out (the issue: "one change delivered to 1,000 subscribers on loopback in < 3 s, while the cached-feed
 *   throughput measured at the same time stays >= 0.8 x its figure without fan-out"): `fanOut` more subscribers
 *   of that feed on loopback (written into the store, as the rate limit would take minutes to subscribe them over
 *   HTTP), served by a thread of this process at nice 19 (bench/lib/subscribers.ts), on the load core below wrk,
 *   never on the service's. After a warm-up
 *   change (connections to the subscribers open, as in service) and one with no load (the service's CPU time per
 *   change, and how long its fan-out lasts), `rounds` times: wrk on the cached /id/feed.rss with no change (for the
 *   shares of the cores and the service's CPU per request without changes), then wrk again while changes are made
 *   one at a time, each after a quiet stretch as long as a fan-out (quiet, edit, wait for all `fanOut` deliveries,
 *   300 ms pause); a run lasts `durationS`, or longer when needed for two changes. wrk counts the requests it starts
 *   per millisecond (bench/wrk/timeline.lua; one starts when the previous response on its connection has been
 *   read), so the throughput during fan-out is counted over exactly the fan-out windows (from the first delivery of
 *   a change reaching a subscriber to the last one) and the throughput without fan-out over the quiet stretch just
 *   before each, in the same wrk run, summed over the changes that fell wholly within a run. Paired so, the two
 *   figures are seconds apart on the same connections: this machine's speed drifts by a third from one run to the
 *   next (a virtual machine's neighbours), which separate runs for the two figures measured as much as the fan-out.
 *   The ratio against the separate runs without changes is reported beside it. The delivery time of a change is
 *   from the file write to the last delivery (content reload and render included), as is the throughput over those
 *   longer windows, reported beside it. Core shares over the runs (the service's, other processes') tell whether
 *   the machine was quiet enough for the figures to mean anything.
 * The fixture subscribers stand in for remote machines but share the load core with wrk, so they are kept as
 * cheap as a correct receiver can be (bench/lib/subscribers-thread.ts): bodies are counted, not parsed, and
 * signatures are checked for a sample of the subscribers (1 in SAMPLE_EVERY), not all; a wrong one fails the
 * fan-out target.
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
  /** Pairs of wrk runs, without and during fan-out (default 3). */
  rounds?: number;
  /** Told when the rounds of wrk runs begin and end (monotonicMs, the clock of a CPU profile's timestamps). */
  onRounds?: (phase: 'begin' | 'end', atMs: number) => void;
}

export interface WebSubFigures {
  latency: { edits: number; received: number; p50Ms: number; p99Ms: number; maxMs: number };
  fanOut: {
    subscribers: number;
    changes: number;
    /** Per change: from the file write to the last of the `subscribers` deliveries. */
    allDeliveredMs: number[];
    /** Per change: from the first delivery to the last. */
    fanOutMs: number[];
    /** The changes whose fan-out fell wholly within a wrk run (the throughput windows). */
    measuredChanges: number;
    /** Cached-feed req/s over the quiet stretch just before each measured change, in the same wrk run. */
    rpsWithout: number;
    /** Cached-feed req/s over the fan-out windows (first to last delivery). */
    rpsDuring: number;
    ratio: number;
    /** Cached-feed req/s without any change, over the same part of separate runs as long, and rpsDuring against it. */
    rpsSeparateRuns: number;
    ratioToSeparateRuns: number;
    /** Cached-feed req/s over the windows from the file write to the last delivery (reload and render included). */
    rpsFromWrite: number;
    ratioFromWrite: number;
    /** The service's CPU time for one change (reload, render and fan-out) with no load, in ms. */
    serviceCpuMsPerChange: number | null;
    /** Signatures the fixture subscribers checked (the latency subscriber's, a sample of the fan-out's) and mismatches. */
    signatures: { checked: number; bad: number };
    /**
     * Over the wrk runs without and during changes: the busy share of each core, other processes' share of a core
     * (`foreign`), and the service's own share of its core (`service`).
     */
    cores: { without: Record<string, number>; during: Record<string, number> };
    /**
     * Who used the load core, and how much of its own core the service used, as shares of a core: over the measured
     * part of the runs without changes, and over the changes under load (file write to last delivery). wrk and the
     * fixture subscribers share the load core: when wrk's share falls during the changes by what the subscribers
     * take while the service's share stays below one core, the load generator, not the service, set the figure.
     */
    shares: { without: LoadShares; during: LoadShares };
    /**
     * The service's CPU time per cached-feed request, over the measured part of the runs without changes, and over
     * the changes under load (file write to last delivery: reload, render and fan-out charged to the requests served
     * meanwhile).
     */
    serviceCpuUsPerRequest: { without: number; changes: number };
    /**
     * The service's CPU time per change under load beyond what the requests served meanwhile cost at the rate
     * without changes: reload, render, fan-out, and what they make dearer (garbage collection above all). A CPU
     * time, so when other processes share the service's core it moves far less than the req/s ratio; with
     * BENCH_WRK_DELAY_MS (bench/wrk/timeline.lua) the load comes at about a fixed pace, and the service does about
     * the same work whatever share of its core it gets.
     */
    serviceCpuMsPerChangeUnderLoad: number | null;
  };
}

export interface LoadShares {
  wrk: number;
  subscribers: number;
  service: number;
}

/** wrk's first part, not measured (connections opening); a change starts no earlier. */
const LEAD_MS = 500;
/** Pause between two changes under load. */
const GAP_MS = 300;

/** Every `SAMPLE_EVERY`th fan-out subscriber (one with a secret) has its signature checked; all the others only count. */
const SAMPLE_EVERY = 20;
/** The fixture subscribers' CPU priority (bench/lib/subscribers.ts): below wrk's on the core they share. */
const SUBSCRIBERS_NICE = 19;

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = monotonicMs() + timeoutMs;
  while (!check()) {
    if (monotonicMs() > until) return false;
    await sleep(5);
  }
  return true;
}

/** CPU ms of wrk (this process's child), of this process (the fixture subscribers) and of the service, now. */
interface CpuMark {
  at: number;
  wrk: number;
  subscribers: number;
  service: number;
}

/** The wrk this process started (it runs one at a time), or null before it has started. */
function wrkPid(): number | null {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (comm === 'wrk' && ppid === process.pid) return Number(name);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

function cpuMark(servicePid: number, wrk: number | null): CpuMark {
  const self = process.cpuUsage();
  return {
    at: monotonicMs(),
    wrk: (wrk === null ? null : cpuMsOf(wrk)) ?? 0,
    subscribers: (self.user + self.system) / 1000,
    service: cpuMsOf(servicePid) ?? 0,
  };
}

/** Adds the CPU used between two marks to `into` (ms of wall time and of each party's CPU). */
function addSpan(into: CpuMark, from: CpuMark, to: CpuMark): void {
  into.at += to.at - from.at;
  into.wrk += to.wrk - from.wrk;
  into.subscribers += to.subscribers - from.subscribers;
  into.service += to.service - from.service;
}

function sharesOf(m: CpuMark): LoadShares {
  const share = (ms: number) => (m.at > 0 ? round(ms / m.at, 3) : 0);
  return { wrk: share(m.wrk), subscribers: share(m.subscribers), service: share(m.service) };
}

export async function measureWebSub(i: WebSubBenchInput): Promise<WebSubFigures> {
  const edits = i.edits ?? 20;
  const fanOut = i.fanOut ?? 1000;
  const rounds = i.rounds ?? 3;
  const topic = `${i.base}/en/feed.rss`;
  const original = fs.readFileSync(i.file, 'utf8');
  const titleLine = `title: ${JSON.stringify(i.title)}`;
  if (!original.includes(titleLine)) throw new Error(`websub bench: no line ${titleLine} in ${i.file}`);
  let n = 0;
  /** Writes the next edit and returns its number and when it was written. */
  const edit = (): { n: number; at: number } => {
    n++;
    const at = monotonicMs();
    fs.writeFileSync(i.file, original.replace(titleLine, `title: ${JSON.stringify(`${i.title} (websub edit ${n})`)}`));
    return { n, at };
  };
  const receiver = await startSubscribers({ sampleEvery: SAMPLE_EVERY, nice: SUBSCRIBERS_NICE });
  const db = new Database(path.join(i.dataDir, 'kabar.sqlite'));
  db.pragma('busy_timeout = 5000');
  try {
    const res = await fetch(`${i.base}/websub`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.callback': `${receiver.origin}/latency`, 'hub.secret': LATENCY_SECRET }),
    });
    if (res.status !== 202) throw new Error(`websub bench: subscription answered ${res.status}: ${await res.text()}`);
    const counted = async () => ((await (await fetch(`${i.base}/websub`)).json()) as { topics: { topic: string; subscriptions: number }[] }).topics.find((t) => t.topic === topic)?.subscriptions ?? 0;
    for (let k = 0; k < 200 && (await counted()) === 0; k++) await sleep(25);

    const latencies: number[] = [];
    for (let k = 0; k < edits; k++) {
      const e = edit();
      if (await waitFor(() => receiver.latencyAt(e.n) !== null, 10_000)) latencies.push(receiver.latencyAt(e.n)! - e.at);
      await sleep(300);
    }

    const insert = db.prepare(
      `INSERT OR REPLACE INTO websub_subscriptions (topic, callback, secret, lease_seconds, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    const now = Date.now();
    db.transaction(() => {
      for (let k = 0; k < fanOut; k++) insert.run(topic, `${receiver.origin}/fan/${k}`, secretOf(k), 864_000, now + 864_000_000, now);
    })();
    const fanned = (m: number) => receiver.fanned(m)?.count ?? 0;
    const wrk = (durationS: number) =>
      runWrk({ url: `${i.base}/id/feed.rss`, headers: [], connections: i.connections, core: i.loadCore, serverPid: i.pid, durationS, timeline: true });

    // A warm-up change, so connections to the subscribers are open as they would be in service; then one with no
    // load, for the service's CPU time per change.
    const warm = edit();
    if (!(await waitFor(() => fanned(warm.n) >= fanOut, 30_000))) throw new Error(`websub bench: the warm-up change reached ${fanned(warm.n)} of ${fanOut} subscribers`);
    await sleep(500);
    const cpu0 = cpuMsOf(i.pid);
    const idle = edit();
    const idleOk = await waitFor(() => fanned(idle.n) >= fanOut, 30_000);
    await sleep(50);
    const cpu1 = cpuMsOf(i.pid);
    const serviceCpuMsPerChange = idleOk && cpu0 !== null && cpu1 !== null ? round(cpu1 - cpu0, 0) : null;
    const idleFan = receiver.fanned(idle.n);
    // A quiet stretch as long as a fan-out lasts, then the change: its write, reload, fan-out and the pause after.
    const quietMs = Math.round(idleFan ? idleFan.last - idleFan.first : 2000);
    const cycleMs = quietMs + (idleFan?.last ?? idle.at + 3000) - idle.at + GAP_MS;
    // Each run long enough for two changes at least, however long they take on this machine.
    const runS = Math.max(i.durationS, Math.ceil((LEAD_MS + 100 + 3 * cycleMs + 500) / 1000));
    await sleep(500);

    const allDelivered: number[] = [];
    const fanOutMs: number[] = [];
    const totals = { without: { requests: 0, ms: 0 }, separate: { requests: 0, ms: 0 }, during: { requests: 0, ms: 0 }, fromWrite: { requests: 0, ms: 0 } };
    let measuredChanges = 0;
    const windows: { without: WrkResult[]; during: WrkResult[] } = { without: [], during: [] };
    const add = (into: { requests: number; ms: number }, c: { requests: number; ms: number }) => {
      into.requests += c.requests;
      into.ms += c.ms;
    };
    const spent = { without: { at: 0, wrk: 0, subscribers: 0, service: 0 }, during: { at: 0, wrk: 0, subscribers: 0, service: 0 } };
    /** The service's CPU and the requests wrk started over the same spans: without changes, and over the changes (edit to last delivery). */
    const perRequest = { without: { requests: 0, serviceMs: 0 }, changes: { requests: 0, serviceMs: 0 } };
    /** Waits until wrk has started (its process is there), up to a second. */
    const startedWrk = async (): Promise<number | null> => {
      for (let k = 0; k < 200; k++) {
        const pid = wrkPid();
        if (pid !== null) return pid;
        await sleep(5);
      }
      return null;
    };
    i.onRounds?.('begin', monotonicMs());
    for (let r = 0; r < rounds; r++) {
      const withoutRun = wrk(runS);
      const withoutStart = monotonicMs();
      const quietWrk = await startedWrk();
      await sleep(Math.max(0, withoutStart + LEAD_MS - monotonicMs()));
      const quietFrom = cpuMark(i.pid, quietWrk);
      await sleep(runS * 1000 - LEAD_MS - 300);
      const quietTo = cpuMark(i.pid, quietWrk);
      addSpan(spent.without, quietFrom, quietTo);
      const without = await withoutRun;
      const w = without.timeline!;
      windows.without.push(without);
      perRequest.without.requests += countOver(w, [[quietFrom.at, quietTo.at]]).requests;
      perRequest.without.serviceMs += quietTo.service - quietFrom.service;
      add(totals.separate, countOver(w, [[w.startMs + LEAD_MS, w.startMs + w.perMs.length]]));
      await sleep(300);
      const changes: { quiet: number; write: number; first: number; last: number; from: CpuMark; to: CpuMark }[] = [];
      const runStart = monotonicMs();
      const during = wrk(runS);
      const busyWrk = await startedWrk();
      await sleep(Math.max(0, runStart + LEAD_MS + 100 - monotonicMs()));
      // Another change only when it can be over well before wrk stops.
      while (monotonicMs() + cycleMs * 1.5 < runStart + runS * 1000) {
        const quiet = monotonicMs();
        await sleep(quietMs);
        const from = cpuMark(i.pid, busyWrk);
        const e = edit();
        const ok = await waitFor(() => fanned(e.n) >= fanOut, 30_000);
        const to = cpuMark(i.pid, busyWrk);
        addSpan(spent.during, from, to);
        const f = receiver.fanned(e.n);
        allDelivered.push(ok && f ? f.last - e.at : Infinity);
        if (ok && f) {
          fanOutMs.push(f.last - f.first);
          changes.push({ quiet, write: e.at, first: f.first, last: f.last, from, to });
        }
        await sleep(GAP_MS);
      }
      const duringRun = await during;
      windows.during.push(duringRun);
      const t = duringRun.timeline!;
      const inside = changes.filter((c) => c.quiet >= t.startMs + LEAD_MS && c.last < t.startMs + t.perMs.length);
      measuredChanges += inside.length;
      add(totals.without, countOver(t, inside.map((c) => [c.quiet, c.write] as const)));
      add(totals.during, countOver(t, inside.map((c) => [c.first, c.last] as const)));
      add(totals.fromWrite, countOver(t, inside.map((c) => [c.write, c.last] as const)));
      for (const c of inside) {
        perRequest.changes.requests += countOver(t, [[c.from.at, c.to.at]]).requests;
        perRequest.changes.serviceMs += c.to.service - c.from.service;
      }
      await sleep(300);
    }
    const usPerRequest = (c: { requests: number; serviceMs: number }) => (c.requests > 0 ? round((c.serviceMs * 1000) / c.requests, 2) : Number.NaN);
    i.onRounds?.('end', monotonicMs());
    const rps = (c: { requests: number; ms: number }) => (c.ms > 0 ? Math.round((c.requests * 1000) / c.ms) : 0);
    const rpsWithout = rps(totals.without);
    const rpsSeparateRuns = rps(totals.separate);
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
        fanOutMs: fanOutMs.map((ms) => round(ms, 0)),
        measuredChanges,
        rpsWithout,
        rpsDuring: rps(totals.during),
        ratio: round(rps(totals.during) / rpsWithout, 2),
        rpsSeparateRuns,
        ratioToSeparateRuns: round(rps(totals.during) / rpsSeparateRuns, 2),
        rpsFromWrite: rps(totals.fromWrite),
        ratioFromWrite: round(rps(totals.fromWrite) / rpsWithout, 2),
        serviceCpuMsPerChange,
        signatures: receiver.signatures(),
        cores: { without: coreShares(windows.without), during: coreShares(windows.during) },
        shares: { without: sharesOf(spent.without), during: sharesOf(spent.during) },
        serviceCpuUsPerRequest: { without: usPerRequest(perRequest.without), changes: usPerRequest(perRequest.changes) },
        serviceCpuMsPerChangeUnderLoad:
          measuredChanges > 0 ? round((perRequest.changes.serviceMs - (perRequest.changes.requests * usPerRequest(perRequest.without)) / 1000) / measuredChanges, 0) : null,
      },
    };
  } finally {
    db.prepare(`DELETE FROM websub_subscriptions WHERE topic = ?`).run(topic);
    db.close();
    fs.writeFileSync(i.file, original);
    await receiver.close();
  }
}

function coreShares(runs: WrkResult[]): Record<string, number> {
  const m = mergeWindows(runs.map((r) => r.window));
  const service = runs.reduce((a, r) => a + r.serverCpuMs, 0) / Math.max(1, m.ms);
  return { ...m.coreBusy, foreign: m.foreignCoreShare, service: round(service, 3) };
}

export function webSubTargets(f: WebSubFigures): Target[] {
  const worst = Math.max(...f.fanOut.allDeliveredMs);
  const s = f.fanOut.shares;
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
      measured:
        `worst ${worst} ms over ${f.fanOut.changes} changes (${f.fanOut.allDeliveredMs.join(', ')} ms); ` +
        `signatures checked by the subscribers: ${f.fanOut.signatures.checked}, ${f.fanOut.signatures.bad} wrong`,
      met: f.fanOut.changes > 0 && worst < 3000 && f.fanOut.signatures.checked > 0 && f.fanOut.signatures.bad === 0,
    },
    {
      name: 'Cached feed throughput during WebSub fan-out (first to last delivery of each change), /id/feed.rss',
      target: '≥ 0.8 × without fan-out',
      measured:
        `${f.fanOut.ratio} (${f.fanOut.rpsDuring.toLocaleString('en-US')} vs ${f.fanOut.rpsWithout.toLocaleString('en-US')} req/s in the quiet stretch before each, over ${f.fanOut.measuredChanges} fan-outs of ` +
        `${f.fanOut.fanOutMs.join(', ')} ms); against separate runs without changes: ${f.fanOut.ratioToSeparateRuns} (${f.fanOut.rpsSeparateRuns.toLocaleString('en-US')} req/s); ` +
        `from the file write, reload and render included: ${f.fanOut.ratioFromWrite} (${f.fanOut.rpsFromWrite.toLocaleString('en-US')} req/s); ` +
        `service CPU per change with no load: ${f.fanOut.serviceCpuMsPerChange ?? '?'} ms, under load ${f.fanOut.serviceCpuMsPerChangeUnderLoad ?? '?'} ms beyond its requests; ` +
        // Whether the service or the load core set the ratio: a service below a full core during the changes waited for wrk.
        `shares of a core without / during changes: service ${s.without.service} / ${s.during.service}, wrk ${s.without.wrk} / ${s.during.wrk}, subscribers ${s.during.subscribers}`,
      met: f.fanOut.measuredChanges > 0 && f.fanOut.ratio >= 0.8,
    },
  ];
}
