import type { Language } from '../content/model.ts';

/** Interface words of the HTML pages. Languages without an entry fall back to English. */
const EN = {
    feeds: 'Feeds',
    allFeeds: 'All feeds',
    articles: 'Articles',
    categories: 'Categories',
    whole: 'Everything',
    related: 'Related reading from other publishers',
    alsoIn: 'Also in',
    published: 'Published',
    updated: 'Updated',
    by: 'By',
    source: 'Source',
    nothing: 'Nothing here yet.',
    opml: 'Every feed as OPML',
};

export type Strings = Record<keyof typeof EN, string>;

const STRINGS: Record<string, Strings> = {
  en: EN,
  id: {
    feeds: 'Umpan',
    allFeeds: 'Semua umpan',
    articles: 'Artikel',
    categories: 'Kategori',
    whole: 'Semua',
    related: 'Bacaan terkait dari penerbit lain',
    alsoIn: 'Juga dalam',
    published: 'Terbit',
    updated: 'Diperbarui',
    by: 'Oleh',
    source: 'Sumber',
    nothing: 'Belum ada apa-apa.',
    opml: 'Semua umpan dalam OPML',
  },
};

export function strings(lang: Language): Strings {
  return STRINGS[lang] ?? EN;
}
