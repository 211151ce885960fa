/**
 * Shortcuts past sanitize-html for the markup nearly every upstream feed sends: well-formed paragraphs, links,
 * emphasis and images, entities from a short list. Each function gives exactly what sanitize-html (with the
 * options of src/ingest/sanitize.ts) would give, or null when the markup holds anything else (a comment, a
 * script, an unclosed tag, a tag HTML's parser would close by itself, an unusual entity): the caller then asks
 * sanitize-html. sanitize-html stays the sanitiser; tests/ingest/sanitize.test.ts checks the agreement on random
 * and real-world markup. The shortcuts exist because sanitize-html costs about 100 µs for an item's content and
 * several µs even for a word, most of an ingest's time.
 */

/** HTML's whitespace inside tags (not `\s`, which also takes U+00A0). */
const WS = '[\\t\\n\\f\\r ]';

/** One attribute of a start tag: its name, then its value double-quoted, single-quoted or unquoted (or none). */
const ATTRIBUTE_SOURCE = `${WS}+([A-Za-z_:][-A-Za-z0-9_:.]*)(?:${WS}*=${WS}*(?:"([^"]*)"|'([^']*)'|([^\\t\\n\\f\\r >"'=<\`]+)))?`;
/**
 * One piece of markup: text without `<` or `&`; an end tag; a start tag with its attributes; an entity from a
 * short list; a numeric entity; an `&` that cannot start an entity; a comment.
 */
const TOKEN = new RegExp(
  [
    '([^<&]+)',
    `<\\/([A-Za-z][A-Za-z0-9]*)${WS}*>`,
    `<([A-Za-z][A-Za-z0-9]*)((?:${ATTRIBUTE_SOURCE.replace(/\((?!\?)/g, '(?:')})*)${WS}*(\\/?)>`,
    '&(amp|lt|gt|quot|apos|nbsp);',
    '&#(?:([0-9]{1,7})|[xX]([0-9A-Fa-f]{1,6}));',
    '(&)(?![A-Za-z0-9#])',
    // A comment, unless it is one of the odd shapes (`<!-->`, `<!--->`, `--!>`, nested) parsers disagree on.
    '(<!--(?!-?>)(?:(?!--!>|<!--)[^])*?-->)',
  ].join('|'),
  'y',
);
const enum Group {
  Text = 1,
  EndTag,
  StartTag,
  Attributes,
  SelfClosing,
  Named,
  Decimal,
  Hex,
  Ampersand,
  Comment,
}

const ATTRIBUTE = new RegExp(ATTRIBUTE_SOURCE, 'y');

/** TOKEN for the entities inside an attribute value (TOKEN itself is in use by the tag's reader). */
const ATTRIBUTE_TOKEN = new RegExp(TOKEN.source, 'y');

