import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A WebSub subscriber on loopback: answers verification GETs (echoing the challenge unless told not to),
 * records denials and the fat pings POSTed to it, and answers deliveries with a status tests can set.
 */
export interface Subscriber {
  /** A callback URL on this server. */
  url(p?: string): string;
  /** Verification and denial GETs, as their query parameters. */
  gets: { path: string; query: URLSearchParams }[];
  /** Deliveries (POSTs): their headers and body. */
  posts: { path: string; headers: http.IncomingHttpHeaders; body: Buffer }[];
  /** Whether a verification GET is answered with the challenge (true) or refused with a 404. */
  confirm: boolean;
  /** The statuses to answer the next POSTs with (shifted one per POST), then 204. */
  postStatuses: number[];
  close(): Promise<void>;
}

export async function startSubscriber(): Promise<Subscriber> {
  const s: Omit<Subscriber, 'url' | 'close'> = { gets: [], posts: [], confirm: true, postStatuses: [] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://subscriber.test');
    if (req.method === 'GET') {
      s.gets.push({ path: url.pathname, query: url.searchParams });
      const challenge = url.searchParams.get('hub.challenge');
      if (challenge !== null && s.confirm) {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(challenge);
      } else {
        res.writeHead(challenge === null ? 200 : 404);
        res.end();
      }
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      s.posts.push({ path: url.pathname, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(s.postStatuses.shift() ?? 204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(s, {
    url: (p = '/callback') => origin + p,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** Polls `check` until it returns true (or throws its last error after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
