import type { ContentSnapshot, Language } from '../content/model.ts';
import { FORMAT_LABELS, MEDIA_TYPES, type Format, type Urls } from '../feeds/catalog.ts';
import type { FeedDoc, FeedEntry } from '../feeds/model.ts';
import { dateHtml, isolate, langAttrs } from '../html/fragments.ts';
import { html, type SafeHtml } from '../html/html.ts';
import { fill, languageName, strings } from '../i18n/strings.ts';
import { copyButton, layout } from './layout.ts';

/*
 * A feed as a person sees it who opens its URL in a browser: what a feed is and what to do with its address (with
 * a copy button), the items with their dates and links, and the feed's other formats and languages. It is rendered
 * from the same format-neutral feed as the RSS, Atom and JSON bytes, so it lists exactly what a reader gets. Which
 * requests get it is decided in src/http/browser-view.ts.
 */

/**
 * The UTC offset each article entry was written in (by its page URL), so dates show in the author's zone as on
 * the article pages; upstream items (no article) show in UTC.
 */
function writtenOffsets(snapshot: ContentSnapshot, urls: Urls, lang: Language): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of snapshot.articles) {
    const t = a.translations.get(lang);
    if (t) out.set(urls.article(lang, a.slug), t.publishedUtcOffset);
  }
  return out;
}

/** A feed's entries as a list: title linked, date (and the upstream publisher of a related item), and, with `summaries`, the summary. */
export function entryListHtml(
  doc: FeedDoc,
  snapshot: ContentSnapshot,
  urls: Urls,
  options: { summaries: boolean },
): SafeHtml {
  const lang = doc.language;
  if (doc.entries.length === 0) return html`<p>${strings(lang).nothing}</p>`;
  const offsets = writtenOffsets(snapshot, urls, lang);
  const item = (e: FeedEntry) => {
    const attrs = e.language && e.language !== lang ? html` hreflang="${e.language}"${langAttrs(e.language, lang)}` : '';
    return html`<li><a href="${e.url}"${attrs}>${e.title}</a><br><small>${dateHtml(e.published, lang, offsets.get(e.url) ?? 0)}${
      e.source ? html` · ${isolate(e.source.title, lang)}` : ''
    }</small>${options.summaries && e.summary ? html`<p${attrs}>${e.summary}</p>` : ''}</li>`;
  };
  return html`<ul class="items">${doc.entries.map(item)}</ul>`;
}

export function feedViewPage(snapshot: ContentSnapshot, urls: Urls, doc: FeedDoc, format: Format): string {
  const lang = doc.language;
  const s = strings(lang);
  const formats = doc.alternates.filter((a) => a.hreflang === lang);
  const languages = doc.alternates.filter((a) => a.hreflang !== null && a.hreflang !== lang);
  const main = html`<p class="muted">${FORMAT_LABELS[format]}</p>
<h1>${doc.title}</h1>
<p>${doc.description}</p>
<section class="box" aria-labelledby="what">
<p id="what">${s.feedIntro}</p>
<label for="address">${s.feedAddress}</label>
<div class="address"><input id="address" type="url" readonly value="${doc.selfUrl}"> ${copyButton(doc.selfUrl, lang)}</div>
</section>
<p>${fill(s.feedWebPage, { page: html`<a href="${doc.htmlUrl}">${doc.htmlUrl}</a>` })}</p>
<nav class="formats" aria-label="${s.otherFormats}">${s.otherFormats}: ${formats.map(
    (a, i) => html`${i ? ' · ' : ''}<a href="${a.href}" type="${a.type}">${FORMAT_LABELS[formatOf(a.type)]}</a>`,
  )}</nav>
${
  languages.length > 0
    ? html`<nav class="formats" aria-label="${s.otherLanguages}">${s.otherLanguages}: ${languages.map(
        (a, i) =>
          html`${i ? ' · ' : ''}<a href="${a.href}" hreflang="${a.hreflang}"${langAttrs(a.hreflang!, lang)}>${a.title ?? a.href} (${languageName(a.hreflang!, a.hreflang!)})</a>`,
      )}</nav>`
    : ''
}
<h2>${s.latest}</h2>
${entryListHtml(doc, snapshot, urls, { summaries: true })}`;
  return layout({
    lang,
    title: `${doc.title} (${FORMAT_LABELS[format]})`,
    canonical: null,
    noindex: true,
    head: [html`<link rel="alternate" type="${MEDIA_TYPES[format]}" title="${doc.title}" href="${doc.selfUrl}">\n`],
    main,
  });
}

function formatOf(mediaType: string): Format {
  const found = (Object.keys(MEDIA_TYPES) as Format[]).find((f) => MEDIA_TYPES[f] === mediaType);
  if (!found) throw new Error(`no feed format has media type ${mediaType}`);
  return found;
}
