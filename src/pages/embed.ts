import type { ContentSnapshot, Language } from '../content/model.ts';
import { buildFeed, scopeTitle, type RelatedReader } from '../feeds/build.ts';
import type { Scope, Urls } from '../feeds/catalog.ts';
import { html, type SafeHtml } from '../html/html.ts';
import { direction, fill, strings } from '../i18n/strings.ts';
import { entryListHtml } from './feed-view.ts';
import { copyButton, layout } from './layout.ts';

/*
 * Our headlines on partner sites: `/embed.js`, a small script without dependencies that reads a JSON Feed through
 * CORS and writes the latest headlines into the partner's page, and `/embed/{lang}/...`, the same as a page for an
 * <iframe>, for sites that allow no scripts. Both carry our credit and link every headline to its page here.
 */

/** How many headlines an embed shows unless told (`data-limit`, `?limit=`). */
export const EMBED_DEFAULT_LIMIT = 5;

/** `/embed/{lang}/...`: the latest headlines of a scope, compact, links opening outside the frame. */
export function embedPage(snapshot: ContentSnapshot, urls: Urls, related: RelatedReader, lang: Language, scope: Scope, limit: number): string {
  const doc = buildFeed(snapshot, { language: lang, scope, format: 'json' }, urls, related, limit);
  const title = scopeTitle(snapshot, lang, scope);
  const main = html`${entryListHtml(doc, snapshot, urls, { summaries: false })}
<p class="credit">${fill(strings(lang).embedCredit, { site: html`<a href="${urls.scopePage(lang, scope)}">${title}</a>` })}</p>`;
  return layout({
    lang,
    title,
    canonical: null,
    noindex: true,
    linksOutside: true,
    // Inside someone else's page: no page margins of our own, and the partner's width.
    head: [html`<style>body{max-width:none;padding:.25rem .5rem}ul.items{margin:0}ul.items>li{padding:.4rem 0}</style>\n`],
    main,
  });
}

/** The index's section for partners: both snippets, ready to copy. */
export function embedSnippets(snapshot: ContentSnapshot, urls: Urls): SafeHtml {
  const lang = snapshot.site.defaultLanguage;
  const s = strings(lang);
  const script = `<div data-kabar-headlines="${lang}" data-limit="${EMBED_DEFAULT_LIMIT}"></div>\n<script src="${urls.embedScript()}" async></script>`;
  const iframe = `<iframe src="${urls.embed(lang, { kind: 'site' })}?limit=${EMBED_DEFAULT_LIMIT}" title="${scopeTitle(snapshot, lang, { kind: 'site' })}" width="100%" height="360" style="border:0" loading="lazy"></iframe>`;
  return html`<section id="embed">
<h2>${s.embedHeading}</h2>
<p>${s.embedIntro}</p>
<p>${fill(s.embedScript, { max: String(snapshot.site.feedItemLimit) })}</p>
<pre><code>${script}</code></pre>
<p>${copyButton(script, lang)}</p>
<p>${s.embedIframe}</p>
<pre><code>${iframe}</code></pre>
<p>${copyButton(iframe, lang)}</p>
</section>`;
}

/**
 * `/embed.js`. Rendered with the site's languages, their words and BASE_URL, so it needs nothing else from us than
 * the JSON Feed it reads. Each `[data-kabar-headlines]` element (its value a language; optional `data-category` and
 * `data-limit`) gets a list; what it held before (a plain link, for readers without scripts) stays if the feed cannot
 * be read, and the reason goes to the console as a warning. Every text goes in as text (textContent), and only
 * http(s) links are written.
 */
export function embedScript(snapshot: ContentSnapshot, urls: Urls): string {
  const languages = Object.fromEntries(
    snapshot.site.languages.map((l) => [l.code, { credit: strings(l.code).embedCredit, dir: direction(l.code) }]),
  );
  const config = JSON.stringify({
    base: urls.base,
    defaultLanguage: snapshot.site.defaultLanguage,
    max: snapshot.site.feedItemLimit,
    limit: EMBED_DEFAULT_LIMIT,
    languages,
  });
  return `/* kabar-feeds: our latest headlines in your page. Usage: ${urls.home()}#embed */
(function () {
  'use strict';
  var C = ${config.replace(/</g, '\\u003c')};
  var STYLE = ':where(.kabar-headlines) ul{list-style:none;margin:0;padding:0}:where(.kabar-headlines) li{margin:0 0 .5em}:where(.kabar-headlines) time{display:block;font-size:.85em;opacity:.75}:where(.kabar-headlines) .kabar-credit{font-size:.85em;margin:.5em 0 0}';
  function web(u) {
    try { var p = new URL(u).protocol; return p === 'https:' || p === 'http:' ? u : null; } catch (e) { return null; }
  }
  function el(name, text) { var e = document.createElement(name); if (text) e.textContent = text; return e; }
  function link(href, text) { var a = el('a', text); a.href = href; return a; }
  function style() {
    if (document.getElementById('kabar-headlines-style')) return;
    var s = el('style', STYLE); s.id = 'kabar-headlines-style'; document.head.appendChild(s);
  }
  function render(box, feed, lang) {
    var words = C.languages[lang];
    var date;
    try { date = new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }); } catch (e) { date = null; }
    var list = el('ul');
    (feed.items || []).forEach(function (item) {
      var href = web(item.url);
      if (!href || typeof item.title !== 'string') return;
      var li = el('li');
      li.appendChild(link(href, item.title));
      var d = new Date(item.date_published);
      if (date && !isNaN(d.getTime())) { var t = el('time', date.format(d)); t.dateTime = d.toISOString(); li.appendChild(t); }
      list.appendChild(li);
    });
    var credit = el('p'); credit.className = 'kabar-credit';
    var parts = words.credit.split('{site}');
    credit.appendChild(document.createTextNode(parts[0]));
    credit.appendChild(link(web(feed.home_page_url) || C.base + '/', feed.title || C.base));
    credit.appendChild(document.createTextNode(parts.slice(1).join('{site}')));
    box.classList.add('kabar-headlines');
    box.lang = lang;
    box.dir = words.dir;
    box.replaceChildren(list, credit);
  }
  function load(box) {
    var lang = box.getAttribute('data-kabar-headlines') || C.defaultLanguage;
    if (!Object.prototype.hasOwnProperty.call(C.languages, lang)) {
      console.warn('kabar-feeds embed: no headlines in language "' + lang + '" (offered: ' + Object.keys(C.languages).join(', ') + ')');
      return;
    }
    var category = box.getAttribute('data-category');
    if (category && !/^[a-z0-9-]+$/.test(category)) {
      console.warn('kabar-feeds embed: data-category must be a category slug, got "' + category + '"');
      return;
    }
    var n = parseInt(box.getAttribute('data-limit') || '', 10);
    n = isNaN(n) ? C.limit : Math.min(Math.max(n, 1), C.max);
    var url = C.base + '/' + lang + '/' + (category ? 'categories/' + category + '/' : '') + 'feed.json?limit=' + n;
    fetch(url, { mode: 'cors', credentials: 'omit' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (feed) { style(); render(box, feed, lang); })
      .catch(function (e) { console.warn('kabar-feeds embed: could not read ' + url + ': ' + e.message); });
  }
  function run() {
    document.querySelectorAll('[data-kabar-headlines]').forEach(function (box) {
      if (box.hasAttribute('data-kabar-loaded')) return;
      box.setAttribute('data-kabar-loaded', '');
      load(box);
    });
  }
  // For pages that add the element later: window.kabarHeadlines() fills the new ones.
  window.kabarHeadlines = run;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', run);
  else run();
})();
`;
}
