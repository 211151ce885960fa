import escapeHtml from 'escape-html';
import { Feed, type FeedOptions } from 'feed';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import type { FeedDoc, FeedHistory } from './model.ts';
import { stripInvalidXmlChars } from '../text.ts';

/**
 * The small layer that fills the gaps of the `feed` package (README.md, "Dependencies, and why each"): `feed`
 * lays out the document (structure, ids, links, dates), then we stream its output through saxes into an
 * XmlWriter, setting every free-text value and adding every element `feed` cannot express (xml:lang,
 * hreflang links, rel="related", Atom source, labels) on the way. Every value is escaped by escape-html;
 * element and attribute names are constants of the renderers. No DOM is built: a render is one pass.
 */

export const NS = {
  atom: 'http://www.w3.org/2005/Atom',
  dc: 'http://purl.org/dc/elements/1.1/',
  content: 'http://purl.org/rss/1.0/modules/content/',
  /** Feed History (RFC 5005): `<fh:archive/>`. */
  fh: 'http://purl.org/syndication/history/1.0',
} as const;

/**
 * RFC 5005's links (current, prev-archive, next-archive) as `qname` elements (`link` in Atom, `atom:link` in
 * RSS), then `<fh:archive/>` in an archive document. The root must declare NS.fh when `history.archive`.
 */
export function writeHistory(w: XmlWriter, qname: string, history: FeedHistory | null, type: string): void {
  if (!history) return;
  if (history.current) w.element(qname, { rel: 'current', type, href: history.current });
  if (history.prevArchive) w.element(qname, { rel: 'prev-archive', type, href: history.prevArchive });
  if (history.nextArchive) w.element(qname, { rel: 'next-archive', type, href: history.nextArchive });
  if (history.archive) w.element('fh:archive');
}

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';

/**
 * `feed` (through xml-js) only splits the first `]]>` of a CDATA section, writes `<` raw in attributes and
 * turns a literal `&amp;` into `&`. What we hand it is therefore made inert (markup characters removed);
 * the real values are written by the XmlWriter afterwards.
 */
