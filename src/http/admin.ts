import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

/**
 * Guards the newsroom's pages (/stats, /stats.json, /metrics) with ADMIN_TOKEN when it is set: the request must
 * carry `Authorization: Bearer <token>`, else 401 with a `WWW-Authenticate` challenge (RFC 6750). Both sides are
 * hashed first, so the comparison is constant-time whatever the length sent.
 */
export function adminGuard(token: string | null): RequestHandler {
  if (token === null) return (_req, _res, next) => next();
  const expected = createHash('sha256').update(token).digest();
  return (req, res, next) => {
    const m = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(req.headers.authorization ?? '');
    const given = createHash('sha256').update(m ? m[1]! : '').digest();
    if (m && timingSafeEqual(given, expected)) {
      next();
      return;
    }
    res
      .status(401)
      .set({
        'www-authenticate': m ? 'Bearer realm="kabar-feeds", error="invalid_token"' : 'Bearer realm="kabar-feeds"',
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-store',
      })
      .send('Unauthorized: this page is for the newsroom; send Authorization: Bearer <ADMIN_TOKEN>\n');
  };
}
