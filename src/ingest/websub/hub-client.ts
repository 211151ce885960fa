import http from 'node:http';
import https from 'node:https';
import type { FetchPolicy } from '../../config.ts';
import { AddressRefused, PUBLIC_ONLY_AGENTS, publicOnlyLookup, refusedLiteralHost } from '../addresses.ts';
import type { Reach } from '../fetcher.ts';

/** A hub refused or could not take our request; the message is what /status and the logs show. */
export class HubRequestError extends Error {
  override readonly name = 'HubRequestError';
}

/**
 * Sends one subscription request (WebSub 5.1): a form-encoded POST to the hub, under the fetch policy's time
 * limit and the source's reach (a hub named by a public feed may only be a public address). A 307 or 308 is
 * followed (5.1.2: the hub sends us to another hub); any other answer but a 2xx (202 Accepted, as a rule) is an
 * error naming the status and the start of the hub's explanation.
 */
export async function postToHub(hub: string, params: Record<string, string>, policy: Pick<FetchPolicy, 'timeoutMs' | 'maxRedirects' | 'userAgent'>, reach: Reach): Promise<number> {
  const body = new URLSearchParams(params).toString();
  let target = new URL(hub);
  for (let hop = 0; ; hop++) {
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new HubRequestError(`hub URL ${target.href} is not http(s)`);
    const refused = reach === 'public' ? refusedLiteralHost(target) : null;
    if (refused) throw new HubRequestError(refused.message);
    const { status, location, text } = await post(target, body, policy, reach);
    if ((status === 307 || status === 308) && location && hop < policy.maxRedirects) {
      target = new URL(location, target);
      continue;
    }
    if (status >= 200 && status <= 299) return status;
    const why = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    throw new HubRequestError(`hub ${target.href} answered ${status}${why ? `: ${why}` : ''}`);
  }
}

function post(target: URL, body: string, policy: Pick<FetchPolicy, 'timeoutMs' | 'userAgent'>, reach: Reach): Promise<{ status: number; location: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const client = target.protocol === 'https:' ? https : http;
    const guard = reach === 'public' ? { agent: PUBLIC_ONLY_AGENTS[target.protocol as 'http:' | 'https:'], lookup: publicOnlyLookup } : {};
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'content-length': Buffer.byteLength(body), 'user-agent': policy.userAgent },
        timeout: policy.timeoutMs,
        ...guard,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          // Only the start of an explanation is kept.
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new HubRequestError(`hub ${target.href} did not answer within ${policy.timeoutMs} ms`)));
    req.on('error', (err) =>
      reject(err instanceof HubRequestError ? err : new HubRequestError(err instanceof AddressRefused ? err.message : `hub ${target.href}: ${err.message}`)),
    );
    req.end(body);
  });
}
