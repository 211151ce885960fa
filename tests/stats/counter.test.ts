import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ReaderCounter } from '../../src/stats/counter.ts';
import { openStore, type Store } from '../../src/storage/store.ts';

/*
 * The counter on its own, with the real store: what it buffers are the counter's own copies of the strings it is
 * handed (src/stats/counter.ts), which must count exactly as the request's strings would, however requests
 * interleave and however many distinct User-Agents and addresses overflow its memos.
 */
describe('reader counter', () => {
  const stores: Store[] = [];
  afterEach(() => {
    for (const s of stores.splice(0)) void s.close();
  });
  const open = () => {
    const store = openStore(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-counter-')), 'data'));
    stores.push(store);
    return store;
  };
  const at = new Date('2026-11-25T08:00:00Z');
  /** A fresh string with the same characters, as a request's header would be. */
  const fresh = (s: string) => [...s].join('');

  test('counts interleaved requests per feed: latest report per subscription, each poller once, non-feeds not at all', async () => {
    const store = open();
    const counter = new ReaderCounter(store, () => at);
    for (let i = 0; i < 3; i++) {
      counter.record(fresh('/id/feed.rss'), fresh(`Feedly/1.0 (+http://www.feedly.com/fetcher.html; ${460 + i} subscribers; )`), fresh('10.0.0.1'));
      counter.record(fresh('/en/feed.atom'), fresh('newsboat/2.36'), fresh('10.0.0.2'));
      counter.record(fresh('/id/feed.rss?limit=5'), fresh('newsboat/2.36'), fresh('10.0.0.2'));
      counter.record(fresh('/id/feed.rss'), fresh('newsboat/2.36'), fresh('10.0.0.3'));
      counter.record(fresh('/id/'), fresh('newsboat/2.36'), fresh('10.0.0.4'));
      counter.record(fresh('/en/feed.atom'), undefined, undefined);
    }
    await counter.flush();
    const days = store.readersByDay('2026-11-25', '2026-11-25');
    expect(days).toEqual([
      { day: '2026-11-25', feed: '/en/feed.atom', subscribers: 0, aggregators: {}, pollers: 2 },
      { day: '2026-11-25', feed: '/id/feed.rss', subscribers: 462, aggregators: { Feedly: 462 }, pollers: 2 },
    ]);
  });

  test('counts every distinct poller when they outnumber its memos', async () => {
    const store = open();
    const counter = new ReaderCounter(store, () => at);
    const n = 12_000;
    // Each User-Agent twice, from one address, then each address once more with the first User-Agent.
    for (let i = 0; i < n; i++) counter.record('/id/feed.rss', fresh(`poller/${i}`), '10.0.0.1');
    for (let i = 0; i < n; i++) counter.record('/id/feed.rss', fresh(`poller/${i}`), fresh('10.0.0.1'));
    for (let i = 0; i < n; i++) counter.record('/id/feed.rss', 'poller/0', `10.1.${i >> 8}.${i & 255}`);
    await counter.flush();
    // n User-Agents from 10.0.0.1, plus poller/0 from n other addresses.
    expect(store.readersByDay('2026-11-25', '2026-11-25')).toEqual([
      { day: '2026-11-25', feed: '/id/feed.rss', subscribers: 0, aggregators: {}, pollers: 2 * n },
    ]);
  });

  test('counts a client that asks again and again once a day, and a new figure from the same aggregator as its latest', async () => {
    const store = open();
    let now = at;
    const counter = new ReaderCounter(store, () => now);
    const feedly = (n: number) => fresh(`Feedly/1.0 (+http://www.feedly.com/fetcher.html; ${n} subscribers; )`);
    for (let i = 0; i < 1000; i++) counter.record(fresh('/id/feed.rss'), fresh('newsboat/2.36'), '10.0.0.2');
    for (let i = 0; i < 100; i++) counter.record(fresh('/id/feed.rss'), feedly(462), '10.0.0.1');
    counter.record(fresh('/id/feed.rss'), feedly(463), '10.0.0.1');
    counter.record(fresh('/id/feed.rss'), feedly(463), '10.0.0.1');
    await counter.flush();
    // The next day, the same client again, asking the same as the last request buffered the day before.
    now = new Date('2026-11-26T00:00:05Z');
    counter.record(fresh('/id/feed.rss'), feedly(463), '10.0.0.1');
    counter.record(fresh('/id/feed.rss'), fresh('newsboat/2.36'), '10.0.0.2');
    counter.record(fresh('/id/feed.rss'), fresh('newsboat/2.36'), '10.0.0.2');
    await counter.flush();
    expect(store.readersByDay('2026-11-25', '2026-11-26')).toEqual([
      { day: '2026-11-25', feed: '/id/feed.rss', subscribers: 463, aggregators: { Feedly: 463 }, pollers: 1 },
      { day: '2026-11-26', feed: '/id/feed.rss', subscribers: 463, aggregators: { Feedly: 463 }, pollers: 1 },
    ]);
  });
});
