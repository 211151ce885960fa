import escapeHtml from 'escape-html';
import { SaxesParser, type SaxesTagNS } from 'saxes';

const ATOM = 'http://www.w3.org/2005/Atom';
const XHTML = 'http://www.w3.org/1999/xhtml';
const CONTENT = 'http://purl.org/rss/1.0/modules/content/';
/** HTML elements without an end tag: `<br/>` in XHTML is written `<br>`. */
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);

/** Markup read in document order, as HTML: the feed's title and subtitle, and each item's (by position). */
export interface FeedMarkup {
  feed: { title?: string; subtitle?: string };
  items: { title?: string; summary?: string; content?: string }[];
}

type Construct = 'title' | 'subtitle' | 'summary' | 'content';

interface Plan {
  /** Whether `local` (namespace `uri`) under `parent` starts the next item. */
  isItem(uri: string, local: string, parent: string | undefined): boolean;
  /** Which construct the element is, in the feed (`inItem` false) or in an item; null for none. */
  construct(tag: SaxesTagNS, inItem: boolean, parent: string | undefined): Construct | null;
  /** Atom xhtml text is text, to escape; RSS text inside these elements is HTML already. */
  escapeText: boolean;
  /** Keep only constructs that held elements (RSS: the others rss-parser reads right). */
  onlyWithElements: boolean;
}

/**
 * rss-parser (xml2js) keeps an element's text and its child elements apart: "One <b>two</b> three" comes back
 * as "One  three" plus "two", and a title holding an element is not a string at all. These passes read such
 * constructs from the bytes with saxes instead, in document order.
 */
function readMarkup(body: string, plan: Plan): FeedMarkup | null {
  const result: FeedMarkup = { feed: {}, items: [] };
  const parser = new SaxesParser({ xmlns: true });
  /** Local names of the elements open above the current point, outside any construct. */
  const path: string[] = [];
  let inItem = false;
  let capture: { construct: Construct; html: string; depth: number; wrapper: boolean; elements: boolean } | null = null;
  let failed = false;
  parser.on('error', () => {
    failed = true;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (capture) {
      capture.depth++;
      capture.elements = true;
      // The div every Atom xhtml construct is wrapped in is not part of the content.
      if (plan.escapeText && capture.depth === 1 && tag.uri === XHTML && tag.local === 'div') {
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
    const parent = path[path.length - 1];
    path.push(tag.local);
    if (plan.isItem(tag.uri, tag.local, parent)) {
      result.items.push({});
      inItem = true;
      return;
    }
    const construct = plan.construct(tag, inItem, parent);
    if (construct) capture = { construct, html: '', depth: 0, wrapper: false, elements: false };
  });
  parser.on('closetag', (tag: SaxesTagNS) => {
    if (capture && capture.depth > 0) {
      const closesWrapper = capture.depth === 1 && capture.wrapper;
      capture.depth--;
      if (!closesWrapper && !VOID.has(tag.local)) capture.html += `</${tag.local}>`;
      return;
    }
    path.pop();
    if (capture) {
      if (capture.elements || !plan.onlyWithElements) {
        const target = inItem ? result.items[result.items.length - 1]! : result.feed;
        (target as Record<Construct, string>)[capture.construct] = capture.html;
      }
      capture = null;
    } else if (plan.isItem(tag.uri, tag.local, path[path.length - 1])) {
      inItem = false;
    }
  });
  const text = (t: string) => {
    if (capture) capture.html += plan.escapeText ? escapeHtml(t) : t;
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

/**
 * The Atom text constructs of type="xhtml" (RFC 4287 3.1.1.3), as HTML without their wrapping xhtml `div`;
 * items are the entries. Null when the feed has none, or when saxes cannot read it (the caller then keeps
 * what rss-parser made of it).
 */
export function atomXhtml(body: string): FeedMarkup | null {
  if (!/type\s*=\s*["']xhtml["']/.test(body)) return null;
  return readMarkup(body, {
    isItem: (uri, local, parent) => uri === ATOM && local === 'entry' && parent === 'feed',
    construct(tag, inItem, parent) {
      if (tag.uri !== ATOM || tag.attributes.type?.value.trim() !== 'xhtml') return null;
      const wanted = inItem ? parent === 'entry' && ['title', 'summary', 'content'].includes(tag.local) : parent === 'feed' && ['title', 'subtitle'].includes(tag.local);
      return wanted ? (tag.local as Construct) : null;
    },
    escapeText: true,
    onlyWithElements: false,
  });
}

/** Any RSS title, description or content:encoded holding an element (not escaped, not in CDATA). */
const RSS_MARKUP = /<(?:title|description|content:encoded)\b[^>]*>[^<]*<(?![!/])/;

/**
 * RSS 0.9x/1.0/2.0 titles, descriptions and content:encoded that hold raw elements instead of escaped or
 * CDATA HTML (invalid, but sloppy feeds do it): their markup in order, the description as `summary`,
 * content:encoded as `content`. Null when there is none, or when saxes cannot read the feed.
 */
export function rssMarkup(body: string): FeedMarkup | null {
  if (!RSS_MARKUP.test(body)) return null;
  return readMarkup(body, {
    isItem: (_uri, local, parent) => local === 'item' && (parent === 'channel' || parent === 'RDF'),
    construct(tag, inItem, parent) {
      if (parent !== (inItem ? 'item' : 'channel')) return null;
      if (tag.local === 'title' && tag.uri !== CONTENT) return 'title';
      if (inItem && tag.local === 'description') return 'summary';
      if (inItem && tag.local === 'encoded' && tag.uri === CONTENT) return 'content';
      return null;
    },
    escapeText: false,
    onlyWithElements: true,
  });
}
