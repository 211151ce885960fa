import sanitizeHtml from 'sanitize-html';
import { simplePlainText, simpleSanitized } from './simple-markup.ts';

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

const ALLOWED_ATTRIBUTES: Record<string, string[]> = {
  a: ['href', 'title', 'hreflang'],
  img: ['src', 'alt', 'title', 'width', 'height'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan', 'scope'],
  time: ['datetime'],
  '*': ['lang', 'dir'],
};
const ALLOWED_TAG_SET = new Set(ALLOWED_TAGS);

/**
 * Cleans upstream HTML with sanitize-html's allowlist: no script, style, iframe, object, form, event handler or
 * style attribute survives; only http(s) (and mailto) links; `a href` and `img src` made absolute against `base`.
 * Simple markup takes a shortcut that gives the same result (src/ingest/simple-markup.ts).
 */
export function sanitizeContent(html: string, base: string | null): string {
  return sanitizeShortcut(html, base) ?? sanitizeWithLibrary(html, base);
}

/** sanitizeContent's result for simple markup, without sanitize-html; null for any other markup. */
export function sanitizeShortcut(html: string, base: string | null): string | null {
  return simpleSanitized(html, { allowedTags: ALLOWED_TAG_SET, allowedAttributes: ALLOWED_ATTRIBUTES, url: (value) => absoluteHttpUrl(value, base) });
}

/** sanitizeContent by sanitize-html alone, without the shortcut: what the shortcut must agree with. */
export function sanitizeWithLibrary(html: string, base: string | null): string {
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
    allowedAttributes: ALLOWED_ATTRIBUTES,
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesByTag: { img: ['http', 'https'] },
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: { a: absolutise('href'), img: absolutise('src') },
    exclusiveFilter: (frame) => frame.tag === 'img' && !frame.attribs.src,
  }).trim();
}

const BLOCK_TAG = /<\/?(?:p|div|br|hr|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|figure|figcaption|pre|dd|dt)\b[^>]*>/gi;

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
