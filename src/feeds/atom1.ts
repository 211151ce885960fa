import type { Element } from '@xmldom/xmldom';
import type { FeedDoc, FeedEntry, FeedLink, FeedPerson } from './model.ts';
import { append, childElements, feedSkeleton, firstChild, NS, parseXml, removeChildren, serializeXml, setCData, setText } from './xml.ts';

/** Atom 1.0 (RFC 4287). */
export function renderAtom1(doc: FeedDoc): string {
  const feed = feedSkeleton(doc, { generator: doc.generator.url, feedLinks: { atom: doc.selfUrl } });
  const dom = parseXml(feed.atom1());
  const root = dom.documentElement!;
  // feed 6 has no xml:lang (jpmonette/feed#196).
  root.setAttributeNS(NS.xml, 'xml:lang', doc.language);
  setText(firstChild(root, 'title'), doc.title).setAttribute('type', 'text');
  setText(firstChild(root, 'subtitle'), doc.description).setAttribute('type', 'text');
  if (doc.copyright) setText(firstChild(root, 'rights'), doc.copyright).setAttribute('type', 'text');
  const generator = firstChild(root, 'generator');
  setText(generator, doc.generator.name);
  generator.setAttribute('uri', doc.generator.url);
  generator.setAttribute('version', doc.generator.version);
  for (const link of childElements(root, 'link')) {
    const rel = link.getAttribute('rel');
    if (rel === 'alternate') {
      link.setAttribute('type', 'text/html');
      link.setAttribute('hreflang', doc.language);
    } else if (rel === 'self') {
      link.setAttribute('type', 'application/atom+xml');
    }
  }
  for (const link of doc.alternates) atomLink(root, 'alternate', link, 'entry');
  // `feed` writes empty category/contributor arrays as nothing; entries follow.
  const entries = childElements(root, 'entry');
  doc.entries.forEach((e, i) => fillEntry(entries[i]!, e, doc));
  return serializeXml(dom);
}

function fillEntry(entry: Element, e: FeedEntry, doc: FeedDoc): void {
  if (e.language && e.language !== doc.language) entry.setAttributeNS(NS.xml, 'xml:lang', e.language);
  else if (!e.language) entry.setAttributeNS(NS.xml, 'xml:lang', '');
  setText(firstChild(entry, 'title'), e.title).setAttribute('type', 'text');
  setText(firstChild(entry, 'summary'), e.summary).setAttribute('type', 'text');
  setCData(firstChild(entry, 'content'), e.contentHtml).setAttribute('type', 'html');
  const link = firstChild(entry, 'link');
  link.setAttribute('rel', 'alternate');
  link.setAttribute('type', 'text/html');
  if (e.language) link.setAttribute('hreflang', e.language);
  for (const t of e.translations) atomLink(entry, 'alternate', t);
  for (const r of e.related) atomLink(entry, 'related', r);
  removeChildren(entry, 'author');
  for (const a of e.authors) person(entry, 'author', a);
  for (const c of e.contributors) person(entry, 'contributor', c);
  for (const c of e.categories) append(entry, NS.atom, 'category', { term: c.term, scheme: c.scheme, label: c.label });
  if (e.source) {
    const source = append(entry, NS.atom, 'source');
    append(source, NS.atom, 'id', {}, e.source.id);
    append(source, NS.atom, 'title', { type: 'text' }, e.source.title);
    append(source, NS.atom, 'updated', {}, e.source.updated.toISOString());
    append(source, NS.atom, 'link', { rel: 'self', href: e.source.feedUrl });
    if (e.source.siteUrl) append(source, NS.atom, 'link', { rel: 'alternate', type: 'text/html', href: e.source.siteUrl });
  }
}

function person(parent: Element, qname: 'author' | 'contributor', p: FeedPerson): void {
  const el = append(parent, NS.atom, qname);
  append(el, NS.atom, 'name', {}, p.name);
  if (p.url) append(el, NS.atom, 'uri', {}, p.url);
}

function atomLink(parent: Element, rel: string, link: FeedLink, before?: string): void {
  append(parent, NS.atom, 'link', { rel, type: link.type, hreflang: link.hreflang, href: link.href, title: link.title }, undefined, before);
}
