import { Agent, type Dispatcher } from 'undici';
import { publicOnlyLookup, refusedLiteralHost } from '../ingest/addresses.ts';

/**
 * The hub's HTTP client for subscribers' callbacks and outside hubs: one exchange, a time limit, a small cap on
 * the response read (we only need a challenge echo or a status). A callback on the public Internet may only
 * reach public addresses, checked at connect time by the same rule as upstream fetching (src/ingest/addresses.ts):
 * a name re-pointed at our own network between subscription and delivery is refused then.
 *
 * undici's Agent (a kept-alive Pool per origin) sends them, through its dispatch interface: a fan-out makes a
 * thousand of these per change on the core that serves readers, and undici's dispatch costs about a third less
 * CPU per delivery than node:http's ClientRequest (no request and response streams, no per-request URL parse
 * into options; measured 72 against 106 ms per 1,000 deliveries of a 194 KB body on loopback).
 */

/** 'public': only public Internet addresses (the default for callbacks); 'any': private ones too. */
export type CallbackReach = 'public' | 'any';

export interface CallbackRequest {
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: Buffer | string;
  reach: CallbackReach;
  /** Limit on connecting, and on each wait for the answer's head and body. */
  timeoutMs: number;
  /** The response body is read up to this many bytes (more is cut off, not an error). */
  maxResponseBytes?: number;
}

export interface CallbackResponse {
  status: number;
  body: string;
}

/**
 * Kept-alive connections, public-only and any-address ones apart (a socket a private callback opened is never
 * reused for a public-only one). Idle connections are kept for a minute, so a subscriber's connection usually
 * serves the next change too; a server's own Keep-Alive timeout, when it sends one, is honoured.
 */
const agents = new Map<string, Agent>();

function agentFor(reach: CallbackReach, timeoutMs: number): Agent {
  const key = `${reach} ${timeoutMs}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({
      connect: reach === 'public' ? { lookup: publicOnlyLookup, timeout: timeoutMs } : { timeout: timeoutMs },
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    });
    agents.set(key, agent);
  }
  return agent;
}

interface Target {
  origin: string;
  path: string;
  /** Why a public-only request may not go there (an address literal that is not public), or null. */
  refused: Error | null;
}

/**
 * Callback URLs parsed, by URL: a fan-out sends to the same callbacks on every change, and parsing each anew
 * was about a twentieth of a delivery's JavaScript. Forgotten all at once when it holds `MAX_TARGETS`.
 */
const targets = new Map<string, Target | Error>();
const MAX_TARGETS = 100_000;

function targetOf(url: string): Target | Error {
  let t = targets.get(url);
  if (t === undefined) {
    t = parseTarget(url);
    if (targets.size >= MAX_TARGETS) targets.clear();
    targets.set(url, t);
  }
  return t;
}

function parseTarget(url: string): Target | Error {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return new Error(`not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return new Error(`not an http(s) URL: ${url}`);
  return { origin: u.origin, path: u.pathname + u.search, refused: refusedLiteralHost(u) };
}

/** Sends one request to `url`; rejects on a refused address, a network error or the time limit. */
export function callCallback(url: string, r: CallbackRequest): Promise<CallbackResponse> {
  return new Promise((resolve, reject) => {
    const target = targetOf(url);
    if (target instanceof Error) {
      reject(target);
      return;
    }
    if (r.reach === 'public' && target.refused) {
      reject(target.refused);
      return;
    }
    const max = r.maxResponseBytes ?? 4096;
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let settled = false;
    const done = () => {
      settled = true;
      resolve({ status, body: Buffer.concat(chunks).toString('utf8') });
    };
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData(controller, chunk) {
        if (settled) return;
        chunks.push(chunk.subarray(0, max - size));
        size += chunk.length;
        if (size >= max) {
          // Enough read: whatever follows is not ours to wait for (the connection goes, not kept alive).
          done();
          controller.abort(new Error('response cut off'));
        }
      },
      onResponseEnd() {
        if (!settled) done();
      },
      onResponseError(_controller, err) {
        if (settled) return;
        settled = true;
        reject(err);
      },
    };
    agentFor(r.reach, r.timeoutMs).dispatch(
      {
        origin: target.origin,
        path: target.path,
        method: r.method,
        headers: r.headers ?? {},
        body: r.body ?? null,
        headersTimeout: r.timeoutMs,
        bodyTimeout: r.timeoutMs,
      },
      handler,
    );
  });
}
