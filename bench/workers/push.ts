/**
 * Upstream push to our related feed (issue 11: "an upstream push appears in our related feed in < 1 s"), in its
 * own process: the real service (createService, as `npm start` builds it) with WEBSUB_SUBSCRIBE=on, the
 * repository's content (its Karabakh article relates upstream items naming Karabakh), a fixture upstream feed of
 * 50 items advertising a fixture hub, both on loopback in this process. The service polls the feed once,
 * subscribes, and the hub verifies; then each measured push is a feed with one new related item, signed with the
 * secret we gave, POSTed to the callback, and the clock runs until GET /id/related/feed.json lists the item.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { sign } from '../../src/ingest/websub/signature.ts';
import { silentLogger } from '../../src/log.ts';
import { createService } from '../../src/service.ts';
import { freePort } from '../lib/proc.ts';
import { quantile, round } from '../lib/stats.ts';
import { runWorker } from '../lib/worker.ts';

export interface PushInput {
  /** The repository (its content/ is copied). */
  repo: string;
  workDir: string;
  pushes: number;
  warmup: number;
}

export interface PushOutput {
  pushes: number;
  feedItems: number;
  /** Push sent to item listed in the related feed, per push. */
  ms: number[];
  medianMs: number;
  p99Ms: number;
  maxMs: number;
}

function exchange(url: string, method: 'GET' | 'POST', headers: Record<string, string> = {}, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function main(input: PushInput): Promise<PushOutput> {
  const base = path.join(input.workDir, 'push');
  fs.rmSync(base, { recursive: true, force: true });
  const contentDir = path.join(base, 'content');
  fs.cpSync(path.join(input.repo, 'content'), contentDir, { recursive: true });

  // The hub: 202, then verification of intent; it keeps the secret to sign pushes as a hub does.
  let secret: string | null = null;
  let verified: () => void = () => {};
  const verification = new Promise<void>((resolve) => (verified = resolve));
  const hub = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(202).end();
      const url = new URL(form.get('hub.callback')!);
      for (const k of ['hub.mode', 'hub.topic']) url.searchParams.set(k, form.get(k) ?? '');
      url.searchParams.set('hub.challenge', 'bench-challenge');
      url.searchParams.set('hub.lease_seconds', '864000');
      void exchange(url.href, 'GET').then((r) => {
        if (r.status === 200 && r.text === 'bench-challenge') {
          secret = form.get('hub.secret');
          verified();
        }
      });
    });
  });
  const hubUrl = `http://127.0.0.1:${await listen(hub)}/hub`;
  const item = (i: number, title: string) =>
    `<item><title>${title}</title><link>https://wire.example/${i}</link><guid>https://wire.example/${i}</guid><pubDate>${new Date(Date.UTC(2026, 0, 1, 0, i)).toUTCString()}</pubDate></item>`;
  const baseItems = Array.from({ length: 50 }, (_, i) => item(i, `Wire story ${i} about the economy`));
  const feed = (extra: string[]) =>
    `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>Wire</title><link>https://wire.example/</link>` +
    `<atom:link rel="hub" href="${hubUrl}"/>${[...extra, ...baseItems].join('')}</channel></rss>`;
  const upstream = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(feed([])));
  const feedUrl = `http://127.0.0.1:${await listen(upstream)}/feed.xml`;
  fs.writeFileSync(path.join(contentDir, 'sources.yaml'), `- url: ${feedUrl}\n  id: wire\n  name: Wire\n`);

  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = loadConfig({ PORT: String(port), HOST: '127.0.0.1', BASE_URL: origin, CONTENT_DIR: contentDir, DATA_DIR: path.join(base, 'data'), INGEST: 'off', WEBSUB_SUBSCRIBE: 'on' });
  const service = await createService(config, silentLogger(), { watchContent: false });
  await new Promise<void>((resolve) => service.server.listen(port, '127.0.0.1', resolve));
  const ms: number[] = [];
  try {
    await service.ingester.pollSource('wire');
    await Promise.race([verification, new Promise((_, reject) => setTimeout(() => reject(new Error('the hub did not verify within 10 s')), 10_000))]);
    const callback = `${origin}/websub/callback/wire`;
    const pushed: string[] = [];
    for (let i = 0; i < input.warmup + input.pushes; i++) {
      const title = `Karabakh wire push ${i}`;
      pushed.unshift(item(1000 + i, title));
      const body = feed(pushed.slice(0, 20));
      const t0 = performance.now();
      const res = await exchange(callback, 'POST', { 'content-type': 'application/rss+xml', 'x-hub-signature': sign(body, secret!) }, body);
      if (res.status !== 202) throw new Error(`the callback answered ${res.status}`);
      for (;;) {
        const related = await exchange(`${origin}/id/related/feed.json`, 'GET');
        if (related.text.includes(title)) break;
        if (performance.now() - t0 > 10_000) throw new Error(`push ${i} not in the related feed after 10 s`);
      }
      if (i >= input.warmup) ms.push(performance.now() - t0);
    }
  } finally {
    await service.close();
    hub.close();
    upstream.close();
    fs.rmSync(base, { recursive: true, force: true });
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    pushes: ms.length,
    feedItems: 50,
    ms: ms.map((x) => round(x, 2)),
    medianMs: round(quantile(sorted, 0.5), 2),
    p99Ms: round(quantile(sorted, 0.99), 2),
    maxMs: round(sorted.at(-1) ?? 0, 2),
  };
}

runWorker(main);
