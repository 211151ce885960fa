import { describe, expect, it } from 'vitest';
import { MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, nextPollAfterFailure } from '../../src/ingest/backoff.ts';

const T0 = new Date('2026-11-20T10:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const after = (ms: number) => new Date(T0.getTime() + ms);

describe('nextPollAfterFailure', () => {
  it.each([
    // failures, interval, Retry-After, next poll after the attempt
    ['the first failure waits one interval', 1, 15 * MIN, null, 15 * MIN],
    ['the second doubles it', 2, 15 * MIN, null, 30 * MIN],
    ['the third doubles it again', 3, 15 * MIN, null, 60 * MIN],
    ['a seconds schedule backs off from its own interval', 2, 30_000, null, 60_000],
    ['never more than a day', 8, 15 * MIN, null, MAX_BACKOFF_MS],
    ['a long run of failures does not overflow', 10_000, 15 * MIN, null, MAX_BACKOFF_MS],
    ['a daily schedule is capped at a day at once', 2, 24 * HOUR, null, MAX_BACKOFF_MS],
    ['Retry-After wins over the backoff', 5, 15 * MIN, after(HOUR), HOUR],
    ['Retry-After sooner than the interval is honoured', 1, 15 * MIN, after(MIN), MIN],
    ['Retry-After in the past means now', 3, 15 * MIN, after(-HOUR), 0],
    ['Retry-After a year away is cut to a week', 1, 15 * MIN, after(365 * 24 * HOUR), MAX_RETRY_AFTER_MS],
  ] as const)('%s', (_name, consecutiveFailures, intervalMs, retryAfter, wait) => {
    expect(nextPollAfterFailure({ attemptAt: T0, consecutiveFailures, intervalMs, retryAfter })).toEqual(after(wait));
  });

  it('caps the backoff at a day and Retry-After at a week', () => {
    expect([MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS]).toEqual([24 * HOUR, 7 * 24 * HOUR]);
  });
});
