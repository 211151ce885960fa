import { LINK_REL, type FeedDoc, type FeedEntry, type FeedLink, type FeedPerson } from './model.ts';
import { feedSkeleton, NS, once, rewrite, writeHistory, type Edit, type XmlWriter } from './xml.ts';

/** Atom 1.0 (RFC 4287). */
export function renderAtom1(doc: FeedDoc): string {
  const skeleton = feedSkeleton(doc, { generator: doc.generator.url, feedLinks: { atom: doc.selfUrl } }).atom1();
  let current: FeedEntry | undefined;
  let entries = 0;
  // The feed's one rel="alternate" is its HTML page: newsboat takes the LAST alternate of a feed as its home page
  // and rss-parser, gofeed and SimplePie the FIRST, whatever its type, so the feed's other formats and language
  // versions (in RSS as atom:link, in JSON Feed under _kabar, and on the HTML pages) are not listed here.
  // Feed-level elements precede the entries (or end an empty feed): the archive links, then WebSub discovery
  // (section 4), after the feed's own links.
  const feedLinks = once((w) => {
    writeHistory(w, 'link', doc.history, 'application/atom+xml');
    for (const hub of doc.hubs) w.element('link', { rel: 'hub', href: hub });
  });
  return rewrite(skeleton, (name, parent, attrs): Edit | undefined => {
    if (parent === null) return { attrs: { 'xml:lang': doc.language, 'xmlns:fh': doc.history?.archive ? NS.fh : null }, append: feedLinks };
    if (parent === 'feed') {
      switch (name) {
        case 'title':
          return { attrs: { type: 'text' }, text: doc.title };
        case 'subtitle':
          return { attrs: { type: 'text' }, text: doc.description };
        case 'rights':
          return doc.copyright ? { attrs: { type: 'text' }, text: doc.copyright } : undefined;
        case 'generator':
          return { attrs: { uri: doc.generator.url, version: doc.generator.version }, text: doc.generator.name };
        case 'link':
          if (attrs.rel === 'alternate') return { attrs: { type: 'text/html', hreflang: doc.language } };
          if (attrs.rel === 'self') return { attrs: { type: 'application/atom+xml' } };
          return undefined;
        case 'entry': {
          const e = doc.entries[entries++];
          if (!e) throw new Error(`feed output has more entries than the ${doc.entries.length} given`);
          current = e;
          return { before: feedLinks, attrs: entryLanguage(e, doc), append: (w) => entryExtras(w, e) };
        }
      }
      return undefined;
    }
    if (parent === 'entry' && current) return entryChild(name, current);
    return undefined;
  });
}

/** An entry in the feed's language inherits it; an entry of unknown language says so with xml:lang="". */
function entryLanguage(e: FeedEntry, doc: FeedDoc): { 'xml:lang'?: string } {
  if (!e.language) return { 'xml:lang': '' };
  return e.language !== doc.language ? { 'xml:lang': e.language } : {};
}

function entryChild(name: string, e: FeedEntry): Edit | undefined {
  switch (name) {
    case 'title':
      return { attrs: { type: 'text' }, text: e.title };
    case 'summary':
      return { attrs: { type: 'text' }, text: e.summary };
    case 'content':
      return { attrs: { type: 'html' }, cdata: e.contentHtml };
    case 'link':
      return { attrs: { rel: 'alternate', type: 'text/html', hreflang: e.language } };
    case 'author':
      // Ours follow, with their URIs.
      return { drop: true };
  }
  return undefined;
}

function entryExtras(w: XmlWriter, e: FeedEntry): void {
  for (const t of e.translations) if (t.rel) atomLink(w, t.rel, t);
  for (const r of e.related) atomLink(w, LINK_REL.related, r);
  for (const a of e.authors) person(w, 'author', a);
  for (const c of e.contributors) person(w, 'contributor', c);
  for (const c of e.categories) w.element('category', { term: c.term, scheme: c.scheme, label: c.label });
  if (e.source) {
    w.start('source');
    w.element('id', {}, e.source.id);
    w.element('title', { type: 'text' }, e.source.title);
    w.element('updated', {}, e.source.updated.toISOString());
    w.element('link', { rel: 'self', href: e.source.feedUrl });
    if (e.source.siteUrl) w.element('link', { rel: 'alternate', type: 'text/html', href: e.source.siteUrl });
    w.end();
  }
}

function person(w: XmlWriter, qname: 'author' | 'contributor', p: FeedPerson): void {
  w.start(qname).element('name', {}, p.name);
  if (p.url) w.element('uri', {}, p.url);
  w.end();
}

function atomLink(w: XmlWriter, rel: string, link: FeedLink): void {
  w.element('link', { rel, type: link.type, hreflang: link.hreflang, href: link.href, title: link.title });
}
