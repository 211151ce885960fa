import Parser from 'rss-parser';
import { atomXhtml, rssMarkup } from './markup.ts';
import { ParseError, positionOf } from './parse-error.ts';
import { prepareXml } from './prepare.ts';

export { ParseError } from './parse-error.ts';

export type FeedFormat = 'rss' | 'rdf' | 'atom';

/** A link as the feed gives it: possibly relative, with the xml:base in force where it stood. */
export interface RawLink {
  href: string;
  rel: string;
  base: string | null;
}

/** One entry as the feed says it, format details removed but nothing resolved or cleaned yet. */
export interface RawItem {
  /** RSS guid, Atom id, RSS 1.0 rdf:about. */
  id: string | null;
  links: RawLink[];
  title: string | null;
  /** HTML (or plain text when `contentIsText`). */
  content: string | null;
  summary: string | null;
  contentIsText: boolean;
  categories: string[];
  author: string | null;
  published: string | null;
  updated: string | null;
  language: string | null;
  base: string | null;
}

export interface RawFeed {
  format: FeedFormat;
  title: string | null;
  links: RawLink[];
  language: string | null;
  base: string | null;
  /**
   * The feed's own `rel="hub"` and `rel="self"` links (WebSub discovery): Atom's feed links, an RSS channel's
   * `atom:link` (or FeedBurner's `atom10:link`).
   */
  websubLinks: RawLink[];
  items: RawItem[];
}

type XmlNode = { _?: string; $?: Record<string, string> } & Record<string, unknown>;
type Custom = Record<string, unknown>;

const parserOptions = {
  // An <rss> whose version rss-parser does not know (none at all, "2.01", "3.0") is read as RSS 2.0; 0.9x
  // versions it knows are read the same way apart from the iTunes extension. Every RSS version since 0.91
  // keeps its items in <channel>.
  defaultRSS: 2,
  customFields: {
    feed: [
      ['$', 'attrs', { keepArray: true }],
      ['link', 'links', { keepArray: true }],
      ['xml:lang', 'lang'],
      ['atom:link', 'atomLinks', { keepArray: true }],
      ['atom10:link', 'atom10Links', { keepArray: true }],
    ],
    item: [
      ['$', 'attrs', { keepArray: true }],
      ['link', 'links', { keepArray: true }],
      ['category', 'rawCategories', { keepArray: true }],
      ['dc:subject', 'subjects', { keepArray: true }],
      ['content', 'atomContent', { keepArray: true }],
      ['summary', 'atomSummary', { keepArray: true }],
      ['published', 'published'],
      ['updated', 'updated'],
    ],
  },
} as unknown as ConstructorParameters<typeof Parser>[0];

const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

/**
 * What the root element makes of a document: RSS (any version), RDF (RSS 0.90 and 1.0) or Atom; anything else
 * is a ParseError saying what was found, and where.
 */
function formatOf(root: string, text: string, rootAt: number): FeedFormat {
  const where = positionOf(text, rootAt);
  const local = root.slice(root.indexOf(':') + 1);
  if (/^(?:html|head|body)$/i.test(local)) throw new ParseError(`an HTML page, not a feed (root element <${root}> at ${where})`);
  if (root === 'rss') return 'rss';
  if (root === 'feed') return 'atom';
  if (root === 'rdf:RDF') return 'rdf';
  if (local === 'feed' || local === 'RDF') {
    // rss-parser finds the root by its literal name: an Atom feed written as <atom:feed>, or RDF under another prefix.
    throw new ParseError(`root element <${root}> at ${where}: a prefixed ${local === 'feed' ? 'Atom' : 'RDF'} root is not supported`);
  }
  if (local.toLowerCase() === 'rss' || local.toLowerCase() === 'rdf') {
    throw new ParseError(`root element <${root}> at ${where} is not <rss> or <rdf:RDF> (namespace ${RDF_NS})`);
  }
  throw new ParseError(`root element <${root}> at ${where} is not RSS, RDF or Atom`);
}

/** rss-parser's XML errors (sax) put the position on further lines: "Unexpected close tag\nLine: 6\nColumn: 46". */
function malformed(err: unknown): ParseError {
  const message = (err as Error)?.message ?? String(err);
  const [first, ...rest] = message.split('\n');
  const line = /Line:\s*(\d+)/.exec(rest.join('\n'))?.[1];
  const column = /Column:\s*(\d+)/.exec(rest.join('\n'))?.[1];
  const at = line !== undefined ? ` at line ${Number(line) + 1}${column !== undefined ? `, column ${column}` : ''}` : '';
  return new ParseError(`malformed feed: ${first}${at}`);
}

const text = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as XmlNode)._ === 'string') return (v as XmlNode)._!;
  return null;
};

