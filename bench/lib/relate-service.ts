/**
 * Issue 14 in `npm run bench`: its figures (relating one new item, a full re-relate in process, and the same
 * re-relate in the background of the running service while it serves a cached feed), their targets and their
 * section of the report. bench/run.ts measures them (measureRelateInService); bench/workers/relate.ts runs the
 * in-process part.
 */
import fs from 'node:fs';
import type { RelateBenchResult, RelateWorldInfo } from './relate.ts';
import type { Target } from './report.ts';
import { round } from './stats.ts';
import type { WrkResult } from './wrk.ts';

/** What the service logs once a pass has related the stored items (src/ingest/relate-all.ts). */
export const PASS_DONE_MSG = 'stored items related to the changed articles';
/** What the service logs when its relating worker thread starts, with the thread's kernel id (src/ingest/relate-thread.ts). */
export const WORKER_STARTED_MSG = 'relating worker started';

/** The relating worker's thread, from the service's log: its kernel id and nice value (null: not started yet). */
export function workerStarted(logFile: string): { tid: number; nice: number | null } | null {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(WORKER_STARTED_MSG)) continue;
    try {
      const j = JSON.parse(line) as { msg?: string; tid?: unknown; nice?: unknown };
      if (j.msg === WORKER_STARTED_MSG && typeof j.tid === 'number') return { tid: j.tid, nice: typeof j.nice === 'number' ? j.nice : null };
    } catch {
      // not a log line
    }
  }
  return null;
}

/** The store's meta key saying what the stored relations were computed from (src/ingest/relate-all.ts). */
export const RELATED_BY_KEY = 'relate-rules';

export interface PassLog {
  /** Epoch ms of the log line. */
  time: number;
  /** The pass's own duration, from its start to the log line. */
  ms: number;
  indexed: number;
  relatedAgain: number;
  touched: number;
  /** Batches between which the event loop ran (absent from the log of code before 36f1c0d). */
  batches: number | null;
  /** Where the batches ran: 'worker' (the relating worker thread) or 'event loop' (absent before the worker). */
  in: string | null;
}

/** The last "stored items related to the changed articles" line of a service log, if any. */
export function passDone(logFile: string): PassLog | null {
  let found: PassLog | null = null;
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(PASS_DONE_MSG)) continue;
    try {
      const j = JSON.parse(line) as { msg?: string; time?: number; ms?: number; indexed?: number; related_again?: number; touched?: number; batches?: number; in?: string };
      if (j.msg === PASS_DONE_MSG && typeof j.time === 'number') {
        found = {
          time: j.time,
          ms: j.ms ?? Number.NaN,
          indexed: j.indexed ?? Number.NaN,
          relatedAgain: j.related_again ?? Number.NaN,
          touched: j.touched ?? Number.NaN,
          batches: j.batches ?? null,
          in: j.in ?? null,
        };
      }
    } catch {
      // not a log line
    }
  }
  return found;
}

/** Milliseconds of the spans (epoch ms) that fall within [from, to). */
export function overlapMs(spans: readonly (readonly [number, number])[], from: number, to: number): number {
  return spans.reduce((s, [a, b]) => s + Math.max(0, Math.min(b, to) - Math.max(a, from)), 0);
}

export interface RelateServiceFigures {
  world: RelateWorldInfo & { generated: boolean };
  feed: string;
  /** The first start on the new world: every article indexed and every item related (null: world reused). */
  firstIndexing: { spawnToRelationsCurrentMs: number | null; pass: PassLog | null } | null;
  /** The measured start after the store's 'relate-rules' was changed: every item related again, nothing indexed. */
  reRelate: {
    spawnToFirst200Ms: number | null;
    pass: PassLog;
    /** From spawning the service to the pass's log line, less the time it was stopped for the bare slices. */
    runningMsFromSpawn: number;
    /** The service's own ms for the pass, less the time it was stopped for the bare slices. */
    passRunningMs: number;
    /** The bare server's slices, during which the service was stopped (SIGSTOP), in total. */
    stoppedMs: number;
    /** Service CPU time from its spawn to the end of the pass (start-up and serving included). */
    serviceCpuMs: number | null;
    /** The service's slices under load that ended before the pass did, against the bare server's slices. */
    during: { ours: WrkResult; bare: WrkResult; ratio: number; roundRatios: number[] } | null;
    /** Once the pass was over: ours and bare as the cached-feed cases measure them. */
    after: { ours: WrkResult; bare: WrkResult; ratio: number; roundRatios: number[] };
    peakMB: number | null;
    /** The relating worker thread (null: the pass ran on the event loop) and the core the bench moved it to. */
    worker: { tid: number; nice: number | null; core: number | null } | null;
  };
}

