/** One link of an HTTP `Link` header (RFC 8288), its target resolved against the response's URL. */
export interface HeaderLink {
  href: string;
  /** Relation types, lower-cased (`rel="hub self"` is two). */
  rels: string[];
}

/**
 * Reads `Link` header values (one or several headers, each a comma-separated list):
 * `<https://hub.example/>; rel="hub", </feed>; rel=self`. A link whose target is not a URL is skipped.
 */
export function parseLinkHeader(values: readonly string[], base: string): HeaderLink[] {
  const links: HeaderLink[] = [];
  for (const value of values) {
    // <target> then parameters up to the next link; a comma inside <...> or a quoted string does not split.
    const re = /<([^>]*)>((?:\s*;\s*[^;,=\s]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,]*))?)*)/g;
    for (let m = re.exec(value); m; m = re.exec(value)) {
      let href: string;
      try {
        href = new URL(m[1]!.trim(), base).href;
      } catch {
        continue;
      }
      const params = /;\s*rel\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,]*))/i.exec(m[2] ?? '');
      const rel = (params?.[1] ?? params?.[2] ?? '').trim().toLowerCase();
      links.push({ href, rels: rel ? rel.split(/\s+/) : [] });
    }
  }
  return links;
}
