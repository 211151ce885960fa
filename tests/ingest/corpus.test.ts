import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SaxesParser } from 'saxes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/ingest/charset.ts';
import { createIngester, type Ingester } from '../../src/ingest/ingester.ts';
import type { Source, SourceStatus } from '../../src/model/source.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { serveBytes, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

/**
 * The corpus (tests/fixtures/corpus/, origins in SOURCES.md): feed files from public parsers' test suites,
 * plus generated ones (UTF-16, versions, empty channels, DOCTYPEs) and hostile ones. Every file is served by
 * the loopback upstream and polled by the real ingester: fetcher (decode) → parser → normalise → sanitise →
 * store, exactly as a configured source is.
 */
const CORPUS = path.resolve(import.meta.dirname, '../fixtures/corpus');
const FEED_EXTENSIONS = /\.(?:xml|rss|atom|rdf|html)$/;
const NOW = new Date('2026-11-20T10:00:00Z');

interface CorpusFile {
  /** Path under the corpus folder. */
  name: string;
  bytes: Buffer;
  /** The strict XML parser's first complaint about the decoded text; null for a well-formed file. */
  malformed: string | null;
  /** The root element's local name, when the file is well-formed. */
  root: string | null;
}

function corpusFiles(): CorpusFile[] {
  const out: CorpusFile[] = [];
  for (const dir of fs.readdirSync(CORPUS).sort()) {
    const full = path.join(CORPUS, dir);
    if (!fs.statSync(full).isDirectory()) continue;
    for (const file of fs.readdirSync(full).sort()) {
      if (!FEED_EXTENSIONS.test(file)) continue;
      const bytes = fs.readFileSync(path.join(full, file));
      out.push({ name: `${dir}/${file}`, bytes, ...wellFormedness(decodeBody(bytes, null).text) });
    }
  }
  return out;
}

/** Well-formedness as XML 1.0 defines it (namespaces aside), by saxes, strict. */
function wellFormedness(text: string): { malformed: string | null; root: string | null } {
  const parser = new SaxesParser();
  let malformed: string | null = null;
  let root: string | null = null;
  parser.on('error', (err) => {
    malformed ??= err.message;
  });
  parser.on('opentag', (tag) => {
    root ??= tag.name.slice(tag.name.indexOf(':') + 1);
  });
  try {
    parser.write(text).close();
  } catch (err) {
    malformed ??= (err as Error).message;
  }
  return { malformed, root: malformed ? null : root };
}

/**
 * Well-formed feeds we know we do not read, and why; every other well-formed feed must be ingested.
 * rss-parser finds the root element by its literal name, so Atom written with a prefix (`<atom:feed>`) is
 * refused with a clear error.
 */
const KNOWN_UNREAD = new Set(['rome/atom_1.0_prefix.xml']);

/** What a feed's root element is, when the document is one: RSS (any version), RDF (0.90, 1.0) or Atom. */
const FEED_ROOTS = new Set(['rss', 'RDF', 'feed']);

let up: Upstream;
let store: Store;
let ingester: Ingester;
let dir: string;
let files: CorpusFile[];
const idOf = (i: number) => `corpus-${i}`;

