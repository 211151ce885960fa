import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { FetchPolicy } from '../config.ts';
import { AddressRefused, PUBLIC_ONLY_AGENTS, publicOnlyLookup, refusedLiteralHost } from './addresses.ts';
import { decodeBody } from './charset.ts';
import { parseLinkHeader, type HeaderLink } from './link-header.ts';

export type FetchErrorKind = 'timeout' | 'too-large' | 'http' | 'redirect' | 'network' | 'protocol' | 'address';

/**
 * Which addresses a fetch may connect to. 'public': only public Internet addresses, at every hop and for
 * every name resolved (the default for a source on the public Internet: its redirects and DNS must not
 * lead us into our own network); 'any': a source the operator put on a private network.
 */
export type Reach = 'public' | 'any';

/** Why fetching a feed failed. `status` is the HTTP status when there was one. */
export class FetchError extends Error {
  override readonly name = 'FetchError';
  constructor(
    message: string,
    readonly kind: FetchErrorKind,
    readonly status: number | null = null,
    /** From `Retry-After` on 429/503: when the server wants to hear from us again. */
    readonly retryAfter: Date | null = null,
  ) {
    super(message);
  }
}

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

interface FetchedCommon {
  status: number;
  /** Target of the permanent (301/308) redirects at the start of the chain: the source's new URL. */
  permanentUrl: string | null;
  finalUrl: string;
}
export type FetchResult =
  | (FetchedCommon & { kind: 'not-modified' })
  | (FetchedCommon & {
      kind: 'ok';
      text: string;
      charset: string;
      contentType: string | null;
      validators: Validators;
      /** The response's `Link` headers (WebSub discovery reads `rel="hub"` and `rel="self"` there first). */
      links: HeaderLink[];
    });

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** `Retry-After` as seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: Date): Date | null {
  if (!value) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return new Date(now.getTime() + Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t);
}

function decoderFor(encoding: string | undefined): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | null {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
    case '':
    case 'identity':
      return null;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip();
    case 'deflate':
      return zlib.createInflate();
    case 'br':
      return zlib.createBrotliDecompress();
    default:
      throw new FetchError(`unsupported Content-Encoding ${JSON.stringify(encoding)}`, 'protocol');
  }
}

/**
 * Fetches one feed politely: conditional GET, manual redirects (at most `maxRedirects`, loops refused), one
 * time limit on the whole exchange that destroys the socket, and a cap on the decompressed body that stops
 * reading at the cap. Never parses: the text goes to the parser.
 */
export async function fetchFeed(
  url: string,
  validators: Validators,
  policy: FetchPolicy,
  now: () => Date = () => new Date(),
  reach: Reach = 'any',
): Promise<FetchResult> {
  let current: http.ClientRequest | null = null;
  let response: http.IncomingMessage | null = null;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    const err = new FetchError(`timed out after ${policy.timeoutMs} ms`, 'timeout');
    response?.destroy(err);
    current?.destroy(err);
  }, policy.timeoutMs);

  const asTimeout = <E>(err: E, status: number | null = null): E | FetchError =>
    timedOut ? new FetchError(`timed out after ${policy.timeoutMs} ms`, 'timeout', status) : err;

  try {
    const seen = new Set<string>();
    let target = new URL(url);
    let permanentUrl: string | null = null;
    let permanentChain = true;
    for (let hop = 0; ; hop++) {
      if (target.protocol !== 'http:' && target.protocol !== 'https:') {
        throw new FetchError(`refusing ${target.protocol} URL`, 'protocol');
      }
      seen.add(target.href);
      const refused = reach === 'public' ? refusedLiteralHost(target) : null;
      if (refused) throw new FetchError(refused.message, 'address');
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        const client = target.protocol === 'https:' ? https : http;
        const headers: Record<string, string> = {
          'user-agent': policy.userAgent,
          accept: 'application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5',
          'accept-encoding': 'gzip, deflate, br',
        };
        if (validators.etag) headers['if-none-match'] = validators.etag;
        if (validators.lastModified) headers['if-modified-since'] = validators.lastModified;
        const guard = reach === 'public' ? { agent: PUBLIC_ONLY_AGENTS[target.protocol as 'http:' | 'https:'], lookup: publicOnlyLookup } : {};
        const req = client.request(target, { method: 'GET', headers, ...guard }, resolve);
        current = req;
        req.on('error', (err) => reject(asTimeout(err)));
        req.end();
        if (timedOut) req.destroy();
      }).catch((err: unknown) => {
        if (err instanceof FetchError) throw err;
        if (err instanceof AddressRefused) throw new FetchError(err.message, 'address');
        throw new FetchError(`network error: ${(err as Error).message}`, 'network');
      });
      response = res;
      const status = res.statusCode ?? 0;

      if (REDIRECTS.has(status)) {
        res.resume();
        res.destroy();
        const location = res.headers.location;
        if (!location) throw new FetchError(`redirect ${status} without Location`, 'redirect', status);
        const next = new URL(location, target);
        if (seen.has(next.href)) throw new FetchError(`redirect loop at ${next.href}`, 'redirect', status);
        if (hop + 1 > policy.maxRedirects) {
          throw new FetchError(`more than ${policy.maxRedirects} redirects`, 'redirect', status);
        }
        if (permanentChain && (status === 301 || status === 308)) permanentUrl = next.href;
        else permanentChain = false;
        target = next;
        continue;
      }

      const common = { status, permanentUrl, finalUrl: target.href };
      if (status === 304) {
        res.resume();
        res.destroy();
        return { kind: 'not-modified', ...common };
      }
      if (status < 200 || status > 299) {
        res.resume();
        res.destroy();
        const retryAfter =
          status === 429 || status === 503 ? parseRetryAfter(res.headers['retry-after'], now()) : null;
        throw new FetchError(`HTTP ${status}`, 'http', status, retryAfter);
      }

      const bytes = await readCapped(res, policy.maxBytes).catch((err: unknown) => {
        const e = asTimeout(err, status);
        if (e instanceof FetchError) throw e;
        throw new FetchError(`reading body: ${(e as Error).message}`, 'network', status);
      });
      const contentType = res.headers['content-type'] ?? null;
      const { text, charset } = decodeBody(bytes, contentType);
      return {
        kind: 'ok',
        ...common,
        text,
        charset,
        contentType,
        validators: { etag: res.headers.etag ?? null, lastModified: res.headers['last-modified'] ?? null },
        links: parseLinkHeader(linkValues(res), target.href),
      };
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Every `Link` header value of a response. */
function linkValues(res: http.IncomingMessage): string[] {
  const link: string | string[] | undefined = res.headers.link;
  return link === undefined ? [] : Array.isArray(link) ? link : [link];
}

/** Reads the (decompressed) body, stopping and closing the connection once it passes `maxBytes`. */
async function readCapped(res: http.IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const decoder = decoderFor(res.headers['content-encoding']);
  const stream: Readable = decoder ? pipeline(res, decoder, () => {}) : res;
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) {
        throw new FetchError(`body larger than ${maxBytes} bytes`, 'too-large', res.statusCode ?? null);
      }
      chunks.push(chunk);
    }
  } finally {
    // Leaving early (cap, error) must close the socket, not leave it streaming.
    if (!res.complete) res.destroy();
  }
  return Buffer.concat(chunks);
}
