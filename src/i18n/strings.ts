/**
 * Every word a reader sees that is not written in CONTENT_DIR: page chrome, credits, links to upstream items,
 * language names, date and time zone formats, the writing direction. One table per language, imported by content/,
 * feeds/, html/ and pages/, so code never picks words with `lang === 'id'`. A language without a table falls back
 * to English; adding one is adding a table here (and the language to site.yaml). Templates name their parts in
 * braces (`{source}`); `fill` splits them so that callers can put markup in the parts and still have the words
 * escaped.
 *
 * This module imports nothing: language codes are plain BCP 47 tags (content's `Language` is `string`).
 */
type Language = string;

export type Direction = 'ltr' | 'rtl';

export interface Strings {
  /**
   * The writing direction, when the table knows it. Without it, Intl's text info for the language decides
   * (see `direction`).
   */
  direction?: Direction;
  /**
   * Names of languages written in this language, where they must not depend on the ICU data of the Node.js
   * that runs us (they are in feeds and pages, whose bytes must stay the same); others come from
   * Intl.DisplayNames, then the code.
   */
  languageNames: Readonly<Record<Language, string>>;
  /** Heading of the related-items list when site.yaml gives no `readAlso` for the language. */
  readAlso: string;
  /** Between the items of a short list (authors, categories, other languages). */
  comma: string;
  /** The links to the previous and next page of a list: `{page}` its number. */
  previousPage: string;
  nextPage: string;
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
  /** The button or link that copies a feed's address for a news reader. */
  subscribe: string;
  /** Its title: what it does. */
  subscribeHint: string;
  /** A button that copies text (a feed address, a snippet), and what it says once it has. */
  copy: string;
  copied: string;
  /**
   * A feed opened in a browser: what a feed is and what to do with its address (the page shows the address, a
   * copy button, the items and the other formats and languages).
   */
  feedIntro: string;
  feedAddress: string;
  /** `{page}`: a link to the web page the feed mirrors. */
  feedWebPage: string;
  latest: string;
  otherFormats: string;
  otherLanguages: string;
  /** The index's section for partners: the embed script and the iframe, with copy-paste snippets. */
  embedHeading: string;
  embedIntro: string;
  embedScript: string;
  embedIframe: string;
  /** Under embedded headlines on a partner's page: `{site}` links to our page. */
  embedCredit: string;
  /** A date with its time and zone on pages: `{date}`, `{time}`, `{zone}`. */
  dateTime: string;
  /** Names of UTC offsets (in minutes east of UTC) readers of this language know; others are shown as `UTC+7`. */
  zones: Readonly<Record<number, string>>;
  /** The newsroom's page of who reads us (/stats). */
  stats: {
    title: string;
    /** What is counted: `{days}` the days shown. */
    intro: string;
    /** What is not stored. */
    privacy: string;
    subscribers: string;
    pollers: string;
    /** Today's totals: `{subscribers}`, `{pollers}`. */
    today: string;
    /** A chart's text alternative: `{feed}`, `{subscribers}`, `{pollers}` on the last day. */
    chart: string;
    byAggregator: string;
    nothing: string;
  };
}

const EN: Strings = {
  languageNames: { id: 'Indonesian', en: 'English', ar: 'Arabic' },
  readAlso: 'Read also',
  comma: ', ',
  previousPage: '← {page}',
  nextPage: '{page} →',
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
  subscribe: 'Subscribe',
  subscribeHint: 'Copy the feed address for your news reader',
  copy: 'Copy',
  copied: 'Copied',
  feedIntro: 'This is a news feed. Paste its address into your news reader (an app or site such as Feedly, Inoreader or NetNewsWire) to follow it: new articles appear there as they are published.',
  feedAddress: 'Feed address',
  feedWebPage: 'The same on the web: {page}',
  latest: 'Latest',
  otherFormats: 'Other formats',
  otherLanguages: 'Other languages',
  embedHeading: 'Our headlines on your site',
  embedIntro: 'Show our latest headlines on your own pages, with our credit and links, free of charge.',
  embedScript: 'With a script: paste this where the headlines should go. Change the language, add data-category="slug" for one category, and data-limit for how many (1 to {max}).',
  embedIframe: 'Without scripts, as an iframe (the path picks the language or category, ?limit= how many):',
  embedCredit: 'Headlines from {site}',
  dateTime: '{date}, {time} {zone}',
  zones: {},
  stats: {
    title: 'Who reads us',
    intro: 'Per feed and day (UTC), the last {days} days: the subscribers aggregators report (the latest figure of each aggregator and subscription, summed) and the other clients that polled the feed (each address and User-Agent once a day).',
    privacy: 'No address is kept: other clients are counted by a hash with a salt that changes every day.',
    subscribers: 'Subscribers',
    pollers: 'Other pollers',
    today: 'Today: {subscribers} subscribers, {pollers} other pollers.',
    chart: '{feed}: {subscribers} subscribers and {pollers} other pollers on the last day',
    byAggregator: 'By aggregator today',
    nothing: 'No feed has been read yet.',
  },
};

