/**
 * What the report says about the machine, and /proc readings: a process's peak RSS, its CPU time, how busy
 * each core was, and how much CPU processes other than the benchmark's used during a measurement (this
 * machine is shared: someone's test run on it disturbs a throughput figure, and the report says so).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

/** Clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const HZ = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

export interface MachineInfo {
  cpuModel: string;
  logicalCpus: number;
  usableCpus: number[];
  memoryGiB: number;
  kernel: string;
  node: string;
  wrk: string | null;
  date: string;
  git: { commit: string | null; dirtyFiles: number };
}

function usableCpus(pid = process.pid): number[] {
  const r = spawnSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' });
  const list = /:\s*([\d,\s-]+)$/.exec(r.stdout?.trim() ?? '')?.[1];
  if (!list) return os.cpus().map((_, i) => i);
  const out: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let i = a; i <= (b ?? a) && i < 4096; i++) out.push(i);
  }
  return out;
}

export function wrkVersion(): string | null {
  const r = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (r.error) return null;
  return /wrk\s+(\S+)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? 'unknown';
}

export function machineInfo(repo: string): MachineInfo {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  const mem = /^MemTotal:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/meminfo', 'utf8'))?.[1];
  const git = (args: string[]) => spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
  const commit = git(['rev-parse', 'HEAD']).stdout?.trim() || null;
  const dirty = (git(['status', '--porcelain', '--', 'src']).stdout ?? '').split('\n').filter(Boolean).length;
  return {
    cpuModel: model,
    logicalCpus: (cpuinfo.match(/^processor\s*:/gm) ?? []).length || os.cpus().length,
    usableCpus: usableCpus(),
    memoryGiB: mem ? Math.round((Number(mem) / 1024 / 1024) * 10) / 10 : Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    wrk: wrkVersion(),
    date: new Date().toISOString(),
    git: { commit, dirtyFiles: dirty },
  };
}

/** VmHWM (peak resident set) and VmRSS of a process, in MB; null when it is gone. */
export function memoryOf(pid: number): { peakMB: number; rssMB: number } | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { peakMB: Math.round(kb('VmHWM') / 102.4) / 10, rssMB: Math.round(kb('VmRSS') / 102.4) / 10 };
  } catch {
    return null;
  }
}

function statFields(pid: number | string): string[] | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces: split after its closing parenthesis.
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU time (user + system) of one process, in ms. */
export function cpuMsOf(pid: number): number | null {
  const f = statFields(pid);
  if (!f) return null;
  return ((Number(f[11]) + Number(f[12])) * 1000) / HZ;
}

export interface CpuSnapshot {
  at: number;
  /** pid -> own + reaped children's ticks; ppid */
  procs: Map<number, { ticks: number; ppid: number }>;
  /** per core: [busy, total, steal] jiffies */
  cores: Map<number, [number, number, number]>;
}

export function cpuSnapshot(): CpuSnapshot {
  const procs = new Map<number, { ticks: number; ppid: number }>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(name);
    if (!f) continue;
    procs.set(Number(name), { ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]), ppid: Number(f[1]) });
  }
  const cores = new Map<number, [number, number, number]>();
  for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+)\s+(.+)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.trim().split(/\s+/).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    cores.set(Number(m[1]), [total - idle, total, v[7] ?? 0]);
  }
  return { at: performance.now(), procs, cores };
}

/** The benchmark's own process tree (this process and all its descendants) in a snapshot. */
function ourTree(s: CpuSnapshot): Set<number> {
  const kids = new Map<number, number[]>();
  for (const [pid, p] of s.procs) {
    const list = kids.get(p.ppid) ?? [];
    list.push(pid);
    kids.set(p.ppid, list);
  }
  const out = new Set<number>();
  const stack = [process.pid];
  for (let guard = 0; stack.length > 0 && guard < 100_000; guard++) {
    const pid = stack.pop()!;
    if (out.has(pid)) continue;
    out.add(pid);
    stack.push(...(kids.get(pid) ?? []));
  }
  return out;
}

export interface CpuWindow {
  ms: number;
  /** CPU used by processes outside the benchmark, as a share of one core over the window (0..n). */
  foreignCoreShare: number;
  foreignTop: { pid: number; ms: number; cmd: string }[];
  /** Busy share of each core over the window. */
  coreBusy: Record<string, number>;
  /** Share of the window the hypervisor ran something else on each virtual core (steal). */
  coreSteal: Record<string, number>;
}

