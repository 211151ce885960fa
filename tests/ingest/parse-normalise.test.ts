import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/ingest/charset.ts';
import { normaliseFeed } from '../../src/ingest/normalise.ts';
import { ParseError, parseFeed } from '../../src/ingest/parser.ts';
import { htmlToText, sanitizeContent } from '../../src/ingest/sanitize.ts';
import { fixture } from '../helpers/upstream-server.ts';

const NOW = new Date('2026-11-20T00:00:00Z');

async function itemsOf(name: string, feedUrl = `https://upstream.example/${name}`) {
  const feed = await parseFeed(decodeBody(fixture(name), null).text);
  return { feed, items: normaliseFeed(feed, { feedUrl, sourceLanguage: 'xx', now: NOW }) };
}

describe('parser and normaliser', () => {
  it('reads RSS 2.0: keys from guid else link, relative links against the channel link, content:encoded sanitised', async () => {
    const { feed, items } = await itemsOf('rss2.xml');
    expect(feed.format).toBe('rss');
    expect(items.map((i) => i.key)).toEqual([
      'wire-1001', 'wire-1002', 'wire-1003', 'wire-1004', 'wire-1005', 'https://wire.example/food/lentil-soup', 'wire-1007',
    ]);
    const analysis = items[1]!;
    expect(analysis.url).toBe('https://wire.example/world/iran-israel-caucasus');
    expect(analysis.contentHtml).toContain('href="https://wire.example/maps/caucasus"');
    expect(analysis.contentHtml).toContain('src="https://wire.example/img/map.png"');
    expect(analysis.summary).toBe('Analysis: the Karabakh conflict drew in regional powers, from drones to pipelines.');
    expect(items[0]).toMatchObject({ categories: ['Caucasus'], author: 'A. Reporter', language: 'en', summary: 'Negotiators met in Geneva.' });
    expect(items[0]!.publishedAt?.toISOString()).toBe('2026-11-02T08:00:00.000Z');
  });

  it('leaves a missing or future date null: the store clamps it to first-seen, which never moves', async () => {
    const { items } = await itemsOf('rss2.xml');
    expect(items.find((i) => i.key.endsWith('lentil-soup'))!.publishedAt).toBeNull();
    expect(items.find((i) => i.key === 'wire-1007')!.publishedAt).toBeNull();
  });

  it('reads Atom: xml:base for relative links, alternate link, categories, xml:lang per entry', async () => {
    const { feed, items } = await itemsOf('atom.xml');
    expect(feed.format).toBe('atom');
    const [karabakh, tirana, lamb] = items;
    expect(karabakh).toMatchObject({
      key: 'tag:atom.example,2026:entry-1',
      url: 'https://atom.example/news/2026/11/karabakh-families',
      categories: ['Caucasus'],
      language: 'en',
      author: 'Desk Writer',
      summary: 'Reporting from Goris & Yerevan.',
    });
    expect(karabakh!.contentHtml).toBe(
      '<p>Families <a href="https://atom.example/news/people/anna">recount</a> the exodus.</p><img src="https://atom.example/news/img/camp.jpg" />',
    );
    expect(karabakh!.updatedAt?.toISOString()).toBe('2026-11-02T07:00:00.000Z');
    expect(tirana!.language).toBe('sq');
    expect(lamb!.url).toBe('https://atom.example/recipes/lamb');
    expect(lamb!.publishedAt?.toISOString()).toBe('2026-11-04T10:00:00.000Z');
  });

  it('reads RSS 1.0 (RDF): rdf:about as key, dc:date, dc:subject as category, source language as fallback', async () => {
    const { feed, items } = await itemsOf('rss1.xml');
    expect(feed.format).toBe('rdf');
    expect(items[0]).toMatchObject({ key: 'https://rdf.example/a/1', categories: ['Syria'], language: 'xx' });
    expect(items[0]!.publishedAt?.toISOString()).toBe('2026-11-02T06:00:00.000Z');
  });

  it('reads a Latin-1 feed declared only in its XML declaration', async () => {
    const { items } = await itemsOf('latin1-declared.xml');
    expect(items[0]!.title).toBe('Karabaj: el papel de Irán e Israel en Karabakh');
    expect(items[1]!.title).toBe('Receta: crème brûlée fácil');
  });

  it('removes script, event handlers, javascript: and data: links, iframes, styles and objects', async () => {
    const { items } = await itemsOf('script-injection.xml');
    const [item] = items;
    expect(item!.title).toBe('Karabakh update');
    const html = item!.contentHtml;
    for (const bad of ['<script', 'onerror', 'onclick', 'javascript:', 'JaVaScRiPt', 'data:', '<iframe', '<style', '<object', 'cookie']) {
      expect(html).not.toContain(bad);
    }
    expect(html).toContain('<img src="https://evil.example/x.png" />');
    expect(html).toContain('<a href="https://evil.example/safe">safe</a>');
  });

  it.each([
    ['malformed.xml', /malformed feed: .* at line \d+, column \d+/],
    ['html-page.html', /HTML/],
  ])('rejects %s as a parse error', async (name, message) => {
    const err = await parseFeed(fixture(name).toString('utf8')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ParseError);
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    ['entity-bomb.xml', '&lol9;'],
    ['external-entity.xml', 'Leak &xxe;'],
  ])('reads %s without its DOCTYPE: the entities it declares stay text, never expanded', async (name, title) => {
    const { items } = await itemsOf(name);
    expect(items.map((i) => i.title)).toEqual([title]);
  });

  it('never expands an entity even without a DOCTYPE subset to spot', async () => {
    const feed = await parseFeed('<?xml version="1.0"?><rss version="2.0"><channel><title>&xxe;</title></channel></rss>');
    expect(feed.title).toBe('&xxe;');
  });
});

