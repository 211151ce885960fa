import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/ingest/charset.ts';
import { createIngester, type Ingester } from '../../src/ingest/ingester.ts';
import { normaliseFeed } from '../../src/ingest/normalise.ts';
import { ParseError, parseFeed } from '../../src/ingest/parser.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { serveBytes, startUpstream, type Upstream } from '../helpers/upstream-server.ts';

/** The classes of real-world feeds that used to end as errors (issue 9, section 3), one fixture each. */
const CORPUS = path.resolve(import.meta.dirname, '../fixtures/corpus');
const NOW = new Date('2026-11-20T00:00:00Z');
const corpus = (name: string) => fs.readFileSync(path.join(CORPUS, name));

async function read(bytes: Buffer, contentType: string | null = null) {
  const feed = await parseFeed(decodeBody(bytes, contentType).text);
  return { feed, items: normaliseFeed(feed, { feedUrl: 'https://upstream.example/feed', sourceLanguage: null, now: NOW }) };
}

describe('UTF-16 feeds', () => {
  it.each([
    'utf16le-bom.xml',
    'utf16be-bom.xml',
    'utf16le-nobom.xml',
    'utf16be-nobom.xml',
    'utf16le-nobom-nodecl.xml',
    'utf16be-bom-nodecl.xml',
  ])('reads %s (byte-order mark or XML 1.0 Appendix F detection)', async (name) => {
    const { feed, items } = await read(corpus(`generated/${name}`));
    expect(feed.title).toBe('Kabar Dunia — berita internasional');
    expect(items.map((i) => i.title)).toEqual(['Rusia: 2000 militan di Karabakh — ¿verdad?', "İstanbul'da ikinci haber"]);
    expect(items[0]!.summary).toBe('Naïve café «Ünlü» 東京');
  });

  it('reads UTF-16 without a byte-order mark whatever the Content-Type charset claims', async () => {
    const { items } = await read(corpus('generated/utf16be-nobom.xml'), 'application/rss+xml; charset=utf-8');
    expect(items).toHaveLength(2);
  });

  it('reads the UTF-16 files of SimplePie (no mark, no declaration)', async () => {
    for (const name of ['simplepie/feed-utf16le.xml', 'simplepie/feed-utf16be.xml']) {
      const { feed } = await read(corpus(name));
      expect(feed.format, name).toBe('rss');
    }
  });

  it('ignores a UTF-16 declaration on bytes that are not UTF-16', async () => {
    const { items } = await read(corpus('generated/utf8-declared-utf16.xml'));
    expect(items[0]!.title).toBe('Rusia: 2000 militan di Karabakh — ¿verdad?');
  });

  it('reads a body that nothing labels and that is not UTF-8 as windows-1252', async () => {
    const { items } = await read(corpus('generated/latin1-unlabelled.xml'));
    expect(items[0]!.summary).toBe('Naïve café «Ünlü» ??');
  });
});

describe('RSS versions', () => {
  it.each(['missing', '0.91', '0.92', '0.93', '0.94', '2.01', '2.1'])('reads <rss> with version %s', async (version) => {
    const { feed, items } = await read(corpus(`generated/rss-version-${version}.xml`));
    expect(feed.format).toBe('rss');
    expect(items.map((i) => [i.title, i.url])).toEqual([
      [`First of ${version === 'missing' ? 'none' : version}`, 'https://versions.example/1'],
      [`Second of ${version === 'missing' ? 'none' : version}`, 'https://versions.example/2'],
    ]);
  });

  it('reads RSS 0.90 (rdf:RDF in the Netscape 0.9 namespace, items beside the channel)', async () => {
    const { feed, items } = await read(corpus('generated/rss-0.90-rdf.xml'));
    expect(feed).toMatchObject({ format: 'rdf', title: 'Mozilla Dot Org' });
    expect(items.map((i) => [i.title, i.url])).toEqual([
      ['New Status Updates', 'http://www.mozilla.org/status/'],
      ['Bugzilla Reorganized', 'http://www.mozilla.org/bugs/'],
    ]);
  });

  it('reads RSS 0.90 items when the file has no channel', async () => {
    const { items } = await read(corpus('generated/rss-0.90-rdf-items-only.xml'));
    expect(items.map((i) => i.url)).toEqual(['http://nochannel.example/1']);
  });
});

describe('Atom 0.3', () => {
  it('reads its entries with their dates (issued, modified)', async () => {
    const { feed, items } = await read(corpus('rome/atom_0.3.xml'));
    expect(feed.format).toBe('atom');
    expect(items.map((i) => [i.publishedAt?.toISOString(), i.updatedAt?.toISOString()])).toEqual([
      ['2000-01-01T01:00:00.000Z', '2000-01-01T00:00:00.000Z'],
      ['2000-02-01T01:00:00.000Z', '2000-02-01T00:00:00.000Z'],
    ]);
  });
});

describe('feeds without items', () => {
  it.each([
    'generated/rss-empty-channel.xml',
    'generated/rss-selfclosed-channel.xml',
    'generated/rss-no-channel.xml',
    'generated/rss-bare.xml',
    'generated/rdf-no-channel.xml',
    'generated/atom-no-entries.xml',
    // gofeed's version files: every RSS version, as a channel or even an <rss> with nothing inside.
    ...['rdf_090', 'rdf_10', 'rss_091_netscape', 'rss_091_userland', 'rss_092', 'rss_093', 'rss_094', 'rss_20', 'rss_201', 'rss_21', 'rss_missing'].map(
      (v) => `gofeed/version_${v}.xml`,
    ),
  ])('reads %s as a feed with no items', async (name) => {
    const { items } = await read(corpus(name));
    expect(items).toEqual([]);
  });
});

