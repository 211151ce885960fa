import type { ContentSnapshot } from '../content/model.ts';
import { categoryLabel, contentUpdated, scopeTitle } from './build.ts';
import { FORMAT_LABELS, FORMATS, scopes, type Urls } from './catalog.ts';
import { XmlWriter } from './xml.ts';

/** The OPML spec knows version values for RSS only; Atom and JSON Feed outlines carry none. */
const OPML_VERSIONS = { rss: 'RSS2', atom: null, json: null } as const;

/**
 * OPML 2.0: every feed we publish, grouped by language, each outline with xmlUrl, htmlUrl, type and language.
 * `dateModified` is the newest date of the content the listed feeds show, not the time of loading, so a
 * restart with unchanged content gives the same bytes (and keeps the ETag and Last-Modified).
 */
export function renderOpml(snapshot: ContentSnapshot, urls: Urls): string {
  const updated = contentUpdated(snapshot);
  const w = new XmlWriter();
  w.start('opml', { version: '2.0' });
  w.start('head');
  w.element('title', {}, snapshot.site.languages.map((l) => l.title).join(' · '));
  w.element('dateModified', {}, updated.toUTCString());
  w.end();
  w.start('body');
  for (const l of snapshot.site.languages) {
    w.start('outline', { text: l.title });
    for (const scope of scopes(snapshot)) {
      const name = scope.kind === 'category' ? categoryLabel(snapshot, scope.slug, l.code) : scopeTitle(snapshot, l.code, scope);
      for (const format of FORMATS) {
        const title = `${scopeTitle(snapshot, l.code, scope)} (${FORMAT_LABELS[format]})`;
        w.element('outline', {
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
    w.end();
  }
  w.end();
  w.end();
  return w.toString();
}
