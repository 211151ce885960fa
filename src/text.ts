/**
 * Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline/return, lone surrogates,
 * U+FFFE/U+FFFF). No escaping can represent them, so they are dropped before any text reaches a feed.
 */
const INVALID_XML_CHARS =
  // eslint-disable-next-line no-control-regex -- matching the C0 controls XML 1.0 forbids is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A cheap test for anything the full pattern might remove (surrogates included, paired or not). */
// eslint-disable-next-line no-control-regex -- the C0 controls XML 1.0 forbids, as above
const SUSPECT = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;

export function stripInvalidXmlChars(text: string): string {
  // Most text has none of these; the full pattern with its look-arounds is slow on long HTML bodies.
  return SUSPECT.test(text) ? text.replace(INVALID_XML_CHARS, '') : text;
}
