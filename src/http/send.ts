import type { IncomingMessage, ServerResponse } from 'node:http';
import Negotiator from 'negotiator';
import type { Coding, Representation } from '../cache/representation.ts';
import { evaluatePreconditions, NOT_MODIFIED, SEND } from './conditional.ts';

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

/** Headers every feed and page carries: readable cross-origin, cacheable, negotiated. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'ETag, Last-Modified, Content-Language',
  'x-content-type-options': 'nosniff',
  vary: 'Accept-Encoding',
};

/**
 * Sends a cached representation: preconditions as RFC 9110 13.2.2 orders them (412 when If-Match or
 * If-Unmodified-Since fails, 304 on a matching If-None-Match or, without one, a valid If-Modified-Since not
 * older than Last-Modified), br/gzip by Accept-Encoding, no body for HEAD. Works on plain node:http objects
 * so the fast path can answer before Express does any per-request work; headers are prepared once per
 * representation, so a request costs a few lookups. `now` is the service's clock (a date after it is no
 * valid If-Modified-Since).
 */
export function sendRepresentation(req: IncomingMessage, res: ServerResponse, rep: Representation, now: () => Date): 200 | 304 | 406 | 412 {
  const coding = negotiateCoding(req.headers['accept-encoding']);
  if (coding === null) {
    res.writeHead(406, { 'content-type': 'text/plain; charset=utf-8', vary: 'Accept-Encoding' });
    res.end('Not Acceptable: no acceptable content-coding (Accept-Encoding); offered: br, gzip, identity\n');
    return 406;
  }
  const h = req.headers;
  const etag = rep.etagFor(coding);
  const ifNoneMatch = h['if-none-match'];
  // Cheapest checks first: a poller sending back the ETag it was given (one string comparison), or a request
  // with no precondition at all; anything else is parsed and evaluated in RFC order.
  const verdict =
    ifNoneMatch === etag && h['if-match'] === undefined && h['if-unmodified-since'] === undefined
      ? NOT_MODIFIED
      : ifNoneMatch === undefined && h['if-modified-since'] === undefined && h['if-match'] === undefined && h['if-unmodified-since'] === undefined
        ? SEND
        : evaluatePreconditions(h, rep, now);
  if (verdict.result === 'failed') {
    res.writeHead(412, { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', etag, 'last-modified': rep.lastModifiedHttp });
    res.end(
      verdict.failed === 'If-Match'
        ? `Precondition Failed: If-Match names no current ETag of this resource (now ${etag})\n`
        : `Precondition Failed: the resource was modified after If-Unmodified-Since (Last-Modified: ${rep.lastModifiedHttp})\n`,
    );
    return 412;
  }
  if (verdict.result === 'not-modified') {
    res.writeHead(304, rep.headers(304, coding, COMMON_HEADERS));
    res.end();
    return 304;
  }
  res.writeHead(200, rep.headers(200, coding, COMMON_HEADERS));
  if (req.method === 'HEAD') res.end();
  else res.end(rep.bytes(coding));
  return 200;
}
