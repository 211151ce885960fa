/**
 * The loopback upstream for the ingest measurement: serves one generated feed file with an ETag and
 * Last-Modified and answers a matching conditional GET with 304, as a well-behaved publisher does.
 * Usage: node --import tsx bench/servers/upstream.ts <feed.xml>; prints `LISTENING <port>` when ready.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: upstream.ts <feed.xml>\n');
  process.exit(2);
}
const body = fs.readFileSync(file);
const etag = '"bench-feed-v1"';
const lastModified = 'Fri, 20 Nov 2026 00:00:00 GMT';

const server = http.createServer((req, res) => {
  if (req.url !== '/feed.xml') {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, { etag, 'last-modified': lastModified });
    res.end();
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/rss+xml; charset=utf-8',
    'content-length': body.length,
    etag,
    'last-modified': lastModified,
  });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// Never outlive the benchmark: exit when the parent goes away.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
