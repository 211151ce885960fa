import { createRequire } from 'node:module';
import type { ArticleText } from '../model/search.ts';

/*
 * Text to search terms, the one analysis both sides of relating use: our articles when they are indexed, and an
 * upstream item when it is looked up. Unicode folding (NFKD, marks dropped, lower case), words of letters and
 * digits, stop words out, a Snowball stem per language. The search engine (FTS5, PostgreSQL's tsvector) then only
 * splits on spaces: it never stems, so both backends rank the very same terms.
 */

/** Bump when the analysis changes: every article is indexed again and every item related again. */
export const ANALYSIS_VERSION = 2;

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

/** The words of a text, folded, each with what its case says (see `casedWords`). */
interface CasedWords {
  words: string[];
  /** 1: capitalised where a sentence does not start and the line is not in title case: written as a name. 2: capitalised where case says nothing (a sentence's first word, a title-case line): a name if written as one elsewhere. 0: neither. */
  kind: Uint8Array;
}
const NAME = 1;
const MAYBE = 2;

/** Characters after which a sentence starts (and at a line's start). */
const SENTENCE_ENDS = new Set([...'.!?:;"“”«»([']);
const POSSESSIVE = /['’]s$/;
const WORD_JOINERS = /['’-]/;
/** Words this long or longer decide whether a line is in title case ("Russian Air Strike in Idlib Tests the Deal"). */
const TITLE_CASE_MIN_LENGTH = 4;

const isUpper = (word: string): boolean => {
  const c = word.charCodeAt(0);
  if (c < 0x80) return c >= 65 && c <= 90;
  const first = String.fromCodePoint(word.codePointAt(0)!);
  return first !== first.toLowerCase();
};

/**
 * The words of a text, folded, line by line, each marked by what its case says: a word capitalised inside a
 * sentence of an ordinary line is written as a name ("Azerbaijan", "Sinovac", "BPOM"); at a sentence's start or in a
 * line in title case (most of its longer words capitalised: headlines, tags, category labels) it may be one.
 */
function casedWords(text: string): CasedWords {
  const words: string[] = [];
  const kinds: number[] = [];
  const add = (part: string, start: boolean): boolean => {
    const upper = isUpper(part);
    const w = fold(part);
    words.push(w);
    // For now: capitalised at a sentence's start (MAYBE) or inside one (NAME); title case is seen by the caller.
    kinds.push(upper ? (start ? MAYBE : NAME) : 0);
    return part.length >= TITLE_CASE_MIN_LENGTH && !STOP.has(w);
  };
  for (const line of text.replace(URL_LIKE, ' ').replace(MARKUP, ' ').split('\n')) {
    const first = words.length;
    let long = 0;
    let longUpper = 0;
    let end = 0;
    WORD.lastIndex = 0;
    for (let m = WORD.exec(line); m; m = WORD.exec(line)) {
      let start = words.length === first;
      for (let i = end; i < m.index && !start; i++) start = SENTENCE_ENDS.has(line[i]!);
      end = m.index + m[0].length;
      const word = m[0];
      if (!WORD_JOINERS.test(word)) {
        if (add(word, start)) {
          long++;
          if (kinds[kinds.length - 1]) longUpper++;
        }
        continue;
      }
      // "Nagorno-Karabakh's" is "nagorno" and "karabakh"; an English possessive adds nothing.
      for (const part of word.replace(POSSESSIVE, '').split(WORD_JOINERS)) {
        if (!part) continue;
        if (add(part, start)) {
          long++;
          if (kinds[kinds.length - 1]) longUpper++;
        }
        start = false;
      }
    }
    if (long >= 3 && longUpper >= 0.75 * long) for (let i = first; i < words.length; i++) if (kinds[i] === NAME) kinds[i] = MAYBE;
  }
  return { words, kind: Uint8Array.from(kinds) };
}

/**
 * The names of a text: its words written capitalised inside a sentence of an ordinary line, folded. Pass them to
 * `terms` with each part of the same text, so a name in a headline or at a sentence's start is known as one too.
 */
export function namesOf(text: string): Set<string> {
  const cased = casedWords(text);
  const out = new Set<string>();
  for (let i = 0; i < cased.words.length; i++) if (cased.kind[i] === NAME) out.add(cased.words[i]!);
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
 * each stemmed by the language's Snowball stemmer (a language without one keeps its folded words), then spelled
 * as its `cognate` key. Names are not stemmed: a word written as a name in this text, or one of `names` (`namesOf`
 * the whole text it is part of), is only folded and keyed. So "Azerbaijan" is one term in English and Indonesian,
 * where the Indonesian stemmer would cut it to "azerbaij" (as it cuts "-an" from a word), and "Samos" is not the
 * English stemmer's "samo".
 */
export function terms(text: string, language: string | null, names?: ReadonlySet<string>): string[] {
  return analyse(text, language, names).terms;
}

/** A text's terms (`terms`), and which of them are names. */
export interface AnalysedText {
  terms: string[];
  /** The terms of words written as names (capitalised inside a sentence of an ordinary line, or one of `names`). */
  names: Set<string>;
  /**
   * Term → the same word as a name, for the words capitalised where case says nothing (a headline in title case, a
   * sentence's first word) and not written as a name elsewhere in the text: a search may take the word as a name
   * where the index has it as one. The two are often one term (a word its stemmer leaves alone).
   */
  maybeNames: Map<string, string>;
  /** Term → the first word (folded) it was made from: what an editor reads for it. */
  words: Map<string, string>;
}

/**
 * An article's terms for the index: its head's and body's, each translation stemmed by its own language's stemmer
 * (names shared by the languages meet in one index), a name known by how the translation writes it anywhere (its
 * headline and tags are in title case).
 */
export function analyseArticle(text: ArticleText): { head: string[]; body: string[] } {
  const head: string[] = [];
  const body: string[] = [];
  for (const t of text.translations) {
    const names = namesOf(`${t.head}\n${t.body}`);
    head.push(...terms(t.head, t.language, names));
    body.push(...terms(t.body, t.language, names));
  }
  return { head, body };
}

export function analyse(text: string, language: string | null, names?: ReadonlySet<string>): AnalysedText {
  const lang = language ? baseLanguage(language) : null;
  const stemmer = stemmerFor(lang);
  const term = memoTerm(lang && stemmer ? lang : '', stemmer);
  const name = memoTerm(NAME_KIND, null);
  const cased = casedWords(text);
  if (!names) {
    const own = new Set<string>();
    for (let i = 0; i < cased.words.length; i++) if (cased.kind[i] === NAME) own.add(cased.words[i]!);
    names = own;
  }
  const out: string[] = [];
  const nameTerms = new Set<string>();
  const maybeNames = new Map<string, string>();
  const wordOf = new Map<string, string>();
  for (let i = 0; i < cased.words.length; i++) {
    const w = cased.words[i]!;
    if (w.length < 2 || STOP.has(w) || DIGITS.test(w)) continue;
    const kind = cased.kind[i];
    const isName = kind === NAME || (kind === MAYBE && names.has(w));
    const t = isName ? name(w) : term(w);
    if (t.length < 2 || STOP.has(t)) continue;
    out.push(t);
    if (!wordOf.has(t)) wordOf.set(t, w);
    if (isName) nameTerms.add(t);
    else if (kind === MAYBE) {
      const n = name(w);
      maybeNames.set(t, n);
      if (!wordOf.has(n)) wordOf.set(n, w);
    }
  }
  return { terms: out, names: nameTerms, maybeNames, words: wordOf };
}

/**
 * One spelling for a word borrowed by Indonesian from English (or shared through a third language), so that an
 * Indonesian text and an English one meet on it: "vaccin" (the English stem) and "vaksin", "vaksinasi";
 * "commiss" and "komisi"; "conflict" and "konflik"; "univers" and "universitas"; "Russian" and "Rusia". Spelling
 * (ph → f, th → t, c → s before e, i, y and k elsewhere, kh → k, q → k, x → ks, y → i, a doubled letter once, a
 * final -kt → -k), then the endings that differ: Indonesian -asi, -isasi, -itas, -ksi, -si (English -ation,
 * -ization, -ity, -ction, -sion), the English stem's -iti (-ity) and -nc, -rc (-nce, -rce); and for a name (`kind`
 * 'name'), the demonym's -ian(s) and -i ("Armenians" is "Armenia", "Azerbaijani" "Azerbaijan"). Every term of both
 * languages is spelled so; within one language these spellings may join two words its stemmer kept apart, which
 * the IDF then weighs as one. `kind`: the language whose stem `term` is, or 'name'.
 */
export function cognate(term: string, kind: string): string {
  // Other scripts and words with digits are left as they are.
  if (/[^a-z]/.test(term)) return term;
  let s = term
    .replace(/ph/g, 'f')
    .replace(/th/g, 't')
    .replace(/ck/g, 'k')
    .replace(/qu/g, 'kw')
    .replace(/q/g, 'k')
    .replace(/x/g, 'ks')
    .replace(/dj/g, 'j')
    .replace(/([nr])c$/, '$1s')
    .replace(/c(?=[eiy])/g, 's')
    .replace(/c/g, 'k')
    .replace(/kh/g, 'k')
    .replace(/y/g, 'i')
    .replace(/([a-z])\1+/g, '$1');
  if (kind === 'id') s = s.replace(/(?:isasi|asi|itas)$/, '').replace(/ksi$/, 'k').replace(/si$/, 's');
  else if (kind === 'en') s = s.replace(/iti$/, '');
  else if (kind === NAME_KIND && s.length >= 6) s = s.replace(/ians?$/, 'ia').replace(/([^aeiou])i$/, '$1');
  return s.replace(/kt$/, 'k');
}
const NAME_KIND = 'name';
const DIGITS = /^\d+$/;

/**
 * Terms made so far, per language (NAME_KIND for names, which are not stemmed; '' for a language without a
 * stemmer): Snowball and the cognate spelling cost microseconds a word, and news repeats its words.
 */
const memos = new Map<string, Map<string, string>>();
/** Bound on the words remembered per language (about 100 bytes each); past it the memo starts over. */
const MEMO_MAX = 50_000;

function memoTerm(lang: string, stem: Stemmer | null): (word: string) => string {
  let memo = memos.get(lang);
  if (!memo) memos.set(lang, (memo = new Map<string, string>()));
  const m = memo;
  return (w) => {
    let t = m.get(w);
    if (t === undefined) {
      if (m.size >= MEMO_MAX) m.clear();
      t = cognate(stem ? stem(w) : w, lang);
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