const QUERY_AMPERSAND = /&[A-Za-z0-9]+=/y;

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** A numeric character reference's text, where HTML's parser passes the code point through unchanged. */
function codePointText(cp: number): string | null {
  // 0, C1 controls (read as windows-1252), surrogates and beyond Unicode are replaced: leave those to the parser.
  if (cp === 0 || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return null;
  return String.fromCodePoint(cp);
}

/** The decoded text of the entity or `&` token `m`; null for a code point the parser would replace. */
function entityText(m: RegExpExecArray): string | null {
  if (m[Group.Named] !== undefined) return NAMED[m[Group.Named]]!;
  if (m[Group.Decimal] !== undefined) return codePointText(Number.parseInt(m[Group.Decimal], 10));
  if (m[Group.Hex] !== undefined) return codePointText(Number.parseInt(m[Group.Hex], 16));
  return '&';
}

/** Text decoded from an attribute value, by the same short list of entities; null for anything else. */
function attributeText(raw: string): string | null {
  if (!raw.includes('&')) return raw;
  let out = '';
  let at = 0;
  for (;;) {
    const amp = raw.indexOf('&', at);
    if (amp < 0) return out + raw.slice(at);
    out += raw.slice(at, amp);
    // `&name=` inside an attribute value (a query string) is never a character reference, by HTML's rules.
    QUERY_AMPERSAND.lastIndex = amp;
    if (QUERY_AMPERSAND.test(raw)) {
      out += '&';
      at = amp + 1;
      continue;
    }
    ATTRIBUTE_TOKEN.lastIndex = amp;
    const m = ATTRIBUTE_TOKEN.exec(raw);
    if (!m || (m[Group.Named] === undefined && m[Group.Decimal] === undefined && m[Group.Hex] === undefined && m[Group.Ampersand] === undefined)) return null;
    const text = entityText(m);
    if (text === null) return null;
    out += text;
    at = ATTRIBUTE_TOKEN.lastIndex;
  }
}

/** Text as sanitize-html writes it: `&`, `<` and `>` escaped, and `"` too inside attribute values. */
const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (s: string): string => escapeText(s).replace(/"/g, '&quot;');

/**
 * Tags that vanish, their text kept, both for plain text and for sanitised content: not raw text for HTML's
 * parser (script, style, title, textarea, xmp), not dropped with their text (those and option), not foreign
 * (svg, math), and closing no open paragraph by themselves.
 */
const VANISHING_TAGS = new Set(['acronym', 'bdi', 'bdo', 'big', 'center', 'font', 'iframe', 'label', 'samp', 'strike', 'tt', 'var', 'wbr']);

/**
 * Raw-text elements whose text sanitize-html drops with them: HTML's parser reads everything up to `</script` (or
 * `</style`) followed by whitespace or `>` as their text.
 */
const DROPPED_RAW_TEXT: Record<string, { end: RegExp; close: RegExp }> = {
  script: { end: /<\/script(?=[\t\n\f\r >])/giu, close: /<\/script[\t\n\f\r ]*>/iuy },
  style: { end: /<\/style(?=[\t\n\f\r >])/giu, close: /<\/style[\t\n\f\r ]*>/iuy },
};

/** Where the text of a dropped raw-text element opened at `from` ends, after its end tag; -1 if not simple. */
function afterRawText(html: string, from: number, element: { end: RegExp; close: RegExp }): number {
  element.end.lastIndex = from;
  const end = element.end.exec(html);
  if (!end) return -1;
  element.close.lastIndex = end.index;
  return element.close.test(html) ? element.close.lastIndex : -1;
}

/**
 * The text that sanitize-html with no allowed tag would give for simple markup (entities decoded, `&`, `<`, `>`
 * left as they are), or null. Block tags are expected to be replaced by spaces already.
 */
export function simplePlainText(html: string): string | null {
  let out = '';
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < html.length) {
    const m = TOKEN.exec(html);
    if (!m) return null;
    if (m[Group.Text] !== undefined) out += m[Group.Text];
    else if (m[Group.Comment] !== undefined) continue;
    else if (m[Group.StartTag] !== undefined || m[Group.EndTag] !== undefined) {
      const name = (m[Group.StartTag] ?? m[Group.EndTag]!).toLowerCase();
      if (!PLAIN_TAGS.has(name)) return null;
    } else {
      const text = entityText(m);
      if (text === null) return null;
      out += text;
    }
  }
  return out;
}

/** Tags whose only effect on plain text is to vanish (see VANISHING_TAGS), with the inline tags content keeps. */
const PLAIN_TAGS = new Set([
  ...VANISHING_TAGS,
  'a', 'abbr', 'b', 'caption', 'cite', 'code', 'del', 'dfn', 'dl', 'em', 'header', 'footer', 'i', 'img', 'ins',
  'kbd', 'mark', 'nav', 'q', 's', 'small', 'span', 'strong', 'sub', 'sup', 'tbody', 'tfoot', 'thead', 'time', 'u',
]);

/** What sanitised content may keep: each allowed tag with its allowed attributes (sanitize.ts's allowlist). */
export interface ContentPolicy {
  allowedTags: ReadonlySet<string>;
  /** Attributes per tag; `*` for every tag. */
  allowedAttributes: Readonly<Record<string, readonly string[]>>;
  /** An `a href` or `img src` as it is kept (absolute http(s)), or null to drop it. */
  url: (value: string) => string | null;
}

/** HTML's void elements among those the shortcut reads, and the ones sanitize-html writes as `<x />`. */
const VOID = new Set(['br', 'hr', 'img', 'wbr']);
const SELF_CLOSING = new Set(['br', 'hr', 'img']);

/**
 * Start tags after which HTML's parser closes an open element by itself (htmlparser2's openImpliesClose, for
 * the tags the shortcut reads): the shortcut gives up when that would happen.
 */
const P = ['p'];
const IMPLIES_CLOSE: Record<string, readonly string[]> = {
  tr: ['tr', 'th', 'td'], th: ['th'], td: ['thead', 'th', 'td'], li: ['li'], dd: ['dd', 'dt'], dt: ['dd', 'dt'],
  tbody: ['thead', 'tbody'], tfoot: ['thead', 'tbody'],
  p: P, h1: P, h2: P, h3: P, h4: P, h5: P, h6: P, blockquote: P, div: P, dl: P, figcaption: P, figure: P, hr: P,
  ol: P, pre: P, table: P, ul: P,
};

/**
 * Content sanitised as sanitize-html would do it under `policy` (disallowed tags discarded, text kept), or null
 * when the markup is not simple: see the module's comment.
 */
export function simpleSanitized(html: string, policy: ContentPolicy): string | null {
  let out = '';
  const open: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < html.length) {
    const m = TOKEN.exec(html);
    if (!m) return null;
    if (m[Group.Text] !== undefined) {
      out += m[Group.Text].replace(/>/g, '&gt;');
    } else if (m[Group.Comment] !== undefined) {
      continue;
    } else if (m[Group.EndTag] !== undefined) {
      const name = m[Group.EndTag].toLowerCase();
      if (open.at(-1) !== name) return null;
      open.pop();
      if (policy.allowedTags.has(name)) out += `</${name}>`;
    } else if (m[Group.StartTag] !== undefined) {
      const name = m[Group.StartTag].toLowerCase();
      const rawText = DROPPED_RAW_TEXT[name];
      if (rawText && !m[Group.SelfClosing] && !policy.allowedTags.has(name)) {
        const after = afterRawText(html, TOKEN.lastIndex, rawText);
        if (after < 0) return null;
        TOKEN.lastIndex = after;
        continue;
      }
      const allowed = policy.allowedTags.has(name);
      if (!allowed && !VANISHING_TAGS.has(name)) return null;
      const top = open.at(-1);
      if (top !== undefined && IMPLIES_CLOSE[name]?.includes(top)) return null;
      const isVoid = VOID.has(name);
      if (m[Group.SelfClosing] && !isVoid) return null;
      if (!isVoid) open.push(name);
      if (!allowed) continue;
      const attributes = simpleAttributes(name, m[Group.Attributes]!, policy);
      if (attributes === null) return null;
      // sanitize-html leaves out an image without a usable src altogether (sanitize.ts's exclusiveFilter).
      if (name === 'img' && !attributes.includes(' src="')) continue;
      out += `<${name}${attributes}${SELF_CLOSING.has(name) ? ' />' : '>'}`;
    } else {
      const text = entityText(m);
      if (text === null) return null;
      out += escapeText(text);
    }
  }
  return open.length === 0 ? out.trim() : null;
}

