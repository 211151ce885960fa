import { createHmac, timingSafeEqual, webcrypto as crypto } from 'node:crypto';

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

/**
 * The same `X-Hub-Signature` value as `hubSignature` (sha256), computed off the calling thread: WebCrypto runs
 * the HMAC in libuv's thread pool. The hub's fan-out signs every subscriber's copy of a whole feed, the largest
 * part of a delivery's cost; there, the event loop that serves readers does not stall for it, and where the
 * service may use a second core, the hashing happens there.
 */
export async function hubSignatureOffThread(secret: string, body: Buffer): Promise<string> {
  const key = await crypto.subtle.importKey('raw', Buffer.from(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return `sha256=${Buffer.from(await crypto.subtle.sign('HMAC', key, body)).toString('hex')}`;
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