export function inert(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are blanked with the markup ones, deliberately
  return stripInvalidXmlChars(text).replace(/[<>&"\]\u0000-\u001F]/g, ' ').trim() || '-';
}

/**
 * Text as XML can carry it: characters XML 1.0 forbids are dropped, and line ends are normalised as a
 * parser would (a bare CR would come back as LF), so what a reader parses equals what we meant.
 */
export function xmlText(text: string): string {
  // One scan decides: most text (every rendered body) needs nothing done.
  return TEXT_WORK.test(text) ? stripInvalidXmlChars(text).replace(/\r\n?/g, '\n') : text;
}

/** Attribute values: parsers turn tabs and line ends into spaces (attribute-value normalisation). */
export function xmlAttr(value: string): string {
  return ATTR_WORK.test(value) ? stripInvalidXmlChars(value).replace(/[\t\n\r]/g, ' ') : value;
}

/** Anything xmlText or xmlAttr would change: controls (tab, LF, CR included), U+FFFE/U+FFFF, surrogates. */
// eslint-disable-next-line no-control-regex -- finding control characters is what these two tests are for
const TEXT_WORK = /[\u0000-\u0008\u000B\u000C\r\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- as above
const ATTR_WORK = /[\u0000-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;

/** Attributes to write, in order; a null or undefined value leaves the attribute out. */
export type Attrs = Readonly<Record<string, string | null | undefined>>;

/**
 * Writes an XML document front to back. Names are the caller's constants; every attribute value and
 * every text goes through xmlAttr/xmlText and escape-html, so no value can make markup.
 */
export class XmlWriter {
  private out = XML_DECLARATION;
  private readonly open: string[] = [];
  /** A start tag is written up to its attributes: `>` or `/>` follows once we know whether it has content. */
  private startPending = false;

  start(qname: string, attrs?: Attrs): this {
    this.seal();
    let tag = '<' + qname;
    if (attrs) {
      for (const name in attrs) {
        const v = attrs[name];
        if (v !== null && v !== undefined) tag += ' ' + name + '="' + escapeHtml(xmlAttr(v)) + '"';
      }
    }
    this.out += tag;
    this.open.push(qname);
    this.startPending = true;
    return this;
  }

  end(): this {
    const qname = this.open.pop();
    if (qname === undefined) throw new Error('XmlWriter: end() without an open element');
    if (this.startPending) this.out += '/>';
    else this.out += '</' + qname + '>';
    this.startPending = false;
    return this;
  }

  text(text: string): this {
    if (text === '') return this;
    this.seal();
    this.out += escapeHtml(xmlText(text));
    return this;
  }

  /**
   * The text as CDATA sections: long HTML bodies are then written as they are instead of escaped
   * character by character. `]]>` cannot occur inside a section, so the text is split there, between `]]`
   * and `>`, into consecutive sections; a parser joins them back.
   */
  cdata(text: string): this {
    const t = xmlText(text);
    if (t === '') return this;
    this.seal();
    this.out += '<![CDATA[' + t.replaceAll(']]>', ']]]]><![CDATA[>') + ']]>';
    return this;
  }

  /** `<qname attrs>text</qname>`, or `<qname attrs/>` without text. */
  element(qname: string, attrs?: Attrs, text?: string): this {
    this.start(qname, attrs);
    if (text !== undefined) this.text(text);
    return this.end();
  }

  /** The document; every element must be closed. */
  toString(): string {
    if (this.open.length) throw new Error(`XmlWriter: <${this.open.join('> <')}> not closed`);
    return this.out + '\n';
  }

  private seal(): void {
    if (this.startPending) {
      this.out += '>';
      this.startPending = false;
    }
  }
}

/** A writer callback that writes only the first time it is called (e.g. feed-level links before the first entry, or last). */
export function once(write: (w: XmlWriter) => void): (w: XmlWriter) => void {
  let done = false;
  return (w) => {
    if (done) return;
    done = true;
    write(w);
  };
}

/**
 * What to do with one element of `feed`'s output while it is copied. Attributes in `attrs` replace the
 * skeleton's of that name (in place) or are added after them; `text`/`cdata` replace the element's content;
 * `before` writes siblings ahead of it and `append` more children after the skeleton's.
 */
export interface Edit {
  drop?: boolean;
  attrs?: Attrs;
  text?: string;
  cdata?: string;
  before?: (w: XmlWriter) => void;
  append?: (w: XmlWriter) => void;
}

/**
 * Decides the edit for each element of the skeleton, called in document order with the element's name,
 * its parent's name and the attributes `feed` wrote.
 */
export type Editor = (name: string, parent: string | null, attrs: Readonly<Record<string, string>>) => Edit | undefined;

/**
 * Copies `feed`'s output into a new document, applying the editor's edits. saxes reads it (strict, so a
 * broken skeleton fails here, naming the problem); whitespace-only text between elements (`feed`'s
 * indentation) is dropped, so our output is compact.
 */
export function rewrite(skeleton: string, editor: Editor): string {
  const w = new XmlWriter();
  const parser = new SaxesParser();
  /** Per open element of the skeleton: its name and edit. */
  const names: string[] = [];
  const edits: (Edit | undefined)[] = [];
  /** > 0 while inside an element whose skeleton content is not copied (dropped, or content replaced). */
  let skipDepth = 0;
  parser.on('error', (err) => {
    throw new Error(`feed output is not well-formed XML: ${err.message}`);
  });
  parser.on('opentag', (tag: SaxesTagPlain) => {
    if (skipDepth > 0) {
      skipDepth++;
      return;
    }
    const edit = editor(tag.name, names.length ? names[names.length - 1]! : null, tag.attributes);
    names.push(tag.name);
    edits.push(edit);
    if (edit?.drop) {
      skipDepth = 1;
      return;
    }
    edit?.before?.(w);
    w.start(tag.name, edit?.attrs ? { ...tag.attributes, ...edit.attrs } : tag.attributes);
    if (edit?.text !== undefined) w.text(edit.text);
    if (edit?.cdata !== undefined) w.cdata(edit.cdata);
    if (edit && (edit.text !== undefined || edit.cdata !== undefined)) skipDepth = 1;
  });
  parser.on('closetag', () => {
    if (skipDepth > 1) {
      skipDepth--;
      return;
    }
    const dropped = skipDepth === 1 && edits[edits.length - 1]?.drop;
    skipDepth = 0;
    names.pop();
    const edit = edits.pop();
    if (dropped) return;
    edit?.append?.(w);
    w.end();
  });
  parser.on('text', (text) => {
    if (skipDepth === 0 && names.length && !/^\s*$/.test(text)) w.text(text);
  });
  parser.on('cdata', (data) => {
    if (skipDepth === 0 && names.length) w.cdata(data);
  });
  parser.write(skeleton).close();
  return w.toString();
}

/**
 * The document `feed` lays out for `doc`: structure, ids, links and dates, with inert stand-ins for text
 * (rewritten afterwards) and '-' for summaries and bodies, so the skeleton stays small and reading it
 * back is cheap.
 */
export function feedSkeleton(doc: FeedDoc, options: Partial<FeedOptions>): Feed {
  const feed = new Feed({
    id: doc.id,
    title: inert(doc.title),
    description: inert(doc.description),
    link: doc.htmlUrl,
    updated: doc.updated,
    ...(doc.copyright ? { copyright: inert(doc.copyright) } : {}),
    ...options,
  });
  for (const e of doc.entries) {
    feed.addItem({ id: e.id, title: inert(e.title), link: e.url, date: e.updated, published: e.published, description: '-', content: '-' });
  }
  return feed;
}