/** The kept attributes of one allowed start tag, written out; null when one is not simple (repeated, odd entities). */
function simpleAttributes(tag: string, source: string, policy: ContentPolicy): string | null {
  if (source === '') return '';
  const allowed = policy.allowedAttributes[tag] ?? [];
  const everywhere = policy.allowedAttributes['*'] ?? [];
  const seen = new Set<string>();
  let out = '';
  ATTRIBUTE.lastIndex = 0;
  while (ATTRIBUTE.lastIndex < source.length) {
    const m = ATTRIBUTE.exec(source);
    if (!m) return null;
    const name = m[1]!.toLowerCase();
    // HTML's parser keeps the first of repeated attributes: leave those to it.
    if (seen.has(name)) return null;
    seen.add(name);
    if (!allowed.includes(name) && !everywhere.includes(name)) continue;
    let value = attributeText(m[2] ?? m[3] ?? m[4] ?? '');
    if (value === null) return null;
    if ((tag === 'a' && name === 'href') || (tag === 'img' && name === 'src')) {
      // A mailto: link is kept as written by sanitize-html's own rules: leave it to them.
      if (/^\s*mailto:/i.test(value)) return null;
      value = policy.url(value);
      if (value === null) continue;
    }
    if (value === '') {
      // sanitize-html keeps an empty alt (an image that says nothing) and drops the other allowed attributes
      // when empty, none of which is boolean.
      if (name === 'alt') out += ' alt=""';
      continue;
    }
    out += ` ${name}="${escapeAttribute(value)}"`;
  }
  return out;
}