beforeAll(async () => {
  files = corpusFiles();
  up = await startUpstream(
    Object.fromEntries(files.map((f) => [`/${f.name}`, serveBytes(f.bytes, { 'content-type': 'application/xml' })])),
  );
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-corpus-'));
  store = openStore(dir);
  const sources: Source[] = files.map((f, i) => ({
    id: idOf(i),
    url: up.url(`/${f.name}`),
    name: f.name,
    schedule: '0 0 1 1 *',
    language: null,
  }));
  ingester = createIngester({
    store,
    sources,
    fetchPolicy: { timeoutMs: 10_000, maxBytes: 5 * 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test' },
    // The defaults: age counts from when an item was last listed, so the corpus's old dates are kept.
    retention: { maxItemsPerSource: 500, maxAgeDays: 180, maxRelatedItemsPerSource: 5000 },
    logger: silentLogger(),
    now: () => NOW,
    targets: () => [],
    onPublishedChange: () => {},
  });
  await ingester.pollAll();
}, 120_000);

afterAll(async () => {
  await ingester?.stop();
  await store?.close();
  await up?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the real-world corpus through the whole ingest path', () => {
  const statuses = async () => new Map((await ingester.status()).map((s) => [s.id, s]));
  const ingested = (s: SourceStatus | undefined) => !!s && s.lastError === null && s.lastSuccessAt !== null;

  it('has a corpus of a few hundred files, of every kind', () => {
    expect(files.length).toBeGreaterThan(300);
    for (const kind of ['gofeed/', 'rome/', 'feed-rs/', 'simplepie/', 'rss-parser/', 'generated/', 'hostile/']) {
      expect(files.some((f) => f.name.startsWith(kind))).toBe(true);
    }
  });

  it('ingests at least 95% of the well-formed feeds, and reports the share', async () => {
    const status = await statuses();
    const feeds = files.map((f, i) => ({ f, s: status.get(idOf(i)) })).filter(({ f }) => !f.malformed && FEED_ROOTS.has(f.root!));
    const failed = feeds.filter(({ s }) => !ingested(s));
    const share = (feeds.length - failed.length) / feeds.length;
    console.log(
      `corpus: ${feeds.length - failed.length} of ${feeds.length} well-formed feeds ingested (${(share * 100).toFixed(1)}%)` +
        failed.map(({ f, s }) => `\n  not ingested: ${f.name}: ${s?.lastError}`).join(''),
    );
    expect(share).toBeGreaterThanOrEqual(0.95);
    expect(failed.map(({ f }) => f.name).filter((name) => !KNOWN_UNREAD.has(name))).toEqual([]);
  });

  it('gives every file it does not ingest a clear parse error (what, and where), and never fails otherwise', async () => {
    const status = await statuses();
    const lines: string[] = [];
    files.forEach((f, i) => {
      const s = status.get(idOf(i))!;
      if (f.malformed || !FEED_ROOTS.has(f.root!)) {
        lines.push(`  ${f.malformed ? 'malformed' : `root <${f.root}>`}: ${f.name}: ${s.lastError ?? `ingested, ${s.itemCount} items`}`);
      }
      if (ingested(s)) return;
      // Only our ParseError: no fetch failure, no TypeError from inside a parser.
      expect(s.lastError, f.name).toMatch(/^parse: /);
      expect(s.lastStatus, f.name).toBe(200);
      // What went wrong, and where: a line and column, or a document without any element at all.
      expect(s.lastError, f.name).toMatch(/(?:line \d+, column \d+|empty document)/);
    });
    console.log(`corpus: files that are not well-formed feeds, and what became of them\n${lines.join('\n')}`);
  });

  it('polls a feed without items (empty or missing channel) successfully, with no items', async () => {
    const status = await statuses();
    for (const name of ['generated/rss-empty-channel.xml', 'generated/rss-no-channel.xml', 'generated/rdf-no-channel.xml', 'generated/atom-no-entries.xml']) {
      const s = status.get(idOf(files.findIndex((f) => f.name === name)))!;
      expect(s, name).toMatchObject({ lastError: null, consecutiveFailures: 0, itemCount: 0, lastStatus: 200 });
      expect(s.lastSuccessAt, name).toBe(NOW.toISOString());
    }
  });

  it('stores no script, event handler or javascript: URL in any field of any item', () => {
    // Columns are read generically (every text column of every stored item), whatever the schema holds.
    const db = new Database(path.join(dir, 'kabar.sqlite'), { readonly: true });
    try {
      const rows = db.prepare('SELECT * FROM items').all() as Record<string, unknown>[];
      expect(rows.length).toBeGreaterThan(500);
      const hostile = new Set(files.flatMap((f, i) => (f.name.startsWith('hostile/') ? [idOf(i)] : [])));
      expect(rows.filter((r) => hostile.has(r.source_id as string)).length).toBeGreaterThanOrEqual(7);
      for (const row of rows) {
        for (const [column, value] of Object.entries(row)) {
          if (typeof value !== 'string') continue;
          const where = `${files[Number(String(row.source_id).slice(7))]?.name} ${column}`;
          expect(value, where).not.toMatch(/<script/i);
          // As a URL (a link column) or as an attribute's value; "JavaScript: a primer" is a fine title.
          expect(value, where).not.toMatch(/^\s*javascript:/i);
          expect(value, where).not.toMatch(/=\s*["']?\s*javascript:/i);
          expect(value, where).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
        }
      }
    } finally {
      db.close();
    }
  });
});
