import { afterEach, expect, test } from 'vitest';
import { Distributor } from '../../src/websub/distribute.ts';
import { verifyHubSignature } from '../../src/websub/signature.ts';
import { startSubscriber, type Subscriber } from '../helpers/subscriber.ts';

/**
 * The fan-out's pace against a fixture subscriber on loopback: a first burst goes at once, the rest at the
 * configured rate, every delivery arrives once with its own signature over the one shared body.
 */

const logger = { warn() {}, info() {}, debug() {}, error() {} } as never;
const open: Subscriber[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

test('deliveries start at the configured pace after the burst, and each is signed with its own secret', async () => {
  const sub = await startSubscriber();
  open.push(sub);
  const d = new Distributor({ logger, concurrency: 64, perSecond: 100, burst: 5, tickMs: 20, retryDelaysMs: [], timeoutMs: 5000 });
  const body = Buffer.from('<rss>one body for all</rss>');
  const headers = { 'content-type': 'application/rss+xml', 'content-length': String(body.length) };
  const started = performance.now();
  for (let k = 0; k < 25; k++) {
    d.enqueue({ id: `s${k}`, url: sub.url(`/fan/${k}`), headers, body, secret: k % 2 === 0 ? `secret-${k}` : null, reach: 'any' });
  }
  await d.idle();
  const ms = performance.now() - started;
  // 5 at once, then 20 at 100 a second: about 200 ms, and no faster.
  expect(ms).toBeGreaterThanOrEqual(180);
  expect(sub.posts).toHaveLength(25);
  for (let k = 0; k < 25; k++) {
    const post = sub.posts.find((p) => p.path === `/fan/${k}`)!;
    expect(post.body.equals(body)).toBe(true);
    expect(post.headers['content-length']).toBe(String(body.length));
    if (k % 2 === 0) expect(verifyHubSignature(post.headers['x-hub-signature'] as string, `secret-${k}`, body)).toBe(true);
    else expect(post.headers['x-hub-signature']).toBeUndefined();
  }
  d.close();
});

test('subscribers that gave the same secret share one signature of the body, and each still gets it', async () => {
  const sub = await startSubscriber();
  open.push(sub);
  const d = new Distributor({ logger, concurrency: 4, perSecond: Infinity, burst: 0, tickMs: 0, retryDelaysMs: [], timeoutMs: 5000 });
  const first = Buffer.from('<rss>first</rss>');
  const second = Buffer.from('<rss>second</rss>');
  for (const [n, body] of [first, second].entries()) {
    for (let k = 0; k < 6; k++) {
      d.enqueue({ id: `s${k}`, url: sub.url(`/same/${n}/${k}`), headers: {}, body, secret: k < 4 ? 'shared' : `own-${k}`, reach: 'any' });
    }
    await d.idle();
  }
  for (const [n, body] of [first, second].entries()) {
    for (let k = 0; k < 6; k++) {
      const post = sub.posts.find((p) => p.path === `/same/${n}/${k}`)!;
      expect(verifyHubSignature(post.headers['x-hub-signature'] as string, k < 4 ? 'shared' : `own-${k}`, body)).toBe(true);
    }
  }
  d.close();
});

test('without pacing (Infinity) a fan-out is held back only by the concurrency limit; close() stops a paced queue', async () => {
  const sub = await startSubscriber();
  open.push(sub);
  const fast = new Distributor({ logger, concurrency: 8, perSecond: Infinity, burst: 0, tickMs: 0, retryDelaysMs: [], timeoutMs: 5000 });
  for (let k = 0; k < 40; k++) fast.enqueue({ id: `f${k}`, url: sub.url(`/f/${k}`), headers: {}, body: 'x', secret: null, reach: 'any' });
  await fast.idle();
  expect(sub.posts.filter((p) => p.path.startsWith('/f/'))).toHaveLength(40);

  const slow = new Distributor({ logger, concurrency: 8, perSecond: 10, burst: 1, tickMs: 20, retryDelaysMs: [], timeoutMs: 5000 });
  for (let k = 0; k < 10; k++) slow.enqueue({ id: `p${k}`, url: sub.url(`/p/${k}`), headers: {}, body: 'x', secret: null, reach: 'any' });
  slow.close();
  await new Promise((resolve) => setTimeout(resolve, 300));
  // The burst's one went; the paced rest were dropped with the queue.
  expect(sub.posts.filter((p) => p.path.startsWith('/p/')).length).toBeLessThanOrEqual(1);
});
