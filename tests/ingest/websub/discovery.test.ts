import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.ts';
import { ConfigError } from '../../../src/errors.ts';
import { parseLinkHeader } from '../../../src/ingest/link-header.ts';
import { parseFeed } from '../../../src/ingest/parser.ts';
import { discoverHub } from '../../../src/ingest/websub/discover.ts';
import { sign, signatureProblem } from '../../../src/ingest/websub/signature.ts';
import { baseUrlIsPublic } from '../../../src/ingest/websub/subscriber.ts';
import { copyContent, startService, write, type Running } from '../../helpers/service.ts';
import { startHub, type FixtureHub } from '../../helpers/upstream-hub.ts';
import { serveBytes, startUpstream, type Upstream } from '../../helpers/upstream-server.ts';

const FEED_URL = 'https://news.example/feed.xml';

const rssWith = (links: string) =>
  `<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:atom10="http://www.w3.org/2005/Atom">` +
  `<channel><title>T</title><link>https://news.example/</link>${links}<item><title>a</title><link>https://news.example/a</link></item></channel></rss>`;

describe('discovery (WebSub 4)', () => {
  it('reads Link headers: several links per header, quoted or bare rel, several rels, relative targets', () => {
    expect(parseLinkHeader(['<https://hub.example/>; rel="hub", </feed.xml>; rel=self', '<https://b.example/x>; title="a, b"; rel="alternate hub"'], FEED_URL)).toEqual([
      { href: 'https://hub.example/', rels: ['hub'] },
      { href: 'https://news.example/feed.xml', rels: ['self'] },
      { href: 'https://b.example/x', rels: ['alternate', 'hub'] },
    ]);
  });

  it('takes the hub and self of the Link headers first, then the feed\'s own links, and the fetched URL for a missing self', async () => {
    const feed = await parseFeed(rssWith('<atom:link rel="hub" href="https://doc-hub.example/"/><atom:link rel="self" href="https://news.example/self.xml"/>'));
    const headers = parseLinkHeader(['<https://header-hub.example/>; rel="hub"'], FEED_URL);
    expect(discoverHub(headers, feed, FEED_URL)).toEqual({ hub: 'https://header-hub.example/', topic: FEED_URL });
    expect(discoverHub([], feed, FEED_URL)).toEqual({ hub: 'https://doc-hub.example/', topic: 'https://news.example/self.xml' });
    expect(discoverHub([], await parseFeed(rssWith('')), FEED_URL)).toBeNull();
  });

  it('finds FeedBurner\'s atom10:link in RSS and the hub link of an Atom feed', async () => {
    const burner = await parseFeed(rssWith('<atom10:link rel="hub" href="http://pubsubhubbub.appspot.com/"/>'));
    expect(discoverHub([], burner, FEED_URL)).toEqual({ hub: 'http://pubsubhubbub.appspot.com/', topic: FEED_URL });
    const atom = await parseFeed(
      `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://news.example/atom/"><title>A</title><id>urn:a</id><updated>2026-11-01T00:00:00Z</updated>` +
        `<link rel="alternate" href="https://news.example/"/><link rel="hub" href="/hub"/><link rel="self" href="feed.atom"/></feed>`,
    );
    expect(discoverHub([], atom, FEED_URL)).toEqual({ hub: 'https://news.example/hub', topic: 'https://news.example/atom/feed.atom' });
  });
});

describe('signatures (WebSub 7.1)', () => {
  const body = Buffer.from('<rss/>');
  it('accepts sha1, sha256, sha384 and sha512 signatures made with our secret, and nothing else', () => {
    for (const method of ['sha1', 'sha256', 'sha384', 'sha512']) expect(signatureProblem(body, sign(body, 's3cret', method), 's3cret')).toBeNull();
    expect(signatureProblem(body, sign(body, 'other'), 's3cret')).toMatch(/does not match/);
    expect(signatureProblem(body, undefined, 's3cret')).toMatch(/no X-Hub-Signature/);
    expect(signatureProblem(body, 'md5=abc', 's3cret')).toMatch(/not sha1, sha256/);
    expect(signatureProblem(body, 'sha256=zz', 's3cret')).toMatch(/does not match/);
  });
});

describe('whether BASE_URL can be reached by a hub', () => {
  it.each([
    ['https://feeds.kabar.example.com', true],
    ['https://203.0.114.7', true],
    ['http://localhost:3000', false],
    ['http://127.0.0.1:3000', false],
    ['http://10.1.2.3', false],
    ['http://[::1]:3000', false],
    ['http://feeds.example.test', false],
    ['http://kabar.local', false],
    ['http://intranet', false],
  ])('%s: %s', (url, expected) => {
    expect(baseUrlIsPublic(url)).toBe(expected);
  });
});

describe('WEBSUB_SUBSCRIBE', () => {
  let up: Upstream;
  let hub: FixtureHub;
  let running: Running | undefined;
  beforeAll(async () => {
    up = await startUpstream();
    hub = await startHub();
    up.routes.set('/feed.xml', serveBytes(rssWith(''), { 'content-type': 'application/rss+xml', link: `<${hub.url}>; rel="hub"` }));
  });
  afterAll(async () => {
    await running?.close();
    await hub.close();
    await up.close();
  });

  it('is on, off, or unset (auto), and anything else stops the start naming it', () => {
    expect(loadConfig({}).websubSubscribe).toBe('auto');
    expect(loadConfig({ WEBSUB_SUBSCRIBE: 'on' }).websubSubscribe).toBe('on');
    expect(loadConfig({ WEBSUB_SUBSCRIBE: 'off' }).websubSubscribe).toBe('off');
    expect(() => loadConfig({ WEBSUB_SUBSCRIBE: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBSUB_SUBSCRIBE: 'yes' })).toThrow(/WEBSUB_SUBSCRIBE/);
  });

  it.each([
    ['unset, with a BASE_URL no hub can reach', {}],
    ['off', { WEBSUB_SUBSCRIBE: 'off' }],
  ])('%s: a feed advertising a hub is polled, and no subscription is asked for', async (_name, env) => {
    const contentDir = copyContent();
    write(contentDir, 'sources.yaml', `- url: ${up.url('/feed.xml')}\n  id: hubbed\n`);
    running = await startService({ contentDir, env });
    const outcome = await running.service.ingester.pollSource('hubbed');
    expect(outcome).toMatchObject({ kind: 'updated', hub: { hub: hub.url, topic: up.url('/feed.xml') } });
    await running.service.subscriber.whenIdle();
    expect(hub.requests).toEqual([]);
    expect((await running.service.ingester.status())[0]).toMatchObject({ pushed: false, hub: null });
    await running.close();
    running = undefined;
  });
});
