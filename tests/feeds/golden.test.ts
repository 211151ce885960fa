import path from 'node:path';
import { expect, test } from 'vitest';
import { loadContent } from '../../src/content/load.ts';
import { buildFeed, NO_RELATED, type RelatedItem, type RelatedReader } from '../../src/feeds/build.ts';
import { Urls, type FeedKey } from '../../src/feeds/catalog.ts';
import { RENDERERS } from '../../src/feeds/render.ts';
import { REPO, TEST_BASE } from '../helpers/service.ts';

/**
 * Whole rendered feeds kept as golden files: a change to any byte of our output shows up in review.
 * Update them deliberately with `npx vitest run tests/feeds/golden.test.ts -u`.
 */

const related: RelatedItem = {
  sourceId: 'fixture-news',
  sourceName: 'Fixture News & Co',
  sourceFeedUrl: 'https://upstream.example/feed.xml',
  sourceSiteUrl: 'https://upstream.example/',
  key: 'https://upstream.example/iran-israel-karabakh',
  url: 'https://upstream.example/iran-israel-karabakh?ref=rss&lang=id',
  title: 'Iran Sinyalir Kemungkinan Keberadaan Israel dalam Konflik Karabakh',
  summary: 'Iran memperingatkan kemungkinan keterlibatan Israel di Karabakh.',
  language: 'id',
  publishedAt: new Date('2020-10-28T08:00:00Z'),
  updatedAt: new Date('2020-10-28T08:00:00Z'),
};
const reader: RelatedReader = {
  relatedForArticle: () => [related],
  relatedForArticles: (ids) => new Map(ids.map((id) => [id, [related]])),
  relatedItems: () => [related],
};

const CASES: [string, FeedKey, RelatedReader][] = [
  ['id-site.rss.xml', { language: 'id', scope: { kind: 'site' }, format: 'rss' }, reader],
  ['en-karabakh.atom.xml', { language: 'en', scope: { kind: 'category', slug: 'konflik-karabakh' }, format: 'atom' }, reader],
  ['en-site.json', { language: 'en', scope: { kind: 'site' }, format: 'json' }, NO_RELATED],
  ['id-related.atom.xml', { language: 'id', scope: { kind: 'related' }, format: 'atom' }, reader],
];

test.each(CASES)('%s matches its golden file', async (file, key, rel) => {
  const snapshot = loadContent(path.join(REPO, 'content'), new Date('2026-11-25T00:00:00Z'));
  const text = RENDERERS[key.format](buildFeed(snapshot, key, new Urls(TEST_BASE), rel));
  await expect(text).toMatchFileSnapshot(path.join(REPO, 'tests/fixtures/golden', file));
});