export interface RelateFigures {
  /** Null: not measured (bench/relate-service-only.ts without --in-process). */
  inProcess: RelateBenchResult | null;
  service: RelateServiceFigures | null;
}

const s1 = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function relateTargets(r: RelateFigures, disturbed: (phase: string) => boolean): Target[] {
  const p = r.inProcess;
  const out: Target[] = [];
  if (p) {
    out.push(
      {
        name: `Relating by content: one new item at ${p.articles.toLocaleString('en-US')} articles`,
        target: 'mean < 1 ms',
        measured: `mean ${round(p.perItemMs.mean, 3)} ms, p99 ${round(p.perItemMs.p99, 2)} ms (${Math.round(p.perItemMs.relatedShare * 100)}% of items related to an article)`,
        met: p.perItemMs.mean < 1,
        disturbed: disturbed(RELATE_PHASES.inProcess),
      },
      {
        name: `Full re-relate of ${p.items.toLocaleString('en-US')} items (in process, batches of ${p.fullRelate.batch.toLocaleString('en-US')})`,
        target: '< 30 s',
        measured:
          `${s1(p.fullRelate.ms)} (CPU ${s1(p.fullRelate.cpuMs)}; index of ${p.articles.toLocaleString('en-US')} articles built in ${s1(p.indexMs)}, CPU ${s1(p.indexCpuMs)}; ` +
          `RSS ${Math.round(p.rssMb.afterIndex)} MB after indexing, ${Math.round(p.rssMb.afterFullRelate)} MB after the re-relate)`,
        met: p.fullRelate.ms < 30_000,
        disturbed: disturbed(RELATE_PHASES.inProcess),
      },
    );
  }
  const s = r.service;
  if (s) {
    const x = s.reRelate;
    const during = x.during;
    const ratioOk = during !== null && during.ratio >= 0.95 * x.after.ratio;
    out.push({
      name: `Full re-relate of ${s.world.items.toLocaleString('en-US')} items in the background in the service (cached ${s.feed} under load meanwhile)`,
      target: '< 30 s, cached-feed ratio during ≥ 0.95 × after',
      measured:
        `${s1(x.runningMsFromSpawn)} from spawn (the pass itself ${s1(x.passRunningMs)}); ratio during ${during ? round(during.ratio, 3) : '– (no slice ended before the pass)'} ` +
        `vs after ${round(x.after.ratio, 2)} (${during ? `${during.ours.rps.toLocaleString('en-US')} vs ${x.after.ours.rps.toLocaleString('en-US')} req/s; p99 ${during.ours.latencyMs.p99} vs ${x.after.ours.latencyMs.p99} ms` : '–'}): ` +
        `${x.runningMsFromSpawn < 30_000 ? 'time met' : 'time not met'}, ${ratioOk ? 'ratio met' : 'ratio not met'}`,
      met: x.runningMsFromSpawn < 30_000 && ratioOk,
      disturbed: disturbed(RELATE_PHASES.service),
    });
  }
  return out;
}

export const RELATE_PHASES = { inProcess: 'relate worker', service: 'relate in the service' } as const;

const fmt = (n: number | null | undefined, digits = 1): string =>
  n === null || n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

