import Negotiator from 'negotiator';
import type { Site } from '../content/model.ts';
import type { Format } from '../feeds/catalog.ts';

/*
 * `/feed.rss`, `/feed.atom`, `/feed.json`: the feed of the whole site in the language the client prefers
 * (Accept-Language), else the default language. Answered with a redirect to that language's feed, so a reader
 * subscribes to a URL whose bytes never depend on a header.
 */

const FEED_WITHOUT_LANGUAGE = /^\/feed\.(rss|atom|json)$/;

/** The format of a language-less feed path, or null when the path is not one. */
export function feedWithoutLanguage(pathname: string): Format | null {
  const m = FEED_WITHOUT_LANGUAGE.exec(pathname);
  return m ? (m[1] as Format) : null;
}

/** The site's language that best matches Accept-Language (q-values, `en-US` taking `en`), else the default. */
export function bestLanguage(acceptLanguage: string | undefined, site: Site): string {
  // Offered default first: on a tie (`*`, or no header) it wins.
  const offered = [site.defaultLanguage, ...site.languages.map((l) => l.code).filter((c) => c !== site.defaultLanguage)];
  const negotiator = new Negotiator({ headers: { 'accept-language': acceptLanguage } });
  return negotiator.language(offered) ?? site.defaultLanguage;
}

/** The redirect's headers: it differs by Accept-Language, so only the browser or reader that asked may keep it. */
export const LANGUAGE_REDIRECT_HEADERS: Readonly<Record<string, string>> = {
  vary: 'Accept-Language',
  'cache-control': 'private, max-age=300',
  'access-control-allow-origin': '*',
};
