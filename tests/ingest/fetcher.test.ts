import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import type { FetchPolicy } from '../../src/config.ts';
import { FetchError, fetchFeed, parseRetryAfter } from '../../src/ingest/fetcher.ts';
import {
  compressed,
  fixture,
  hugeBody,
  neverAnswers,
  neverEndingBody,
  redirect,
  serveBytes,
  serveFile,
  startUpstream,
  statusOnly,
  type Upstream,
} from '../helpers/upstream-server.ts';

const policy: FetchPolicy = { timeoutMs: 1500, maxBytes: 64 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test (+http://localhost/)' };
const none = { etag: null, lastModified: null };
const NOW = new Date('2026-11-20T10:00:00Z');

let up: Upstream;
beforeAll(async () => {
  up = await startUpstream({
    '/rss2.xml': serveFile('rss2.xml'),
    '/gzip.xml': compressed('rss2.xml', 'gzip'),
    '/br.xml': compressed('rss2.xml', 'br'),
    '/deflate.xml': compressed('rss2.xml', 'deflate'),
    '/huge.xml': hugeBody(50 * 1024 * 1024),
    '/gzip-bomb.xml': (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024, ' ')));
    },
    '/stall.xml': neverAnswers,
    '/endless.xml': neverEndingBody,
    '/loop-a': redirect(302, '/loop-b'),
    '/loop-b': redirect(302, '/loop-a'),
    '/moved-1': redirect(301, '/moved-2'),
    '/moved-2': redirect(308, '/rss2.xml'),
    '/temp': redirect(302, '/rss2.xml'),
    '/perm-then-temp': redirect(301, '/temp'),
    '/js-redirect': redirect(302, 'javascript:alert(1)'),
    '/429': statusOnly(429, { 'retry-after': '120' }),
    '/503': statusOnly(503, { 'retry-after': 'Fri, 20 Nov 2026 12:00:00 GMT' }),
    '/500': statusOnly(500),
    '/latin1-declared.xml': serveBytes(fixture('latin1-declared.xml'), { 'content-type': 'application/xml' }),
    '/latin1-header.xml': serveBytes(fixture('latin1-header.xml'), { 'content-type': 'text/xml; charset=ISO-8859-1' }),
    '/utf16.xml': serveBytes(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<?xml version="1.0"?><rss version="2.0"><channel><title>Ünïcode</title></channel></rss>', 'utf16le')]),
      { 'content-type': 'application/xml; charset=iso-8859-1' },
    ),
  });
  for (let i = 0; i < 8; i++) up.routes.set(`/chain-${i}`, redirect(302, `/chain-${i + 1}`));
});
afterAll(() => up.close());


async function failure(p: Promise<unknown>): Promise<FetchError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FetchError);
  return err as FetchError;
}

