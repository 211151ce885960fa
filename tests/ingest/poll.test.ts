import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FetchError } from '../../src/ingest/fetcher.ts';
import { ParseError } from '../../src/ingest/parser.ts';
import { pollSource, type PollDeps } from '../../src/ingest/poll.ts';
import { compileContentRelater } from '../../src/ingest/relate-content.ts';
import type { Source } from '../../src/model/source.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { fixture, redirect, serveBytes, serveFile, startUpstream, statusOnly, type Upstream } from '../helpers/upstream-server.ts';

const T0 = new Date('2026-11-20T10:00:00.000Z');
const NEXT_RUN = new Date('2026-11-20T10:15:00.000Z');
const relater = compileContentRelater([{ articleId: 'karabakh', rules: [[['karabakh']]] }], null);
const NO_CHANGE = { inserted: 0, updated: 0, unchanged: 0, tombstoned: 0, deleted: 0, relatedCapped: 0 };

let up: Upstream;
let store: Store;
let deps: PollDeps;

function source(id: string, p: string): Source {
  const s = { id, url: up.url(p), name: id, schedule: '*/15 * * * *', language: null };
  void store.syncSources([s]);
  return s;
}

beforeAll(async () => {
  up = await startUpstream({
    '/rss2.xml': serveFile('rss2.xml'),
    '/malformed.xml': serveBytes(fixture('malformed.xml')),
    '/429': statusOnly(429, { 'retry-after': '3600' }),
    '/500': statusOnly(500),
    '/old': redirect(301, '/new.xml'),
    '/new.xml': serveFile('rss1.xml', 'application/rdf+xml'),
  });
});

afterAll(() => up.close());

beforeEach(() => {
  store = openStore(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-poll-')));
  deps = {
    store,
    fetchPolicy: { timeoutMs: 2000, maxBytes: 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test' },
    retention: { maxItemsPerSource: 500, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 },
    // The schedule's next run and interval, fixed: what the poll does with them is under test, not node-cron.
    schedules: { next: () => NEXT_RUN, intervalMs: () => 15 * 60_000 },
    relater: () => relater,
    now: () => T0,
  };
  return () => store.close();
});

describe('a poll returns its outcome', () => {
  it('200: updated, with the counts, the published change and the articles it touched', async () => {
    const outcome = await pollSource(deps, source('rss2', '/rss2.xml'));
    expect(outcome).toEqual({
      kind: 'updated',
      sourceId: 'rss2',
      feedUrl: up.url('/rss2.xml'),
      attemptAt: T0,
      status: 200,
      counts: { ...NO_CHANGE, inserted: 7 },
      publishedChanged: true,
      // The first poll learns the source's site, which every item of it shows: it may be any article.
      changedArticles: null,
      currentUrl: up.url('/rss2.xml'),
      nextPollAt: NEXT_RUN,
      movedTo: null,
      truncated: null,
      // The fixture advertises no WebSub hub.
      hub: null,
    });
    // The store holds what the outcome says.
    expect(store.sourceState('rss2')).toMatchObject({ lastStatus: 200, lastSuccessAt: T0, nextPollAt: NEXT_RUN, consecutiveFailures: 0 });
    expect(store.itemCount('rss2')).toBe(7);
  });

  it('304: not modified, nothing published', async () => {
    const s = source('rss2', '/rss2.xml');
    await pollSource(deps, s);
    const outcome = await pollSource(deps, s);
    expect(outcome).toMatchObject({ kind: 'not-modified', status: 304, counts: NO_CHANGE, publishedChanged: false, nextPollAt: NEXT_RUN });
  });

  it('the same items again over 200: updated, all unchanged, nothing published', async () => {
    up.routes.set('/plain.xml', serveBytes(fixture('rss2.xml')));
    const s = source('plain', '/plain.xml');
    await pollSource(deps, s);
    expect(await pollSource(deps, s)).toMatchObject({ kind: 'updated', counts: { ...NO_CHANGE, unchanged: 7 }, publishedChanged: false });
  });

  it('a changed related item: updated, with the one article it touches', async () => {
    let text = fixture('rss2.xml').toString('utf8');
    up.routes.set('/edited.xml', (req, res) => serveBytes(text)(req, res));
    const s = source('edited', '/edited.xml');
    await pollSource(deps, s);
    text = text.replace(/Karabakh/, 'Karabakh (corrected)');
    expect(await pollSource(deps, s)).toMatchObject({
      kind: 'updated',
      counts: { ...NO_CHANGE, updated: 1, unchanged: 6 },
      publishedChanged: true,
      changedArticles: ['karabakh'],
    });
  });

  it('a feed that does not parse: failed at the parse stage, status 200, next poll after one interval', async () => {
    const outcome = await pollSource(deps, source('bad', '/malformed.xml'));
    expect(outcome).toMatchObject({
      kind: 'failed',
      stage: 'parse',
      upstream: true,
      status: 200,
      message: expect.stringMatching(/^parse: malformed feed/) as unknown,
      consecutiveFailures: 1,
      retryAt: new Date(T0.getTime() + 15 * 60_000),
    });
    expect(outcome.kind === 'failed' && outcome.error).toBeInstanceOf(ParseError);
    expect(store.sourceState('bad')).toMatchObject({ lastStatus: 200, lastSuccessAt: null, consecutiveFailures: 1, lastError: outcome.kind === 'failed' && outcome.message });
  });

  it('a fetch error with Retry-After: failed at the fetch stage, the next poll when the upstream asked', async () => {
    const outcome = await pollSource(deps, source('limited', '/429'));
    expect(outcome).toMatchObject({ kind: 'failed', stage: 'fetch', upstream: true, status: 429, consecutiveFailures: 1, retryAt: new Date(T0.getTime() + 3600_000) });
    expect(outcome.kind === 'failed' && outcome.error).toBeInstanceOf(FetchError);
    expect((await store.sourceState('limited'))!.nextPollAt).toEqual(new Date(T0.getTime() + 3600_000));
  });

  it('failures in a row back off from the interval', async () => {
    const s = source('down', '/500');
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const o = await pollSource(deps, s);
      if (o.kind === 'failed') waits.push((o.retryAt.getTime() - T0.getTime()) / 60_000);
    }
    expect(waits).toEqual([15, 30, 60]);
  });

  it('a permanent redirect: the outcome says where the feed moved, and it is polled there from now on', async () => {
    const outcome = await pollSource(deps, source('moved', '/old'));
    expect(outcome).toMatchObject({ kind: 'updated', movedTo: up.url('/new.xml'), currentUrl: up.url('/new.xml'), feedUrl: up.url('/old') });
    expect((await store.sourceState('moved'))!.currentUrl).toBe(up.url('/new.xml'));
  });

  it('a feed longer than retention keeps: the outcome says how many items were read', async () => {
    const outcome = await pollSource({ ...deps, retention: { ...deps.retention, maxItemsPerSource: 3 } }, source('rss2', '/rss2.xml'));
    expect(outcome).toMatchObject({ kind: 'updated', truncated: { items: 7, kept: 3 }, counts: { inserted: 3 } });
  });
});
