import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Structured JSON logs with fixed keys (`source_id`, `feed_url`, `status`, `path`, ...).
 * Tests pass their own destination to read what was logged.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return destination ? pino({ level, base: null }, destination) : pino({ level, base: null });
}

/** A logger that drops everything, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