describe('fetchFeed', () => {
  it('for a source on the public Internet, refuses to connect to a non-public address, named or literal', async () => {
    const before = up.requests.length;
    const literal = await failure(fetchFeed(up.url('/rss2.xml'), none, policy, () => NOW, 'public'));
    expect(literal.kind).toBe('address');
    expect(literal.message).toMatch(/refusing to connect to 127\.0\.0\.1 \(127\.0\.0\.1\): a loopback address/);
    // A name is checked on the addresses it resolves to, the ones the connection would use.
    const named = new URL(up.url('/rss2.xml'));
    named.hostname = 'localhost';
    const byName = await failure(fetchFeed(named.href, none, policy, () => NOW, 'public'));
    expect(byName.kind).toBe('address');
    expect(byName.message).toMatch(/refusing to connect to localhost \((127\.0\.0\.1|::1)\): a loopback address/);
    expect(up.requests.length).toBe(before);
    // The same fetches for a source the operator put on this machine go through.
    expect((await fetchFeed(named.href, none, policy, () => NOW, 'any')).kind).toBe('ok');
  });

  it('sends the User-Agent and conditional headers, and returns the validators', async () => {
    const res = await fetchFeed(up.url('/rss2.xml'), none, policy);
    expect(res.kind).toBe('ok');
    if (res.kind !== 'ok') return;
    expect(res.validators.etag).toBe('"rss2.xml-v1"');
    expect(res.text).toContain('Ceasefire talks over Karabakh');
    const again = await fetchFeed(up.url('/rss2.xml'), res.validators, policy);
    expect(again.kind).toBe('not-modified');
    expect(again.status).toBe(304);
    const last = up.requests.at(-1)!;
    expect(last.headers['user-agent']).toBe(policy.userAgent);
    expect(last.headers['if-none-match']).toBe('"rss2.xml-v1"');
    expect(last.headers['if-modified-since']).toBe('Mon, 02 Nov 2026 12:00:00 GMT');
  });

  it.each(['gzip', 'br', 'deflate'])('decodes %s bodies', async (enc) => {
    const res = await fetchFeed(up.url(`/${enc}.xml`), none, policy);
    expect(res.kind === 'ok' && res.text).toContain('Russia and Turkey agree new patrols in Idlib');
  });

  it('stops reading at the size cap', async () => {
    const err = await failure(fetchFeed(up.url('/huge.xml'), none, policy));
    expect(err.kind).toBe('too-large');
  });

  it('applies the cap to the decompressed size (gzip bomb)', async () => {
    const err = await failure(fetchFeed(up.url('/gzip-bomb.xml'), none, policy));
    expect(err.kind).toBe('too-large');
  });

  it('times out a server that never answers', async () => {
    const err = await failure(fetchFeed(up.url('/stall.xml'), none, { ...policy, timeoutMs: 300 }));
    expect(err.kind).toBe('timeout');
  });

  it('times out a body that never ends', async () => {
    const err = await failure(fetchFeed(up.url('/endless.xml'), none, { ...policy, timeoutMs: 300 }));
    expect(err.kind).toBe('timeout');
    expect(err.status).toBe(200);
  });

  it('refuses a redirect loop', async () => {
    const err = await failure(fetchFeed(up.url('/loop-a'), none, policy));
    expect(err.kind).toBe('redirect');
    expect(err.message).toMatch(/loop/);
  });

  it('follows at most maxRedirects redirects', async () => {
    const err = await failure(fetchFeed(up.url('/chain-0'), none, policy));
    expect(err.kind).toBe('redirect');
    expect(err.message).toMatch(/more than 5 redirects/);
  });

  it('reports the target of a 301/308 chain as the new permanent URL', async () => {
    const res = await fetchFeed(up.url('/moved-1'), none, policy);
    expect(res.kind).toBe('ok');
    expect(res.permanentUrl).toBe(up.url('/rss2.xml'));
    expect(res.finalUrl).toBe(up.url('/rss2.xml'));
  });

  it('does not remember a temporary redirect, nor go past one in a chain', async () => {
    expect((await fetchFeed(up.url('/temp'), none, policy)).permanentUrl).toBeNull();
    expect((await fetchFeed(up.url('/perm-then-temp'), none, policy)).permanentUrl).toBe(up.url('/temp'));
  });

  it('refuses non-http URLs, also as redirect targets', async () => {
    expect((await failure(fetchFeed('file:///etc/passwd', none, policy))).kind).toBe('protocol');
    expect((await failure(fetchFeed(up.url('/js-redirect'), none, policy))).kind).toBe('protocol');
  });

  it('reads Retry-After in seconds on 429 and as an HTTP-date on 503', async () => {
    const e429 = await failure(fetchFeed(up.url('/429'), none, policy, () => NOW));
    expect(e429.status).toBe(429);
    expect(e429.retryAfter?.toISOString()).toBe('2026-11-20T10:02:00.000Z');
    const e503 = await failure(fetchFeed(up.url('/503'), none, policy, () => NOW));
    expect(e503.retryAfter?.toISOString()).toBe('2026-11-20T12:00:00.000Z');
    const e500 = await failure(fetchFeed(up.url('/500'), none, policy));
    expect([e500.status, e500.retryAfter]).toEqual([500, null]);
  });

  it('decodes legacy charsets from the XML declaration, the header, and a BOM first', async () => {
    const decl = await fetchFeed(up.url('/latin1-declared.xml'), none, policy);
    expect(decl.kind === 'ok' && [decl.charset, decl.text.includes('Irán')]).toEqual(['iso-8859-1', true]);
    const header = await fetchFeed(up.url('/latin1-header.xml'), none, policy);
    expect(header.kind === 'ok' && [header.charset, header.text.includes('Cabeçalho')]).toEqual(['iso-8859-1', true]);
    const bom = await fetchFeed(up.url('/utf16.xml'), none, policy);
    expect(bom.kind === 'ok' && [bom.charset, bom.text.startsWith('<?xml'), bom.text.includes('Ünïcode')]).toEqual(['utf-16le', true, true]);
  });
});

describe('parseRetryAfter', () => {
  it('accepts seconds and HTTP-dates and ignores junk', () => {
    expect(parseRetryAfter('30', NOW)?.toISOString()).toBe('2026-11-20T10:00:30.000Z');
    expect(parseRetryAfter('Fri, 20 Nov 2026 11:00:00 GMT', NOW)?.toISOString()).toBe('2026-11-20T11:00:00.000Z');
    expect(parseRetryAfter('soon', NOW)).toBeNull();
    expect(parseRetryAfter(undefined, NOW)).toBeNull();
  });
});
