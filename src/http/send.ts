import type { IncomingMessage, ServerResponse } from 'node:http';
import Negotiator from 'negotiator';
import type { Coding, Representation } from '../cache/representation.ts';

const CODINGS: Coding[] = ['br', 'gzip', 'identity'];
/** Accept-Encoding values repeat across clients, so negotiation results are memoised (bounded). */
const codingMemo = new Map<string, Coding | null>();

/** The content-coding to send for this Accept-Encoding header, or null if none is acceptable (406). */
export function negotiateCoding(acceptEncoding: string | undefined): Coding | null {
  if (!acceptEncoding) return 'identity';
  const memo = codingMemo.get(acceptEncoding);
  if (memo !== undefined) return memo;
  // On equal q-values, prefer brotli, then gzip (smaller first), whatever order the client listed them in.
  const negotiator = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }) as Negotiator & {
    encoding(available: string[], options: { preferred: string[] }): string | undefined;
  };
  const chosen = (negotiator.encoding(CODINGS, { preferred: CODINGS }) ?? null) as Coding | null;
  if (codingMemo.size < 1000) codingMemo.set(acceptEncoding, chosen);
  return chosen;
}

/** RFC 9110 13.1.2: weak comparison; `*` matches any current representation. */
function noneMatch(header: string, rep: Representation): boolean {
  if (header.trim() === '*') return true;
  for (const raw of header.split(',')) {
    const tag = raw.trim().replace(/^W\//, '');
    if (rep.etags.includes(tag)) return true;
  }
  return false;
}

function notModifiedSince(header: string, rep: Representation): boolean {
  const since = Date.parse(header);
  return !Number.isNaN(since) && rep.lastModifiedSeconds <= Math.floor(since / 1000);
}

/** Headers every feed and page carries: readable cross-origin, cacheable, negotiated. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'ETag, Last-Modified, Content-Language',
  'x-content-type-options': 'nosniff',
  vary: 'Accept-Encoding',
};

/**
 * Sends a cached representation: 304 on a matching If-None-Match (or, without one, an If-Modified-Since
 * not older than Last-Modified), br/gzip by Accept-Encoding, no body for HEAD. Works on plain node:http
 * objects so the fast path can answer before Express does any per-request work; headers are prepared
 * once per representation, so a request costs a few lookups.
 */
export function sendRepresentation(req: IncomingMessage, res: ServerResponse, rep: Representation): 200 | 304 | 406 {
  const coding = negotiateCoding(req.headers['accept-encoding']);
  if (coding === null) {
    res.writeHead(406, { 'content-type': 'text/plain; charset=utf-8', vary: 'Accept-Encoding' });
    res.end('Not Acceptable: no acceptable content-coding (Accept-Encoding); offered: br, gzip, identity\n');
    return 406;
  }
  const inm = req.headers['if-none-match'];
  const notModified =
    inm !== undefined
      ? inm === rep.etagFor(coding) || noneMatch(inm, rep)
      : req.headers['if-modified-since'] !== undefined && notModifiedSince(req.headers['if-modified-since'], rep);
  if (notModified) {
    res.writeHead(304, rep.headers(304, coding, COMMON_HEADERS));
    res.end();
    return 304;
  }
  res.writeHead(200, rep.headers(200, coding, COMMON_HEADERS));
  if (req.method === 'HEAD') res.end();
  else res.end(rep.bytes(coding));
  return 200;
}
