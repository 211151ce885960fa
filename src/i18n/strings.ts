import type { Language } from '../content/model.ts';

/**
 * Every word a reader sees that is not written in CONTENT_DIR: page chrome, credits, links to upstream items,
 * date and time zone formats. One table per language, below both feeds/ and pages/ (STYLE 13, 16), so code never
 * picks words with `lang === 'id'`. A language without a table falls back to English; adding one is adding a
 * table here. Templates name their parts in braces (`{source}`); `fill` splits them so that callers can put
 * markup in the parts and still have the words escaped.
 */
export interface Strings {
  feeds: string;
  allFeeds: string;
  articles: string;
  categories: string;
  whole: string;
  related: string;
  alsoIn: string;
  published: string;
  updated: string;
  by: string;
  source: string;
  nothing: string;
  opml: string;
  /** The label of the page navigation (`?page=2`), read by screen readers. */
  pages: string;
  /** Credit of an article shown in its original language: `{source}` the original publisher. */
  creditOriginal: string;
  /** The same with the publisher's note (`{note}`), e.g. the wire service. */
  creditOriginalWithNote: string;
  /**
   * Credit of a translation: `{language}` the original's language (named in this language), `{original}` a link
   * to the original, `{source}` the original publisher, `{translator}` who translated it.
   */
  creditTranslation: string;
  creditTranslationWithNote: string;
  /** The link under an upstream item in the related feeds: `{source}` the upstream publisher. */
  readAt: string;
  /** A date with its time and zone on pages: `{date}`, `{time}`, `{zone}`. */
  dateTime: string;
  /** Names of UTC offsets (in minutes east of UTC) readers of this language know; others are shown as `UTC+7`. */
  zones: Readonly<Record<number, string>>;
}

const EN: Strings = {
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
  pages: 'Pages',
  creditOriginal: 'Source: {source}',
  creditOriginalWithNote: 'Source: {source} — {note}',
  creditTranslation: 'Translated from the {language} original, {original}, first published by {source}. Translation: {translator}.',
  creditTranslationWithNote:
    'Translated from the {language} original, {original}, first published by {source} ({note}). Translation: {translator}.',
  readAt: 'Read at {source}',
  dateTime: '{date}, {time} {zone}',
  zones: {},
};

const STRINGS: Readonly<Record<Language, Strings>> = {
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
    pages: 'Halaman',
    creditOriginal: 'Sumber: {source}',
    creditOriginalWithNote: 'Sumber: {source} — {note}',
    creditTranslation:
      'Diterjemahkan dari versi asli berbahasa {language}, {original}, yang pertama kali diterbitkan oleh {source}. Penerjemah: {translator}.',
    creditTranslationWithNote:
      'Diterjemahkan dari versi asli berbahasa {language}, {original}, yang pertama kali diterbitkan oleh {source} ({note}). Penerjemah: {translator}.',
    readAt: 'Baca di {source}',
    dateTime: '{date} {time} {zone}',
    // Waktu Indonesia Barat, Tengah, Timur.
    zones: { 420: 'WIB', 480: 'WITA', 540: 'WIT' },
  },
};

export function strings(lang: Language): Strings {
  return STRINGS[lang] ?? EN;
}

/**
 * Splits a template at its `{name}` parts: the words stay strings (for the caller to escape), each part is
 * replaced by its value. A part the caller does not give is kept as written, so a typo shows instead of vanishing.
 */
export function fill<T>(template: string, parts: Readonly<Record<string, T>>): (string | T)[] {
  const out: (string | T)[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([a-zA-Z]+)\}/g)) {
    const name = m[1]!;
    if (!Object.hasOwn(parts, name)) continue;
    if (m.index > last) out.push(template.slice(last, m.index));
    out.push(parts[name]!);
    last = m.index + m[0].length;
  }
  if (last < template.length) out.push(template.slice(last));
  return out;
}
