import { HTML4_ENTITIES } from './html-entities.ts';
import { ParseError, positionOf } from './parse-error.ts';

/** A feed's text made safe and readable for a strict XML parser, and the name of its root element. */
export interface PreparedXml {
  text: string;
  /** Qualified name of the root element, as written. */
  root: string;
  /** Offset of the root element's `<` in `text`. */
  rootAt: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0xfeff;

/** Offset just past the `>` that closes the DOCTYPE starting at `start`, skipping quoted strings, comments and the internal subset. */
function doctypeEnd(text: string, start: number): number {
  let quote: string | null = null;
  let depth = 0;
  for (let i = start + 9; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '<' && text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) break;
      i = end + 2;
    } else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '>' && depth <= 0) return i + 1;
  }
  throw new ParseError(`unterminated DOCTYPE at ${positionOf(text, start)}`);
}

/**
 * Reads the prolog (XML declaration, processing instructions, comments, DOCTYPE) up to the root element.
 *
 * A DOCTYPE is removed whatever it holds: nothing in it is ever read, so an internal subset's entities (billion
 * laughs, external entities pointing at files or URLs) are never defined, let alone expanded; the references
 * to them are then left as text by `repairEntities`. It is replaced by its own line breaks, so that the
 * positions in later error messages still match the upstream bytes. An HTML DOCTYPE before `<rss>` (seen in
 * feeds made with HTML templates) goes the same way: the root element, not the DOCTYPE, says what a document is.
 */
function readProlog(input: string): PreparedXml {
  let i = 0;
  while (i < input.length && isSpace(input.charCodeAt(i))) i++;
  // Whitespace before the XML declaration is not well-formed; it is common and harmless.
  let text = i > 0 ? input.slice(i) : input;
  i = 0;
  for (;;) {
    while (i < text.length && isSpace(text.charCodeAt(i))) i++;
    if (i >= text.length) throw new ParseError(text.trim() ? 'no XML root element after the prolog' : 'empty document, no XML root element');
    if (text.charCodeAt(i) !== 0x3c) {
      throw new ParseError(`no XML root element: text ${JSON.stringify(text.slice(i, i + 20))} at ${positionOf(text, i)}`);
    }
    if (text.startsWith('<?', i)) {
      const end = text.indexOf('?>', i + 2);
      if (end === -1) throw new ParseError(`unterminated processing instruction at ${positionOf(text, i)}`);
      i = end + 2;
    } else if (text.startsWith('<!--', i)) {
      const end = text.indexOf('-->', i + 4);
      if (end === -1) throw new ParseError(`unterminated comment at ${positionOf(text, i)}`);
      i = end + 3;
    } else if (text.slice(i, i + 9).toUpperCase() === '<!DOCTYPE') {
      const end = doctypeEnd(text, i);
      text = text.slice(0, i) + text.slice(i, end).replace(/[^\n]+/g, '') + text.slice(end);
      i += text.slice(i).search(/[^\n]|$/);
    } else break;
  }
  const root = /<([A-Za-z_][\w.:-]*)/y;
  root.lastIndex = i;
  const m = root.exec(text);
  if (!m) throw new ParseError(`no XML root element: ${JSON.stringify(text.slice(i, i + 20))} at ${positionOf(text, i)}`);
  return { text, root: m[1]!, rootAt: i };
}

/** Any `&` that is not one of XML's five entities or a character reference. */
const NEEDS_REPAIR = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9A-Fa-f]+);)/;
/** CDATA sections and comments (kept as they are: `&` means nothing there), entity and character references, bare `&`. */
const REFERENCE = /<!\[CDATA\[[\s\S]*?(?:\]\]>|$)|<!--[\s\S]*?(?:-->|$)|&(?:([A-Za-z_][\w.:-]*);|#[0-9]+;|#x[0-9A-Fa-f]+;)?/g;
const XML_ENTITIES = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);

/**
 * What Python's feedparser does with references an XML parser would stop at: an HTML 4 entity (`&nbsp;`,
 * `&eacute;`, declared by the Netscape RSS 0.91 DTD and used without it) becomes its character; any other
 * undefined entity (`&foo;`, or one the removed DOCTYPE declared) stays as the text `&foo;`; a bare `&`
 * (`Q&A`, `?a=1&b=2`) is the character `&`. Runs only when the text holds such a reference (one regular
 * expression test otherwise), and leaves CDATA sections and comments alone.
 */
function repairEntities(text: string): string {
  if (!NEEDS_REPAIR.test(text)) return text;
  return text.replace(REFERENCE, (m, name: string | undefined) => {
    if (m.charCodeAt(0) === 0x3c || m.length > 1 && name === undefined) return m; // CDATA, comment, character reference
    if (name === undefined) return '&amp;';
    if (XML_ENTITIES.has(name)) return m;
    const cp = HTML4_ENTITIES.get(name);
    return cp !== undefined ? `&#${cp};` : `&amp;${name};`;
  });
}

/** The feed text as a strict XML parser can take it, and its root element; ParseError when there is no root element. */
export function prepareXml(input: string): PreparedXml {
  const prolog = readProlog(input);
  const text = repairEntities(prolog.text);
  return { ...prolog, text };
}
