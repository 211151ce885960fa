import { createHmac, timingSafeEqual } from 'node:crypto';

/** The algorithms WebSub 7.1.1 names for `X-Hub-Signature`. */
const METHODS = new Set(['sha1', 'sha256', 'sha384', 'sha512']);

/** Why a push's signature was not accepted, or null when it matches. */
export function signatureProblem(body: Buffer, header: string | undefined, secret: string): string | null {
  if (!header) return 'no X-Hub-Signature header, and we subscribed with a secret';
  const eq = header.indexOf('=');
  const method = header.slice(0, eq).trim().toLowerCase();
  const given = header.slice(eq + 1).trim().toLowerCase();
  if (eq < 0 || !METHODS.has(method)) return `X-Hub-Signature method ${JSON.stringify(header.slice(0, Math.max(eq, 0)) || header)} is not sha1, sha256, sha384 or sha512`;
  const expected = createHmac(method, secret).update(body).digest();
  const actual = /^[0-9a-f]+$/.test(given) ? Buffer.from(given, 'hex') : Buffer.alloc(0);
  // Same length first: timingSafeEqual throws otherwise.
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? null : `X-Hub-Signature does not match the body (${method})`;
}

/** `sha256=<hex>`: what a hub sends (tests and the benchmark sign their pushes with it). */
export function sign(body: Buffer | string, secret: string, method = 'sha256'): string {
  return `${method}=${createHmac(method, secret).update(body).digest('hex')}`;
}
