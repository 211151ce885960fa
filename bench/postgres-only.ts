/**
 * `npx tsx bench/postgres-only.ts`: issue 13's storage targets on PostgreSQL against SQLite, in process
 * (bench/lib/postgres.ts): ingest of the 1,000-item feed (goal: 3,000 items/s or more) and the cold render's
 * queries on a 100k-item store (goal: the cold render within 1.5 × of SQLite). PostgreSQL at BENCH_DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test), in throwaway schemas it drops. BENCH_ITEMS (100000),
 * BENCH_RUNS (ingest runs, 7) and BENCH_ITERATIONS (query samples, 200). Prints a summary, then the figures as JSON.
 */
import { measureColdQueries, measureIngest } from './lib/postgres.ts';

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

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
