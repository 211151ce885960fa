import type { Language } from '../content/model.ts';
import { html, trusted, type SafeHtml } from '../html/html.ts';
import { direction, strings } from '../i18n/strings.ts';
import { COPY_SCRIPT, STYLE } from './style.ts';

/*
 * The frame every HTML page shares (index, language, category, related and article pages, a feed opened in a
 * browser, the iframe embed), and the copy and subscribe controls they show.
 */

/** A feed icon, inline: browsers ask for /favicon.ico otherwise, which we do not have (a 404 in every console). */
const ICON =
  "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><rect width='16' height='16' rx='3' fill='%23e8710a'/><circle cx='4.5' cy='11.5' r='1.5' fill='%23fff'/><path d='M3 7.5A5.5 5.5 0 0 1 8.5 13M3 3.5A9.5 9.5 0 0 1 12.5 13' stroke='%23fff' stroke-width='2' fill='none'/></svg>";

export interface PageParts {
  lang: Language;
  title: string;
  /** The page's canonical URL; null for a page that is another view of a resource (a feed in a browser). */
  canonical: string | null;
  /** Extra <link> and <meta> elements: translations, feeds. */
  head: SafeHtml[];
  main: SafeHtml;
  /** Search engines should not list it (a feed's browser view, an embed): the pages it links are the ones to list. */
  noindex?: boolean;
  /** Links open outside the page (the iframe embed, inside a partner's page). */
  linksOutside?: boolean;
}

export function layout(p: PageParts): string {
  return html`<!DOCTYPE html>
<html lang="${p.lang}"${direction(p.lang) === 'rtl' ? html` dir="rtl"` : ''}>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<link rel="icon" href="${ICON}">
<title>${p.title}</title>
${p.canonical === null ? '' : html`<link rel="canonical" href="${p.canonical}">\n`}${p.noindex ? html`<meta name="robots" content="noindex">\n` : ''}${
    p.linksOutside ? html`<base target="_blank">\n` : ''
  }${p.head}
<style>${trusted(STYLE)}</style>
</head>
<body>
<main>
${p.main}
</main>
<script>${trusted(COPY_SCRIPT)}</script>
</body>
</html>
`.value;
}

/**
 * A "subscribe" control for a feed: a link to the feed that, with the page's script, copies its address instead of
 * following it (without the script, the feed opens in the browser, where its page shows the address to copy).
 */
export function subscribeLink(feedUrl: string, lang: Language): SafeHtml {
  const s = strings(lang);
  return html`<a class="button subscribe" href="${feedUrl}" data-copy="${feedUrl}" data-copied="${s.copied}" title="${s.subscribeHint}" aria-live="polite">${s.subscribe}</a>`;
}

/** A button that copies `text`; hidden until the page's script shows it, so it never shows without one. */
export function copyButton(text: string, lang: Language): SafeHtml {
  const s = strings(lang);
  return html`<button type="button" data-copy="${text}" data-copied="${s.copied}" aria-live="polite" hidden>${s.copy}</button>`;
}
