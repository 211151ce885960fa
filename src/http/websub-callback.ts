import express, { type Router } from 'express';
import type { PushCallback } from '../model/push.ts';

const HEADERS = { 'cache-control': 'no-store', 'content-type': 'text/plain; charset=utf-8' };

/**
 * `BASE_URL/websub/callback/<source id>`, where upstream hubs call us (WebSub 5.3 and 7): GET verifies our
 * intent, POST delivers the feed (read as bytes, up to `maxBytes`, since its signature covers the exact body).
 */
export function websubCallbackRouter(callback: PushCallback, maxBytes: number): Router {
  const router = express.Router();
  router.get('/websub/callback/:sourceId', async (req, res) => {
    const query = new URLSearchParams(req.originalUrl.slice(req.originalUrl.indexOf('?') + 1 || req.originalUrl.length));
    const reply = await callback.verify(req.params.sourceId, query);
    res.status(reply.status).set(HEADERS).send(reply.body);
  });
  router.post('/websub/callback/:sourceId', express.raw({ type: () => true, limit: maxBytes }), (req, res, next) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    callback
      .receive(req.params.sourceId, body, { signature: req.get('x-hub-signature'), contentType: req.get('content-type') })
      .then((reply) => void res.status(reply.status).set(HEADERS).send(reply.body), next);
  });
  return router;
}
