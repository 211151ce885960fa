import { createHash } from 'node:crypto';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

export type Coding = 'br' | 'gzip' | 'identity';

/** What a representation says besides its bytes and type, as a render gives it. */
export interface RepresentationOptions {
  /** The Vary header, when the response depends on more than Accept-Encoding (the common headers' value). */
  vary?: string;
  /**
   * A browser's navigation to this URL gets another representation (a feed's HTML view, src/http/browser-view.ts):
   * the fast path checks one request header for these, and nothing for the others.
   */
  browserView?: boolean;
  /** The `Link` header (a feed's WebSub hubs and self); sent with the 200s and 304s. */
  link?: string | null;
  /**
   * What the response shows, as CDN surrogate keys from broad to narrow, the last one the resource's own
   * (src/http/surrogate-keys.ts): the `Surrogate-Key` header of the 200s and 304s, and the key a purge names.
   */
  surrogateKeys?: readonly string[];
}

/**
 * One rendered resource, ready to send: its bytes, validators and headers. Compressed forms are made on
 * first demand and kept, so each is computed once per content change, never per request.
 */
export class Representation {
  readonly etag: string;
  readonly lastModifiedHttp: string;
  readonly lastModifiedSeconds: number;
  private readonly encoded = new Map<Coding, Buffer>();
  /** The response header arrays, by status and coding (see `slot`), made on first use. */
  private readonly prepared: (string[] | undefined)[] = [undefined, undefined, undefined, undefined, undefined, undefined];
  /** The ETags of every coding of these bytes, in `slot` order; an If-None-Match naming any of them is a match. */
  readonly etags: readonly string[];
  readonly vary: string | null;
  readonly browserView: boolean;
  readonly link: string | null;
  /** The `Surrogate-Key` header's value (the keys, space-separated), null when the resource has none. */
  readonly surrogateKey: string | null;
  /** The narrowest surrogate key, naming this resource alone: what a CDN purge of changed bytes names. */
  readonly purgeKey: string | null;

  constructor(
    readonly body: Buffer,
    readonly contentType: string,
    readonly cacheControl: string,
    readonly hash: string,
    lastModified: Date,
    readonly options: RepresentationOptions = {},
  ) {
    this.vary = options.vary ?? null;
    this.browserView = options.browserView ?? false;
    this.link = options.link ?? null;
    const keys = options.surrogateKeys ?? [];
    this.surrogateKey = keys.length > 0 ? keys.join(' ') : null;
    this.purgeKey = keys.at(-1) ?? null;
    // Strong validators differ per content-coding (RFC 9110 8.8.3): a gzip body is not byte-identical.
    this.etag = `"${hash}"`;
    this.etags = [this.etag, `"${hash}-gzip"`, `"${hash}-br"`];
    this.lastModifiedSeconds = Math.floor(lastModified.getTime() / 1000);
    this.lastModifiedHttp = new Date(this.lastModifiedSeconds * 1000).toUTCString();
    this.encoded.set('identity', body);
  }

  static fromText(text: string, contentType: string, cacheControl: string, lastModified: Date, options: RepresentationOptions = {}): Representation {
    const body = Buffer.from(text, 'utf8');
    return new Representation(body, contentType, cacheControl, hashBytes(body), lastModified, options);
  }

  /** The same bytes with a new Last-Modified: used when a re-render produced identical output. */
  withLastModified(lastModified: Date): Representation {
    return new Representation(this.body, this.contentType, this.cacheControl, this.hash, lastModified, this.options);
  }

  etagFor(coding: Coding): string {
    return this.etags[slot(coding)]!;
  }

  /**
   * The response headers for a 200 (with its Content-Length) or a 304 in one coding, as the flat
   * [name, value, ...] array node:http writes fastest; built once per representation, found by an array index.
   */
  headers(status: 200 | 304, coding: Coding, common: Readonly<Record<string, string>>): string[] {
    const key = status === 200 ? slot(coding) : 3 + slot(coding);
    let out = this.prepared[key];
    if (!out) {
      out = [];
      for (const [k, v] of Object.entries(common)) out.push(k, k === 'vary' && this.vary !== null ? this.vary : v);
      if (status === 200) out.push('content-type', this.contentType);
      out.push('cache-control', this.cacheControl, 'etag', this.etagFor(coding), 'last-modified', this.lastModifiedHttp);
      if (this.link !== null) out.push('link', this.link);
      // On 304s too: a CDN revalidating its copy takes the headers of the 304 for the copy it keeps.
      if (this.surrogateKey !== null) out.push('surrogate-key', this.surrogateKey);
      if (status === 200) {
        if (coding !== 'identity') out.push('content-encoding', coding);
        out.push('content-length', String(this.bytes(coding).length));
      }
      out = out.map(oneByte);
      this.prepared[key] = out;
    }
    return out;
  }

  bytes(coding: Coding): Buffer {
    let out = this.encoded.get(coding);
    if (!out) {
      out =
        coding === 'br'
          ? brotliCompressSync(this.body, {
              params: {
                [zlib.BROTLI_PARAM_QUALITY]: 9,
                [zlib.BROTLI_PARAM_SIZE_HINT]: this.body.length,
                [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT,
              },
            })
          : gzipSync(this.body, { level: 9 });
      this.encoded.set(coding, out);
    }
    return out;
  }
}

/**
 * A header value as a flat one-byte string. V8 may hold an ASCII string as two-byte text: `keys.join(' ')` gives
 * one when a key is a "thin" string (one V8 has since interned, such as the format matched from the request path),
 * and that is how the Surrogate-Key value came out. node:http then checks and joins the whole header block as
 * two-byte text on every response, which on a 304 costs more than all our own work for it. Copied once here, it
 * costs nothing per request. A value with a character beyond Latin-1 is left as it is (node:http refuses it, as before).
 */
function oneByte(value: string): string {
  return /^[\0-\xff]*$/.test(value) ? Buffer.from(value, 'latin1').toString('latin1') : value;
}

/** A coding's index in `etags` (and, with 3 added for a 304, in the prepared headers). */
function slot(coding: Coding): 0 | 1 | 2 {
  return coding === 'identity' ? 0 : coding === 'gzip' ? 1 : 2;
}

export function hashBytes(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 32);
}
