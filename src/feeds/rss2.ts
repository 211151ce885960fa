import escapeHtml from 'escape-html';
import type { FeedDoc, FeedEntry, FeedLink } from './model.ts';
import { feedSkeleton, once, inert, NS, rewrite, writeHistory, type Edit, type XmlWriter } from './xml.ts';

/** RSS 2.0 with the Atom, Dublin Core and content modules. */
export function renderRss2(doc: FeedDoc): string {
  const skeleton = feedSkeleton(doc, {
    language: doc.language,
    generator: inert(`${doc.generator.name} ${doc.generator.version}`),
    docs: 'https://www.rssboard.org/rss-specification',
    feedLinks: { rss: doc.selfUrl },
  }).rss2();
  let current: FeedEntry | undefined;
  let items = 0;
  // Channel elements must precede the items; an empty channel gets them last.
  const alternates = once((w) => {
    for (const link of doc.alternates) atomLink(w, 'alternate', link);
    writeHistory(w, 'atom:link', doc.history, 'application/rss+xml');
    // WebSub discovery (section 4): the self link is `feed`'s, the hubs ours.
    for (const hub of doc.hubs) w.element('atom:link', { rel: 'hub', href: hub });
  });
  return rewrite(skeleton, (name, parent): Edit | undefined => {
    // `feed` declares dc only when items have content; our items always do, but an empty feed has none.
    if (parent === null) return { attrs: { 'xmlns:dc': NS.dc, 'xmlns:fh': doc.history?.archive ? NS.fh : null } };
    if (name === 'channel') return { append: alternates };
    if (parent === 'channel') {
      switch (name) {
        case 'title':
          return { text: doc.title };
        case 'description':
          return { text: asHtml(doc.description) };
        case 'copyright':
          return doc.copyright ? { text: doc.copyright } : undefined;
        case 'item': {
          const e = doc.entries[items++];
          if (!e) throw new Error(`feed output has more items than the ${doc.entries.length} given`);
          current = e;
          return { before: alternates, append: (w) => itemExtras(w, e, doc) };
        }
      }
      return undefined;
    }
    if (parent === 'item' && current) return itemChild(name, current);
    return undefined;
  });
}

/**
 * RSS says nothing of the type of `<description>`, and readers (and the W3C validator) take it as HTML, so
 * a plain-text summary such as "AT&T <b> vs 5 < 6" is written as the HTML that shows that text: escaped
 * once as HTML here, and once more as XML by the writer.
 */
function asHtml(text: string): string {
  return escapeHtml(text);
}

function itemChild(name: string, e: FeedEntry): Edit | undefined {
  switch (name) {
    case 'title':
      return { text: e.title };
    case 'description':
      return { text: asHtml(e.summary) };
    case 'content:encoded':
      return { cdata: e.contentHtml };
  }
  return undefined;
}

function itemExtras(w: XmlWriter, e: FeedEntry, doc: FeedDoc): void {
  // <author> must be an e-mail address in RSS 2.0; names go in dc:creator.
  for (const a of e.authors) w.element('dc:creator', {}, a.name);
  for (const c of e.categories) w.element('category', { domain: c.scheme }, c.label);
  if (e.language && e.language !== doc.language) w.element('dc:language', {}, e.language);
  for (const t of e.translations) if (t.rel) atomLink(w, t.rel, t);
  // Related items are listed in content:encoded ("Baca juga"); RSS readers show that, and repeating them
  // as atom:link elements would double the item's markup for no reader we know of.
  if (e.source) w.element('source', { url: e.source.feedUrl }, e.source.title);
}

function atomLink(w: XmlWriter, rel: string, link: FeedLink): void {
  w.element('atom:link', { rel, type: link.type, hreflang: link.hreflang, href: link.href, title: link.title });
}
