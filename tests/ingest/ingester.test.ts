import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelateTarget } from '../../src/content/model.ts';
import { createIngester, type Ingester } from '../../src/ingest/ingester.ts';
import type { Source, SourceStatus } from '../../src/model/source.ts';
import Database from 'better-sqlite3';
import { createLogger, silentLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import {
  fixture,
  neverAnswers,
  neverEndingBody,
  redirect,
  serveBytes,
  serveFile,
  startUpstream,
  statusOnly,
  type Upstream,
} from '../helpers/upstream-server.ts';
import { storeBulkItems } from '../helpers/bulk-items.ts';

const KARABAKH: RelateTarget = {
  articleId: 'karabakh',
  rules: [[['karabakh']], [['iran', 'israel'], ['karabakh']], [['idlib'], ['russia', 'rusia'], ['turkey', 'turki']]],
};
const fetchPolicy = { timeoutMs: 500, maxBytes: 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test' };
const retention = { maxItemsPerSource: 500, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 };

let up: Upstream;
let store: Store;
let ingester: Ingester;
let clock = new Date('2026-11-20T10:00:00Z');
let publishedChanges = 0;
let targets: readonly RelateTarget[] = [KARABAKH];

const GOOD = ['rss2', 'atom', 'rss1', 'latin1-declared', 'latin1-header', 'script', 'moved'] as const;
const paths: Record<string, string> = {
  rss2: '/rss2.xml',
  atom: '/atom.xml',
  rss1: '/rss1.xml',
  'latin1-declared': '/latin1-declared.xml',
  'latin1-header': '/latin1-header.xml',
  script: '/script.xml',
  moved: '/old-feed',
  malformed: '/malformed.xml',
  bomb: '/bomb.xml',
  xxe: '/xxe.xml',
  html: '/index.html',
  endless: '/endless.xml',
  stall: '/stall.xml',
  loop: '/loop-a',
  'server-error': '/500',
  'rate-limited': '/429',
};

async function statusOf(id: string): Promise<SourceStatus> {
  const s = (await ingester.status()).find((x) => x.id === id);
  if (!s) throw new Error(`no status for ${id}`);
  return s;
}

beforeAll(async () => {
  up = await startUpstream({
    '/rss2.xml': serveFile('rss2.xml'),
    '/atom.xml': serveFile('atom.xml', 'application/atom+xml'),
    '/rss1.xml': serveBytes(fixture('rss1.xml'), { 'content-type': 'application/rdf+xml' }),
    '/latin1-declared.xml': serveBytes(fixture('latin1-declared.xml'), { 'content-type': 'application/xml' }),
    '/latin1-header.xml': serveBytes(fixture('latin1-header.xml'), { 'content-type': 'text/xml; charset=ISO-8859-1' }),
    '/script.xml': serveBytes(fixture('script-injection.xml')),
    '/old-feed': redirect(301, '/new-feed.xml'),
    '/new-feed.xml': serveFile('rss1.xml', 'application/rdf+xml', '"moved-v1"'),
    '/malformed.xml': serveBytes(fixture('malformed.xml')),
    '/bomb.xml': serveBytes(fixture('entity-bomb.xml')),
    '/xxe.xml': serveBytes(fixture('external-entity.xml')),
    '/index.html': serveBytes(fixture('html-page.html'), { 'content-type': 'text/html; charset=utf-8' }),
    '/endless.xml': neverEndingBody,
    '/stall.xml': neverAnswers,
    '/loop-a': redirect(302, '/loop-b'),
    '/loop-b': redirect(302, '/loop-a'),
    '/500': statusOnly(500),
    '/429': statusOnly(429, { 'retry-after': '3600' }),
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-ingester-'));
  store = openStore(dir);
  const sources: Source[] = Object.entries(paths).map(([id, p]) => ({
    id,
    url: up.url(p),
    name: `Fixture ${id}`,
    schedule: '*/15 * * * *',
    language: null,
  }));
  ingester = createIngester({
    store,
    sources,
    fetchPolicy,
    retention,
    logger: silentLogger(),
    now: () => clock,
    targets: () => targets,
    onPublishedChange: () => publishedChanges++,
  });
  await ingester.pollAll();
});

afterAll(async () => {
  await ingester.stop();
  await store.close();
  await up.close();
});

describe('ingester against a fixture upstream', () => {
  it('ingests every good source', async () => {
    const counts = Object.fromEntries(await Promise.all(GOOD.map(async (id) => [id, (await statusOf(id)).itemCount] as const)));
    expect(counts).toEqual({ rss2: 7, atom: 4, rss1: 2, 'latin1-declared': 2, 'latin1-header': 2, script: 1, moved: 2 });
    for (const id of GOOD) {
      expect(await statusOf(id)).toMatchObject({
        lastStatus: 200, consecutiveFailures: 0, lastError: null,
        lastAttemptAt: clock.toISOString(), lastSuccessAt: clock.toISOString(),
      });
    }
    expect(publishedChanges).toBeGreaterThan(0);
  });

  it.each([
    ['malformed', 200, /^parse: malformed feed/],
    ['html', 200, /^parse: an HTML page/],
    ['endless', 200, /^fetch timeout/],
    ['stall', null, /^fetch timeout/],
    ['loop', 302, /^fetch redirect: redirect loop/],
    ['server-error', 500, /^fetch http: HTTP 500/],
    ['rate-limited', 429, /^fetch http: HTTP 429/],
  ])('records %s as a failure with status %s', async (id, status, error) => {
    const s = await statusOf(id);
    expect(s.lastStatus).toBe(status);
    expect(s.lastError).toMatch(error);
    expect(s).toMatchObject({ consecutiveFailures: 1, lastSuccessAt: null, itemCount: 0, lastAttemptAt: clock.toISOString() });
    expect(s.nextPollAt).not.toBeNull();
  });

  it('honours Retry-After as the next poll time', async () => {
    expect((await statusOf('rate-limited')).nextPollAt).toBe(new Date(clock.getTime() + 3600_000).toISOString());
  });

  it('relates the Karabakh article to the right items only, whatever their feed format or charset', async () => {
    const keys = (await store.relatedForArticle('karabakh', 100)).map((i) => `${i.sourceId}:${i.key}`).sort();
    expect(keys).toEqual(
      [
        'atom:tag:atom.example,2026:entry-1',
        'atom:tag:atom.example,2026:entry-4',
        'latin1-declared:lat-1',
        'latin1-header:cab-1',
        'moved:https://rdf.example/a/1',
        'rss1:https://rdf.example/a/1',
        'rss2:wire-1001',
        'rss2:wire-1002',
        'rss2:wire-1003',
        'script:evil-1',
      ].sort(),
    );
    const titles = (await store.relatedItems(100)).map((i) => i.title).join('\n');
    expect(titles).not.toMatch(/prices|Derby|Recipe|Receta|Tirana|lamb/i);
  });

  it('stores injected content sanitised', async () => {
    const [evil] = (await store.relatedItems(100)).filter((i) => i.sourceId === 'script');
    expect(evil!.contentHtml).not.toMatch(/script|onerror|onclick|javascript:|iframe|data:/i);
    expect(evil!.title).toBe('Karabakh update');
  });

  it('remembers a 301 as the current URL and polls it there next time', async () => {
    expect(await statusOf('moved')).toMatchObject({ url: up.url('/old-feed'), currentUrl: up.url('/new-feed.xml') });
    const before = up.requests.length;
    await ingester.pollSource('moved');
    expect(up.requests.slice(before).map((r) => r.path)).toEqual(['/new-feed.xml']);
    expect((await statusOf('moved')).lastStatus).toBe(304);
  });

  it('re-polls with conditional GET (304), deduplicates, and reports no published change', async () => {
    const countsBefore = (await ingester.status()).map((s) => s.itemCount);
    const relatedBefore = await store.relatedItems(100);
    publishedChanges = 0;
    clock = new Date('2026-11-20T10:15:00Z');
    const before = up.requests.length;
    await ingester.pollAll();
    expect((await statusOf('rss2')).lastStatus).toBe(304);
    expect((await statusOf('atom')).lastStatus).toBe(304);
    expect((await statusOf('rss2')).lastSuccessAt).toBe(clock.toISOString());
    expect(up.requests.slice(before).find((r) => r.path === '/rss2.xml')?.headers['if-none-match']).toBe('"rss2.xml-v1"');
    expect((await ingester.status()).map((s) => s.itemCount)).toEqual(countsBefore);
    expect(await store.relatedItems(100)).toEqual(relatedBefore);
    expect(publishedChanges).toBe(0);
  });

  it('backs off exponentially after consecutive failures', async () => {
    const s = await statusOf('server-error');
    expect(s.consecutiveFailures).toBe(2);
    // Base interval 15 min (the schedule), doubled after the second failure.
    expect(Date.parse(s.nextPollAt!) - clock.getTime()).toBe(30 * 60_000);
  });

  it('loses nothing stored when good sources turn bad', async () => {
    const before = await store.relatedItems(100);
    up.routes.set('/rss2.xml', statusOnly(500));
    up.routes.set('/atom.xml', serveBytes(fixture('malformed.xml')));
    up.routes.set('/rss1.xml', neverAnswers);
    await ingester.pollAll();
    expect(await statusOf('rss2')).toMatchObject({ lastStatus: 500, consecutiveFailures: 1, itemCount: 7 });
    expect(await statusOf('atom')).toMatchObject({ consecutiveFailures: 1, itemCount: 4 });
    expect(await statusOf('rss1')).toMatchObject({ consecutiveFailures: 1, itemCount: 2 });
    expect(await store.relatedItems(100)).toEqual(before);
  });

  it('updates a changed item in place and reports the published change', async () => {
    publishedChanges = 0;
    up.routes.set('/script.xml', serveBytes(fixture('script-injection.xml').toString('utf8').replace('Karabakh <script>', 'Karabakh (corrected) <script>')));
    await ingester.pollSource('script');
    expect((await statusOf('script')).itemCount).toBe(1);
    expect((await store.relatedItems(100)).find((i) => i.sourceId === 'script')!.title).toBe('Karabakh (corrected) update');
    expect(publishedChanges).toBe(1);
  });

  it('relates stored items again when the content changes (relateAll)', async () => {
    publishedChanges = 0;
    targets = [KARABAKH, { articleId: 'syria', rules: [[['syria']]] }];
    await ingester.relateAll();
    expect(publishedChanges).toBe(1);
    expect((await store.relatedForArticle('syria', 100)).map((i) => i.key).sort()).toEqual(
      ['https://rdf.example/a/1', 'https://rdf.example/a/1', 'tag:atom.example,2026:entry-4', 'wire-1003'].sort(),
    );
    await ingester.relateAll();
    expect(publishedChanges).toBe(1);
  });

  it('lists status in sources.yaml order with the contract fields', async () => {
    const st = (await ingester.status());
    expect(st.map((s) => s.id)).toEqual(Object.keys(paths));
    expect(Object.keys(st[0]!).sort()).toEqual(
      [
        'consecutiveFailures', 'currentUrl', 'id', 'itemCount', 'lastAttemptAt', 'lastError', 'lastStatus', 'lastSuccessAt', 'name', 'nextPollAt', 'url',
        // WebSub (issue 11): whether the source's hub pushes it, which hub, the lease's end, the last push.
        'pushed', 'hub', 'leaseEndsAt', 'lastPushAt',
      ].sort(),
    );
  });
});

describe('a feed with more items than retention keeps', () => {
  it('reads only the newest ones (undated counting as new), so a huge feed cannot hold the service for seconds', async () => {
    const items = Array.from({ length: 40 }, (_, i) => {
      // Feed order is not date order: the newest are scattered.
      const day = (i * 7) % 40;
      const date = new Date(Date.UTC(2026, 9, 1 + day)).toUTCString();
      return `<item><title>Item ${i}</title><link>https://many.example/${i}</link><pubDate>${date}</pubDate></item>`;
    });
    items.push('<item><title>Undated</title><link>https://many.example/undated</link></item>');
    up.routes.set('/many.xml', serveBytes(`<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>${items.join('')}</channel></rss>`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-many-'));
    const own = openStore(dir);
    const lines: string[] = [];
    const logger = createLogger('warn', { write: (line: string) => void lines.push(line) });
    const many = createIngester({
      store: own,
      sources: [{ id: 'many', url: up.url('/many.xml'), name: 'Many', schedule: '*/15 * * * *', language: 'en' }],
      fetchPolicy,
      retention: { maxItemsPerSource: 5, maxAgeDays: 3650, maxRelatedItemsPerSource: 5000 },
      logger,
      now: () => clock,
      targets: () => [],
      onPublishedChange: () => {},
    });
    try {
      await many.pollAll();
      expect((await many.status())[0]).toMatchObject({ itemCount: 5, lastError: null });
      const db = new Database(path.join(dir, 'kabar.sqlite'), { readonly: true });
      const keys = db.prepare('SELECT item_key FROM items ORDER BY item_key').pluck().all();
      db.close();
      // Days 39, 38, 37 and 36 of October-November are items 17, 34, 11 and 28; the undated one is "now".
      expect(keys).toEqual(['https://many.example/11', 'https://many.example/17', 'https://many.example/28', 'https://many.example/34', 'https://many.example/undated']);
      const warn = lines.map((l) => JSON.parse(l) as { msg: string; items: number; kept: number }).find((l) => l.msg.startsWith('feed has more items'));
      expect(warn).toMatchObject({ items: 41, kept: 5 });
    } finally {
      await many.stop();
      own.close();
    }
  });
});

describe('relating a large store again', () => {
  it('works in batches that let other work run, and a newer call supersedes a running one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-relate-'));
    const own = openStore(dir);
    storeBulkItems(own, 25, retention, clock);
    let rules: readonly RelateTarget[] = [{ articleId: 'idlib', rules: [[['idlib']]] }];
    let published = 0;
    const bulk = createIngester({
      store: own,
      sources: [{ id: 'bulk', url: 'https://bulk.example/feed', name: 'Bulk', schedule: '0 * * * *', language: 'en' }],
      fetchPolicy, retention, logger: silentLogger(), now: () => clock,
      targets: () => rules, onPublishedChange: () => void published++, relateBatch: 4,
    });
    try {
      let ranBetween = false;
      const done = bulk.relateAll();
      expect(bulk.relationsCurrent()).toBe(false);
      setImmediate(() => (ranBetween = own.relatedForArticle('idlib', 100).length < 12));
      await done;
      expect(ranBetween).toBe(true);
      expect(bulk.relationsCurrent()).toBe(true);
      expect(own.relatedForArticle('idlib', 100)).toHaveLength(12);
      expect(published).toBeGreaterThan(1);
      // Unchanged rules: nothing to do.
      published = 0;
      await bulk.relateAll();
      expect(published).toBe(0);
      // Rules change twice in a row: the first run gives way, the second one's rules win.
      rules = [{ articleId: 'weather', rules: [[['weather']]] }];
      const first = bulk.relateAll();
      rules = [{ articleId: 'talks', rules: [[['talks']]] }];
      await Promise.all([first, bulk.relateAll()]);
      expect(own.relatedForArticle('talks', 100)).toHaveLength(12);
      expect(own.relatedForArticle('weather', 100)).toHaveLength(0);
      expect(own.relatedForArticle('idlib', 100)).toHaveLength(0);
      // Changed and changed back before the first run finished: the partial work is undone too.
      const talks = rules;
      rules = [{ articleId: 'weather', rules: [[['weather']]] }];
      const away = bulk.relateAll();
      rules = talks;
      await Promise.all([away, bulk.relateAll()]);
      expect(own.relatedForArticle('talks', 100)).toHaveLength(12);
      expect(own.relatedForArticle('weather', 100)).toHaveLength(0);
    } finally {
      await bulk.stop();
      own.close();
    }
  });
});
