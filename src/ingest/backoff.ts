/**
 * When to poll a source again after a failed poll: pure, so the table of cases is tested without a clock or a
 * server (tests/ingest/backoff.test.ts).
 */

const HOUR_MS = 3_600_000;
/** The longest exponential backoff: a source failing for days is still tried once a day. */
export const MAX_BACKOFF_MS = 24 * HOUR_MS;
/** A Retry-After further away than this is treated as this (a typo upstream must not silence a source for a year). */
export const MAX_RETRY_AFTER_MS = 7 * 24 * HOUR_MS;

export interface Failure {
  /** When the failed poll started. */
  attemptAt: Date;
  /** Failures in a row, this one included (1 after the first). */
  consecutiveFailures: number;
  /** The source's normal interval between polls (from its schedule). */
  intervalMs: number;
  /** What the upstream asked for (`Retry-After` on 429/503), if anything. */
  retryAfter: Date | null;
}

/**
 * The upstream's Retry-After when it gave one (not before the attempt, at most MAX_RETRY_AFTER_MS after it);
 * else the interval doubled for every failure after the first, at most MAX_BACKOFF_MS.
 */
export function nextPollAfterFailure({ attemptAt, consecutiveFailures, intervalMs, retryAfter }: Failure): Date {
  const at = attemptAt.getTime();
  if (retryAfter) return new Date(Math.min(Math.max(retryAfter.getTime(), at), at + MAX_RETRY_AFTER_MS));
  const failures = Math.max(1, consecutiveFailures);
  return new Date(at + Math.min(intervalMs * 2 ** (failures - 1), MAX_BACKOFF_MS));
}
