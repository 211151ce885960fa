import type { SourceStatus } from '../model/source.ts';
import { createIngester, type IngesterDeps } from './ingester.ts';
import type { PollOutcome } from './poll.ts';

/** What a run needs: the ingester's dependencies, less those of a long-running service (publishing, schedules). */
export type RunOnceDeps = Omit<IngesterDeps, 'onPublishedChange' | 'jitterMs' | 'relateBatch'>;

/** One source after the run: its poll's outcome, and its state as /status shows it. */
export interface SourceRun {
  outcome: PollOutcome;
  status: SourceStatus;
}

export interface RunOnceResult {
  /** In the order of the sources. */
  sources: SourceRun[];
  /** Sources whose poll in this run failed. */
  failed: number;
  publishedChanged: boolean;
}

/** Polls every source once (what `npm run ingest` does, without the process around it). */
export async function runOnce(deps: RunOnceDeps): Promise<RunOnceResult> {
  const ingester = createIngester({ ...deps, onPublishedChange: () => {} });
  const outcomes = await ingester.pollAll();
  const statuses = new Map((await ingester.status()).map((s) => [s.id, s]));
  return {
    sources: outcomes.map((outcome) => ({ outcome, status: statuses.get(outcome.sourceId)! })),
    failed: outcomes.filter((o) => o.kind === 'failed').length,
    publishedChanged: outcomes.some((o) => o.kind !== 'failed' && o.publishedChanged),
  };
}

/** One line per source for humans: `ok   id  200  12 items` or `FAIL id  -  fetch timeout: ...`. */
export function summaryLine({ outcome, status: s }: SourceRun): string {
  const status = outcome.status === null ? '-' : String(outcome.status);
  return outcome.kind === 'failed'
    ? `FAIL  ${s.id}  ${status}  ${outcome.message}  (${s.itemCount} items kept, next poll ${outcome.retryAt.toISOString()})`
    : `ok    ${s.id}  ${status}  ${s.itemCount} items`;
}
