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

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/**
 * One pino JSON line as a person reads it in a terminal: `21:04:05.123 INFO  listening host=0.0.0.0 port=3000`,
 * an error's stack on the lines after. The keys are pino's own, so nothing is lost; only the layout changes.
 * (pino-pretty does this and more, but is one more dependency for a few lines.)
 */
export function humanLogLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { time, level, msg, err, ...rest } = record;
  const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const parts = [when, LEVELS[level as number] ?? String(level), typeof msg === 'string' ? msg : ''];
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${typeof v === 'string' && !/[\s"=]/.test(v) ? v : JSON.stringify(v)}`);
  let stack = '';
  if (err && typeof err === 'object') {
    const e = err as { message?: unknown; stack?: unknown };
    parts.push(`err=${JSON.stringify(e.message ?? err)}`);
    if (typeof e.stack === 'string') stack = `${e.stack.replace(/^/gm, '    ')}\n`;
  } else if (err !== undefined) parts.push(`err=${JSON.stringify(err)}`);
  return `${parts.filter((p) => p !== '').join(' ')}\n${stack}`;
}

/** Logs for a terminal: pino's records written through humanLogLine (see main.ts: only when stdout is a TTY). */
export function humanDestination(out: NodeJS.WritableStream): DestinationStream {
  return { write: (line: string) => void out.write(humanLogLine(line)) };
}
