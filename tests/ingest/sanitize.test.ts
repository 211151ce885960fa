import fc from 'fast-check';
import sanitizeHtml from 'sanitize-html';
import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../src/ingest/sanitize.ts';

const BLOCK_TAG = /<\/?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|figure|figcaption|pre|dd|dt)\b[^>]*>/gi;

/** Plain text as sanitize-html alone gives it: what htmlToText's shortcut for simple markup must agree with. */
function viaSanitizeHtml(html: string): string {
  return sanitizeHtml(html.replace(BLOCK_TAG, ' '), { allowedTags: [], allowedAttributes: {} })
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('htmlToText', () => {
  it.each([
    ['Tom & Jerry', 'Tom & Jerry'],
    ['<p>Tense <strong>tax</strong> talks</p><p>resume&nbsp;today</p>', 'Tense tax talks resume today'],
    ['Rock &amp; roll &#39;n&#x27; &quot;blues&quot; &lt;live&gt;', 'Rock & roll \'n\' "blues" <live>'],
    ['<a href="/x?a=1&b=2" title="a > b">link</a>', 'link'],
    ['a<script>alert(1)</script>b<style>p{}</style>c', 'abc'],
    ['<!-- hidden -->shown &copy 2026 &#150;', 'shown © 2026 –'],
    ['1 < 2 and 3 > 2', '1 < 2 and 3 > 2'],
  ])('reads %j as %j', (html, text) => {
    expect(htmlToText(html)).toBe(text);
    expect(viaSanitizeHtml(html)).toBe(text);
  });

  it('agrees with sanitize-html on random markup, simple or not', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '<p>', '</p>', '<b>', '</b>', '<a href="x>y">', "<a href='q'>", '</a>', '<br/>', '<img src="x" />', '<STRONG>', '</Strong >',
        '<span\tclass = "c">', '<script>', '</script>', '<title>', '<option>', '<textarea>', '<!-- c -->', '<![CDATA[x]]>', '<svg>',
        '<x-y>', '<a b>', '<a b=c>', '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&nbsp;', '&AMP;', '&amp', '&copy', '&copy;', '&#39;',
        '&#x27;', '&#X41;', '&#0;', '&#128;', '&#150;', '&#55296;', '&#1114112;', '&#99999999;', '&#;', '&#x;', '&', '& ', '&#', '<', '< ',
        '</', '<>', '>', ' ', '\n', '\r\n', '\t', '\u00a0', '\u0000', 'é', '😀', '"', "'", '=', '/', 'Tom',
      ),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const html = parts.join('');
        expect(htmlToText(html)).toBe(viaSanitizeHtml(html));
      }),
      { numRuns: 3000 },
    );
  });
});
