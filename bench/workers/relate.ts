/**
 * Issue 14's relating by content in process (bench/lib/relate.ts, runRelateBench), in its own process pinned to the
 * service core: relating one new item at 10,000 articles, and a full re-relate of 100,000 stored items in the
 * service's batches. `npx tsx bench/relate-only.ts` runs the same measurement in the foreground.
 */
import { runRelateBench, type RelateBenchParams, type RelateBenchResult } from '../lib/relate.ts';
import { runWorker } from '../lib/worker.ts';

/** Its store goes to a temporary directory, removed at the end. */
export type RelateInput = Omit<RelateBenchParams, 'dir'>;
export type RelateOutput = RelateBenchResult;

runWorker<RelateInput, RelateOutput>((params) => runRelateBench(params));
