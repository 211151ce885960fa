/**
 * The reference: a bare node:http server answering with the bytes and headers the service sent (fetched from
 * it just before), doing the least work a correct server can: one Map lookup by URL, an If-None-Match string
 * comparison, an Accept-Encoding check, and prepared header arrays.
 * Usage: node --import tsx bench/servers/bare.ts <routes.json>; prints `LISTENING <port>` when ready.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One URL's prepared answers (written by bench/run.ts). */
export interface BareRoute {
  etag: string;
  /** Flat [name, value, ...] arrays, as the service sent them (Date and Connection are added by node:http). */
  identityHeaders: string[];
  identityFile: string;
  gzipHeaders: string[];
  gzipFile: string;
  notModifiedHeaders: string[];
}

interface Prepared {
  etag: string;
  identityHeaders: string[];
  identity: Buffer;
  gzipHeaders: string[];
  gzip: Buffer;
  notModifiedHeaders: string[];
}

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: bare.ts <routes.json>\n');
  process.exit(2);
}
const config = JSON.parse(fs.readFileSync(file, 'utf8')) as { routes: Record<string, BareRoute> };
const routes = new Map<string, Prepared>();
for (const [path, r] of Object.entries(config.routes)) {
  routes.set(path, {
    etag: r.etag,
    identityHeaders: r.identityHeaders,
    identity: fs.readFileSync(r.identityFile),
    gzipHeaders: r.gzipHeaders,
    gzip: fs.readFileSync(r.gzipFile),
    notModifiedHeaders: r.notModifiedHeaders,
  });
}

const server = http.createServer((req, res) => {
  const r = routes.get(req.url ?? '');
  if (!r) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  if (req.headers['if-none-match'] === r.etag) {
    res.writeHead(304, r.notModifiedHeaders);
    res.end();
    return;
  }
  const ae = req.headers['accept-encoding'];
  if (ae !== undefined && ae.includes('gzip')) {
    res.writeHead(200, r.gzipHeaders);
    res.end(r.gzip);
    return;
  }
  res.writeHead(200, r.identityHeaders);
  res.end(r.identity);
});
// The same socket limits as the service (src/http/server.ts).
server.headersTimeout = 15_000;
server.requestTimeout = 30_000;
server.keepAliveTimeout = 5_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
// Never outlive the benchmark: exit when the parent goes away.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
