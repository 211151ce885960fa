/**
 * Characters XML 1.0 cannot carry at all (C0 controls other than tab/newline/return, lone surrogates,
 * U+FFFE/U+FFFF). No escaping can represent them, so they are dropped before any text reaches a feed.
 */
const INVALID_XML_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function stripInvalidXmlChars(text: string): string {
  return text.replace(INVALID_XML_CHARS, '');
}
