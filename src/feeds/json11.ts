import { Feed } from 'feed';
import type { FeedDoc, FeedHistory } from './model.ts';

const VERSION_1_1 = 'https://jsonfeed.org/version/1.1';

/**
 * JSON Feed 1.1. `feed` writes version 1 (`author`, no `language`), so its output is upgraded here:
 * `authors` and `language` at feed and item level, and what 1.1 has no field for (categories with
 * labels, translations, related links, the source of a republished item, other formats) goes in the
 * `_kabar` extension object, as the spec allows for keys starting with an underscore.
 */
export function renderJson11(doc: FeedDoc): string {
  const feed = new Feed({
    id: doc.id,
    title: doc.title,
    description: doc.description,
    link: doc.htmlUrl,
    updated: doc.updated,
    feedLinks: { json: doc.selfUrl },
  });
  for (const e of doc.entries) {
    feed.addItem({
      id: e.id,
      title: e.title,
      link: e.url,
      date: e.updated,
      published: e.published,
      description: e.summary,
      content: e.contentHtml,
    });
  }
  const v1 = JSON.parse(feed.json1()) as { items: Record<string, unknown>[] } & Record<string, unknown>;
  const { version: _v, author: _a, items, ...rest } = v1;
  const out = {
    version: VERSION_1_1,
    ...rest,
    language: doc.language,
    hubs: doc.hubs.map((url) => ({ type: 'WebSub', url })),
    _kabar: {
      id: doc.id,
      updated: doc.updated.toISOString(),
      alternates: doc.alternates.map((l) => ({ url: l.href, type: l.type, language: l.hreflang, title: l.title })),
      // RFC 5005 in JSON Feed, which has no field for it: the same links under the same names.
      ...(doc.history ? { history: historyJson(doc.history) } : {}),
    },
    items: items.map((raw, i) => {
      const e = doc.entries[i]!;
      const { author: _ia, tags: _t, ...item } = raw;
      return {
        ...item,
        ...(e.language ? { language: e.language } : {}),
        authors: e.authors.map((a) => (a.url ? { name: a.name, url: a.url } : { name: a.name })),
        tags: [...new Set([...e.categories.map((c) => c.label), ...e.tags])],
        ...(e.image ? { image: e.image.url } : {}),
        _kabar: {
          categories: e.categories.map((c) => ({ term: c.term, label: c.label, scheme: c.scheme })),
          translations: e.translations.map((l) => ({ url: l.href, language: l.hreflang, title: l.title })),
          related: e.related.map((l) => ({ url: l.href, language: l.hreflang, title: l.title })),
          contributors: e.contributors.map((c) => ({ name: c.name, url: c.url })),
          ...(e.source ? { source: { title: e.source.title, feed_url: e.source.feedUrl, home_page_url: e.source.siteUrl } } : {}),
        },
      };
    }),
  };
  return JSON.stringify(out, null, 2) + '\n';
}

function historyJson(h: FeedHistory): Record<string, string | boolean> {
  return {
    ...(h.archive ? { archive: true } : {}),
    ...(h.current ? { current: h.current } : {}),
    ...(h.prevArchive ? { prev_archive: h.prevArchive } : {}),
    ...(h.nextArchive ? { next_archive: h.nextArchive } : {}),
  };
}
