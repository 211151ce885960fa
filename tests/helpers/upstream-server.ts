import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/upstream');

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(FIXTURES, name));
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Upstream {
  /** Absolute URL of a path on this server. */
  url(p: string): string;
  /** Every request seen, in order. */
  requests: { path: string; headers: http.IncomingHttpHeaders }[];
  /** Routes by path; tests add or replace them. */
  routes: Map<string, Handler>;
  close(): Promise<void>;
}

/** Serves a fixture with an ETag and Last-Modified, answering 304 to a matching conditional GET. */
export function serveFile(name: string, contentType = 'application/rss+xml; charset=utf-8', etag = `"${name}-v1"`): Handler {
  const body = fixture(name);
  const lastModified = 'Mon, 02 Nov 2026 12:00:00 GMT';
  return (req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': contentType, etag, 'last-modified': lastModified });
    res.end(body);
  };
}

/** Serves bytes without validators. */
export function serveBytes(body: Buffer | string, headers: http.OutgoingHttpHeaders = { 'content-type': 'application/xml' }): Handler {
  return (_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  };
}

export function compressed(name: string, encoding: 'gzip' | 'br' | 'deflate'): Handler {
  const raw = fixture(name);
  const body =
    encoding === 'gzip' ? zlib.gzipSync(raw) : encoding === 'br' ? zlib.brotliCompressSync(raw) : zlib.deflateSync(raw);
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml', 'content-encoding': encoding });
    res.end(body);
  };
}

export function redirect(status: number, to: string): Handler {
  return (_req, res) => {
    res.writeHead(status, { location: to });
    res.end();
  };
}

export function statusOnly(status: number, headers: http.OutgoingHttpHeaders = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(`status ${status}`);
  };
}

/** Sends the head and a first chunk, then trickles forever. */
export const neverEndingBody: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/rss+xml' });
  res.write('<?xml version="1.0"?><rss version="2.0"><channel><title>Endless</title>');
  const timer = setInterval(() => res.write('<!-- still here -->'), 50);
  res.on('close', () => clearInterval(timer));
};

/** Accepts the request and never answers. */
export const neverAnswers: Handler = () => {};

/** A body far larger than any cap, generated as it is sent. */
export function hugeBody(bytes: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.on('close', () => (sent = bytes));
    pump();
  };
}

/** The fixture upstream: real HTTP on 127.0.0.1, on a port the OS picks. */
export async function startUpstream(routes: Record<string, Handler> = {}): Promise<Upstream> {
  const map = new Map(Object.entries(routes));
  const requests: Upstream['requests'] = [];
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path: p, headers: req.headers });
    const h = map.get(p);
    if (!h) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    h(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    requests,
    routes: map,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
