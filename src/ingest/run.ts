import type { RelateTarget } from '../content/model.ts';
import type { FetchPolicy, RetentionPolicy } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../storage/store.ts';
import type { Source, SourceStatus } from '../model/source.ts';
import { createIngester } from './ingester.ts';

export interface RunOnceResult {
  statuses: SourceStatus[];
  /** Sources whose poll in this run failed. */
  failed: number;
  publishedChanged: boolean;
}

/** Polls every source once (what `npm run ingest` does, without the process around it). */
export async function runOnce(deps: {
  store: Store;
  sources: Source[];
  fetchPolicy: FetchPolicy;
  retention: RetentionPolicy;
  logger: Logger;
  targets: readonly RelateTarget[];
  now?: () => Date;
}): Promise<RunOnceResult> {
  let publishedChanged = false;
  const startedAt = (deps.now ?? (() => new Date()))();
  const ingester = createIngester({
    ...deps,
    targets: () => deps.targets,
    onPublishedChange: () => {
      publishedChanged = true;
    },
  });
  await ingester.pollAll();
  const statuses = ingester.status();
  const failed = statuses.filter(
    (s) => s.lastAttemptAt !== null && Date.parse(s.lastAttemptAt) >= startedAt.getTime() && s.lastSuccessAt !== s.lastAttemptAt,
  ).length;
  return { statuses, failed, publishedChanged };
}

/** One line per source for humans: `ok   id  200  12 items` or `FAIL id  -  fetch timeout: ...`. */
export function summaryLine(s: SourceStatus): string {
  const ok = s.lastAttemptAt !== null && s.lastSuccessAt === s.lastAttemptAt;
  const status = s.lastStatus === null ? '-' : String(s.lastStatus);
  return ok
    ? `ok    ${s.id}  ${status}  ${s.itemCount} items`
    : `FAIL  ${s.id}  ${status}  ${s.lastError ?? 'not polled'}  (${s.itemCount} items kept, next poll ${s.nextPollAt ?? '-'})`;
}
