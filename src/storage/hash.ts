import { hash } from 'node:crypto';

/** The stored columns of an item that its content hash covers, in this order. */
export type ItemColumns = [
  url: string | null,
  title: string,
  summary: string,
  contentHtml: string,
  language: string | null,
  categories: string,
  author: string | null,
  publishedAt: number,
  updatedAt: number,
];

/** Every stored hash has it since migration 7 rewrote the first ones (JSON of the columns, unprefixed). */
const HASH_PREFIX = 'v2:';
const SURROGATE = /[\ud800-\udfff]/;
const UTF16_MARK = Buffer.from([0xff]);

/**
 * What tells a changed item from an unchanged one: SHA-256 of the columns, each length-prefixed (so no two rows
 * share an input). Cheaper than JSON (escaping a kilobyte of HTML costs more than hashing it).
 */
export function contentHash(row: Readonly<ItemColumns>): string {
  let text = '';
  for (const v of row) text += v === null ? '~' : typeof v === 'number' ? `${v};` : `${v.length}:${v}`;
  // UTF-8 would turn every lone surrogate into the same U+FFFD: text with surrogates is hashed as UTF-16,
  // after a 0xFF byte, which no UTF-8 holds.
  const data = SURROGATE.test(text) ? Buffer.concat([UTF16_MARK, Buffer.from(text, 'utf16le')]) : text;
  return HASH_PREFIX + hash('sha256', data, 'hex');
}
