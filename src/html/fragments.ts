import type { Article, Language, Translation } from '../content/model.ts';
import { direction, fill, languageName, strings } from '../i18n/strings.ts';
import { html, type SafeHtml } from './html.ts';

/*
 * The HTML both feeds (entry content) and pages show: credits, the "Baca juga" list, dates in the article's own
 * zone, links to other languages. Below feeds/ and pages/, so neither imports the other for them; what they need
 * from a feed or page (a URL) is passed in.
 */

/** An upstream item as a fragment shows it (the store's published item has these fields and more). */
export interface LinkedItem {
  url: string | null;
  title: string;
  /** The item's language tag, when its feed says. */
  language: string | null;
  sourceName: string;
}

/**
 * ` lang="xx"` for text in language `lang` quoted inside text in language `around`, with ` dir` when the two are
 * written in different directions (an Indonesian title on an Arabic page), so the quote is laid out on its own.
 */
export function langAttrs(lang: Language, around: Language): SafeHtml {
  const dir = direction(lang);
  return dir === direction(around) ? html` lang="${lang}"` : html` lang="${lang}" dir="${dir}"`;
}

/**
 * Text of unknown language (a publisher's or translator's name) inside text in language `around`: isolated with
 * `<bdi>` on right-to-left pages, where such names are mostly Latin; left to right, it is left as it is.
 */
export function isolate(text: string, around: Language): SafeHtml | string {
  return direction(around) === 'rtl' ? html`<bdi>${text}</bdi>` : text;
}

/**
 * The credit that travels with every copy of an article: the original publisher, and for translations, who
 * translated it. `originalUrl` is the page of the original.
 */
export function creditHtml(article: Article, t: Translation, originalUrl: string): SafeHtml {
  const s = strings(t.language);
  const original = article.translations.get(article.originalLanguage)!;
  const name = isolate(article.credit.name, t.language);
  const source = article.credit.url ? html`<a href="${article.credit.url}">${name}</a>` : html`${name}`;
  const note = article.credit.note === null ? null : isolate(article.credit.note, t.language);
  if (t.isOriginal) {
    return html`<p class="credit">${fill(note ? s.creditOriginalWithNote : s.creditOriginal, { source, note: note ?? '' })}</p>`;
  }
  return html`<p class="credit">${fill(note ? s.creditTranslationWithNote : s.creditTranslation, {
    language: languageName(article.originalLanguage, t.language),
    original: html`<a href="${originalUrl}" hreflang="${original.language}"${langAttrs(original.language, t.language)}>${original.title}</a>`,
    source,
    note: note ?? '',
    translator: t.translator ? isolate(t.translator.name, t.language) : '',
  })}</p>`;
}

/** An upstream item's link: its language when known, else (on a right-to-left page) a direction of its own. */
export function itemLinkHtml(i: LinkedItem & { url: string }, lang: Language): SafeHtml {
  const attrs = i.language ? html` hreflang="${i.language}"${langAttrs(i.language, lang)}` : direction(lang) === 'rtl' ? html` dir="auto"` : '';
  return html`<a href="${i.url}"${attrs}>${i.title}</a>`;
}

/** The related upstream items of an article ("Baca juga"), under `heading`, on a page or in an entry in `lang`. */
export function relatedListHtml(items: readonly LinkedItem[], heading: string, lang: Language): SafeHtml | '' {
  const linked = items.filter((i): i is LinkedItem & { url: string } => i.url !== null);
  if (linked.length === 0) return '';
  return html`<aside class="related"><h2>${heading}</h2><ul>${linked.map(
    (i) => html`<li>${itemLinkHtml(i, lang)} <small>(${isolate(i.sourceName, lang)})</small></li>`,
  )}</ul></aside>`;
}

/**
 * "Also in": links to the other languages of an article, each named in its own language. `url` gives the page of
 * the article in a language.
 */
export function otherLanguagesHtml(article: Article, lang: Language, url: (lang: Language) => string): SafeHtml | '' {
  const others = [...article.translations.values()].filter((o) => o.language !== lang);
  if (others.length === 0) return '';
  const s = strings(lang);
  return html`<p>${s.alsoIn}: ${others.map(
    (o, i) => html`${i ? s.comma : ''}<a href="${url(o.language)}" hreflang="${o.language}"${langAttrs(o.language, lang)}>${languageName(o.language, o.language)}</a>`,
  )}</p>`;
}

/** `+07:00` for 420 minutes east of UTC. */
function offsetText(utcOffset: number): string {
  const abs = Math.abs(utcOffset);
  return `${utcOffset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

/** The zone's name readers of `lang` know (WIB), or `UTC+7`, `UTC+5:30`, `UTC-3`, `UTC`. */
function zoneLabel(utcOffset: number, lang: Language): string {
  const known = strings(lang).zones[utcOffset];
  if (known) return known;
  if (utcOffset === 0) return 'UTC';
  const abs = Math.abs(utcOffset);
  return `UTC${utcOffset < 0 ? '-' : '+'}${Math.floor(abs / 60)}${abs % 60 ? `:${String(abs % 60).padStart(2, '0')}` : ''}`;
}

const FORMATTERS = new Map<Language, { date: Intl.DateTimeFormat; time: Intl.DateTimeFormat }>();

/** Building an Intl formatter costs more than formatting: one pair per language. */
function formatters(lang: Language): { date: Intl.DateTimeFormat; time: Intl.DateTimeFormat } {
  let f = FORMATTERS.get(lang);
  if (!f) {
    f = {
      date: new Intl.DateTimeFormat(lang, { dateStyle: 'long', timeZone: 'UTC' }),
      time: new Intl.DateTimeFormat(lang, { timeStyle: 'short', timeZone: 'UTC' }),
    };
    FORMATTERS.set(lang, f);
  }
  return f;
}

/**
 * A date as the author wrote it: in the zone of the front matter (`utcOffset`, minutes east of UTC), with the
 * zone named. Formatted as UTC after shifting by the offset, which also serves offsets no `Etc/GMT±N` zone has.
 */
export function dateHtml(d: Date, lang: Language, utcOffset = 0): SafeHtml {
  const local = new Date(d.getTime() + utcOffset * 60_000);
  const f = formatters(lang);
  const text = fill(strings(lang).dateTime, {
    date: f.date.format(local),
    time: f.time.format(local),
    zone: zoneLabel(utcOffset, lang),
  }).join('');
  // The machine-readable form keeps the author's offset too.
  const iso = `${local.toISOString().slice(0, 19)}${utcOffset === 0 ? 'Z' : offsetText(utcOffset)}`;
  return html`<time datetime="${iso}">${text}</time>`;
}
