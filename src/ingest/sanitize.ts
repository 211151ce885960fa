import sanitizeHtml from 'sanitize-html';

/** Makes `value` absolute against `base`; null for anything that is not http(s) (javascript:, data:, junk). */
export function absoluteHttpUrl(value: string | null | undefined, base: string | null): string | null {
  if (!value) return null;
  // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:"); so does URL.
  let url: URL;
  try {
    url = base ? new URL(value.trim(), base) : new URL(value.trim());
  } catch {
    return null;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
}

const ALLOWED_TAGS = [
  'a', 'abbr', 'b', 'blockquote', 'br', 'caption', 'cite', 'code', 'dd', 'del', 'dfn', 'div', 'dl', 'dt', 'em',
  'figcaption', 'figure', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'ins', 'kbd', 'li', 'mark', 'ol',
  'p', 'pre', 'q', 's', 'small', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'tfoot', 'th', 'thead',
  'time', 'tr', 'u', 'ul',
];

/**
 * Cleans upstream HTML with sanitize-html's allowlist: no script, style, iframe, object, form, event handler or
 * style attribute survives; only http(s) (and mailto) links; `a href` and `img src` made absolute against `base`.
 */
export function sanitizeContent(html: string, base: string | null): string {
  const absolutise =
    (attr: 'href' | 'src') =>
    (tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag => {
      const out = { ...attribs };
      const raw = attribs[attr];
      if (raw !== undefined) {
        const isMail = attr === 'href' && /^\s*mailto:/i.test(raw);
        const abs = isMail ? raw.trim() : absoluteHttpUrl(raw, base);
        if (abs) out[attr] = abs;
        else delete out[attr];
      }
      return { tagName, attribs: out };
    };
  return sanitizeHtml(html, {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: {
      a: ['href', 'title', 'hreflang'],
      img: ['src', 'alt', 'title', 'width', 'height'],
      td: ['colspan', 'rowspan'],
      th: ['colspan', 'rowspan', 'scope'],
      time: ['datetime'],
      '*': ['lang', 'dir'],
    },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: { a: absolutise('href'), img: absolutise('src') },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  }).trim();
}

const BLOCK_TAG = /<\/?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|figure|figcaption|pre|dd|dt)\b[^>]*>/gi;

/**
 * One piece of the markup that `simplePlainText` reads without sanitize-html: text without `<` or `&`, a tag (name
 * checked against PLAIN_TAGS) with quoted attributes, an entity from a short list, a numeric entity, or an `&`
 * that cannot start an entity. Whitespace inside tags is HTML's (not `\s`, which also takes U+00A0).
 */
const PLAIN_TOKEN =
  /([^<&]+)|<\/?([A-Za-z][A-Za-z0-9]*)(?:[\t\n\f\r ]+[A-Za-z_:][-A-Za-z0-9_:.]*(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'))?)*[\t\n\f\r ]*\/?>|&(amp|lt|gt|quot|apos|nbsp);|&#(?:([0-9]{1,7})|[xX]([0-9A-Fa-f]{1,6}));|&(?![A-Za-z0-9#])/y;

/**
 * Tags whose only effect on the plain text is to vanish: not raw text for htmlparser2 (script, style, title,
 * textarea, xmp), not dropped with their text by sanitize-html (those and option), not foreign (svg, math).
 */
const PLAIN_TAGS = new Set([
  'a', 'abbr', 'acronym', 'b', 'bdi', 'bdo', 'big', 'caption', 'center', 'cite', 'code', 'del', 'dfn', 'dl', 'em',
  'font', 'header', 'footer', 'i', 'img', 'ins', 'kbd', 'label', 'mark', 'nav', 'q', 's', 'samp', 'small', 'span',
  'strike', 'strong', 'sub', 'sup', 'tbody', 'tfoot', 'thead', 'time', 'tt', 'u', 'var', 'wbr',
]);

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** A numeric character reference's text, where htmlparser2 passes the code point through unchanged. */
function codePointText(cp: number): string | null {
  // 0, C1 controls (read as windows-1252), surrogates and beyond Unicode are replaced: leave those to the parser.
  if (cp === 0 || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return null;
  return String.fromCodePoint(cp);
}

/**
 * The text that sanitize-html with no allowed tag would give for simple markup, or null when `html` holds
 * anything else (comments, CDATA, other entities, raw-text or dropped elements, a stray `<`): the caller then
 * asks sanitize-html. Upstream titles, summaries, categories and author names are nearly always simple, and
 * sanitize-html costs several microseconds even for a word.
 */
function simplePlainText(html: string): string | null {
  let out = '';
  PLAIN_TOKEN.lastIndex = 0;
  while (PLAIN_TOKEN.lastIndex < html.length) {
    const m = PLAIN_TOKEN.exec(html);
    if (!m) return null;
    if (m[1] !== undefined) out += m[1];
    else if (m[2] !== undefined) {
      if (!PLAIN_TAGS.has(m[2].toLowerCase())) return null;
    } else if (m[3] !== undefined) out += NAMED[m[3]]!;
    else if (m[4] !== undefined || m[5] !== undefined) {
      const text = codePointText(m[4] !== undefined ? Number.parseInt(m[4], 10) : Number.parseInt(m[5]!, 16));
      if (text === null) return null;
      out += text;
    } else out += '&';
  }
  return out;
}

/** Plain text from HTML (or from text with entities): tags dropped, entities decoded, whitespace collapsed. */
export function htmlToText(html: string): string {
  if (!html.includes('<') && !html.includes('&')) return html.replace(/\s+/g, ' ').trim();
  const spaced = html.replace(BLOCK_TAG, ' ');
  const simple = simplePlainText(spaced);
  if (simple !== null) return simple.replace(/\s+/g, ' ').trim();
  const escaped = sanitizeHtml(spaced, { allowedTags: [], allowedAttributes: {} });
  // With decodeEntities on, sanitize-html re-escapes exactly these three in text; undo them, &amp; last.
  return escaped
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Wraps plain text (Atom type="text") as HTML. */
export function textToHtml(text: string): string {
  const escaped = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return escaped
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${p}</p>`)
    .join('');
}
