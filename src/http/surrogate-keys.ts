import type { Language } from '../content/model.ts';
import type { Format, Scope } from '../feeds/catalog.ts';

/*
 * Surrogate keys (Fastly `Surrogate-Key`, Varnish xkey, Akamai cache tags): names for what a response shows,
 * space-separated in one header, so a CDN in front of the replicas can purge exactly the responses a change
 * touched. Each resource carries keys from broad to narrow; the last is its own (every `?limit=N` or `?page=N`
 * variant shares it), and that one is what PURGE_WEBHOOK receives when the resource's bytes change
 * (src/cdn/purge.ts). The broad ones are for people: purge `lang:en` after editing the English labels in
 * site.yaml, `atom` after a deploy that changed the Atom renderer, `all` after anything else. README
 * ("Surrogate keys") has the table.
 *
 * Keys are built once per representation (with its other headers), never per request.
 */

/** Every feed, page, embed and OPML document carries it. */
export const ALL = 'all';

/** A scope as it appears in keys: `site`, `cat:{slug}`, `related`. */
function scopeKey(scope: Scope): string {
  return scope.kind === 'category' ? `cat:${scope.slug}` : scope.kind;
}

/** A feed document: `id:cat:rusia:atom` is its own key. */
export function feedKeys(language: Language, scope: Scope, format: Format): string[] {
  const s = scopeKey(scope);
  return [ALL, 'feeds', format, `lang:${language}`, s, `${language}:${s}`, `${language}:${s}:${format}`];
}

/** An archive document (RFC 5005) of one month, current or versioned: `id:site:atom:2020-11` is its own key. */
export function archiveKeys(language: Language, scope: Scope, format: Format, month: string): string[] {
  const s = scopeKey(scope);
  return [ALL, 'feeds', format, `lang:${language}`, s, `${language}:${s}`, `${language}:${s}:${format}:${month}`];
}

/** A scope's HTML page (all its `?page=N`): `id:cat:rusia:page`. */
export function scopePageKeys(language: Language, scope: Scope): string[] {
  const s = scopeKey(scope);
  return [ALL, 'pages', `lang:${language}`, s, `${language}:${s}`, `${language}:${s}:page`];
}

/** A scope's iframe embed (all its `?limit=N`): `id:cat:rusia:embed`. */
export function embedKeys(language: Language, scope: Scope): string[] {
  const s = scopeKey(scope);
  return [ALL, 'pages', `lang:${language}`, s, `${language}:${s}`, `${language}:${s}:embed`];
}

/** One translation of an article: `id:article:{slug}`; `article:{slug}` names every translation. */
export function articleKeys(language: Language, slug: string): string[] {
  return [ALL, 'pages', `lang:${language}`, `article:${slug}`, `${language}:article:${slug}`];
}

/** The index of languages (`/`), the OPML list and the embed script: one resource each, in no language. */
export const HOME_KEYS: readonly string[] = [ALL, 'pages', 'home'];
export const OPML_KEYS: readonly string[] = [ALL, 'feeds', 'opml'];
export const EMBED_SCRIPT_KEYS: readonly string[] = [ALL, 'pages', 'embed.js'];
