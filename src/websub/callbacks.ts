import http from 'node:http';
import https from 'node:https';
import { PUBLIC_ONLY_AGENTS, refusedLiteralHost } from '../ingest/addresses.ts';

/**
 * The hub's HTTP client for subscribers' callbacks and outside hubs: one exchange, a time limit, a small cap on
 * the response read (we only need a challenge echo or a status). A callback on the public Internet may only
 * reach public addresses, checked at connect time by the same rule as upstream fetching (src/ingest/addresses.ts):
 * a name re-pointed at our own network between subscription and delivery is refused then.
 */

/** 'public': only public Internet addresses (the default for callbacks); 'any': private ones too. */
export type CallbackReach = 'public' | 'any';

export interface CallbackRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  reach: CallbackReach;
  timeoutMs: number;
  /** The response body is read up to this many bytes (more is cut off, not an error). */
  maxResponseBytes?: number;
}

export interface CallbackResponse {
  status: number;
  body: string;
}

/** Kept-alive sockets to callbacks that may be private, apart from the public-only ones (never shared). */
const ANY_AGENTS = {
  'http:': new http.Agent({ keepAlive: true }),
  'https:': new https.Agent({ keepAlive: true }),
} as const;

/** Sends one request to `url`; rejects on a refused address, a network error or the time limit. */
export function callCallback(url: string, r: CallbackRequest): Promise<CallbackResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') {
      reject(new Error(`not an http(s) URL: ${url}`));
      return;
    }
    if (r.reach === 'public') {
      const refused = refusedLiteralHost(target);
      if (refused) {
        reject(refused);
        return;
      }
    }
    const agents = r.reach === 'public' ? PUBLIC_ONLY_AGENTS : ANY_AGENTS;
    const lib = target.protocol === 'https:' ? https : http;
    const body = r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
    // A fan-out hands every delivery the headers prepared once for the body, its length among them.
    const headers: Record<string, string> =
      body && r.headers?.['content-length'] !== String(body.length) ? { ...r.headers, 'content-length': String(body.length) } : (r.headers ?? {});
    const max = r.maxResponseBytes ?? 4096;
    const req = lib.request(target, { method: r.method, headers, agent: agents[target.protocol] }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c.subarray(0, max - size));
        size += c.length;
        if (size >= max) {
          // Enough read: whatever follows is not ours to wait for (the socket goes, not kept alive).
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          res.destroy();
        }
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${r.timeoutMs} ms`)), r.timeoutMs);
    timer.unref();
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}
