import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * WebSub's authenticated content distribution (W3C WebSub, section 8): `X-Hub-Signature: <method>=<hex HMAC of
 * the body keyed with the subscriber's hub.secret>`. The hub signs with sha256; a subscriber (ours, of upstream
 * hubs) must accept the methods the spec names.
 */

const METHODS = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/** The `X-Hub-Signature` value for `body` under `secret`. */
export function hubSignature(secret: string, body: Buffer | string, method: 'sha1' | 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  return `${method}=${createHmac(method, secret).update(body).digest('hex')}`;
}

/** Whether an `X-Hub-Signature` header is a valid signature of `body` under `secret` (constant-time compare). */
export function verifyHubSignature(header: string | undefined, secret: string, body: Buffer | string): boolean {
  if (!header) return false;
  const eq = header.indexOf('=');
  const method = header.slice(0, eq).trim().toLowerCase();
  if (eq < 0 || !METHODS.has(method)) return false;
  const given = Buffer.from(header.slice(eq + 1).trim(), 'hex');
  const expected = createHmac(method, secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
