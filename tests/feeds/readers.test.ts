import { execFile, execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import Parser from 'rss-parser';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { FEEDPARSER_MISSING, findFeedparserPython } from '../helpers/readers.ts';
import { copyContent, request, startService, TEST_BASE, type Running } from '../helpers/service.ts';
import { fixture, serveFile, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

/**
 * Our feeds as two real readers see them: Python's feedparser (Debian python3-feedparser) and newsboat
 * (Debian newsboat) read every Atom and RSS feed listed in /feeds.opml, and each item's link must be a
 * page in the feed's language (for the related feeds, the upstream item's own URL), with our id and our
 * date. Both take the LAST rel="alternate" link of an entry, so this is where a translation listed as an
 * alternate shows up as the item's link. The readers are required: `.ci/run` installs them, and a machine
 * without them fails here, naming the package.
 */

function hasNewsboat(): boolean {
  return spawnSync('newsboat', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** What a reader reports for one item. `date` is in seconds since the epoch. */
interface ReaderItem {
  link: string;
  id: string;
  date: number | null;
}

/** Entries as feedparser reads them: link, id, and the date it would show (published, else updated). */
const FEEDPARSER_SCRIPT = `
import calendar, json, sys, feedparser
out = {}
for name in sys.argv[1:]:
    with open(name, 'rb') as f:
        d = feedparser.parse(f.read())
    t = lambda e: calendar.timegm(e.get('published_parsed') or e.get('updated_parsed')) if (e.get('published_parsed') or e.get('updated_parsed')) else None
    out[name] = {'bozo': bool(d.bozo), 'error': str(d.get('bozo_exception', '')), 'home': d.feed.get('link'), 'entries': [{'link': e.get('link'), 'id': e.get('id'), 'date': t(e)} for e in d.entries]}
json.dump(out, sys.stdout)
`;

let up: Upstream;
let s: Running;
let work: string;
/** Atom and RSS feed URLs listed in the OPML, as published (under TEST_BASE). */
let feeds: string[];
/** The upstream fixture's item URLs, resolved as a reader would. */
let upstreamUrls: Set<string>;

beforeAll(async () => {
  up = await startUpstream({ '/world.xml': serveFile('rss2.xml') });
  const contentDir = copyContent();
  // An edited translation: its update date differs from its publication date, which readers must show.
  const en = path.join(contentDir, 'articles/rusia-2000-militan-timteng-karabakh/index.en.md');
  fs.writeFileSync(en, fs.readFileSync(en, 'utf8').replace(/^updated: .*$/m, 'updated: 2026-11-27T09:30:00+07:00'));
  fs.writeFileSync(path.join(contentDir, 'sources.yaml'), `- url: ${up.url('/world.xml')}\n  name: Wire & World\n  language: en\n`);
  s = await startService({ contentDir });
  await s.service.ingester.pollAll();
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-readers-'));

  const opml = (await request(`${s.origin}/feeds.opml`)).text;
  feeds = [...opml.matchAll(/xmlUrl="([^"]+)"/g)].map((m) => m[1]!).filter((u) => /\.(atom|rss)$/.test(u));

  const upstream = await new Parser().parseString(fixture('rss2.xml').toString('utf8'));
  upstreamUrls = new Set(upstream.items.filter((i) => i.link).map((i) => new URL(i.link!, upstream.link).href));
});
afterAll(async () => {
  await s?.close();
  await up?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** What we publish for each entry of a feed, from its JSON Feed sibling: id → page and publication date. */
async function ours(feedUrl: string): Promise<Map<string, { url: string; published: number }>> {
  const json = JSON.parse((await request(s.local(feedUrl.replace(/\.(atom|rss)$/, '.json')))).text) as {
    items: { id: string; url: string; date_published: string }[];
  };
  return new Map(
    json.items.map((i) => [i.id, { url: i.url, published: Date.parse(i.date_published) / 1000 }]),
  );
}

/**
 * Checks what a reader reported for one feed: its home page is the feed's HTML page in its own language;
 * every item has our id, a link to the page in the feed's language (or the upstream item's own URL in a
 * related feed), and the publication date (RSS `pubDate` and Atom `published` alike, which `feed` writes from the same date).
 */
async function check(reader: string, feedUrl: string, home: string | null, items: ReaderItem[]): Promise<void> {
  const lang = new URL(feedUrl).pathname.split('/')[1]!;
  const related = feedUrl.includes('/related/');
  const expected = await ours(feedUrl);
  const where = `${reader} on ${feedUrl}`;
  expect(home, `${where}: the feed's home page`).toBe(feedUrl.replace(/feed\.(atom|rss)$/, ''));
  expect(items.length, where).toBe(expected.size);
  expect(items.length, `${where}: the feed should have items`).toBeGreaterThan(0);
  for (const item of items) {
    const mine = expected.get(item.id);
    expect(mine, `${where}: id ${item.id} is not one of ours`).toBeDefined();
    if (related) {
      expect(item.id, where).toMatch(/^tag:kabar-feeds\.example,2026:upstream\//);
      expect(upstreamUrls, `${where}: ${item.link} is not an upstream item's URL`).toContain(item.link);
    } else {
      expect(item.id, where).toMatch(new RegExp(`^tag:kabar-feeds\\.example,2026:article/[^/]+/${lang}$`));
      expect(item.link, `${where}: the item opens a page in another language`).toMatch(new RegExp(`^${TEST_BASE}/${lang}/articles/[^/]+/$`));
    }
    expect(item.link, where).toBe(mine!.url);
    expect(item.date, `${where}: date of ${item.id}`).toBe(mine!.published);
  }
}

test('the readers the test needs are installed (.ci/run installs them)', () => {
  expect(findFeedparserPython(), FEEDPARSER_MISSING).not.toBeNull();
  expect(hasNewsboat(), 'newsboat is missing: apt-get install -y newsboat').toBe(true);
});

test('the OPML lists every Atom and RSS feed, the related ones included', () => {
  // 2 languages × (site + 4 categories + related) × (Atom, RSS)
  expect(feeds).toHaveLength(24);
  expect(feeds).toContain(`${TEST_BASE}/en/feed.atom`);
  expect(feeds).toContain(`${TEST_BASE}/id/related/feed.rss`);
});

test('Python feedparser: every item of every Atom and RSS feed links the page in the feed\'s language, with our id and date', async () => {
  const python = findFeedparserPython();
  if (!python) throw new Error(FEEDPARSER_MISSING);
  const files = new Map<string, string>();
  for (const [i, url] of feeds.entries()) {
    const file = path.join(work, `feed-${i}.xml`);
    fs.writeFileSync(file, (await request(s.local(url))).body);
    files.set(url, file);
  }
  const out = JSON.parse(execFileSync(python, ['-c', FEEDPARSER_SCRIPT, ...files.values()], { encoding: 'utf8' })) as Record<
    string,
    { bozo: boolean; error: string; home: string | null; entries: ReaderItem[] }
  >;
  for (const [url, file] of files) {
    const parsed = out[file]!;
    expect(parsed.bozo, `feedparser on ${url}: ${parsed.error}`).toBe(false);
    await check('feedparser', url, parsed.home, parsed.entries);
  }
});

/** Runs `newsboat -x reload` on one feed URL with its own config and cache; returns the cache's path. */
async function newsboatReload(dir: string, url: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'urls'), `${url}\n`);
  fs.writeFileSync(path.join(dir, 'config'), '');
  const cache = path.join(dir, 'cache.db');
  // A clean environment: its own HOME (newsboat refuses to start without one), a UTF-8 locale, no proxy.
  // Asynchronous, since the service answering newsboat lives in this process.
  const failure = await new Promise<string | null>((resolve) => {
    execFile(
      'newsboat',
      ['-u', path.join(dir, 'urls'), '-C', path.join(dir, 'config'), '-c', cache, '-x', 'reload'],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve(err ? `${err.message} ${stderr || stdout}` : null),
    );
  });
  expect(failure, `newsboat -x reload of ${url} failed`).toBeNull();
  return cache;
}

test('newsboat: every item of every Atom and RSS feed links the page in the feed\'s language, with our id and date', async () => {
  if (!hasNewsboat()) throw new Error('newsboat is missing: apt-get install -y newsboat');
  // One cache per feed: newsboat keeps one row per guid, and our feeds share entries (site, categories).
  for (const [i, url] of feeds.entries()) {
    const cache = await newsboatReload(path.join(work, `newsboat-${i}`), s.local(url));
    const db = new Database(cache, { readonly: true });
    try {
      const rows = db.prepare('SELECT url, guid, pubDate FROM rss_item').all() as { url: string; guid: string; pubDate: number }[];
      const feed = db.prepare('SELECT url FROM rss_feed').get() as { url: string } | undefined;
      await check('newsboat', url, feed?.url ?? null, rows.map((row) => ({ link: row.url, id: row.guid, date: row.pubDate })));
    } finally {
      db.close();
    }
  }
});
