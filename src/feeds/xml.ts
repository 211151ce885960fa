import { DOMImplementation, XMLSerializer, type Document, type Element, type Node } from '@xmldom/xmldom';
import { Feed, type FeedOptions } from 'feed';
import { SaxesParser } from 'saxes';
import type { FeedDoc } from './model.ts';
import { stripInvalidXmlChars } from '../text.ts';

/**
 * The small layer that fills the gaps of the `feed` package (see shared/notes/dependencies.md): `feed`
 * lays out the document, then we parse its output into a DOM and set every free-text value and every
 * element `feed` cannot express (xml:lang, hreflang links, rel="related", Atom source, labels) through
 * DOM calls. The serializer escapes; nothing here concatenates XML strings.
 */

export const NS = {
  atom: 'http://www.w3.org/2005/Atom',
  dc: 'http://purl.org/dc/elements/1.1/',
  content: 'http://purl.org/rss/1.0/modules/content/',
  xml: 'http://www.w3.org/XML/1998/namespace',
} as const;

const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';

/**
 * `feed` (through xml-js) only splits the first `]]>` of a CDATA section, writes `<` raw in attributes and
 * turns a literal `&amp;` into `&`. What we hand it is therefore made inert (markup characters removed);
 * the real values are written through the DOM afterwards.
 */
export function inert(text: string): string {
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
const TEXT_WORK = /[\u0000-\u0008\u000B\u000C\r\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;
const ATTR_WORK = /[\u0000-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;

/**
 * Parses `feed`'s output into a DOM. saxes reads it (strict, namespace-aware, several times faster than
 * xmldom's own parser, which is most of a render's cost otherwise); whitespace-only text between elements
 * (`feed`'s indentation) is dropped, so the DOM is small and our output compact.
 */
/**
 * The document `feed` lays out for `doc`: structure, ids, links and dates, with inert stand-ins for text
 * (rewritten through the DOM afterwards) and '-' for summaries and bodies, so the skeleton stays small and
 * parsing it back is cheap.
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

export function parseXml(xml: string): Document {
  const parser = new SaxesParser({ xmlns: true });
  let doc: Document | null = null;
  const stack: Node[] = [];
  const top = (): Node => stack[stack.length - 1]!;
  parser.on('error', (err) => {
    throw new Error(`feed output is not well-formed XML: ${err.message}`);
  });
  parser.on('opentag', (tag) => {
    let el: Element;
    if (!doc) {
      doc = new DOMImplementation().createDocument(tag.uri || null, tag.name, null);
      el = doc.documentElement!;
    } else {
      el = doc.createElementNS(tag.uri || null, tag.name);
      top().appendChild(el);
    }
    for (const a of Object.values(tag.attributes)) {
      if (a.prefix === 'xmlns' || a.name === 'xmlns') el.setAttributeNS('http://www.w3.org/2000/xmlns/', a.name, a.value);
      else if (a.uri) el.setAttributeNS(a.uri, a.name, a.value);
      else el.setAttribute(a.name, a.value);
    }
    stack.push(el);
  });
  parser.on('closetag', () => void stack.pop());
  parser.on('text', (text) => {
    if (stack.length && !/^\s*$/.test(text)) top().appendChild(doc!.createTextNode(text));
  });
  parser.on('cdata', (data) => {
    if (stack.length) top().appendChild(doc!.createCDATASection(data));
  });
  parser.write(xml).close();
  if (!doc) throw new Error('feed output has no root element');
  return doc;
}

export function serializeXml(doc: Document): string {
  // The declaration is not a DOM node, so the serializer does not write it.
  return XML_DECLARATION + new XMLSerializer().serializeToString(doc.documentElement!) + '\n';
}

/** Direct children of `parent` with this local name (namespace-agnostic, as `feed` writes prefixes). */
export function childElements(parent: Element, name: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).nodeName === name) out.push(n as Element);
  }
  return out;
}

export function firstChild(parent: Element, name: string): Element {
  const el = childElements(parent, name)[0];
  if (!el) throw new Error(`feed output has no <${name}> in <${parent.nodeName}>`);
  return el;
}

/** Replaces an element's content (CDATA included) with one text node. */
export function setText(el: Element, text: string): Element {
  while (el.firstChild) el.removeChild(el.firstChild);
  el.appendChild(el.ownerDocument!.createTextNode(xmlText(text)));
  return el;
}

/**
 * Replaces an element's content with the text as CDATA sections: long HTML bodies are then written as
 * they are instead of escaped character by character. `]]>` cannot occur inside a section, so the text is
 * split there, between `]]` and `>`, into consecutive sections; a parser joins them back.
 */
export function setCData(el: Element, text: string): Element {
  while (el.firstChild) el.removeChild(el.firstChild);
  const doc = el.ownerDocument!;
  const parts = xmlText(text).split(']]>');
  parts.forEach((part, i) => {
    const data = (i > 0 ? '>' : '') + part + (i < parts.length - 1 ? ']]' : '');
    if (data) el.appendChild(doc.createCDATASection(data));
  });
  return el;
}

export function removeChildren(parent: Element, name: string): void {
  for (const el of childElements(parent, name)) parent.removeChild(el);
}

/**
 * Appends `<qname attr...>text</qname>` in namespace `ns`; attributes whose value is null are left out.
 * With `before`, the element goes ahead of the first child of that name instead (feed-level elements
 * must precede Atom entries).
 */
export function append(
  parent: Element,
  ns: string | null,
  qname: string,
  attrs: Record<string, string | null | undefined> = {},
  text?: string,
  before?: string,
): Element {
  const doc = parent.ownerDocument!;
  const el = ns ? doc.createElementNS(ns, qname) : doc.createElement(qname);
  for (const k in attrs) {
    const v = attrs[k];
    if (v === null || v === undefined) continue;
    if (k === 'xml:lang') el.setAttributeNS(NS.xml, k, xmlAttr(v));
    else el.setAttribute(k, xmlAttr(v));
  }
  if (text !== undefined) el.appendChild(doc.createTextNode(xmlText(text)));
  const anchor = before ? childElements(parent, before)[0] : undefined;
  if (anchor) parent.insertBefore(el, anchor);
  else parent.appendChild(el);
  return el;
}