const STRINGS: Readonly<Record<Language, Strings>> = {
  en: EN,
  id: {
    languageNames: { id: 'Indonesia', en: 'Inggris', ar: 'Arab' },
    readAlso: 'Baca juga',
    comma: ', ',
    previousPage: '← {page}',
    nextPage: '{page} →',
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
    subscribe: 'Langganan',
    subscribeHint: 'Salin alamat umpan untuk aplikasi pembaca berita Anda',
    copy: 'Salin',
    copied: 'Tersalin',
    feedIntro: 'Ini umpan berita. Tempelkan alamatnya di aplikasi pembaca berita Anda (aplikasi atau situs seperti Feedly, Inoreader, atau NetNewsWire) untuk mengikutinya: artikel baru muncul di sana begitu diterbitkan.',
    feedAddress: 'Alamat umpan',
    feedWebPage: 'Versi web: {page}',
    latest: 'Terbaru',
    otherFormats: 'Format lain',
    otherLanguages: 'Bahasa lain',
    embedHeading: 'Berita kami di situs Anda',
    embedIntro: 'Tampilkan judul berita terbaru kami di halaman Anda sendiri, dengan kredit dan tautan ke kami, tanpa biaya.',
    embedScript: 'Dengan skrip: tempelkan ini di tempat judul berita akan tampil. Ganti bahasanya, tambahkan data-category="slug" untuk satu kategori, dan data-limit untuk jumlahnya (1 sampai {max}).',
    embedIframe: 'Tanpa skrip, sebagai iframe (jalurnya memilih bahasa atau kategori, ?limit= jumlahnya):',
    embedCredit: 'Berita dari {site}',
    dateTime: '{date} {time} {zone}',
    // Waktu Indonesia Barat, Tengah, Timur.
    zones: { 420: 'WIB', 480: 'WITA', 540: 'WIT' },
    stats: {
      title: 'Siapa membaca kami',
      intro: 'Per umpan dan per hari (UTC), {days} hari terakhir: pelanggan yang dilaporkan agregator (angka terakhir tiap agregator dan langganan, dijumlahkan) dan klien lain yang mengambil umpan (tiap alamat dan User-Agent sekali sehari).',
      privacy: 'Tidak ada alamat yang disimpan: klien lain dihitung dengan hash bergaram yang berganti setiap hari.',
      subscribers: 'Pelanggan',
      pollers: 'Pengambil lain',
      today: 'Hari ini: {subscribers} pelanggan, {pollers} pengambil lain.',
      chart: '{feed}: {subscribers} pelanggan dan {pollers} pengambil lain pada hari terakhir',
      byAggregator: 'Per agregator hari ini',
      nothing: 'Belum ada umpan yang dibaca.',
    },
  },
  // Arabic, for the Middle East desk. Written by a non-native speaker from standard newsroom usage: a native
  // speaker should review every entry before an Arabic site goes live.
  ar: {
    direction: 'rtl',
    languageNames: { ar: 'العربية', id: 'الإندونيسية', en: 'الإنجليزية' },
    readAlso: 'اقرأ أيضاً',
    comma: '، ',
    // Right to left, "previous" sits on the right and points right.
    previousPage: '→ {page}',
    nextPage: '{page} ←',
    feeds: 'الخلاصات',
    allFeeds: 'كل الخلاصات',
    articles: 'المقالات',
    categories: 'الأقسام',
    whole: 'الكل',
    related: 'قراءات ذات صلة من ناشرين آخرين',
    alsoIn: 'بلغات أخرى',
    published: 'نُشر في',
    updated: 'حُدّث في',
    by: 'بقلم',
    source: 'المصدر',
    nothing: 'لا شيء هنا بعد.',
    opml: 'كل الخلاصات بصيغة OPML',
    pages: 'الصفحات',
    creditOriginal: 'المصدر: {source}',
    creditOriginalWithNote: 'المصدر: {source} — {note}',
    creditTranslation: 'مترجم عن {language}: {original}، نُشر أولاً في {source}. الترجمة: {translator}.',
    creditTranslationWithNote: 'مترجم عن {language}: {original}، نُشر أولاً في {source} ({note}). الترجمة: {translator}.',
    readAt: 'اقرأ في {source}',
    subscribe: 'اشترك',
    subscribeHint: 'انسخ عنوان الخلاصة لقارئ الأخبار لديك',
    copy: 'نسخ',
    copied: 'تم النسخ',
    feedIntro: 'هذه خلاصة أخبار. الصق عنوانها في قارئ الأخبار لديك (تطبيق أو موقع مثل Feedly أو Inoreader أو NetNewsWire) لمتابعتها: تظهر المقالات الجديدة هناك فور نشرها.',
    feedAddress: 'عنوان الخلاصة',
    feedWebPage: 'المحتوى نفسه على الويب: {page}',
    latest: 'الأحدث',
    otherFormats: 'صيغ أخرى',
    otherLanguages: 'لغات أخرى',
    embedHeading: 'عناويننا على موقعك',
    embedIntro: 'اعرض أحدث عناويننا على صفحاتك، مع ذكر المصدر والروابط، مجاناً.',
    embedScript: 'باستخدام سكربت: الصق هذا حيث تريد أن تظهر العناوين. غيّر اللغة، وأضف data-category="slug" لقسم واحد، وdata-limit لعدد العناوين (من 1 إلى {max}).',
    embedIframe: 'من دون سكربتات، كإطار iframe (يحدد المسار اللغة أو القسم، و?limit= العدد):',
    embedCredit: 'عناوين من {site}',
    dateTime: '{date}، {time} {zone}',
    zones: {},
    stats: {
      title: 'من يقرؤنا',
      intro: 'لكل خلاصة ولكل يوم (UTC)، آخر {days} يوماً: المشتركون كما تذكرهم المجمّعات (آخر رقم لكل مجمّع واشتراك، مجموعاً) والعملاء الآخرون الذين جلبوا الخلاصة (كل عنوان و User-Agent مرة في اليوم).',
      privacy: 'لا يُحفظ أي عنوان: يُعدّ العملاء الآخرون ببصمة مملّحة يتغيّر ملحها كل يوم.',
      subscribers: 'المشتركون',
      pollers: 'عملاء آخرون',
      today: 'اليوم: {subscribers} مشتركاً، {pollers} عميلاً آخر.',
      chart: '{feed}: {subscribers} مشتركاً و{pollers} عميلاً آخر في اليوم الأخير',
      byAggregator: 'حسب المجمّع اليوم',
      nothing: 'لم تُقرأ أي خلاصة بعد.',
    },
  },
};

