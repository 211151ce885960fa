import iconv from 'iconv-lite';

/**
 * Which character set a feed is in, by the order XML and HTTP agree on: a byte-order mark wins, then the
 * Content-Type charset, then the XML declaration, else UTF-8.
 */
export function detectCharset(bytes: Uint8Array, contentType: string | null): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  const fromHeader = contentType ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1] : undefined;
  if (fromHeader && iconv.encodingExists(fromHeader)) return fromHeader.toLowerCase();
  // The declaration is ASCII in every encoding we accept, so reading the head as latin1 is safe.
  const head = Buffer.from(bytes.subarray(0, 512)).toString('latin1');
  const fromDecl = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head)?.[1];
  if (fromDecl && iconv.encodingExists(fromDecl)) return fromDecl.toLowerCase();
  return 'utf-8';
}

/** Decodes a feed body to text (BOM removed); legacy charsets through iconv-lite (TextDecoder's are broken on Node 20.20). */
export function decodeBody(bytes: Uint8Array, contentType: string | null): { text: string; charset: string } {
  const charset = detectCharset(bytes, contentType);
  const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), charset, { stripBOM: true });
  return { text, charset };
}
