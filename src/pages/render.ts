import type { Article, ContentSnapshot, Language } from '../content/model.ts';
import { categoryLabel, scopeTitle, type RelatedItem, type RelatedReader, RELATED_PER_ARTICLE } from '../feeds/build.ts';
import { FORMAT_LABELS, FORMATS, MEDIA_TYPES, scopes, type Format, type Scope, type Urls } from '../feeds/catalog.ts';
import { creditHtml, dateHtml as date, isolate, itemLinkHtml, langAttrs, otherLanguagesHtml, relatedListHtml } from '../html/fragments.ts';
import { html, trusted, type SafeHtml } from '../html/html.ts';
import { direction, fill, languageName, strings } from '../i18n/strings.ts';
import { embedSnippets } from './embed.ts';
import { layout, subscribeLink } from './layout.ts';

/**
 * Simple, accessible HTML pages: one per article and language, one per language, category and related
 * list, and the index of every feed. Each page links its feeds for autodiscovery.
 */

function feedLinks(snapshot: ContentSnapshot, urls: Urls, lang: Language, scope: Scope): SafeHtml[] {
  return FORMATS.map(
    (format) =>
      html`<link rel="alternate" type="${MEDIA_TYPES[format]}" title="${scopeTitle(snapshot, lang, scope)} (${FORMAT_LABELS[format]})" href="${urls.feed({ language: lang, scope, format })}">\n`,
  );
}

/** The format a "subscribe" button copies: RSS 2.0, the one every reader takes. */
const SUBSCRIBE_FORMAT: Format = 'rss';

/** A subscribe button for a scope's feed, then a link to each of its formats. */
function feedControls(urls: Urls, lang: Language, scope: Scope): SafeHtml {
  return html`${subscribeLink(urls.feed({ language: lang, scope, format: SUBSCRIBE_FORMAT }), lang)} ${FORMATS.map(
    (format, i) => html`${i ? ' · ' : ''}<a href="${urls.feed({ language: lang, scope, format })}" type="${MEDIA_TYPES[format]}">${FORMAT_LABELS[format]}</a>`,
  )}`;
}

function articleList(urls: Urls, lang: Language, articles: readonly Article[]): SafeHtml {
  const s = strings(lang);
  const items = articles.filter((a) => a.translations.has(lang));
  if (items.length === 0) return html`<p>${s.nothing}</p>`;
  return html`<ul class="items">${items.map((a) => {
    const t = a.translations.get(lang)!;
    return html`<li><a href="${urls.article(lang, a.slug)}">${t.title}</a> <small>${date(t.published, lang, t.publishedUtcOffset)}</small></li>`;
  })}</ul>`;
}

export function articlePage(snapshot: ContentSnapshot, urls: Urls, related: RelatedReader, article: Article, lang: Language): string {
  const t = article.translations.get(lang)!;
  const s = strings(lang);
  const rel = related.relatedForArticle(article.id, RELATED_PER_ARTICLE);
  const readAlso = snapshot.site.languages.find((l) => l.code === lang)!.readAlso;
  const main = html`<p><a href="${urls.language(lang)}">${snapshot.site.languages.find((l) => l.code === lang)!.title}</a></p>
<article>
<h1>${t.title}</h1>
<p class="meta">${s.by} ${t.authors.map((a, i) => html`${i ? s.comma : ''}${isolate(a.name, lang)}`)} · ${s.published} ${date(t.published, lang, t.publishedUtcOffset)}${
    t.updated.getTime() !== t.published.getTime() ? html` · ${s.updated} ${date(t.updated, lang, t.updatedUtcOffset)}` : ''
  }</p>
<p class="meta">${article.categories.map(
    (c, i) => html`${i ? s.comma : ''}<a href="${urls.scopePage(lang, { kind: 'category', slug: c })}">${categoryLabel(snapshot, c, lang)}</a>`,
  )}</p>
${otherLanguagesHtml(article, lang, (other) => urls.article(other, article.slug))}
${trusted(t.bodyHtml())}
${creditHtml(article, t, urls.article(article.originalLanguage, article.slug))}
</article>
${relatedListHtml(rel, readAlso, lang)}
<p class="scope">${snapshot.site.languages.find((l) => l.code === lang)!.title}: ${feedControls(urls, lang, { kind: 'site' })}</p>`;
  return layout({
    lang,
    title: t.title,
    canonical: urls.article(lang, article.slug),
    head: [
      ...[...article.translations.values()].map(
        (o) => html`<link rel="alternate" hreflang="${o.language}" href="${urls.article(o.language, article.slug)}">\n`,
      ),
      ...feedLinks(snapshot, urls, lang, { kind: 'site' }),
    ],
    main,
  });
}