const attrs = (v: unknown): Record<string, string> =>
  v && typeof v === 'object' && !Array.isArray(v) ? ((v as XmlNode).$ ?? {}) : {};

function linksOf(raw: unknown, inheritedBase: string | null): RawLink[] {
  if (!Array.isArray(raw)) return [];
  const out: RawLink[] = [];
  for (const l of raw) {
    if (typeof l === 'string') {
      if (l.trim()) out.push({ href: l.trim(), rel: 'alternate', base: inheritedBase });
      continue;
    }
    const a = attrs(l);
    const href = a.href ?? text(l);
    if (href?.trim()) out.push({ href: href.trim(), rel: a.rel ?? 'alternate', base: a['xml:base'] ?? inheritedBase });
  }
  return out;
}

function categoriesOf(item: Custom): string[] {
  const out: string[] = [];
  const push = (s: string | null | undefined) => {
    if (s && s.trim()) out.push(s.trim());
  };
  for (const c of (item.rawCategories as unknown[] | undefined) ?? []) {
    // RSS: text (maybe with domain); Atom: term/label attributes.
    const a = attrs(c);
    push(text(c) ?? a.label ?? a.term);
  }
  for (const c of (item.subjects as unknown[] | undefined) ?? []) push(text(c));
  return [...new Set(out)];
}

function nodeText(raw: unknown): { value: string | null; isText: boolean } {
  if (!Array.isArray(raw) || raw.length === 0) return { value: null, isText: false };
  const first: unknown = raw[0];
  const type = attrs(first).type ?? 'text';
  const value = text(first);
  return { value, isText: type === 'text' || type === 'text/plain' };
}

type XmlObject = Record<string, unknown>;

/**
 * The document with an object for its root and one `<channel>` object inside: rss-parser reads `channel[0]`
 * unchecked, and crashes on a feed without a channel (RSS 0.90 files that have only items, `<rss/>`) or whose
 * channel has no children (xml2js gives a string for an empty element). Such a feed has no items: a poll of it
 * succeeds with none.
 */
function withChannel(doc: XmlObject, rootName: string): XmlObject {
  const root = doc[rootName];
  const rootObject: XmlObject = root && typeof root === 'object' && !Array.isArray(root) ? (root as XmlObject) : {};
  const channels = rootObject.channel;
  const first: unknown = Array.isArray(channels) ? channels[0] : undefined;
  rootObject.channel = [first && typeof first === 'object' ? first : {}];
  return { ...doc, [rootName]: rootObject };
}

/**
 * rss-parser, adjusted in these places:
 * - Atom 0.3 dates are read under their RFC 4287 names;
 * - an empty root element is read as an element without children;
 * - its RSS builders read the channel unchecked (see `withChannel`);
 * - it turns an Atom entry's date into ISO with `toISOString()`, which throws on a date it cannot read and so
 *   rejects the whole feed. Drop unreadable dates from the entry first: the item is kept, undated.
 * - for an RSS item it makes a plain-text snippet of `description` and of `content:encoded` (regular
 *   expressions over the whole HTML, then entity decoding), which we never read: the normaliser makes its own
 *   text. When either is plain text (as nearly always), it is taken out of rss-parser's sight and put back
 *   as rss-parser would have set it; any other shape (attributes, child elements) is left to rss-parser.
 */
function feedParser(): Parser<Custom, Custom> {
  // A new parser per feed: xml2js keeps state per instance.
  const parser = new Parser<Custom, Custom>(parserOptions);
  const internal = parser as unknown as {
    parseItemAtom(entry: Record<string, unknown>): unknown;
    parseItemRss(xmlItem: Record<string, unknown>, itemFields: unknown): Record<string, unknown>;
  };
  // An empty root element (`<rss/>`, `<feed></feed>`) comes back from xml2js as a string, which rss-parser
  // does not recognise: make it an element without children, a feed without items.
  const xml = (parser as unknown as { xmlParser: { parseString(s: string, cb: (err: unknown, result: unknown) => void): void } }).xmlParser;
  const parseXml = xml.parseString.bind(xml);
  xml.parseString = (s, cb) =>
    parseXml(s, (err, result) => {
      if (result && typeof result === 'object') {
        for (const [key, value] of Object.entries(result)) if (typeof value === 'string') (result as XmlObject)[key] = {};
      }
      cb(err, result);
    });
  const builders = parser as unknown as Record<'buildRSS0_9' | 'buildRSS1' | 'buildRSS2', (doc: XmlObject) => unknown>;
  for (const [name, rootName] of [['buildRSS0_9', 'rss'], ['buildRSS2', 'rss'], ['buildRSS1', 'rdf:RDF']] as const) {
    const build = builders[name].bind(parser);
    builders[name] = (doc) => build(withChannel(doc, rootName));
  }
  const parseItemAtom = internal.parseItemAtom.bind(parser);
  internal.parseItemAtom = (entry) => {
    // Atom 0.3 names its dates `issued` and `modified` (RFC 4287 renamed them), which rss-parser does not read.
    if (!entry.published && entry.issued) entry.published = entry.issued;
    if (!entry.updated && entry.modified) entry.updated = entry.modified;
    for (const field of ['published', 'updated']) {
      const value = text((entry[field] as unknown[] | undefined)?.[0]);
      if (value !== null && Number.isNaN(Date.parse(value.trim()))) delete entry[field];
    }
    return parseItemAtom(entry);
  };
  const parseItemRss = internal.parseItemRss.bind(parser);
  internal.parseItemRss = (xmlItem, itemFields) => {
    const description = (xmlItem.description as unknown[] | undefined)?.[0];
    const encoded = (xmlItem['content:encoded'] as unknown[] | undefined)?.[0];
    if (typeof description === 'string') delete xmlItem.description;
    if (typeof encoded === 'string') delete xmlItem['content:encoded'];
    const item = parseItemRss(xmlItem, itemFields);
    if (typeof description === 'string') item.content = description;
    if (typeof encoded === 'string') item['content:encoded'] = encoded;
    return item;
  };
  return parser;
}

