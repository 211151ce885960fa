/** Runs wrk (pinned to the load-generator core) and reads the JSON line bench/wrk/report.lua prints. */
import path from 'node:path';
import { pinned, runToEnd } from './proc.ts';
import { round } from './stats.ts';
import { cpuMsOf, cpuSnapshot, cpuWindow, mergeWindows, type CpuWindow } from './sys.ts';
import { median } from './stats.ts';

export interface WrkOptions {
  url: string;
  headers: readonly [string, string][];
  connections: number;
  durationS: number;
  core: number | null;
  /** The server under test: its CPU time over the run gives the CPU cost per request. */
  serverPid: number;
  /** Also count the requests started per millisecond (bench/wrk/timeline.lua), to cut parts out of the run. */
  timeline?: boolean;
}

/** Requests wrk started per millisecond from `startMs` (CLOCK_MONOTONIC ms, as `monotonicMs()`). */
export interface WrkTimeline {
  startMs: number;
  perMs: number[];
}

/** Now on the clock of wrk's timeline (CLOCK_MONOTONIC, ms). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Requests started within the given [from, to) spans of a timeline (monotonic ms), and the ms they cover. */
export function countOver(t: WrkTimeline, spans: readonly (readonly [number, number])[]): { requests: number; ms: number } {
  let requests = 0;
  let ms = 0;
  for (const [from, to] of spans) {
    const a = Math.max(0, Math.floor(from - t.startMs));
    const b = Math.min(t.perMs.length, Math.floor(to - t.startMs));
    for (let k = a; k < b; k++) requests += t.perMs[k]!;
    ms += Math.max(0, b - a);
  }
  return { requests, ms };
}

export interface WrkResult {
  requests: number;
  durationS: number;
  rps: number;
  bytesPerResponse: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** CPU time (user + system) the server used over the run, in ms. */
  serverCpuMs: number;
  /** CPU time the server used per response (user + system), in microseconds. */
  serverCpuUsPerResponse: number;
  /** Server CPU time over the run as a share of one core. */
  serverCoreShare: number;
  window: CpuWindow;
  timeline?: WrkTimeline;
}

interface WrkJson {
  requests: number;
  duration_us: number;
  bytes: number;
  errors: WrkResult['errors'];
  latency_us: { p50: number; p90: number; p99: number; max: number; mean: number };
}

const SCRIPT = path.resolve(import.meta.dirname, '../wrk/report.lua');
const TIMELINE_SCRIPT = path.resolve(import.meta.dirname, '../wrk/timeline.lua');

export async function runWrk(o: WrkOptions): Promise<WrkResult> {
  const args = [
    '-t1',
    `-c${o.connections}`,
    `-d${o.durationS}s`,
    '--timeout',
    '5s',
    '-s',
    o.timeline ? TIMELINE_SCRIPT : SCRIPT,
    o.url,
    '--',
    ...o.headers.flatMap(([k, v]) => [k, v]),
  ];
  const [cmd, argv] = pinned(o.core, 'wrk', args);
  const before = cpuSnapshot();
  const cpu0 = cpuMsOf(o.serverPid);
  const r = await runToEnd(cmd, argv, (o.durationS + 30) * 1000);
  const cpu1 = cpuMsOf(o.serverPid);
  const after = cpuSnapshot();
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (r.code !== 0 || !line) throw new Error(`wrk failed (exit ${r.code}): ${r.stderr || r.stdout}`);
  const j = JSON.parse(line.slice('BENCH_JSON '.length)) as WrkJson;
  const durationS = j.duration_us / 1e6;
  const serverCpuMs = cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : Number.NaN;
  const timelineLine = r.stdout.split('\n').find((l) => l.startsWith('BENCH_TIMELINE '));
  if (o.timeline && !timelineLine) throw new Error(`wrk printed no timeline: ${r.stderr || r.stdout}`);
  return {
    requests: j.requests,
    durationS: round(durationS, 3),
    rps: Math.round(j.requests / durationS),
    bytesPerResponse: j.requests > 0 ? Math.round(j.bytes / j.requests) : 0,
    errors: j.errors,
    latencyMs: {
      p50: round(j.latency_us.p50 / 1000, 3),
      p90: round(j.latency_us.p90 / 1000, 3),
      p99: round(j.latency_us.p99 / 1000, 3),
      max: round(j.latency_us.max / 1000, 3),
      mean: round(j.latency_us.mean / 1000, 3),
    },
    serverCpuMs: round(serverCpuMs, 1),
    serverCpuUsPerResponse: j.requests > 0 ? round((serverCpuMs * 1000) / j.requests, 2) : Number.NaN,
    serverCoreShare: round(serverCpuMs / (after.at - before.at), 3),
    window: cpuWindow(before, after),
    ...(timelineLine ? { timeline: JSON.parse(timelineLine.slice('BENCH_TIMELINE '.length)) as WrkTimeline } : {}),
  };
}

/**
 * Several runs against one server as one result: requests and CPU summed, rates over the summed durations,
 * latency percentiles the median of the runs' (max: the largest).
 */
export function combineRuns(runs: readonly WrkResult[]): WrkResult {
  const requests = runs.reduce((a, r) => a + r.requests, 0);
  const durationS = runs.reduce((a, r) => a + r.durationS, 0);
  const cpu = runs.reduce((a, r) => a + r.serverCpuMs, 0);
  const bytes = runs.reduce((a, r) => a + r.bytesPerResponse * r.requests, 0);
  const sum = (k: keyof WrkResult['errors']) => runs.reduce((a, r) => a + r.errors[k], 0);
  const lat = (k: keyof WrkResult['latencyMs']) => round(median(runs.map((r) => r.latencyMs[k])), 3);
  return {
    requests,
    durationS: round(durationS, 3),
    rps: Math.round(requests / durationS),
    bytesPerResponse: requests > 0 ? Math.round(bytes / requests) : 0,
    errors: { connect: sum('connect'), read: sum('read'), write: sum('write'), status: sum('status'), timeout: sum('timeout') },
    latencyMs: { p50: lat('p50'), p90: lat('p90'), p99: lat('p99'), max: Math.max(...runs.map((r) => r.latencyMs.max)), mean: lat('mean') },
    serverCpuMs: round(cpu, 1),
    serverCpuUsPerResponse: requests > 0 ? round((cpu * 1000) / requests, 2) : Number.NaN,
    serverCoreShare: round(cpu / (durationS * 1000), 3),
    window: mergeWindows(runs.map((r) => r.window)),
  };
}
