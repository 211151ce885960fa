import { DOMImplementation } from '@xmldom/xmldom';
import type { ContentSnapshot } from '../content/model.ts';
import { categoryLabel, scopeTitle } from './build.ts';
import { FORMAT_LABELS, FORMATS, scopes, type Urls } from './catalog.ts';
import { append, serializeXml } from './xml.ts';

/** The OPML spec knows version values for RSS only; Atom and JSON Feed outlines carry none. */
const OPML_VERSIONS = { rss: 'RSS2', atom: null, json: null } as const;

/** OPML 2.0: every feed we publish, grouped by language, each outline with xmlUrl, htmlUrl, type and language. */
export function renderOpml(snapshot: ContentSnapshot, urls: Urls, updated: Date): string {
  const doc = new DOMImplementation().createDocument(null, 'opml', null);
  const opml = doc.documentElement!;
  opml.setAttribute('version', '2.0');
  const head = append(opml, null, 'head');
  append(head, null, 'title', {}, snapshot.site.languages.map((l) => l.title).join(' · '));
  append(head, null, 'dateModified', {}, updated.toUTCString());
  const body = append(opml, null, 'body');
  for (const l of snapshot.site.languages) {
    const group = append(body, null, 'outline', { text: l.title });
    for (const scope of scopes(snapshot)) {
      const name = scope.kind === 'category' ? categoryLabel(snapshot, scope.slug, l.code) : scopeTitle(snapshot, l.code, scope);
      for (const format of FORMATS) {
        const title = `${scopeTitle(snapshot, l.code, scope)} (${FORMAT_LABELS[format]})`;
        append(group, null, 'outline', {
          // OPML readers subscribe to type="rss" outlines whatever the feed format; `version` tells it.
          type: 'rss',
          version: OPML_VERSIONS[format],
          text: scope.kind === 'site' ? title : `${name} (${FORMAT_LABELS[format]})`,
          title,
          xmlUrl: urls.feed({ language: l.code, scope, format }),
          htmlUrl: urls.scopePage(l.code, scope),
          language: l.code,
        });
      }
    }
  }
  return serializeXml(doc as never);
}
