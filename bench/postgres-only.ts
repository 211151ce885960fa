/**
 * `npx tsx bench/postgres-only.ts`: issue 13's storage targets on PostgreSQL against SQLite, in process
 * (bench/lib/postgres.ts): ingest of the 1,000-item feed (goal: 3,000 items/s or more) and the cold render's
 * queries on a 100k-item store (goal: the cold render within 1.5 × of SQLite). PostgreSQL at BENCH_DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test), in throwaway schemas it drops. BENCH_ITEMS (100000),
 * BENCH_RUNS (ingest runs, 7) and BENCH_ITERATIONS (query samples, 200). Prints a summary, then the figures as JSON.
 *
 * `npx tsx bench/postgres-only.ts --targets [--reuse]`: instead, only the PostgreSQL targets of `npm run bench`,
 * measured as it measures them (its data under bench/.work, its workers, services and wrk; BENCH_DURATION etc. as
 * there): cold render and read-ahead, ingest through the ingest worker, cached feeds on PostgreSQL against SQLite.
 */
import { installCleanup, freePort, stopChild } from './lib/proc.ts';
import { benchDatabaseUrl, createPgBenchStore, measureColdQueries, measureIngest, postgresTargets, type PgBenchStore } from './lib/postgres.ts';
import { DEFAULT_PARAMS } from './lib/generate.ts';
import type { IngestInput, IngestOutput } from './workers/ingest.ts';
import {
  CONTENT_DIR,
  disturbed,
  FEED_FILE,
  fetchRepresentations,
  LOAD_FEEDS,
  log,
  measurePostgresLoad,
  postgresColdRender,
  postgresIngest,
  preflight,
  prepareData,
  runWorkerProcess,
  serviceCommand,
  startScriptServer,
  startService,
  warnings,
  WORK,
} from './run.ts';

/** The PostgreSQL targets alone, as bench/run.ts measures them (see the file's comment). */
async function targetsAlone(): Promise<void> {
  const { serverCore, loadCore } = preflight();
  prepareData();
  let pg: PgBenchStore | null = null;
  try {
    log('filling the PostgreSQL twin of the 100k store');
    pg = await createPgBenchStore(benchDatabaseUrl(), DEFAULT_PARAMS, DEFAULT_PARAMS.items);
    log(`filled in ${pg.fillMs} ms; cold render worker`);
    let t = performance.now();
    const render = await postgresColdRender(pg, serverCore);
    log(`cold render worker took ${Math.round(performance.now() - t)} ms; ingest worker`);
    t = performance.now();
    const upstream = await startScriptServer('upstream fixture', loadCore, 'bench/servers/upstream.ts', [FEED_FILE]);
    // As bench/run.ts's ingest: SQLite's first, for comparison (the PostgreSQL row shows both).
    const input: IngestInput = { feedUrl: `http://127.0.0.1:${upstream.port}/feed.xml`, contentDir: CONTENT_DIR, workDir: WORK, runs: 9, warmupRuns: 2, notModifiedPolls: 30 };
    let sqliteIngest: IngestOutput;
    let ingest: IngestOutput;
    try {
      sqliteIngest = await runWorkerProcess<IngestInput, IngestOutput>('ingest', serverCore, input, 30 * 60_000);
      ingest = await postgresIngest(input, serverCore);
    } finally {
      await stopChild(upstream.child, 5000);
    }
    log(`ingest workers took ${Math.round(performance.now() - t)} ms; the service on SQLite`);
    const command = await serviceCommand();
    const port = await freePort();
    const sqlite = await startService(command, port, serverCore, `${WORK}/service.log`);
    try {
      const base = `http://127.0.0.1:${port}`;
      const reps = [];
      for (const p of LOAD_FEEDS) reps.push(await fetchRepresentations(base, p));
      t = performance.now();
      const load = await measurePostgresLoad(command, pg, reps, { base, pid: sqlite.child.pid! }, serverCore, loadCore);
      log(`PostgreSQL service start and load took ${Math.round(performance.now() - t)} ms (start to relations current: ${load.startup.spawnToRelationsCurrentMs} ms)`);
      const figures = { items: pg.items, fillMs: pg.fillMs, startup: load.startup, load: load.cases, ingest, render };
      for (const x of postgresTargets(figures, sqliteIngest, disturbed)) console.log(`${x.met ? 'met    ' : 'NOT MET'}  ${x.name}: ${x.measured} (goal ${x.target})${x.disturbed ? ' [disturbed]' : ''}`);
      for (const w of warnings) console.log(`warning: ${w}`);
      console.log(JSON.stringify(figures, null, 2));
    } finally {
      await stopChild(sqlite.child, 15_000);
    }
  } finally {
    await pg?.drop();
  }
}

async function main(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const items = Number(process.env.BENCH_ITEMS ?? 100_000);
  const runs = Number(process.env.BENCH_RUNS ?? 7);
  const iterations = Number(process.env.BENCH_ITERATIONS ?? 200);

  const ingest = await measureIngest(url, { runs, warmup: 2 });
  console.log(`ingest of the ${ingest.items}-item feed (${ingest.relatedItems} related), median of ${ingest.runs}:`);
  console.log(`  parse ${ingest.pipelineMs.parse} ms, normalise + sanitise ${ingest.pipelineMs.normalise} ms, relate ${ingest.pipelineMs.relate} ms`);
  for (const b of ingest.backends) {
    console.log(
      `  ${b.name}: commitPoll ${b.storeMedianMs} ms (${b.storeItemsPerSecond.toLocaleString('en-US')} items/s), ` +
        `with the pipeline ${b.pipelineItemsPerSecond.toLocaleString('en-US')} items/s; unchanged re-poll ${b.unchangedMedianMs} ms`,
    );
  }
  const pgIngest = ingest.backends.find((b) => b.name === 'postgres')!;
  console.log(`  target >= 3,000 items/s on PostgreSQL (pipeline without fetch): ${pgIngest.pipelineItemsPerSecond >= 3000 ? 'met' : 'NOT met'}`);

  const cold = await measureColdQueries(url, { count: items, iterations, warmup: 20 });
  console.log(`cold render's store queries on a ${cold.items.toLocaleString('en-US')}-item store (filled in: SQLite ${cold.fillMs.sqlite} ms, PostgreSQL ${cold.fillMs.postgres} ms):`);
  for (const c of cold.cases) console.log(`  ${c.backend.padEnd(8)} ${c.name}: median ${c.medianMs} ms, p90 ${c.p90Ms} ms`);
  for (const [name, ratio] of Object.entries(cold.ratios)) console.log(`  PostgreSQL / SQLite, ${name}: ${ratio} ×`);
  console.log(JSON.stringify({ ingest, cold }, null, 2));
}

installCleanup();
(process.argv.includes('--targets') ? targetsAlone() : main()).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
