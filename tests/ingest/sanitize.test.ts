import fc from 'fast-check';
import sanitizeHtml from 'sanitize-html';
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parseFeed } from '../../src/ingest/parser.ts';
import { htmlToText, sanitizeContent, sanitizeShortcut, sanitizeWithLibrary } from '../../src/ingest/sanitize.ts';
import { DEFAULT_PARAMS, upstreamFeed } from '../../bench/lib/generate.ts';

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
        '<span\tclass = "c">', '<script>', '</script>', '<title>', '<option>', '<textarea>', '<!-- c -->', '<![CDATA[x]]>', '<svg>', '<iframe src="x">', '</iframe>', '</SCRIPT >', '</script',
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

const BASE = 'https://wire.example/world/';

/** Checks that sanitizeContent gives what sanitize-html gives, shortcut or not; true when the shortcut took it. */
function shortcutAgrees(html: string): boolean {
  const expected = sanitizeWithLibrary(html, BASE);
  expect(sanitizeContent(html, BASE), html).toBe(expected);
  const fast = sanitizeShortcut(html, BASE);
  if (fast === null) return false;
  expect(fast, html).toBe(expected);
  return true;
}

/** How many of `contents` the shortcut took, checking every one. */
function agreeing(contents: readonly string[]): { shortcut: number; total: number } {
  return { shortcut: contents.filter(shortcutAgrees).length, total: contents.length };
}

/** How many of 5,000 random documents from `markup` the shortcut took, checking every one. */
function agreeingOnRandom(markup: fc.Arbitrary<string>): number {
  let shortcut = 0;
  fc.assert(
    fc.property(markup, (html) => {
      if (shortcutAgrees(html)) shortcut++;
    }),
    { numRuns: 5000 },
  );
  return shortcut;
}

