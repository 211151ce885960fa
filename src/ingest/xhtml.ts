import escapeHtml from 'escape-html';
import { SaxesParser, type SaxesTagNS } from 'saxes';

const ATOM = 'http://www.w3.org/2005/Atom';
const XHTML = 'http://www.w3.org/1999/xhtml';
/** HTML elements without an end tag: `<br/>` in XHTML is written `<br>`. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

type FeedConstruct = 'title' | 'subtitle';
type EntryConstruct = 'title' | 'summary' | 'content';

/** The type="xhtml" text constructs of an Atom feed, as HTML; entries by their position in the feed. */
export interface AtomXhtml {
  feed: Partial<Record<FeedConstruct, string>>;
  entries: Partial<Record<EntryConstruct, string>>[];
}

const FEED_CONSTRUCTS = new Set<string>(['title', 'subtitle']);
const ENTRY_CONSTRUCTS = new Set<string>(['title', 'summary', 'content']);

/**
 * The markup inside Atom text constructs of type="xhtml" (RFC 4287 3.1.1.3), as HTML in document order,
 * without the wrapping xhtml `div`. rss-parser (xml2js) keeps an element's text and its child elements apart,
 * so "One <b>two</b> three" comes back as "One  three" plus "two", and a title that is an element is not a
 * string at all; this pass reads those constructs from the bytes with saxes instead. Null when the feed has
 * none, or when saxes cannot read it (the caller then keeps what rss-parser made of it).
 */
export function atomXhtml(body: string): AtomXhtml | null {
  if (!/type\s*=\s*["']xhtml["']/.test(body)) return null;
  const result: AtomXhtml = { feed: {}, entries: [] };
  const parser = new SaxesParser({ xmlns: true });
  /** Atom elements open above the current point (local names). */
  const atomPath: string[] = [];
  let capture: { construct: string; html: string; depth: number; wrapper: boolean } | null = null;
  let failed = false;
  parser.on('error', () => {
    failed = true;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (capture) {
      capture.depth++;
      // The div every xhtml construct is wrapped in is not part of the content.
      if (capture.depth === 1 && tag.uri === XHTML && tag.local === 'div') {
        capture.wrapper = true;
        return;
      }
      let html = `<${tag.local}`;
      for (const a of Object.values(tag.attributes)) {
        if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
        html += ` ${a.local}="${escapeHtml(a.value)}"`;
      }
      capture.html += `${html}>`;
      return;
    }
    if (tag.uri !== ATOM) {
      atomPath.push('');
      return;
    }
    const parent = atomPath[atomPath.length - 1];
    atomPath.push(tag.local);
    if (tag.local === 'entry' && parent === 'feed') result.entries.push({});
    const wanted = (parent === 'feed' && FEED_CONSTRUCTS.has(tag.local)) || (parent === 'entry' && ENTRY_CONSTRUCTS.has(tag.local));
    if (wanted && tag.attributes.type?.value.trim() === 'xhtml') capture = { construct: tag.local, html: '', depth: 0, wrapper: false };
  });
  parser.on('closetag', (tag: SaxesTagNS) => {
    if (capture && capture.depth > 0) {
      const closesWrapper = capture.depth === 1 && capture.wrapper;
      capture.depth--;
      if (!closesWrapper && !VOID.has(tag.local)) capture.html += `</${tag.local}>`;
      return;
    }
    const local = atomPath.pop();
    if (capture && local === capture.construct) {
      const parent = atomPath[atomPath.length - 1];
      if (parent === 'feed') result.feed[capture.construct as FeedConstruct] = capture.html;
      else if (parent === 'entry') result.entries[result.entries.length - 1]![capture.construct as EntryConstruct] = capture.html;
      capture = null;
    }
  });
  const text = (t: string) => {
    if (capture) capture.html += escapeHtml(t);
  };
  parser.on('text', text);
  parser.on('cdata', text);
  try {
    parser.write(body).close();
  } catch {
    return null;
  }
  return failed ? null : result;
}
