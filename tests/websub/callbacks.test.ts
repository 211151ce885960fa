import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { callCallback } from '../../src/websub/callbacks.ts';

/**
 * The hub's client for callbacks against real servers on loopback: what a subscriber receives, the connection
 * kept for the next delivery, the cap on what is read of an answer, and a callback that never answers.
 */

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(handler: http.RequestListener): Promise<{ origin: string; connections: () => number }> {
  let connections = 0;
  const server = http.createServer(handler);
  server.on('connection', () => connections++);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

test('deliveries arrive with their headers and whole body, and later ones to the subscriber reuse its connections', async () => {
  const received: { path: string; headers: http.IncomingHttpHeaders; body: Buffer }[] = [];
  const sub = await serve((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(204).end();
    });
  });
  const body = Buffer.alloc(200_000, 'x');
  const headers = { 'content-type': 'application/rss+xml', 'content-length': String(body.length), link: '<http://hub/websub>; rel="hub"' };
  for (let k = 1; k <= 10; k++) {
    const res = await callCallback(`${sub.origin}/fan/${k}?a=b`, { method: 'POST', headers, body, reach: 'any', timeoutMs: 5000 });
    expect(res.status).toBe(204);
  }
  expect(received.map((r) => r.path)).toEqual(Array.from({ length: 10 }, (_, k) => `/fan/${k + 1}?a=b`));
  for (const r of received) {
    expect(r.body.equals(body)).toBe(true);
    expect(r.headers['content-type']).toBe('application/rss+xml');
    expect(r.headers['content-length']).toBe('200000');
    expect(r.headers.link).toBe('<http://hub/websub>; rel="hub"');
  }
  // Ten deliveries one after another: kept-alive connections, not one each (undici may open a second while the
  // first is being handed back to its pool).
  expect(sub.connections()).toBeLessThanOrEqual(2);
});

test('an answer is read up to maxResponseBytes, and its status comes back whatever it is', async () => {
  const sub = await serve((req, res) => {
    res.writeHead(req.url === '/long' ? 200 : 410, { 'content-type': 'text/plain' });
    res.end(req.url === '/long' ? 'y'.repeat(100_000) : 'gone');
  });
  const long = await callCallback(`${sub.origin}/long`, { method: 'GET', reach: 'any', timeoutMs: 5000, maxResponseBytes: 100 });
  expect(long).toEqual({ status: 200, body: 'y'.repeat(100) });
  expect(await callCallback(`${sub.origin}/gone`, { method: 'GET', reach: 'any', timeoutMs: 5000 })).toEqual({ status: 410, body: 'gone' });
});

test('a callback that never answers fails once the time limit is over', async () => {
  const sub = await serve(() => {
    // Reads the request and never answers.
  });
  await expect(callCallback(`${sub.origin}/silent`, { method: 'POST', body: 'x', reach: 'any', timeoutMs: 200 })).rejects.toThrow();
});

test('public-only: a private address is refused, whether written as a literal or behind a name', async () => {
  const sub = await serve((_req, res) => res.writeHead(204).end());
  await expect(callCallback(`${sub.origin}/x`, { method: 'GET', reach: 'public', timeoutMs: 2000 })).rejects.toThrow(/loopback address/);
  const byName = sub.origin.replace('127.0.0.1', 'localhost');
  await expect(callCallback(`${byName}/x`, { method: 'GET', reach: 'public', timeoutMs: 2000 })).rejects.toThrow(/refusing to connect to localhost/);
  expect(sub.connections()).toBe(0);
  // Callback URLs are parsed once and remembered: the same URL is refused again for a public-only call, and still
  // reached by one that may reach private addresses (the refusal belongs to the call's reach, not to the URL).
  await expect(callCallback(`${sub.origin}/x`, { method: 'GET', reach: 'public', timeoutMs: 2000 })).rejects.toThrow(/loopback address/);
  expect((await callCallback(`${sub.origin}/x`, { method: 'GET', reach: 'any', timeoutMs: 2000 })).status).toBe(204);
  await expect(callCallback(`${sub.origin}/x`, { method: 'GET', reach: 'public', timeoutMs: 2000 })).rejects.toThrow(/loopback address/);
});

test('only http and https callbacks are called', async () => {
  await expect(callCallback('ftp://example.org/x', { method: 'GET', reach: 'any', timeoutMs: 1000 })).rejects.toThrow(/not an http\(s\) URL/);
  await expect(callCallback('ftp://example.org/x', { method: 'GET', reach: 'any', timeoutMs: 1000 })).rejects.toThrow(/not an http\(s\) URL/);
  await expect(callCallback('http//no-scheme', { method: 'GET', reach: 'any', timeoutMs: 1000 })).rejects.toThrow(/not a URL: http\/\/no-scheme/);
});