/** The articles a language or category page lists, newest first, in that language. */
export function scopeArticles(snapshot: ContentSnapshot, lang: Language, scope: Scope): Article[] {
  return snapshot.articles.filter(
    (a) => a.translations.has(lang) && (scope.kind !== 'category' || a.categories.includes(scope.slug)),
  );
}

/** How many articles a page lists; older ones are on `?page=2` and on. */
export const PAGE_SIZE = 50;

export function scopePage(
  snapshot: ContentSnapshot,
  urls: Urls,
  related: RelatedReader,
  lang: Language,
  scope: Scope,
  page = 1,
): string {
  const s = strings(lang);
  const title = scopeTitle(snapshot, lang, scope);
  let body: SafeHtml;
  if (scope.kind === 'related') {
    body = relatedItemsList(related.relatedItems(snapshot.site.feedItemLimit), lang);
  } else {
    const all = scopeArticles(snapshot, lang, scope);
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    const here = urls.scopePage(lang, scope);
    const pageUrl = (n: number) => (n === 1 ? here : `${here}?page=${n}`);
    body = html`${articleList(urls, lang, all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE))}${
      pages > 1
        ? html`<nav aria-label="${s.pages}"><p>${page > 1 ? html`<a rel="prev" href="${pageUrl(page - 1)}">${fill(s.previousPage, { page: String(page - 1) })}</a> ` : ''}${page} / ${pages}${
            page < pages ? html` <a rel="next" href="${pageUrl(page + 1)}">${fill(s.nextPage, { page: String(page + 1) })}</a>` : ''
          }</p></nav>`
        : ''
    }`;
  }
  const nav =
    scope.kind === 'site'
      ? html`<h2>${s.categories}</h2><ul>${snapshot.site.categories.map(
          (c) => html`<li><a href="${urls.scopePage(lang, { kind: 'category', slug: c.slug })}">${c.label[lang] ?? c.slug}</a></li>`,
        )}<li><a href="${urls.scopePage(lang, { kind: 'related' })}">${s.related}</a></li></ul>`
      : html`<p><a href="${urls.language(lang)}">${snapshot.site.languages.find((l) => l.code === lang)!.title}</a></p>`;
  const main = html`<h1>${title}</h1>
<p class="scope">${feedControls(urls, lang, scope)}</p>
${body}
<h2>${s.feeds}</h2>
<p class="scope">${feedControls(urls, lang, scope)}</p>
${nav}
<p><a href="${urls.home()}">${s.allFeeds}</a></p>`;
  return layout({
    lang,
    title,
    canonical: urls.scopePage(lang, scope),
    head: [
      ...snapshot.site.languages.map((l) => html`<link rel="alternate" hreflang="${l.code}" href="${urls.scopePage(l.code, scope)}">\n`),
      ...feedLinks(snapshot, urls, lang, scope),
    ],
    main,
  });
}

function relatedItemsList(items: readonly RelatedItem[], lang: Language): SafeHtml {
  if (items.length === 0) return html`<p>${strings(lang).nothing}</p>`;
  return html`<ul>${items.map(
    (i) =>
      html`<li>${i.url ? itemLinkHtml({ ...i, url: i.url }, lang) : i.title} <small>(${isolate(i.sourceName, lang)}, ${date(i.publishedAt, lang)})</small></li>`,
  )}</ul>`;
}

/** `/`: every feed, by language and scope, with autodiscovery links to each language's main feeds. */
export function indexPage(snapshot: ContentSnapshot, urls: Urls): string {
  const def = snapshot.site.defaultLanguage;
  const sections = snapshot.site.languages.map((l) => {
    const s = strings(l.code);
    return html`<section${langAttrs(l.code, def)}>
<h2><a href="${urls.language(l.code)}">${l.title}</a> (${languageName(l.code, l.code)})</h2>
<p>${l.description}</p>
<ul class="items">${scopes(snapshot).map(
      (scope) =>
        html`<li class="scope">${scope.kind === 'site' ? s.whole : scope.kind === 'related' ? l.readAlso : categoryLabel(snapshot, scope.slug, l.code)}: ${feedControls(urls, l.code, scope)}</li>`,
    )}</ul>
</section>`;
  });
  // Each title in its own language; one written the other way round is laid out on its own.
  const heading = snapshot.site.languages.map(
    (l, i) => html`${i ? ' · ' : ''}${direction(l.code) === direction(def) ? l.title : html`<span${langAttrs(l.code, def)}>${l.title}</span>`}`,
  );
  const main = html`<h1>${heading}</h1>
${sections}
<p><a href="${urls.opml()}" type="text/x-opml">${strings(def).opml}</a></p>
${embedSnippets(snapshot, urls)}`;
  return layout({
    lang: def,
    title: snapshot.site.languages.map((l) => l.title).join(' · '),
    canonical: urls.home(),
    head: snapshot.site.languages.flatMap((l) => feedLinks(snapshot, urls, l.code, { kind: 'site' })),
    main,
  });
}
