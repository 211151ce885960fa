/**
 * `npx tsx bench/small-feed-only.ts`: the small feed and its 304 against bare node:http (bench/lib/small-feed.ts),
 * alone, as `npm run bench` measures them; prints the cases as JSON. bench/lib/small-feed.ts cannot run itself:
 * it needs bench/run.ts's serviceCommand, and run.ts imports it, so starting from it is an import cycle through a
 * module still in its top-level await (node exits 13, printing nothing).
 * Settings: BENCH_SLICE (s per slice, 2), BENCH_ROUNDS (4), BENCH_WARMUP (2), BENCH_CONNECTIONS (50);
 * SMALL_FEED_MAIN: a bundle to run instead of building this checkout's (for A/B runs of two builds).
 */
import os from 'node:os';
import { installCleanup } from './lib/proc.ts';
import { measureSmallFeed } from './lib/small-feed.ts';
import { serviceCommand } from './run.ts';

installCleanup();
const cores = os.availableParallelism() >= 2;
const built = await serviceCommand();
const main = process.env.SMALL_FEED_MAIN;
const serviceArgs = main ? [...built.args.slice(0, -1), main] : built.args;
const setting = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const r = await measureSmallFeed({
  serverCore: cores ? 0 : null,
  loadCore: cores ? 1 : null,
  connections: setting('BENCH_CONNECTIONS', 50),
  sliceS: setting('BENCH_SLICE', 2),
  rounds: setting('BENCH_ROUNDS', 4),
  warmupS: setting('BENCH_WARMUP', 2),
  serviceArgs,
});
process.stdout.write(JSON.stringify(r, null, 2) + '\n');
process.exit(0);
