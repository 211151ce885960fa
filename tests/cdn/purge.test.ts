import { Writable } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { catalogKeys } from '../../src/cdn/refresh.ts';
import { Urls } from '../../src/feeds/catalog.ts';
import { ConfigError } from '../../src/errors.ts';
import { createLogger } from '../../src/log.ts';
import { copyContent, edit, LATER_ARTICLE, laterArticle, request, startService, TEST_BASE, write, type Running } from '../helpers/service.ts';
import { startSubscriber, type Subscriber } from '../helpers/subscriber.ts';

/**
 * PURGE_WEBHOOK against a real service and a fixture webhook on loopback: after a change every feed of the catalog
 * is rendered again, and the own surrogate keys of exactly those whose bytes changed are POSTed, together, once;
 * a failing webhook is retried; a change that alters no bytes posts nothing.
 */

/** An Indonesian article in one category (turki), so an edit of it changes some feeds and not others. */
const LATER = LATER_ARTICLE;

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

interface Fixture {
  s: Running;
  webhook: Subscriber;
  logs: Record<string, unknown>[];
}

async function fixture(): Promise<Fixture> {
  const webhook = await startSubscriber();
  open.push(webhook);
  const contentDir = copyContent();
  write(contentDir, LATER, laterArticle('Ringkasan pertama.'));
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    }),
  );
  const s = await startService({
    contentDir,
    logger,
    env: { PURGE_WEBHOOK: webhook.url('/purge?token=secret-token') },
    cdn: { purge: { debounceMs: 50, maxDelayMs: 500, retryDelaysMs: [50, 100] }, renderDelayMs: 10 },
  });
  open.push(s);
  return { s, webhook, logs };
}

/** Waits until the renders after a change are done and their purges sent (or given up). */
async function settled(s: Running): Promise<void> {
  await s.service.cdn!.eager.idle();
  await s.service.cdn!.purger.idle();
}

function postedKeys(webhook: Subscriber): string[][] {
  return webhook.posts.map((p) => {
    expect(p.path).toBe('/purge');
    expect(p.headers['content-type']).toBe('application/json');
    return (JSON.parse(p.body.toString('utf8')) as { keys: string[] }).keys;
  });
}

/** Every feed of the catalog (and the OPML list) as served now: its ETag and its own surrogate key. */
async function catalog(s: Running): Promise<Map<string, { etag: string; key: string }>> {
  const out = new Map<string, { etag: string; key: string }>();
  for (const path of catalogKeys(s.service.content.current, new Urls(TEST_BASE))) {
    const r = await request(`${s.origin}${path}`);
    expect(r.status).toBe(200);
    out.set(path, { etag: r.headers.etag!, key: String(r.headers['surrogate-key']).split(' ').at(-1)! });
  }
  return out;
}

