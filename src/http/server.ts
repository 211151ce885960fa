import http from 'node:http';
import type { Express } from 'express';
import type { RepresentationCache } from '../cache/cache.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { ReaderCounter } from '../stats/counter.ts';
import { browserViewKey, wantsBrowserView } from './browser-view.ts';
import { fastCacheKey } from './resources.ts';
import { sendRepresentation } from './send.ts';

/**
 * The HTTP server. Aggregators mostly ask for a feed they asked for minutes ago; such a request (GET or
 * HEAD, already rendered, its query canonical once the parameters we do not read are dropped, as
 * `?utm_source=...`) is answered from the cache here, before Express does its
 * per-request work, which costs several times more than sending the bytes. Everything else goes to Express.
 * Who asked is handed to the reader counter as three references (src/stats/counter.ts does the rest later).
 */
export function createServer(app: Express, cache: RepresentationCache, metrics: Metrics, readers: ReaderCounter): http.Server {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const key = fastCacheKey(req.url ?? '/');
      let rep = key === null ? undefined : cache.peek(key);
      // A feed opened in a browser gets its HTML view (src/http/browser-view.ts): one header read, for feeds only.
      if (rep?.browserView && wantsBrowserView(req.headers)) rep = cache.peek(browserViewKey(key!));
      if (rep) {
        metrics.response('cache', sendRepresentation(req, res, rep, cache.now));
        readers.record(key!, req.headers['user-agent'], req.socket.remoteAddress);
        return;
      }
    }
    res.once('finish', () => metrics.response('app', res.statusCode));
    app(req, res);
  });
  // Slow clients must not hold sockets forever.
  server.headersTimeout = 15_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
