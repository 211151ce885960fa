import type { FeedDoc, FeedLink } from './model.ts';
import { append, childElements, feedSkeleton, firstChild, inert, NS, parseXml, serializeXml, setCData, setText } from './xml.ts';
import type { Element } from '@xmldom/xmldom';

/** RSS 2.0 with the Atom, Dublin Core and content modules. */
export function renderRss2(doc: FeedDoc): string {
  const feed = feedSkeleton(doc, {
    language: doc.language,
    generator: inert(`${doc.generator.name} ${doc.generator.version}`),
    docs: 'https://www.rssboard.org/rss-specification',
    feedLinks: { rss: doc.selfUrl },
  });
  const dom = parseXml(feed.rss2());
  const rss = dom.documentElement!;
  // `feed` declares dc only when items have content; our items always do, but an empty feed has none.
  rss.setAttribute('xmlns:dc', NS.dc);
  const channel = firstChild(rss, 'channel');
  setText(firstChild(channel, 'title'), doc.title);
  setText(firstChild(channel, 'description'), doc.description);
  if (doc.copyright) setText(firstChild(channel, 'copyright'), doc.copyright);
  for (const link of doc.alternates) atomLink(channel, 'alternate', link, 'item');

  const items = childElements(channel, 'item');
  doc.entries.forEach((e, i) => {
    const item = items[i]!;
    setText(firstChild(item, 'title'), e.title);
    setText(firstChild(item, 'description'), e.summary);
    setCData(firstChild(item, 'content:encoded'), e.contentHtml);
    // <author> must be an e-mail address in RSS 2.0; names go in dc:creator.
    for (const a of e.authors) append(item, NS.dc, 'dc:creator', {}, a.name);
    for (const c of e.categories) append(item, null, 'category', { domain: c.scheme }, c.label);
    if (e.language && e.language !== doc.language) append(item, NS.dc, 'dc:language', {}, e.language);
    for (const t of e.translations) atomLink(item, 'alternate', t);
    // Related items are listed in content:encoded ("Baca juga"); RSS readers show that, and repeating them
    // as atom:link elements would double the item's markup for no reader we know of.
    if (e.source) append(item, null, 'source', { url: e.source.feedUrl }, e.source.title);
  });
  return serializeXml(dom);
}

function atomLink(parent: Element, rel: string, link: FeedLink, before?: string): void {
  append(parent, NS.atom, 'atom:link', { rel, type: link.type, hreflang: link.hreflang, href: link.href, title: link.title }, undefined, before);
}
