import fc from 'fast-check';
import { SaxesParser } from 'saxes';
import { expect, test } from 'vitest';
import type { FeedDoc, FeedEntry } from '../../src/feeds/model.ts';
import { RENDERERS } from '../../src/feeds/render.ts';
import { xmlAttr, xmlText } from '../../src/feeds/xml.ts';
import type { JsonFeed } from '../helpers/json-feed.ts';

/** Text made to break XML writers: any Unicode (lone surrogates included) mixed with markup and controls. */
const nasty = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.constantFrom(']]>', ']]]]><![CDATA[>', '&amp;', '&', '<', '>', '"', "'", '<![CDATA[', '\u0000', '\u0008', '\u001F', '\r', '\r\n', '\uFFFE', '\uD800', '\uDC00', '😀', 'é', '\u202E'),
    ),
    { maxLength: 12 },
  )
  .map((parts) => parts.join(''));
const nonEmpty = nasty.map((s) => (xmlText(s).trim() ? s : `x${s}`));

const entry = fc.record({
  title: nonEmpty,
  summary: nasty,
  contentHtml: nasty,
  author: nonEmpty,
  label: nonEmpty,
  term: nonEmpty,
  translationTitle: nasty,
  sourceTitle: nonEmpty,
  query: nasty,
});

type EntryInput = typeof entry extends fc.Arbitrary<infer T> ? T : never;

function doc(feedTitle: string, description: string, entries: EntryInput[]): FeedDoc {
  const d = new Date('2026-11-25T00:00:00Z');
  return {
    id: 'tag:kabar-feeds.example,2026:feed/id',
    title: feedTitle,
    description,
    language: 'id',
    updated: d,
    selfUrl: 'http://feeds.example.test/id/feed.rss',
    hubs: ['http://feeds.example.test/websub'],
    htmlUrl: 'http://feeds.example.test/id/',
    alternates: [{ href: 'http://feeds.example.test/en/feed.rss', type: 'application/rss+xml', hreflang: 'en', title: feedTitle }],
    copyright: description,
    generator: { name: 'kabar-feeds', version: '0', url: 'http://feeds.example.test/' },
    history: null,
    entries: entries.map(
      (e, i): FeedEntry => ({
        id: `tag:kabar-feeds.example,2026:article/a${i}/id`,
        title: e.title,
        url: `http://feeds.example.test/id/articles/a${i}/`,
        language: 'id',
        summary: e.summary,
        contentHtml: e.contentHtml,
        authors: [{ name: e.author, url: null }],
        contributors: [{ name: e.author, url: 'http://feeds.example.test/' }],
        published: d,
        updated: d,
        categories: [{ term: e.term, label: e.label, scheme: 'http://feeds.example.test/id/categories/x/' }],
        translations: [{ href: 'http://feeds.example.test/en/articles/a/', type: 'text/html', hreflang: 'en', title: e.translationTitle, rel: 'https://schema.org/workTranslation' }],
        // Upstream URLs may carry any query; URL parsing percent-encodes what it must.
        related: [{ href: new URL(`http://upstream.example/a?q=${e.query}&b=1`).href, type: 'text/html', hreflang: null, title: e.title }],
        source: { id: 'http://upstream.example/feed', title: e.sourceTitle, feedUrl: 'http://upstream.example/feed?a=1&b=2', siteUrl: null, updated: d },
        tags: [],
        image: null,
      }),
    ),
  };
}

function assertWellFormed(xml: string): void {
  const parser = new SaxesParser({ xmlns: true });
  const errors: Error[] = [];
  parser.on('error', (e) => {
    errors.push(e);
  });
  parser.write(xml).close();
  if (errors[0]) throw errors[0];
}

/** The attributes of every `tag` element, as a strict XML 1.0 parser reads them. */
function attributes(xml: string, tag: string): Record<string, string>[] {
  const parser = new SaxesParser();
  const out: Record<string, string>[] = [];
  parser.on('opentag', (t) => {
    if (t.name === tag) out.push({ ...(t.attributes as Record<string, string>) });
  });
  parser.write(xml).close();
  return out;
}

/** The text of every `tag` element, as a strict XML 1.0 parser reads it (xmldom's parser also treats U+2028 as a line end). */
function texts(xml: string, tag: string): string[] {
  const parser = new SaxesParser();
  const out: string[] = [];
  let depth = 0;
  parser.on('opentag', (t) => {
    if (t.name === tag) {
      if (depth === 0) out.push('');
      depth++;
    }
  });
  parser.on('closetag', (t) => {
    if (t.name === tag) depth--;
  });
  const add = (text: string) => {
    if (depth > 0) out[out.length - 1] += text;
  };
  parser.on('text', add);
  parser.on('cdata', add);
  parser.write(xml).close();
  return out;
}

test('RSS, Atom and JSON output is well-formed for any text, and reads back as written', () => {
  fc.assert(
    fc.property(nonEmpty, nasty, fc.array(entry, { minLength: 0, maxLength: 3 }), (title, description, entries) => {
      const feed = doc(title, description, entries);
      const rss = RENDERERS.rss(feed);
      assertWellFormed(rss);
      expect(texts(rss, 'title')).toEqual([xmlText(title), ...entries.map((e) => xmlText(e.title))]);
      expect(texts(rss, 'content:encoded')).toEqual(entries.map((e) => xmlText(e.contentHtml)));
      expect(texts(rss, 'category')).toEqual(entries.map((e) => xmlText(e.label)));
      // The feed's alternates come before its items, and an empty feed has them too.
      const alternate = { rel: 'alternate', type: 'application/rss+xml', hreflang: 'en', href: 'http://feeds.example.test/en/feed.rss', title: xmlAttr(title) };
      expect(attributes(rss, 'atom:link')).toContainEqual(alternate);
      expect(rss.indexOf('rel="alternate"')).toBeLessThan(rss.includes('<item>') ? rss.indexOf('<item>') : Infinity);

      const atom = RENDERERS.atom(feed);
      assertWellFormed(atom);
      expect(texts(atom, 'summary')).toEqual(entries.map((e) => xmlText(e.summary)));
      const cats = attributes(atom, 'category');
      expect(cats.map((c) => c.label)).toEqual(entries.map((e) => xmlAttr(e.label)));
      expect(cats.map((c) => c.term)).toEqual(entries.map((e) => xmlAttr(e.term)));
      // Atom lists only HTML pages as alternates (readers take the first or the last as the home page or link).
      expect(attributes(atom, 'link').filter((l) => l.rel === 'alternate' && l.type !== 'text/html')).toEqual([]);

      const json = JSON.parse(RENDERERS.json(feed)) as JsonFeed;
      expect(json.title).toBe(title);
      expect(json.items.map((i) => i.content_html)).toEqual(entries.map((e) => e.contentHtml));
    }),
    // A fixed seed keeps CI reproducible; FC_SEED=random explores new inputs (and prints the seed on failure).
    { numRuns: 500, ...(process.env.FC_SEED === 'random' ? {} : { seed: Number(process.env.FC_SEED ?? 20261125) }) },
  );
});