/** The report's section on relating by content. */
export function relateMarkdown(r: RelateFigures): string[] {
  const p = r.inProcess;
  const out: string[] = ['## Relating by content (issue 14)', ''];
  if (p) out.push(
    `In process (bench/workers/relate.ts, pinned to the service core; bench/lib/relate.ts): ${fmt(p.articles, 0)} generated articles in two languages ` +
      `indexed in the store's article index, ${fmt(p.items, 0)} stored items. One new item related at a time (what a poll pays per item), then every stored ` +
      `item related again in batches of ${fmt(p.fullRelate.batch, 0)} (RELATE_BATCH, the most a service's batch holds; what a first start or a new analysis pays), with nothing else running between batches.`,
    '',
    `| Measure | Value |`,
    `| --- | --- |`,
    `| Index built (analysis and FTS5 of every article) | ${fmt(p.indexMs / 1000)} s (CPU ${fmt(p.indexCpuMs / 1000)} s) |`,
    `| One new item: mean / p99 | ${fmt(p.perItemMs.mean, 3)} / ${fmt(p.perItemMs.p99, 3)} ms (${fmt(p.perItemMs.relatedShare * 100, 0)}% related) |`,
    `| Full re-relate of ${fmt(p.items, 0)} items (relations written from none) | ${fmt(p.fullRelate.ms / 1000)} s (CPU ${fmt(p.fullRelate.cpuMs / 1000)} s; ${fmt(p.fullRelate.relations, 0)} relations) |`,
    `| RSS after indexing / after the re-relate | ${fmt(p.rssMb.afterIndex, 0)} / ${fmt(p.rssMb.afterFullRelate, 0)} MB |`,
    `| Store size | ${fmt(p.dbMb, 0)} MB |`,
    '',
  );
  const s = r.service;
  if (!s) return out;
  const x = s.reRelate;
  out.push(
    `In the service (built as \`npm start\` builds it, RELATE_BY_CONTENT=on, pinned to the service core): the same world written as content files ` +
      `(${fmt(s.world.files, 0)} files) and a store of ${fmt(s.world.items, 0)} unrelated items${s.world.generated ? '' : ' (reused from an earlier run)'}. ` +
      `${s.firstIndexing ? `Its first start indexed every article and related every item: ${fmt((s.firstIndexing.spawnToRelationsCurrentMs ?? Number.NaN) / 1000)} s from spawn to \`kabar_relations_current 1\` (the pass's own ${fmt((s.firstIndexing.pass?.ms ?? Number.NaN) / 1000)} s; not the target). ` : ''}` +
      `Then the store's meta '${RELATED_BY_KEY}' is set to something else and the service started again: every item is related again to every article, nothing indexed ` +
      `(its log: indexed ${fmt(x.pass.indexed, 0)}, related_again ${fmt(x.pass.relatedAgain, 0)}, touched ${fmt(x.pass.touched, 0)}, in ${fmt(x.pass.batches, 0)} batches). ` +
      `While the pass runs, wrk loads ${s.feed} (identity 200) in ${fmt(x.during?.roundRatios.length ?? 0, 0)} slices, each followed by a slice of the bare node:http server ` +
      'with the service stopped (SIGSTOP), so that the reference is not slowed by the pass and the pass does not advance meanwhile; the times below leave those stops out. ' +
      `${x.worker ? `The pass ran in the service's relating worker thread (nice ${fmt(x.worker.nice, 0)}), which the benchmark moved to ${x.worker.core === null ? 'no core of its own' : `core ${x.worker.core}, beside wrk (a spare core, as a machine with more than the one core serving has; there it takes what wrk leaves)`}. ` : `The pass ran on the service's event loop (${x.pass.in ?? 'no relating worker'}). `}` +
      'After the pass, the same pair as the cached-feed cases.',
    '',
    `| Measure | During the pass | After the pass |`,
    `| --- | --- | --- |`,
    `| Ratio ours / bare (median of slices; range) | ${x.during ? `${fmt(x.during.ratio, 3)} (${fmt(Math.min(...x.during.roundRatios), 3)}–${fmt(Math.max(...x.during.roundRatios), 3)})` : '–'} | ${fmt(x.after.ratio, 3)} (${fmt(Math.min(...x.after.roundRatios), 3)}–${fmt(Math.max(...x.after.roundRatios), 3)}) |`,
    `| Ours req/s | ${fmt(x.during?.ours.rps, 0)} | ${fmt(x.after.ours.rps, 0)} |`,
    `| Bare req/s | ${fmt(x.during?.bare.rps, 0)} | ${fmt(x.after.bare.rps, 0)} |`,
    `| Ours latency p50 / p99 / max ms | ${x.during ? `${fmt(x.during.ours.latencyMs.p50, 2)} / ${fmt(x.during.ours.latencyMs.p99, 1)} / ${fmt(x.during.ours.latencyMs.max, 0)}` : '–'} | ${fmt(x.after.ours.latencyMs.p50, 2)} / ${fmt(x.after.ours.latencyMs.p99, 1)} / ${fmt(x.after.ours.latencyMs.max, 0)} |`,
    '',
    `| Measure | Value |`,
    `| --- | --- |`,
    `| Spawn → first 200 | ${fmt(x.spawnToFirst200Ms, 0)} ms |`,
    `| Spawn → end of the pass (running time, stops left out) | ${fmt(x.runningMsFromSpawn / 1000)} s |`,
    `| The pass, by the service's log (stops left out) | ${fmt(x.passRunningMs / 1000)} s |`,
    `| Service CPU from spawn to the end of the pass (start-up, serving and the pass) | ${fmt((x.serviceCpuMs ?? Number.NaN) / 1000)} s |`,
    `| Service stopped for the bare slices | ${fmt(x.stoppedMs / 1000)} s |`,
    `| Peak RSS (VmHWM) after the pass | ${fmt(x.peakMB)} MB |`,
    '',
  );
  return out;
}
