import type { IncomingHttpHeaders } from 'node:http';

/*
 * Conditional requests on GET and HEAD (RFC 9110 section 13), the one implementation both the fast path
 * and Express use. `fresh` (express's) only knows If-None-Match and If-Modified-Since, reads dates with
 * Date.parse (so an ISO 8601 string counts) and has no notion of a date in the future, so it is not used.
 */

/** What the server knows of the selected representation. */
export interface Validators {
  /** Every entity-tag (with quotes) naming the current bytes, one per content-coding. */
  etags: readonly string[];
  lastModifiedSeconds: number;
}

export type Precondition = 'send' | 'not-modified' | 'failed';

/** The outcome, and for a failure the header that failed (to name it in the 412 body). */
export interface Evaluation {
  result: Precondition;
  failed?: 'If-Match' | 'If-Unmodified-Since';
}

/** The two common outcomes, shared (evaluating allocates nothing for them). */
export const SEND: Evaluation = { result: 'send' };
export const NOT_MODIFIED: Evaluation = { result: 'not-modified' };

/**
 * RFC 9110 13.2.2, in its order: If-Match, else If-Unmodified-Since; then If-None-Match, else
 * If-Modified-Since. A date that is not an HTTP-date, or (for If-Modified-Since) lies after `now`, is ignored.
 */
export function evaluatePreconditions(headers: IncomingHttpHeaders, rep: Validators, now: () => Date): Evaluation {
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    if (!matchesStrong(ifMatch, rep.etags)) return { result: 'failed', failed: 'If-Match' };
  } else {
    const ius = headers['if-unmodified-since'];
    if (ius !== undefined) {
      const since = parseHttpDate(ius, now);
      if (since !== null && rep.lastModifiedSeconds > since) return { result: 'failed', failed: 'If-Unmodified-Since' };
    }
  }
  const inm = headers['if-none-match'];
  if (inm !== undefined) return matchesWeak(inm, rep.etags) ? NOT_MODIFIED : SEND;
  const ims = headers['if-modified-since'];
  if (ims !== undefined) {
    const since = parseHttpDate(ims, now);
    // 13.1.3: a date later than the server's current time is invalid, so the field is ignored.
    if (since !== null && since <= Math.floor(now().getTime() / 1000) && rep.lastModifiedSeconds <= since) return NOT_MODIFIED;
  }
  return SEND;
}

const ENTITY_TAG = /(W\/)?("[^"]*")/g;

/**
 * 13.1.1: strong comparison (a weak tag never matches); `*` matches since the resource exists. Any coding's
 * ETag of the current bytes matches: they name the same state of the resource, which is what If-Match asks.
 */
function matchesStrong(header: string, etags: readonly string[]): boolean {
  // Cheapest first: one of our (strong) tags exactly, as clients send back what they were given.
  if (etags.includes(header)) return true;
  if (header.trim() === '*') return true;
  for (const m of header.matchAll(ENTITY_TAG)) if (!m[1] && etags.includes(m[2]!)) return true;
  return false;
}

/** 13.1.2: weak comparison; `*` matches any current representation. */
function matchesWeak(header: string, etags: readonly string[]): boolean {
  if (etags.includes(header)) return true;
  if (header.trim() === '*') return true;
  for (const m of header.matchAll(ENTITY_TAG)) if (etags.includes(m[2]!)) return true;
  return false;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(?<month>${MONTHS.join('|')})`;
const TIME = '(?<h>\\d{2}):(?<min>\\d{2}):(?<sec>\\d{2})';
const HTTP_DATES = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (?<day>\\d{2}) ${MONTH} (?<year>\\d{4}) ${TIME} GMT$`),
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  new RegExp(`^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (?<day>\\d{2})-${MONTH}-(?<yy>\\d{2}) ${TIME} GMT$`),
  // asctime: Sun Nov  6 08:49:37 1994
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} (?<day> \\d|\\d{2}) ${TIME} (?<year>\\d{4})$`),
];

/**
 * An HTTP-date (RFC 9110 5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms every recipient
 * must accept) as seconds since the epoch, or null for anything else: ISO 8601 and the many shapes
 * Date.parse guesses at are not HTTP-dates.
 */
export function parseHttpDate(value: string, now: () => Date): number | null {
  let g: Record<string, string> | undefined;
  for (const re of HTTP_DATES) if ((g = re.exec(value)?.groups)) break;
  if (!g) return null;
  let year = Number(g.year);
  if (g.yy !== undefined) {
    // A two-digit year more than 50 years ahead is the most recent past year with those digits.
    const current = now().getUTCFullYear();
    year = Math.floor(current / 100) * 100 + Number(g.yy);
    if (year > current + 50) year -= 100;
  }
  const month = MONTHS.indexOf(g.month!);
  const day = Number(g.day!.trim());
  const [h, min, sec] = [Number(g.h), Number(g.min), Number(g.sec)];
  // Out-of-range fields (31 Feb, 25:00) would roll over in Date.UTC: refuse them rather than guess.
  if (h > 23 || min > 59 || sec > 60) return null;
  const t = Date.UTC(year, month, day, h, min, sec);
  const check = new Date(t);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month) return null;
  return Math.floor(t / 1000);
}