/** Parses RSS 0.9x/1.0/2.0 or Atom text into the raw model. Throws ParseError for anything else. */
export async function parseFeed(input: string): Promise<RawFeed> {
  // DOCTYPE removed, undefined entities made text (see prepare.ts): every reader below sees the same text.
  const { text: body, root, rootAt } = prepareXml(input);
  const format = formatOf(root, body, rootAt);
  let parsed: Parser.Output<Custom> & Custom;
  try {
    parsed = await feedParser().parseString(body);
  } catch (err) {
    throw malformed(err);
  }
  const feedAttrs = (parsed.attrs as Record<string, string> | undefined) ?? {};
  const feedBase = format === 'atom' ? (feedAttrs['xml:base'] ?? null) : null;
  const feedLinks = format === 'atom' ? linksOf(parsed.links, feedBase) : linksOf(parsed.link ? [parsed.link] : [], null);
  const websubLinks = (format === 'atom' ? feedLinks : [...linksOf(parsed.atomLinks, null), ...linksOf(parsed.atom10Links, null)]).filter(
    (l) => l.rel === 'hub' || l.rel === 'self',
  );

  // rss-parser loses the order of text and elements inside an element: Atom type="xhtml" constructs, and RSS
  // text elements holding raw markup, are read again.
  const markup = format === 'atom' ? atomXhtml(body) : rssMarkup(body);
  const items: RawItem[] = parsed.items.map((item, index) => {
    const a = (item.attrs as Record<string, string> | undefined) ?? {};
    if (format === 'atom') {
      const base = a['xml:base'] ?? feedBase;
      const x = markup?.items[index] ?? {};
      const content = x.content !== undefined ? { value: x.content, isText: false } : nodeText(item.atomContent);
      const summary = x.summary !== undefined ? { value: x.summary, isText: false } : nodeText(item.atomSummary);
      const contentBase = Array.isArray(item.atomContent) ? attrs(item.atomContent[0])['xml:base'] : undefined;
      return {
        id: text(item.id) ?? null,
        links: linksOf(item.links, base),
        title: x.title ?? text(item.title),
        content: content.value ?? (typeof item.content === 'string' ? item.content : null),
        summary: summary.value ?? null,
        contentIsText: content.value !== null ? content.isText : summary.isText,
        categories: categoriesOf(item),
        author: typeof item.author === 'string' ? item.author : null,
        published: text(item.published),
        updated: text(item.updated),
        language: a['xml:lang'] ?? null,
        base: contentBase ?? base,
      };
    }
    const encoded = item['content:encoded'];
    const m = markup?.items[index] ?? {};
    const description = m.summary ?? item.content ?? null;
    return {
      id: text(item.guid) ?? (typeof item['rdf:about'] === 'string' ? item['rdf:about'] : null),
      links: linksOf(item.links, null),
      title: m.title ?? text(item.title),
      content: m.content ?? (typeof encoded === 'string' ? encoded : description),
      summary: description,
      contentIsText: false,
      categories: categoriesOf(item),
      author: typeof item.creator === 'string' ? item.creator : typeof item.author === 'string' ? item.author : null,
      published: item.isoDate ?? null,
      updated: null,
      language: typeof item.language === 'string' ? item.language : null,
      base: null,
    };
  });

  return {
    format,
    title: markup?.feed.title ?? text(parsed.title),
    links: feedLinks,
    language: feedAttrs['xml:lang'] ?? (typeof parsed.language === 'string' ? parsed.language : null),
    base: feedBase,
    websubLinks,
    items,
  };
}
