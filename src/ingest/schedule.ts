import cron from 'node-cron';
import type { Source } from '../model/source.ts';

/** A schedule's interval when node-cron cannot give two runs (it always can for a valid expression). */
const FALLBACK_INTERVAL_MS = 15 * 60_000;

/** What a poll needs to know of its source's schedule: the next run, and the interval the backoff starts from. */
export interface Schedules {
  /** The next run of the source's schedule after the system clock's now (node-cron only knows that clock). */
  next(source: Source): Date | null;
  /** The time between two runs of the schedule (at least a second). */
  intervalMs(source: Source): number;
  /** Drops what is remembered of a source (removed, or its schedule changed). */
  forget(sourceId: string): void;
}

/** The next `count` times a cron expression fires after the system clock's now. */
function cronTimes(expression: string, count: number): Date[] {
  const task = cron.createTask(expression, () => {});
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

export function createSchedules(): Schedules {
  /**
   * Asking node-cron costs about a millisecond (most of an unchanged poll's own work). Its answer, the first
   * run after now, stays the answer until that run: reuse it while the system clock (node-cron's) is before it.
   */
  const nextRuns = new Map<string, { from: number; next: Date | null }>();
  return {
    next(source) {
      const at = Date.now();
      const cached = nextRuns.get(source.id);
      if (cached?.next && cached.from <= at && at < cached.next.getTime()) return cached.next;
      const next = cronTimes(source.schedule, 1)[0] ?? null;
      nextRuns.set(source.id, { from: at, next });
      return next;
    },
    intervalMs(source) {
      const [a, b] = cronTimes(source.schedule, 2);
      return a && b ? Math.max(1000, b.getTime() - a.getTime()) : FALLBACK_INTERVAL_MS;
    },
    forget(sourceId) {
      nextRuns.delete(sourceId);
    },
  };
}