export function strings(lang: Language): Strings {
  return STRINGS[lang] ?? EN;
}

const directions = new Map<Language, Direction>();

/**
 * The direction a language is written in: its table's, else Intl's text info (`getTextInfo()` from Node 22 on,
 * the `textInfo` getter in Node 20's V8), else left to right (also for a tag Intl cannot read).
 */
export function direction(lang: Language): Direction {
  let d = directions.get(lang);
  if (!d) {
    d = STRINGS[lang]?.direction ?? intlDirection(lang) ?? 'ltr';
    directions.set(lang, d);
  }
  return d;
}

type TextInfoLocale = Intl.Locale & { getTextInfo?: () => { direction?: string }; textInfo?: { direction?: string } };

function intlDirection(lang: Language): Direction | null {
  try {
    const locale = new Intl.Locale(lang) as TextInfoLocale;
    const dir = (locale.getTextInfo?.() ?? locale.textInfo)?.direction;
    return dir === 'rtl' || dir === 'ltr' ? dir : null;
  } catch {
    return null;
  }
}

/**
 * The name of language `code` written in language `inLang`: from `inLang`'s table, else Intl.DisplayNames (whose
 * words depend on the ICU data of the running Node.js), else the code.
 */
export function languageName(code: Language, inLang: Language): string {
  const known = STRINGS[inLang]?.languageNames[code];
  if (known) return known;
  try {
    return new Intl.DisplayNames([inLang], { type: 'language' }).of(code) ?? code;
  } catch {
    return code;
  }
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
