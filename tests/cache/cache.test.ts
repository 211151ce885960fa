import { expect, test } from 'vitest';
import { RepresentationCache } from '../../src/cache/cache.ts';

const page = (text: string) => () => ({ text, contentType: 'text/plain', cacheControl: 'no-cache' });

test('keeps validators when a re-render after a change gives the same bytes, and new ones when it does not', async () => {
  let now = new Date('2026-11-25T10:00:00Z');
  const cache = new RepresentationCache(() => now);
  const first = await cache.get('/a', page('one'));
  now = new Date('2026-11-25T11:00:00Z');
  cache.invalidate();
  expect(cache.peek('/a')).toBeUndefined();
  const same = await cache.get('/a', page('one'));
  expect([same.etag, same.lastModifiedHttp]).toEqual([first.etag, first.lastModifiedHttp]);
  cache.invalidate();
  const changed = await cache.get('/a', page('two'));
  expect(changed.etag).not.toBe(first.etag);
  expect(changed.lastModifiedHttp).toBe('Wed, 25 Nov 2026 11:00:00 GMT');
});

test('stays within its byte budget by dropping the oldest entries', async () => {
  const cache = new RepresentationCache(() => new Date(0), { maxBytes: 10 });
  await cache.get('/1', page('aaaa'));
  await cache.get('/2', page('bbbb'));
  await cache.get('/3', page('cccc'));
  expect(cache.peek('/1')).toBeUndefined();
  expect(cache.peek('/2')).toBeDefined();
  expect(cache.peek('/3')).toBeDefined();
  // One entry larger than the budget is still served and kept until the next one.
  expect((await cache.get('/big', page('x'.repeat(50)))).body.length).toBe(50);
  expect(cache.peek('/big')).toBeDefined();
  expect(cache.peek('/3')).toBeUndefined();
});

test('related items are read from the store once per change: again after forget() for those articles, and after clear()', async () => {
  const { RelatedCache } = await import('../../src/cache/related.ts');
  const calls: string[][] = [];
  const item = (title: string) => ({
    sourceId: 's', sourceName: 'S', sourceFeedUrl: 'https://s.example/feed', sourceSiteUrl: null, key: title,
    url: `https://s.example/${title}`, title, summary: '', language: null, publishedAt: new Date(0), updatedAt: new Date(0),
  });
  let title = 'first';
  const store = {
    relatedForArticle: () => [],
    relatedForArticles: (ids: readonly string[]) => {
      calls.push([...ids]);
      return new Map(ids.map((id) => [id, [item(title)]]));
    },
    relatedItems: () => [item(title)],
  };
  const cache = new RelatedCache(store);
  expect(cache.relatedForArticles(['a', 'b'], 5).get('a')![0]!.title).toBe('first');
  expect(cache.relatedForArticles(['a', 'c'], 5).get('c')![0]!.title).toBe('first');
  expect(calls).toEqual([['a', 'b'], ['c']]);
  expect(cache.relatedItems(5)[0]!.title).toBe('first');
  title = 'second';
  expect(cache.relatedForArticle('a', 5)[0]!.title).toBe('first');
  expect(cache.relatedItems(5)[0]!.title).toBe('first');
  // A poll that touched article b: only b is read again (and the newest-related list).
  cache.forget(['b']);
  expect(cache.relatedForArticles(['a', 'b', 'c'], 5).get('b')![0]!.title).toBe('second');
  expect(cache.relatedForArticle('a', 5)[0]!.title).toBe('first');
  expect(cache.relatedItems(5)[0]!.title).toBe('second');
  expect(calls.at(-1)).toEqual(['b']);
  cache.clear();
  expect(cache.relatedForArticle('a', 5)[0]!.title).toBe('second');
});

test('prepares response headers as one-byte strings, even from ASCII text V8 holds as two-byte', async () => {
  const { Representation } = await import('../../src/cache/representation.ts');
  const { serialize } = await import('node:v8');
  // A short slice of a two-byte string is a two-byte copy, though every character in it is ASCII.
  const twoByte = 'rss\u0100'.slice(0, 3);
  const isOneByte = (s: string) => serialize(s)[2] === '"'.charCodeAt(0);
  expect(isOneByte(twoByte)).toBe(false);
  const rep = Representation.fromText('x', 'text/plain', 'no-cache', new Date(0), { surrogateKeys: ['all', twoByte], link: `<https://a.example/${twoByte}>; rel="self"` });
  for (const status of [200, 304] as const) {
    const headers = rep.headers(status, 'gzip', { vary: 'Accept-Encoding' });
    expect(headers).toContain('all rss');
    expect(headers.filter((h) => !isOneByte(h))).toEqual([]);
  }
});
