import fc from 'fast-check';
import { expect, test } from 'vitest';
import { normaliseFeed } from '../../src/ingest/normalise.ts';
import { ParseError, parseFeed } from '../../src/ingest/parser.ts';

/**
 * Upstream feeds put anything anywhere: attributes on titles, elements inside dates, a title inside a title,
 * xhtml where text was expected. Whatever well-formed RSS or Atom arrives, the parser and normaliser either
 * reject it with a ParseError or give items whose fields are strings (or null): never a TypeError that would
 * fail the whole poll with a message nobody can act on.
 */

const NAMES = [
  'title', 'link', 'description', 'content:encoded', 'guid', 'pubDate', 'category', 'author', 'dc:creator', 'dc:subject',
  'summary', 'content', 'id', 'updated', 'published', 'name', 'uri', 'b', 'div', 'language', 'source', 'enclosure',
];
const text = fc.oneof(
  fc.constantFrom('x', 'http://a.example/1', '2026-01-01T00:00:00Z', 'Mon, 02 Nov 2026 08:00:00 GMT', '&amp;', '&lt;b&gt;', '', ' '),
  fc.string({ maxLength: 8 }).map((s) => s.replace(/[<&]/g, '')),
);
const attributes = fc.dictionary(
  fc.constantFrom('href', 'rel', 'type', 'term', 'label', 'xml:base', 'xml:lang', 'isPermaLink', 'domain', 'url'),
  fc.constantFrom('xhtml', 'html', 'text', 'alternate', 'self', 'x', '/rel', 'http://b.example/', 'en', ''),
  { maxKeys: 3 },
);
const { node } = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    text.map((t) => `<![CDATA[${t}]]>`),
    fc.tuple(fc.constantFrom(...NAMES), attributes, fc.array(tie('node'), { maxLength: 3 })).map(([name, attrs, children]) => {
      const xmlns = name === 'div' ? ' xmlns="http://www.w3.org/1999/xhtml"' : '';
      const a = Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join('');
      return `<${name}${xmlns}${a}>${children.join('')}</${name}>`;
    }),
  ),
}));
const NS = 'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/"';
const rss = fc
  .array(fc.array(node, { maxLength: 6 }), { maxLength: 3 })
  .map((items) => `<?xml version="1.0"?><rss version="2.0" ${NS}><channel><title>C</title>${items.map((i) => `<item>${i.join('')}</item>`).join('')}</channel></rss>`);
const atom = fc
  .tuple(fc.array(node, { maxLength: 3 }), fc.array(fc.array(node, { maxLength: 6 }), { maxLength: 3 }))
  .map(([feed, entries]) => `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" ${NS}>${feed.join('')}${entries.map((e) => `<entry>${e.join('')}</entry>`).join('')}</feed>`);

const isStringOrNull = (v: unknown) => v === null || typeof v === 'string';

test('any well-formed RSS or Atom shape gives string fields or a ParseError, never a crash', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(rss, atom), async (xml) => {
      let items;
      try {
        items = normaliseFeed(await parseFeed(xml), { feedUrl: 'http://a.example/feed', sourceLanguage: null, now: new Date() });
      } catch (err) {
        if (err instanceof ParseError) return;
        throw err;
      }
      for (const i of items) {
        expect(typeof i.key).toBe('string');
        expect(typeof i.title).toBe('string');
        expect(typeof i.summary).toBe('string');
        expect(typeof i.contentHtml).toBe('string');
        expect(isStringOrNull(i.url) && isStringOrNull(i.author) && isStringOrNull(i.language)).toBe(true);
        expect(i.categories.every((c) => typeof c === 'string')).toBe(true);
      }
    }),
    // A fixed seed keeps CI reproducible; FC_SEED=random explores new inputs (and prints the seed on failure).
    { numRuns: 1000, ...(process.env.FC_SEED === 'random' ? {} : { seed: Number(process.env.FC_SEED ?? 20261125) }) },
  );
});
