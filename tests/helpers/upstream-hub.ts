import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One subscription request the hub received (WebSub 5.1), as form fields. */
export interface HubRequest {
  mode: string;
  callback: string;
  topic: string;
  leaseSeconds: string | null;
  secret: string | null;
}

/** How the subscriber answered one verification of intent (5.3). */
export interface Verification {
  request: HubRequest;
  challenge: string;
  status: number;
  body: string;
  /** The subscriber echoed the challenge with a 2xx: the hub takes the request as verified. */
  verified: boolean;
}

export interface PushResult {
  callback: string;
  status: number;
}

export interface FixtureHub {
  /** The hub's URL, to advertise in a feed. */
  url: string;
  requests: HubRequest[];
  verifications: Verification[];
  /** Verified subscriptions by callback: topic and secret. */
  subscribers: Map<string, { topic: string; secret: string | null }>;
  /** The lease granted at the next verifications (default 864000 s). */
  leaseSeconds: number;
  /** Resolves when every verification started so far has its answer. */
  settled(): Promise<void>;
  /**
   * Delivers `body` to every verified subscriber of `topic` (7), signed with its secret (7.1) unless `sign`
   * gives another header value (or null for none).
   */
  push(topic: string, body: string, options?: { contentType?: string; sign?: (secret: string | null) => string | null }): Promise<PushResult[]>;
  close(): Promise<void>;
}

function send(url: string, method: 'GET' | 'POST', headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A WebSub hub on loopback, as far as a subscriber sees one: it answers subscription requests with 202, then
 * verifies intent by a GET to the callback with a random challenge, and pushes signed feeds to verified
 * subscribers. `local` maps the callback URL (under the service's BASE_URL) to where the service listens.
 */
export async function startHub(local: (url: string) => string = (u) => u): Promise<FixtureHub> {
  const requests: HubRequest[] = [];
  const verifications: Verification[] = [];
  const subscribers = new Map<string, { topic: string; secret: string | null }>();
  const pending = new Set<Promise<void>>();
  let hubUrl = '';
  const hub: FixtureHub = {
    get url() {
      return hubUrl;
    },
    requests,
    verifications,
    subscribers,
    leaseSeconds: 864000,
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async push(topic, body, options = {}) {
      const results: PushResult[] = [];
      for (const [callback, sub] of subscribers) {
        if (sub.topic !== topic) continue;
        const signature = options.sign ? options.sign(sub.secret) : sub.secret ? `sha256=${createHmac('sha256', sub.secret).update(body).digest('hex')}` : null;
        const headers: Record<string, string> = {
          'content-type': options.contentType ?? 'application/rss+xml; charset=utf-8',
          link: `<${hubUrl}>; rel="hub", <${topic}>; rel="self"`,
        };
        if (signature !== null) headers['x-hub-signature'] = signature;
        const res = await send(local(callback), 'POST', headers, body);
        results.push({ callback, status: res.status });
      }
      return results;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };

  async function verify(request: HubRequest): Promise<void> {
    const challenge = randomBytes(12).toString('hex');
    const url = new URL(local(request.callback));
    url.searchParams.set('hub.mode', request.mode);
    url.searchParams.set('hub.topic', request.topic);
    url.searchParams.set('hub.challenge', challenge);
    if (request.mode === 'subscribe') url.searchParams.set('hub.lease_seconds', String(hub.leaseSeconds));
    const res = await send(url.href, 'GET');
    const verified = res.status >= 200 && res.status <= 299 && res.body === challenge;
    verifications.push({ request, challenge, status: res.status, body: res.body, verified });
    if (!verified) return;
    if (request.mode === 'subscribe') subscribers.set(request.callback, { topic: request.topic, secret: request.secret });
    else subscribers.delete(request.callback);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      const request: HubRequest = {
        mode: form.get('hub.mode') ?? '',
        callback: form.get('hub.callback') ?? '',
        topic: form.get('hub.topic') ?? '',
        leaseSeconds: form.get('hub.lease_seconds'),
        secret: form.get('hub.secret'),
      };
      requests.push(request);
      if (req.method !== 'POST' || !['subscribe', 'unsubscribe'].includes(request.mode) || !request.callback || !request.topic) {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('bad request');
        return;
      }
      res.writeHead(202, { 'content-type': 'text/plain' });
      res.end('accepted');
      // Verification starts once the request is answered (5.1.2: the answer must not depend on it).
      const work = verify(request).catch(() => undefined);
      pending.add(work);
      void work.finally(() => pending.delete(work));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hub`;
  return hub;
}