describe('PURGE_WEBHOOK', () => {
  test('after a start on an empty database, every feed of the catalog is purged, in one POST', async () => {
    const { s, webhook } = await fixture();
    await settled(s);
    const feeds = await catalog(s);
    expect(postedKeys(webhook)).toHaveLength(1);
    expect(postedKeys(webhook)[0]!.sort()).toEqual([...feeds.values()].map((f) => f.key).sort());
  });

  test('an article edit POSTs the own keys of exactly the feeds whose bytes changed, once', async () => {
    const { s, webhook } = await fixture();
    await settled(s);
    const before = await catalog(s);
    webhook.posts.length = 0;

    edit(s.contentDir, LATER, (t) => t.replace('Ringkasan pertama.', 'Ringkasan kedua.'));
    expect(s.service.content.reload()).toBe(true);
    await settled(s);
    // Nothing more comes later (a second pass, a duplicate batch).
    await new Promise((resolve) => setTimeout(resolve, 200));

    const after = await catalog(s);
    const changed = [...after].filter(([path, f]) => before.get(path)!.etag !== f.etag).map(([, f]) => f.key);
    // The Indonesian site and Turkey feeds show the article; the English ones, the other categories and related do not.
    expect(changed.sort()).toEqual(['id:cat:turki:atom', 'id:cat:turki:json', 'id:cat:turki:rss', 'id:site:atom', 'id:site:json', 'id:site:rss']);
    const posts = postedKeys(webhook);
    expect(posts).toHaveLength(1);
    expect(posts[0]!.sort()).toEqual(changed);
  });

  test('a failing webhook is retried (500, then 200), and the failure is logged with the URL and status', async () => {
    const { s, webhook, logs } = await fixture();
    await settled(s);
    webhook.posts.length = 0;
    webhook.postStatuses.push(500);

    edit(s.contentDir, LATER, (t) => t.replace('Ringkasan pertama.', 'Ringkasan ketiga.'));
    expect(s.service.content.reload()).toBe(true);
    await settled(s);

    const posts = postedKeys(webhook);
    expect(posts).toHaveLength(2);
    expect(posts[1]).toEqual(posts[0]);
    expect(posts[0]).toContain('id:cat:turki:rss');
    const failure = logs.find((l) => l.msg === 'cdn purge failed; will retry');
    // The token in the query stays out of the logs.
    expect(failure).toMatchObject({ url: `${webhook.url('/purge')}?…`, status: 500, attempt: 1, keys: posts[0]!.length });
    expect(JSON.stringify(logs)).not.toContain('secret-token');
  });

  test('a webhook that cannot be reached is retried, then the keys are given up, and serving goes on', async () => {
    const { s, webhook, logs } = await fixture();
    await settled(s);
    await webhook.close();
    edit(s.contentDir, LATER, (t) => t.replace('Ringkasan pertama.', 'Ringkasan keempat.'));
    expect(s.service.content.reload()).toBe(true);
    expect((await request(`${s.origin}/id/feed.rss`)).text).toContain('Ringkasan keempat.');
    await settled(s);
    const failures = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('cdn purge failed'));
    expect(failures.map((l) => [l.attempt, l.status])).toEqual([
      [1, null],
      [2, null],
      [3, null],
    ]);
    expect(failures.at(-1)!.msg).toContain('given up');
  });

  test('an edit that changes no feed bytes posts nothing', async () => {
    const { s, webhook } = await fixture();
    await settled(s);
    const before = await catalog(s);
    webhook.posts.length = 0;

    // A comment in the front matter: a new version of the content, the same feeds.
    edit(s.contentDir, LATER, (t) => t.replace('tags: []', 'tags: []\n# reviewed by the desk'));
    expect(s.service.content.reload()).toBe(true);
    await settled(s);
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(webhook.posts).toEqual([]);
    const after = await catalog(s);
    expect([...after].filter(([path, f]) => before.get(path)!.etag !== f.etag)).toEqual([]);
  });

  test('without PURGE_WEBHOOK nothing is purged or rendered ahead', async () => {
    const s = await startService();
    open.push(s);
    expect(s.service.cdn).toBeNull();
  });
});

describe('PURGE_WEBHOOK in the environment', () => {
  test('is an absolute http(s) URL, kept as written (a token may ride in its query)', () => {
    expect(loadConfig({ PURGE_WEBHOOK: 'https://purge.example/hook?token=abc' }).purgeWebhook).toBe('https://purge.example/hook?token=abc');
    expect(loadConfig({}).purgeWebhook).toBeNull();
  });

  test.each([
    ['purge.example/hook', 'must be an absolute http(s) URL'],
    ['ftp://purge.example/hook', 'must use http or https'],
    ['https://user:pass@purge.example/hook', 'must not carry credentials'],
    ['https://purge.example/hook#x', 'must not carry a fragment'],
  ])('%s is refused with an error naming PURGE_WEBHOOK', (value, message) => {
    let err: unknown;
    try {
      loadConfig({ PURGE_WEBHOOK: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('PURGE_WEBHOOK');
    expect((err as ConfigError).message).toContain(message);
  });
});
