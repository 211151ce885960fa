import type { IncomingHttpHeaders } from 'node:http';

/*
 * A feed opened in a browser. Readers must get the feed's bytes exactly, and Chromium is removing XSLT (version 156
 * paints a deprecation banner over any page an <?xml-stylesheet?> transforms), so the page a person sees is not made
 * from the feed in the browser: it is another representation of the feed's URL, chosen by content negotiation on
 * the Fetch Metadata header browsers send with a navigation, `Sec-Fetch-Dest: document`. Feed readers do not send
 * it (nor do fetch() calls, whose destination is "empty"), so they get the feed, with its own ETag, through the fast
 * path at the cost of one header read. README ("A feed opened in a browser") weighs the alternatives.
 *
 * Both representations carry `Vary: Accept-Encoding, Sec-Fetch-Dest`. Caches that honour Vary (browsers, Varnish,
 * Fastly, nginx) keep them apart; readers all send no Sec-Fetch-Dest, so for them the Vary splits nothing. A cache
 * that ignores Vary on it (several CDNs key on URL and Accept-Encoding only) must never hand the HTML to a reader,
 * so the view is `Cache-Control: private`: shared caches do not store it at all, and the worst such a CDN can do is
 * serve a browser the feed itself, as before.
 */

/** The Vary of a feed that has a browser view, and of the view. */
export const BROWSER_VIEW_VARY = 'Accept-Encoding, Sec-Fetch-Dest';

/** Browsers may keep the view as long as the feed's freshness; shared caches may not keep it. */
export const BROWSER_VIEW_CACHE = 'private, max-age=300';

/** A top-level navigation by a browser: a person opening the URL (link, address bar, bookmark). */
export function wantsBrowserView(headers: IncomingHttpHeaders): boolean {
  return headers['sec-fetch-dest'] === 'document';
}

/** The cache key of a feed's browser view: the feed's key and a suffix no request target can have (a space). */
export function browserViewKey(feedKey: string): string {
  return `${feedKey} view`;
}