describe('RSS text elements holding raw markup (sloppy, but seen)', () => {
  it('keeps their text and markup in order instead of dropping what sits inside the elements', async () => {
    const body = `<?xml version="1.0"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
      <title>Raw <b>Wire</b></title><link>https://raw.example/</link>
      <item><title>Iran <b>warns</b> of Israel</title><link>https://raw.example/1</link>
        <description>Lead <b>bold</b> tail &amp; more.</description>
        <content:encoded><p>One <i>two</i> three.</p><script>alert(1)</script><p>Four <img src="/a.png"/></p></content:encoded></item>
      <item><title>Escaped, as it should be</title><link>https://raw.example/2</link><description>&lt;p&gt;Fine &amp;amp; dandy&lt;/p&gt;</description></item>
    </channel></rss>`;
    const feed = await parseFeed(body);
    const items = normaliseFeed(feed, { feedUrl: 'https://raw.example/feed', sourceLanguage: 'en', now: NOW });
    expect(feed.title).toBe('Raw <b>Wire</b>');
    expect(items[0]).toMatchObject({ title: 'Iran warns of Israel', summary: 'Lead bold tail & more.' });
    expect(items[0]!.contentHtml).toBe('<p>One <i>two</i> three.</p><p>Four <img src="https://raw.example/a.png" /></p>');
    expect(items[1]).toMatchObject({ title: 'Escaped, as it should be', summary: 'Fine & dandy', contentHtml: '<p>Fine &amp; dandy</p>' });
  });
});

describe('Atom type="xhtml" text', () => {
  it('keeps text and markup in document order in titles, summaries and content, sanitised, relative links resolved', async () => {
    const { feed, items } = await itemsOf('atom-xhtml.xml');
    expect(feed.title).toBe('Caucasus <em>Wire</em> &amp; Co');
    const [first, second] = items;
    expect(first!.title).toBe('Iran warns of Israel in Karabakh');
    expect(first!.summary).toBe('Tehran says it will not accept it.');
    expect(first!.contentHtml).toBe(
      '<p>First <a href="https://xhtml.example/people/minister">the minister</a> spoke,<br />then the <i>army</i>.</p>' +
        '<div><p>Inner <b>box</b>.</p></div><p>Last &lt;para&gt;.</p>',
    );
    expect(first!.url).toBe('https://xhtml.example/news/iran-karabakh');
    expect(second!.title).toBe('Plain title, and a CDATA tail');
    expect(second!.contentHtml).toBe('<p>Prefixed <b>xhtml</b> too.</p>');
  });
});

describe('sanitize helpers', () => {
  it('turns HTML into collapsed plain text with entities decoded', () => {
    expect(htmlToText('  <p>Tom &amp; Jerry</p><p>&lt;b&gt;  fight</p> ')).toBe('Tom & Jerry <b> fight');
  });
  it('drops img without a usable src and protocol-relative tricks', () => {
    expect(sanitizeContent('<img src="javascript:alert(1)"><a href="//evil.example/x">x</a>', 'https://base.example/')).toBe(
      '<a href="https://evil.example/x">x</a>',
    );
  });
});

describe('odd but valid feeds', () => {
  it('keeps an Atom entry whose date cannot be read, undated, instead of rejecting the feed', async () => {
    const feed = await parseFeed(
      '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>' +
        '<entry><id>1</id><title>a</title><published>yesterday-ish</published></entry>' +
        '<entry><id>2</id><title>b</title><published>2026-01-01T00:00:00Z</published></entry></feed>',
    );
    const items = normaliseFeed(feed, { feedUrl: 'https://x.example/feed', sourceLanguage: null, now: NOW });
    expect(items.map((i) => [i.key, i.publishedAt?.toISOString() ?? null])).toEqual([
      ['1', null],
      ['2', '2026-01-01T00:00:00.000Z'],
    ]);
  });

  it('makes a key from title and date when there is neither guid nor link, stable across polls', async () => {
    const xml = '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Only a title</title><pubDate>Mon, 02 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>';
    const a = normaliseFeed(await parseFeed(xml), { feedUrl: 'https://x.example/feed', sourceLanguage: null, now: NOW });
    const b = normaliseFeed(await parseFeed(xml), { feedUrl: 'https://x.example/feed', sourceLanguage: null, now: new Date() });
    expect(a[0]!.key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b[0]!.key).toBe(a[0]!.key);
  });
});