describe('DOCTYPEs', () => {
  it('reads a feed with an internal subset: DTD removed, its entities left as text, HTML entities as characters', async () => {
    const { feed, items } = await read(corpus('generated/doctype-internal-subset.xml'));
    expect(feed.title).toBe('Subset & Co');
    expect(items.map((i) => i.title)).toEqual(['News from &site; – café talk', 'Second &undefinedthing; item']);
    expect(items[0]!.summary).toBe('Kept &site; as written');
  });

  it('never expands an entity bomb or an external entity, whatever the DOCTYPE does', async () => {
    for (const [name, title] of [
      ['hostile/billion-laughs.xml', '&lol9;'],
      ['hostile/external-entity-file.xml', 'Leak &xxe;'],
      ['hostile/external-parameter-entity.xml', 'Out-of-band &exfil;'],
      ['hostile/external-entity-in-doctype-bomb-late.xml', 'Late bomb &g; &leak;'],
    ] as const) {
      const { items } = await read(corpus(name));
      expect(items.map((i) => i.title), name).toEqual([title]);
    }
    const { items } = await read(corpus('hostile/quadratic-blowup.xml'));
    expect(items[0]!.summary.startsWith('&big;&big;')).toBe(true);
    expect(items[0]!.contentHtml).not.toContain('AAAA');
  });

  it('reads RSS 0.91 with the Netscape DOCTYPE and its HTML entities', async () => {
    const { feed, items } = await read(corpus('generated/rss-0.91-netscape-doctype.xml'));
    expect(feed.title).toBe('Netscape\u00a0News & Notes');
    expect(items.map((i) => [i.title, i.summary])).toEqual([['Résumé of the week…', 'Prices in £ and € — see below']]);
  });

  it.each(['generated/html-doctype-rss.xml', 'generated/html5-doctype-rss.xml'])('reads %s: an HTML DOCTYPE before <rss> is not an HTML page', async (name) => {
    const { feed, items } = await read(corpus(name));
    expect(feed.format).toBe('rss');
    expect(items).toHaveLength(1);
  });

  it('keeps a bare & and an undefined entity as text, as feedparser does', async () => {
    const feed = await parseFeed(
      '<rss version="2.0"><channel><title>Q&A: ?a=1&b=2 &amp; &foo; &nbsp;&copy;</title>' +
        '<item><title><![CDATA[&nbsp; stays in CDATA]]></title><link>https://x.example/?a=1&b=2</link></item></channel></rss>',
    );
    expect(feed.title).toBe('Q&A: ?a=1&b=2 & &foo; \u00a0©');
    expect(feed.items[0]!.title).toBe('&nbsp; stays in CDATA');
    expect(feed.items[0]!.links[0]!.href).toBe('https://x.example/?a=1&b=2');
  });
});

describe('what is still refused, and how it is said', () => {
  it.each([
    ['generated/html-page.html', /^an HTML page, not a feed \(root element <html> at line 2, column 1\)$/],
    ['generated/empty.xml', /^empty document/],
    ['gofeed/unknown_feed.xml', /^root element <note> at line 1, column 1 is not RSS, RDF or Atom$/],
    ['gofeed/rss_channel_language.xml', /^malformed feed: Unexpected close tag at line 6, column \d+$/],
  ])('%s: %s', async (name, message) => {
    const err = await parseFeed(decodeBody(corpus(name), null).text).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).toMatch(message);
  });
});

describe('through the whole ingest path', () => {
  let up: Upstream;
  let store: Store;
  let ingester: Ingester;
  let dir: string;
  const cases = {
    utf16: 'generated/utf16le-nobom.xml',
    version: 'generated/rss-version-missing.xml',
    rss090: 'generated/rss-0.90-rdf.xml',
    empty: 'generated/rss-no-channel.xml',
    doctype: 'generated/doctype-internal-subset.xml',
    html: 'generated/html-doctype-rss.xml',
  };

  beforeAll(async () => {
    up = await startUpstream(
      Object.fromEntries(Object.entries(cases).map(([id, name]) => [`/${id}`, serveBytes(corpus(name), { 'content-type': 'application/xml' })])),
    );
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-real-world-'));
    store = openStore(dir);
    ingester = createIngester({
      store,
      sources: Object.keys(cases).map((id) => ({ id, url: up.url(`/${id}`), name: id, schedule: '0 0 1 1 *', language: null })),
      fetchPolicy: { timeoutMs: 5000, maxBytes: 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds/test' },
      retention: { maxItemsPerSource: 500, maxAgeDays: 180, maxRelatedItemsPerSource: 5000 },
      logger: silentLogger(),
      now: () => NOW,
      targets: () => [],
      onPublishedChange: () => {},
    });
    await ingester.pollAll();
  });

  afterAll(async () => {
    await ingester.stop();
    await store.close();
    await up.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('polls each class successfully and stores its items; an empty feed is a success with none', async () => {
    const status = Object.fromEntries((await ingester.status()).map((s) => [s.id, s]));
    expect(Object.fromEntries(Object.keys(cases).map((id) => [id, [status[id]!.lastError, status[id]!.itemCount]]))).toEqual({
      utf16: [null, 2],
      version: [null, 2],
      rss090: [null, 2],
      empty: [null, 0],
      doctype: [null, 2],
      html: [null, 1],
    });
    expect(status.empty).toMatchObject({ lastStatus: 200, consecutiveFailures: 0, lastSuccessAt: NOW.toISOString() });
  });
});
