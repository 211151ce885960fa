import iconv from 'iconv-lite';

/** Labels of encodings whose `<` is not the byte 0x3C: only believable when the bytes look like it. */
const WIDE = /^(?:utf-?16(?:le|be)?|ucs-?2|utf-?32(?:le|be)?|ucs-?4)$/i;

/**
 * The encoding the first bytes show, per XML 1.0 Appendix F: a byte-order mark, or, without one, the
 * pattern of `<` (`<?xml` or the root element) in UTF-16: `00 3C 00 ..` big-endian, `3C 00 .. 00` little-endian.
 */
function sniff(bytes: Uint8Array): string | null {
  const [a, b, c, d] = bytes;
  if (a === 0xef && b === 0xbb && c === 0xbf) return 'utf-8';
  if (a === 0xff && b === 0xfe) return 'utf-16le';
  if (a === 0xfe && b === 0xff) return 'utf-16be';
  if (a === 0x00 && b === 0x3c && c === 0x00 && d !== 0x00) return 'utf-16be';
  if (a === 0x3c && b === 0x00 && c !== 0x00 && d === 0x00) return 'utf-16le';
  // Whitespace before the `<` (seen): "\n" or " " as one 16-bit unit.
  if (a === 0x00 && (b === 0x0a || b === 0x20 || b === 0x0d || b === 0x09) && c === 0x00) return 'utf-16be';
  if ((a === 0x0a || a === 0x20 || a === 0x0d || a === 0x09) && b === 0x00 && d === 0x00) return 'utf-16le';
  return null;
}

/** A usable charset label, or null: unknown to iconv-lite, or a 16/32-bit one for bytes that are not (a common lie). */
function usable(label: string | undefined): string | null {
  if (!label || !iconv.encodingExists(label) || WIDE.test(label)) return null;
  return label.toLowerCase();
}

/**
 * Which character set a feed is in, by the order XML and HTTP agree on: what the first bytes show (a
 * byte-order mark, or UTF-16 without one), then the Content-Type charset, then the XML declaration, else UTF-8.
 * A UTF-16 label on bytes that are not UTF-16 is ignored (the file was converted, its declaration not).
 */
export function detectCharset(bytes: Uint8Array, contentType: string | null): string {
  const sniffed = sniff(bytes);
  if (sniffed) return sniffed;
  const fromHeader = usable(contentType ? /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType)?.[1] : undefined);
  if (fromHeader) return fromHeader;
  return declared(bytes) ?? 'utf-8';
}

/** The encoding the XML declaration names. It is ASCII in every encoding we read as 8-bit, so reading the head as latin1 is safe. */
function declared(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('latin1');
  return usable(/^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']/.exec(head)?.[1]);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a feed body to text (BOM removed); legacy charsets through iconv-lite (TextDecoder's are broken on
 * Node 20.20). A body that nothing labels and that is not valid UTF-8 is read as windows-1252, as browsers and
 * Python's feedparser do: such feeds are nearly always Latin-1 files served without a charset.
 */
export function decodeBody(bytes: Uint8Array, contentType: string | null): { text: string; charset: string } {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const charset = detectCharset(bytes, contentType);
  const text = iconv.decode(buffer, charset, { stripBOM: true });
  if (charset === 'utf-8' && text.includes('\ufffd') && !sniff(bytes) && !labelled(bytes, contentType)) {
    try {
      strictUtf8.decode(buffer);
    } catch {
      return { text: iconv.decode(buffer, 'windows-1252'), charset: 'windows-1252' };
    }
  }
  return { text, charset };
}

/** Whether the header or the declaration names a charset at all. */
function labelled(bytes: Uint8Array, contentType: string | null): boolean {
  return (!!contentType && /;\s*charset\s*=/i.test(contentType)) || declared(bytes) !== null;
}
