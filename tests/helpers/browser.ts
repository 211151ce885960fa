import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO, startService, type Running } from './service.ts';

/*
 * A real browser for the tests that look at what a person sees: Debian's Chromium driven by playwright-core (which
 * downloads no browser of its own). Without Chromium these tests fail, naming the package to install; they never
 * skip.
 */

export const CHROMIUM = '/usr/bin/chromium';

/** Where screenshots go: test artefacts, git-ignored. */
export const SCREENSHOTS = path.join(REPO, 'test-results', 'browser');

export async function launchChromium(): Promise<BrowserContext> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`the browser tests need Chromium at ${CHROMIUM}: install Debian's package "chromium" (apt-get install -y chromium; .ci/run does)`);
  }
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  // A fresh profile each run: no cache, cookies or permissions from before.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1024, height: 800 },
  });
}

/** Console errors and uncaught exceptions of a page, collected as they come. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  return errors;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The service with BASE_URL on its own loopback address, so the URLs it publishes (feed addresses to copy, the
 * embed script's base) are the ones the browser reaches. 127.0.0.1 is a secure context: the Clipboard API works.
 */
export async function startPublicService(): Promise<Running> {
  const port = await freePort();
  return startService({ port, env: { BASE_URL: `http://127.0.0.1:${port}` } });
}

export interface Partner {
  /** The partner site's origin: `localhost`, another origin than the service's 127.0.0.1. */
  origin: string;
  close(): Promise<void>;
}

/**
 * A partner's site on a second loopback origin, serving the pages of tests/fixtures/partner/ with `{{BASE}}` replaced
 * by the service's URL, and anything else named in `extra` as given.
 */
export async function startPartner(base: string, extra: Record<string, { type: string; body: string }> = {}): Promise<Partner> {
  const dir = path.join(REPO, 'tests/fixtures/partner');
  const server = http.createServer((req, res) => {
    const name = (req.url ?? '/').split('?')[0]!.slice(1);
    const own = extra[name];
    if (own) {
      res.writeHead(200, { 'content-type': own.type });
      res.end(own.body);
      return;
    }
    const file = path.join(dir, path.basename(name));
    if (!name.endsWith('.html') || !fs.existsSync(file)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(fs.readFileSync(file, 'utf8').replaceAll('{{BASE}}', base));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
