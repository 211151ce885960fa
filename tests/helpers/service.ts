import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { silentLogger, type Logger } from '../../src/log.ts';
import { createService, type Service, type ServiceOptions } from '../../src/service.ts';
import type { HubTuning } from '../../src/websub/hub.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');
/** The base URL our test services publish under; requests go to loopback and are mapped back. */
export const TEST_BASE = 'http://feeds.example.test';

/** Rewrites one file of a content tree (`file` relative to `dir`). */
export function edit(dir: string, file: string, change: (text: string) => string): void {
  const p = path.join(dir, file);
  fs.writeFileSync(p, change(fs.readFileSync(p, 'utf8')));
}

/** Writes one file of a content tree, creating its folders. */
export function write(dir: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}

/** A second Indonesian article, published January 2021 in one category (turki): November 2020 becomes a closed month. */
export const LATER_ARTICLE = 'articles/later/index.id.md';
export function laterArticle(summary: string): string {
  return `---
id: later
title: Artikel berikutnya
summary: ${summary}
published: 2021-01-15T12:00:00+07:00
updated: 2021-01-15T12:00:00+07:00
authors:
  - name: Redaksi
source:
  name: Kabar
  url: https://kabar.example/
categories: [turki]
tags: []
relates: []
---

Isi.
`;
}

/** A fresh copy of the repository's content (articles and site.yaml), without upstream sources. */
export function copyContent(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-content-'));
  fs.cpSync(path.join(REPO, 'content'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'sources.yaml'), { force: true });
  return dir;
}

export interface Running {
  /** Loopback origin of the server, e.g. http://127.0.0.1:41234 */
  origin: string;
  service: Service;
  contentDir: string;
  dataDir: string;
  /** Maps a published URL (under TEST_BASE) to the loopback server. */
  local(url: string): string;
  close(): Promise<void>;
}

export async function startService(
  opts: {
    contentDir?: string;
    dataDir?: string;
    env?: Record<string, string>;
    now?: () => Date;
    logger?: Logger;
    watch?: boolean;
    /** The loopback port to listen on (default: any free one); with BASE_URL on it, published URLs are reachable as they are. */
    port?: number;
    pollJitterMs?: number;
    hub?: Partial<HubTuning>;
    cdn?: ServiceOptions['cdn'];
  } = {},
): Promise<Running> {
  const contentDir = opts.contentDir ?? copyContent();
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-data-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    BASE_URL: TEST_BASE,
    CONTENT_DIR: contentDir,
    DATA_DIR: dataDir,
    INGEST: 'off',
    ...opts.env,
  });
  const service = await createService(config, opts.logger ?? silentLogger(), {
    ...(opts.now ? { now: opts.now } : {}),
    watchContent: opts.watch ?? false,
    ...(opts.pollJitterMs !== undefined ? { pollJitterMs: opts.pollJitterMs } : {}),
    ...(opts.hub ? { hub: opts.hub } : {}),
    ...(opts.cdn ? { cdn: opts.cdn } : {}),
  });
  await new Promise<void>((resolve) => service.server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
  return {
    origin,
    service,
    contentDir,
    dataDir,
    local: (url) => (url.startsWith(TEST_BASE) ? origin + url.slice(TEST_BASE.length) : url),
    close: () => service.close(),
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

/** A plain HTTP exchange with nothing added or decoded, to see exactly what clients get. */
export function request(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