describe('sanitizeContent', () => {
  it('keeps simple markup as sanitize-html does, links made absolute, handlers and scripts gone', () => {
    const html =
      '<p><strong>Lead</strong> &amp; more &gt; less</p><p>See <a href="/world/7?a=1&amp;b=2" title=\'"q"\' onclick="x()">this</a>.</p>' +
      '<figure><img src="/img/1.jpg" alt="A &quot;cat&quot;" onerror="x()"><figcaption>Cap</figcaption></figure>' +
      '<p><a href="javascript:alert(1)">bad</a><img src="data:x"><br/></p>';
    const out = sanitizeContent(html, BASE);
    expect(out).toBe(
      '<p><strong>Lead</strong> &amp; more &gt; less</p><p>See <a href="https://wire.example/world/7?a=1&amp;b=2" title="&quot;q&quot;">this</a>.</p>' +
        '<figure><img src="https://wire.example/img/1.jpg" alt="A &quot;cat&quot;" /><figcaption>Cap</figcaption></figure>' +
        '<p><a>bad</a><br /></p>',
    );
    expect(sanitizeShortcut(html, BASE)).toBe(out);
    expect(out).toBe(sanitizeWithLibrary(html, BASE));
  });

  it.each([
    ['a script', '<p>a<script>alert("</p>")</script ></p>', '<p>a</p>'],
    ['a style sheet', '<style>p { color: red }</STYLE><p>b</p>', '<p>b</p>'],
    ['a comment', 'a<!-- x -- y -->b', 'ab'],
    ['an iframe (its text kept)', '<iframe src="https://ads.example/">ad</iframe>x', 'adx'],
  ])('drops %s as sanitize-html does, without it', (_what, html, expected) => {
    expect(sanitizeShortcut(html, BASE)).toBe(expected);
    expect(sanitizeWithLibrary(html, BASE)).toBe(expected);
  });

  it.each([
    ['a script without its end tag', '<p>a<script>alert(1)</p>', '<p>a</p>'],
    ['an object', '<object data="x.swf">fallback</object>', 'fallback'],
    ['an unclosed paragraph', '<p>one<p>two', '<p>one</p><p>two</p>'],
    ['an odd comment', 'a<!-->b', 'ab'],
    ['a block inside a paragraph (HTML closes the paragraph)', '<p>a<div>b</div></p>', '<p>a</p><div>b</div><p></p>'],
    ['list items left open', '<ul><li>a<li>b</li></ul>', '<ul><li>a</li><li>b</li></ul>'],
    ['a mailto link', '<a href="mailto:desk@wire.example">mail</a>', '<a href="mailto:desk@wire.example">mail</a>'],
  ])('leaves %s to sanitize-html', (_what, html, expected) => {
    expect(sanitizeContent(html, BASE)).toBe(expected);
    expect(sanitizeShortcut(html, BASE)).toBeNull();
  });

  it('agrees with sanitize-html on random markup, simple or not', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '<p>', '</p>', '<P >', '<b>', '</b>', '<strong>', '</strong>', '<em>', '</em>', '<ul>', '</ul>', '<li>', '</li>', '<ol>',
        '</ol>', '<table>', '<tr>', '</tr>', '<td colspan="2">', '<td>', '</td>', '<th scope=\'col\'>', '</th>', '</table>',
        '<tbody>', '</tbody>', '<div>', '</div>', '<h2>', '</h2>', '<blockquote>', '</blockquote>', '<pre>', '</pre>',
        '<a href="/x">', '<a href="https://e.example/a?b=1&amp;c=2">', '<a href="javascript:alert(1)">', '<a href="mailto:a@b.c">',
        '<a href="">', '<a href>', '<a href=/x/>', '<td width=80 nowrap>', '<img src=/i.png alt>', '<img src="/i.png" alt="">',
        '<a href="/s?q=1&b=2&amp;c&d">', '<a title="&notit; &not=">', '<!--', '-->', '<!-->', '<!--->', '--!>', '<!---->', '<!-- a -- b -->', '<a href="//evil.example/">', '<a href="x" href="y">', '<a title="t &lt; u" lang="en">',
        "<a href='q' hreflang=id>", '</a>', '<br>', '<br/>', '<br />', '</br>', '<hr>', '<img src="/i.png" alt="">',
        '<img src="/i.png" alt="x" width="10">', '<img alt="no src">', '<img src="javascript:x">', '<img src="x"/>', '</img>',
        '<span class="c" style="color:red" onclick="x()">', '</span>', '<font color="red">', '</font>', '<center>', '</center>',
        '<wbr>', '<time datetime="2020-11-03">', '</time>', '<figure>', '</figure>', '<figcaption>', '</figcaption>',
        '<script>', '</script>', '<style>', '<iframe src="x">', '</iframe>', '<svg>', '<option>', '<textarea>', '<title>',
        '<!-- c -->', '<![CDATA[x]]>', '<x-y>', '<P DIR="rtl">', '<a HREF="/u">', '<p/>', '<b/>',
        '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&nbsp;', '&AMP;', '&amp', '&copy', '&copy;', '&#39;', '&#x27;', '&#X41;',
        '&#0;', '&#128;', '&#150;', '&#55296;', '&#1114112;', '&#;', '&', '& ', '&#', '<', '< ', '</', '<>', '>', ' ', '\n',
        '\r\n', '\t', '\u00a0', '\u0000', 'é', '😀', '"', "'", '=', '/', 'Tom',
      ),
      fc.string({ maxLength: 4 }),
    );
    const shortcut = agreeingOnRandom(fc.array(piece, { maxLength: 16 }).map((parts) => parts.join('')));
    expect(shortcut).toBeGreaterThan(500);
  });

  it('agrees with sanitize-html on well-formed trees of any tags', () => {
    const tag = fc.constantFrom(
      'p', 'div', 'span', 'a', 'b', 'strong', 'em', 'ul', 'ol', 'li', 'table', 'tbody', 'tr', 'td', 'th', 'h1', 'h3',
      'blockquote', 'figure', 'figcaption', 'pre', 'dl', 'dt', 'dd', 'font', 'center', 'section', 'script',
    );
    const attrs = fc.constantFrom('', ' href="/x"', ' href="https://e.example/?a=1&amp;b"', ' class="k"', ' lang="id" dir="rtl"', ' colspan="2"');
    const text = fc.constantFrom('', 'x', 'Tom &amp; Jerry', ' 1 > 0 ', '&#8217;', '<br>', '<img src="/i.png" alt="i">', '<hr/>');
    const { node } = fc.letrec<{ node: string }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        text,
        fc.tuple(tag, attrs, fc.array(tie('node'), { maxLength: 3 })).map(([t, a, children]) => `<${t}${a}>${children.join('')}</${t}>`),
      ),
    }));
    const shortcut = agreeingOnRandom(fc.array(node, { maxLength: 4 }).map((nodes) => nodes.join('')));
    expect(shortcut).toBeGreaterThan(1000);
  });

  it('agrees with sanitize-html on every item of the real-world corpus, and reads most of a wire feed without it', async () => {
    const corpus = path.resolve(import.meta.dirname, '../fixtures/corpus');
    const contents: string[] = [];
    for (const dir of fs.readdirSync(corpus)) {
      const full = path.join(corpus, dir);
      if (!fs.statSync(full).isDirectory()) continue;
      for (const file of fs.readdirSync(full)) {
        let feed;
        try {
          feed = await parseFeed(fs.readFileSync(path.join(full, file), 'utf8'));
        } catch {
          continue;
        }
        for (const item of feed.items) for (const html of [item.content, item.summary]) if (html) contents.push(html);
      }
    }
    const real = agreeing(contents);
    expect(real.total).toBeGreaterThan(500);
    const wire = agreeing((await parseFeed(upstreamFeed(DEFAULT_PARAMS, 300))).items.map((i) => i.content ?? ''));
    // The benchmark's wire feed: paragraphs, links, images with handlers, an occasional script.
    expect(wire.shortcut / wire.total).toBeGreaterThan(0.8);
    console.log(`sanitizeContent shortcut taken: corpus ${real.shortcut}/${real.total}, wire ${wire.shortcut}/${wire.total}`);
  });
});