export function cpuWindow(before: CpuSnapshot, after: CpuSnapshot, ourPids: readonly number[] = []): CpuWindow {
  const ms = after.at - before.at;
  const ours = new Set([...ourTree(before), ...ourTree(after), ...ourPids]);
  // The benchmark's ancestors (npm, the tsx launcher) wait on it and do nothing: not foreign work.
  for (let pid = process.ppid, guard = 0; pid > 1 && guard < 20; guard++) {
    ours.add(pid);
    pid = after.procs.get(pid)?.ppid ?? 0;
  }
  const foreign: { pid: number; ms: number }[] = [];
  for (const [pid, p] of after.procs) {
    if (ours.has(pid)) continue;
    const d = ((p.ticks - (before.procs.get(pid)?.ticks ?? 0)) * 1000) / HZ;
    if (d > 0) foreign.push({ pid, ms: d });
  }
  foreign.sort((a, b) => b.ms - a.ms);
  // cutime counts children when reaped, possibly for work done before the window: cap the sum by what the
  // cores were busy with during the window minus what the benchmark's processes used.
  let oursMs = 0;
  for (const pid of ours) {
    const p = after.procs.get(pid);
    if (p) oursMs += ((p.ticks - (before.procs.get(pid)?.ticks ?? 0)) * 1000) / HZ;
  }
  let busyMs = 0;
  for (const [core, [busy]] of after.cores) busyMs += ((busy - (before.cores.get(core)?.[0] ?? busy)) * 1000) / HZ;
  const total = Math.min(foreign.reduce((a, b) => a + b.ms, 0), Math.max(0, busyMs - oursMs));
  const coreBusy: Record<string, number> = {};
  const coreSteal: Record<string, number> = {};
  for (const [core, [busy, tot, steal]] of after.cores) {
    const b0 = before.cores.get(core);
    if (!b0) continue;
    const dt = tot - b0[1];
    coreBusy[`cpu${core}`] = dt > 0 ? Math.round(((busy - b0[0]) / dt) * 1000) / 1000 : 0;
    coreSteal[`cpu${core}`] = dt > 0 ? Math.round(((steal - b0[2]) / dt) * 1000) / 1000 : 0;
  }
  const cmd = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim().slice(0, 80);
    } catch {
      return '?';
    }
  };
  return {
    ms,
    foreignCoreShare: ms > 0 ? Math.round((total / ms) * 1000) / 1000 : 0,
    foreignTop: foreign.slice(0, 3).map((f) => ({ ...f, ms: Math.round(f.ms), cmd: cmd(f.pid) })),
    coreBusy,
    coreSteal,
  };
}

/** Windows merged: shares weighted by duration, the busiest other processes of all. */
export function mergeWindows(ws: readonly CpuWindow[]): CpuWindow {
  const ms = ws.reduce((a, w) => a + w.ms, 0);
  const avg = (pick: (w: CpuWindow) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const w of ws) for (const [k, v] of Object.entries(pick(w))) out[k] = (out[k] ?? 0) + (v * w.ms) / Math.max(1, ms);
    for (const k of Object.keys(out)) out[k] = Math.round(out[k]! * 1000) / 1000;
    return out;
  };
  return {
    ms,
    foreignCoreShare: Math.round((ws.reduce((a, w) => a + w.foreignCoreShare * w.ms, 0) / Math.max(1, ms)) * 1000) / 1000,
    foreignTop: ws.flatMap((w) => w.foreignTop).sort((a, b) => b.ms - a.ms).slice(0, 3),
    coreBusy: avg((w) => w.coreBusy),
    coreSteal: avg((w) => w.coreSteal),
  };
}

/**
 * Waits (at most `maxWaitMs`) until processes outside the benchmark use less than `threshold` of a core over
 * a 1 s window; returns the share seen last. The machine is shared: this keeps someone's test run from
 * landing in a measurement, as far as waiting a little can.
 */
export async function waitForQuiet(maxWaitMs: number, threshold: number): Promise<number> {
  const deadline = performance.now() + maxWaitMs;
  let share = 0;
  for (let i = 0; i < 1000; i++) {
    const a = cpuSnapshot();
    await new Promise((r) => setTimeout(r, 1000));
    share = cpuWindow(a, cpuSnapshot()).foreignCoreShare;
    if (share < threshold || performance.now() > deadline) return share;
  }
  return share;
}
