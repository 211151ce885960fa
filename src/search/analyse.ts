import { createRequire } from 'node:module';

/*
 * Text to search terms, the one analysis both sides of relating use: our articles when they are indexed, and an
 * upstream item when it is looked up. Unicode folding (NFKD, marks dropped, lower case), words of letters and
 * digits, stop words out, a Snowball stem per language. The search engine (FTS5, PostgreSQL's tsvector) then only
 * splits on spaces: it never stems, so both backends rank the very same terms.
 */

/** Bump when the analysis changes: every article is indexed again and every item related again. */
export const ANALYSIS_VERSION = 1;

/** The languages with a stemmer and stop words; others are folded and split only. */
const STEMMER_MODULES: Readonly<Record<string, string>> = { en: '@orama/stemmers/english', id: '@orama/stemmers/indonesian' };
type Stemmer = (word: string) => string;
const loadedStemmers = new Map<string, Stemmer>();
const requireModule = createRequire(import.meta.url);

/**
 * A language's Snowball stemmer, loaded on first use: a service relating by rules only (RELATE_BY_CONTENT off, the
 * default) never loads them, nor their memory.
 */
function stemmerFor(lang: string | null): Stemmer | null {
  const name = lang ? STEMMER_MODULES[lang] : undefined;
  if (!lang || !name) return null;
  let stemmer = loadedStemmers.get(lang);
  if (!stemmer) {
    stemmer = (requireModule(name) as { stemmer: Stemmer }).stemmer;
    loadedStemmers.set(lang, stemmer);
  }
  return stemmer;
}

// Function words, and words every news text has ("said", "kata"), which say nothing about a topic.
const STOP_EN =
  'a about above after again against all also am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves said says say told tells according reported report reports news new one two three four five six seven eight nine ten first last year years week month day today yesterday tuesday monday wednesday thursday friday saturday sunday january february march april may june july august september october november december mr mrs ms per cent percent via amid among since still even yet however while us set side call near nearly around back next number hundred hundreds thousand thousands million millions people country countries official officials'.split(
    ' ',
  );
const STOP_ID =
  'ada adalah adanya agar akan akhirnya aku anda antara apa apabila atas atau bagai bagaimana bagi bahkan bahwa baik banyak baru begitu belum berbagai bersama beberapa bila bisa boleh buat bukan cara dalam dan dapat dari daripada demikian dengan di dia dirinya disebut ditambahkan dua hal hanya hari harus hingga ia ialah ini itu jadi jika juga justru kali kalau kami kamu kata katanya ke kedua kemudian kepada ketika kini kita lagi lain lalu lebih maka mana masih melalui menjadi menurut mereka meski misalnya mulai namun oleh pada para pernah pula pun saat saja salah sama sambil sangat satu saya se sebagai sebelum sebuah secara sedang sehingga sejak sekitar selain selama seluruh semua sementara seorang seperti serta setelah siapa sudah supaya tahun tak tanpa telah tentang tersebut tetapi tiga tidak untuk wib yaitu yakni yang senin selasa rabu kamis jumat sabtu minggu januari februari maret april mei juni juli agustus september oktober november desember ujar ungkap jelas tambah sebut menyatakan mengatakan tengah luar negeri pihak saling akhir ribu ribuan juta puluh puluhan ratus ratusan negara warga orang lewat'.split(
    ' ',
  );
const STOP = new Set([...STOP_EN, ...STOP_ID]);
/** Words whose frequency in a text says which of our languages it is in. */
const MARKERS: Readonly<Record<string, ReadonlySet<string>>> = {
  en: new Set(STOP_EN.slice(0, STOP_EN.indexOf('said'))),
  id: new Set(STOP_ID.slice(0, STOP_ID.indexOf('wib'))),
};

const NOT_ASCII = /[\x80-\uffff]/;
/** Runs of letters and digits, with apostrophes and hyphens inside a word kept for now ("Nagorno-Karabakh's"). */
const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;
/** A word with an apostrophe or a hyphen inside (most have none: they are kept as they are). */
const JOINED = /['’-]/;
const URL_LIKE = /\b(?:https?:\/\/|www\.)\S+/gi;
/** Markdown and HTML markup that is not text: tags, link targets, emphasis and heading marks. */
const MARKUP = /<[^>]*>|\]\([^)]*\)|[*_#>`]+/g;

/** Lower case without diacritics or compatibility forms: "Türkiye" and "turkiye" are one word. */
export function fold(s: string): string {
  const decomposed = NOT_ASCII.test(s) ? s.normalize('NFKD').replace(/\p{M}/gu, '') : s;
  return decomposed.toLowerCase();
}

/** The words of a text, folded, in order; markup and addresses left out. */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const w of fold(text.replace(URL_LIKE, ' ').replace(MARKUP, ' ')).match(WORD) ?? []) {
    // "Nagorno-Karabakh's" is "nagorno" and "karabakh"; an English possessive adds nothing.
    if (!JOINED.test(w)) out.push(w);
    else for (const part of w.replace(/['’]s$/, '').split(/['’-]/)) if (part) out.push(part);
  }
  return out;
}

/**
 * The language of a short text among ours, by which language's function words it uses more; `fallback` (the
 * item's declared language, its source's, or null) wins a tie.
 */
export function guessLanguage(ws: readonly string[], fallback: string | null): string | null {
  let best = fallback;
  let bestCount = 0;
  for (const [lang, markers] of Object.entries(MARKERS)) {
    let n = 0;
    for (const w of ws) if (markers.has(w)) n++;
    if (n > bestCount || (n === bestCount && n > 0 && lang === fallback)) {
      best = lang;
      bestCount = n;
    }
  }
  return best;
}

/**
 * The search terms of a text in `language`: folded words, stop words and pure numbers out, one-letter words out,
 * each stemmed by the language's Snowball stemmer (a language without one keeps its folded words).
 */
export function terms(text: string, language: string | null): string[] {
  const lang = language ? baseLanguage(language) : null;
  const stemmer = stemmerFor(lang);
  const term = lang && stemmer ? memoTerm(lang, stemmer) : (w: string) => termOf(w, null);
  const out: string[] = [];
  for (const w of words(text)) {
    const t = term(w);
    if (t) out.push(t);
  }
  return out;
}

/** A word's term: '' for a stop word, a number or a one-letter word, or when its stem is one. */
function termOf(w: string, stem: ((word: string) => string) | null): string {
  if (w.length < 2 || STOP.has(w) || /^\d+$/.test(w)) return '';
  const t = stem ? stem(w) : w;
  return t.length >= 2 && !STOP.has(t) ? t : '';
}

/** Words' terms so far, per language: Snowball costs microseconds a word, and news repeats its words. */
const stems = new Map<string, Map<string, string>>();
/** Bound on the words remembered per language (about 100 bytes each); past it the memo starts over. */
const MEMO_MAX = 50_000;

function memoTerm(lang: string, stem: (word: string) => string): (word: string) => string {
  let memo = stems.get(lang);
  if (!memo) stems.set(lang, (memo = new Map<string, string>()));
  const m = memo;
  return (w) => {
    let t = m.get(w);
    if (t === undefined) {
      if (m.size >= MEMO_MAX) m.clear();
      t = termOf(w, stem);
      m.set(w, t);
    }
    return t;
  };
}

/** `pt-BR` → `pt`. */
export function baseLanguage(language: string): string {
  const dash = language.indexOf('-');
  return (dash < 0 ? language : language.slice(0, dash)).toLowerCase();
}
