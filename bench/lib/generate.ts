/**
 * Synthetic, deterministic inputs for the benchmark: a content tree (site.yaml with 50 categories in two
 * languages, N articles each with an Indonesian original and an English translation), upstream items stored
 * with relations to articles by the SQLite store's own upsert (`./store.ts`), and a 1,000-item upstream RSS feed
 * for ingestion.
 *
 * Relations must agree with the articles' `relates` rules: the service recomputes every item's relations at
 * start-up (ingester.relateAll) and would otherwise drop them. So the newest `ruled` articles carry a rule
 * naming a token of their own ("topik00042"), and a related item mentions the token(s) of its article(s).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { RelateTarget } from '../../src/content/model.ts';
import type { UpstreamItem } from '../../src/model/item.ts';
import type { ItemToStore } from '../../src/model/poll.ts';
import { compileRelater } from '../../src/ingest/relate.ts';
import { openBulkStore } from './store.ts';
import { CATEGORIES, PEOPLE, Rng, UPSTREAM_CATEGORIES, WORDS_EN, WORDS_ID, pad } from './rng.ts';

export interface GenParams {
  articles: number;
  /** The newest `ruled` articles carry relate rules; related items point at them. */
  ruled: number;
  items: number;
  sources: number;
  /** Share of stored upstream items related to at least one article. */
  relatedShare: number;
  seed: number;
}

export const DEFAULT_PARAMS: GenParams = {
  articles: 10_000,
  ruled: 50,
  items: 100_000,
  sources: 20,
  relatedShare: 0.6,
  seed: 20261101,
};

/** Every date derives from this instant, never from the clock, so output bytes are identical run to run. */
export const BASE_TIME = Date.parse('2026-11-20T00:00:00Z');
const HOUR = 3_600_000;

export const articleId = (i: number): string => `bench-${pad(i, 5)}`;
export const articleToken = (i: number): string => `topik${pad(i, 5)}`;

/** ISO 8601 with a +07:00 offset, as the editors write dates. */
function wib(ms: number): string {
  const d = new Date(ms + 7 * HOUR);
  return `${d.toISOString().slice(0, 19)}+07:00`;
}

const q = (s: string): string => JSON.stringify(s);

function markdownBody(rng: Rng, words: readonly string[]): string {
  const paragraphs: string[] = [];
  const n = rng.int(4, 7);
  for (let p = 0; p < n; p++) {
    const sentences: string[] = [];
    const m = rng.int(2, 4);
    for (let s = 0; s < m; s++) sentences.push(rng.sentence(words, 8, 16));
    let text = sentences.join(' ');
    const r = rng.next();
    if (r < 0.15) text += ` [${rng.words(words, 3)}](https://example.org/${rng.pick(words)}/${rng.int(1000, 9999)}).`;
    else if (r < 0.3) text = `**${rng.words(words, 2)}** ${text}`;
    else if (r < 0.38) text = `> ${text}`;
    paragraphs.push(text);
  }
  return paragraphs.join('\n\n');
}

export interface ContentInfo {
  dir: string;
  articles: number;
  ruled: number;
  files: number;
  bytes: number;
  /** Folder and file of the newest article's English version (the content-change test edits it). */
  newestEnFile: string;
  newestEnTitle: string;
}

/** Writes the content tree under `dir` (emptied first). */
export function generateContent(dir: string, p: GenParams): ContentInfo {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'articles'), { recursive: true });
  const rng = new Rng(p.seed);
  let bytes = 0;
  let files = 0;
  const write = (rel: string, text: string) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    bytes += Buffer.byteLength(text);
    files++;
  };

  const site = [
    '# Synthetic site for the benchmark (bench/lib/generate.ts). Not committed.',
    'idAuthority: kabar-feeds.example,2026',
    'defaultLanguage: id',
    'copyright: Teks asli © LiputanIslam.com; terjemahan © Kabar Feeds',
    'feedItemLimit: 50',
    'languages:',
    '  id:',
    '    title: Kabar Timur Tengah',
    '    description: Berita Timur Tengah dan Kaukasus dari LiputanIslam.com, dengan bacaan terkait dari penerbit lain.',
    '    readAlso: Baca juga',
    '  en:',
    '    title: Middle East News',
    '    description: Middle East and Caucasus news from LiputanIslam.com in English translation, with related reading from other publishers.',
    '    readAlso: Read also',
    'categories:',
    ...CATEGORIES.flatMap((c) => [`  ${c.slug}:`, `    id: ${q(c.id)}`, `    en: ${q(c.en)}`]),
    '',
  ].join('\n');
  write('site.yaml', site);
  // The upstream sources the stored items come from. The service publishes only items of sources listed here
  // (syncSources deactivates the others); ids, names and URLs are those openBulkStore's insertItems gives them, so
  // syncing changes nothing. INGEST=off: they are never polled (.invalid does not resolve anyway).
  write(
    'sources.yaml',
    [
      '# Synthetic upstream sources for the benchmark (bench/lib/generate.ts). Not committed.',
      ...Array.from({ length: p.sources }, (_, s) => [`- id: ${sourceId(s)}`, `  name: ${sourceId(s)}`, `  url: https://${sourceId(s)}.invalid/feed`]).flat(),
      '',
    ].join('\n'),
  );

  let newestEnFile = '';
  let newestEnTitle = '';
  for (let i = 0; i < p.articles; i++) {
    // Article 0 is the newest; one every 3 h 17 min going back (about 3.7 years for 10,000).
    const published = BASE_TIME - i * (3 * HOUR + 17 * 60_000);
    const slug = `berita-${pad(i, 5)}-${rng.pick(WORDS_ID)}-${rng.pick(WORDS_ID)}`;
    const cats = rng.distinct(CATEGORIES, rng.int(1, 3)).map((c) => c.slug);
    const author = rng.pick(PEOPLE);
    const ruled = i < p.ruled;
    const titleId = rng.sentence(WORDS_ID, 6, 11).slice(0, -1);
    const summaryId = `${rng.sentence(WORDS_ID, 14, 24)} ${rng.sentence(WORDS_ID, 10, 18)}`;
    const tagsId = Array.from({ length: rng.int(2, 5) }, () => rng.pick(WORDS_ID));
    const image =
      rng.next() < 0.3 ? [`image:`, `  url: https://cdn.kabar.example/img/${pad(i, 5)}.jpg`, `  alt: ${q(rng.words(WORDS_ID, 4))}`] : [];
    const original = [
      '---',
      `id: ${articleId(i)}`,
      `title: ${q(titleId)}`,
      `summary: ${q(summaryId)}`,
      `published: ${wib(published)}`,
      `updated: ${wib(published + (rng.next() < 0.2 ? rng.int(1, 48) * HOUR : 0))}`,
      'authors:',
      `  - name: ${q(author)}`,
      `    url: https://kabar.example/penulis/${author.toLowerCase().replace(/ /g, '-')}`,
      'source:',
      '  name: LiputanIslam.com',
      '  url: https://liputanislam.com/',
      `  note: ${q(`Kredit asli: (${rng.pick(['mm', 'ra', 'fd', 'ss'])}/${rng.pick(['alalam', 'presstv', 'anadolu', 'reuters'])})`)}`,
      `categories: [${cats.join(', ')}]`,
      `tags: [${tagsId.map(q).join(', ')}]`,
      ...image,
      ...(ruled ? ['relates:', `  - [${articleToken(i)}]`] : []),
      '---',
      '',
      markdownBody(rng, WORDS_ID),
      '',
    ].join('\n');
    write(`articles/${slug}/index.id.md`, original);

    const titleEn = rng.sentence(WORDS_EN, 6, 11).slice(0, -1);
    const translation = [
      '---',
      `translationOf: ${articleId(i)}`,
      `title: ${q(titleEn)}`,
      `summary: ${q(`${rng.sentence(WORDS_EN, 14, 24)} ${rng.sentence(WORDS_EN, 10, 18)}`)}`,
      `published: ${wib(published + 6 * HOUR)}`,
      'translator:',
      '  name: Kabar Feeds translation desk',
      `tags: [${Array.from({ length: rng.int(2, 5) }, () => q(rng.pick(WORDS_EN))).join(', ')}]`,
      ...(ruled ? ['relates:', `  - [${articleToken(i)}|topic${pad(i, 5)}]`] : []),
      '---',
      '',
      markdownBody(rng, WORDS_EN),
      '',
    ].join('\n');
    write(`articles/${slug}/index.en.md`, translation);
    if (i === 0) {
      newestEnFile = `articles/${slug}/index.en.md`;
      newestEnTitle = titleEn;
    }
  }
  return { dir, articles: p.articles, ruled: p.ruled, files, bytes, newestEnFile, newestEnTitle };
}

/** The relate targets the content above yields (same rules as written in the front matter). */
export function syntheticTargets(ruled: number): RelateTarget[] {
  return Array.from({ length: ruled }, (_, i) => ({
    articleId: articleId(i),
    rules: [[[articleToken(i)]], [[articleToken(i), `topic${pad(i, 5)}`]]],
  }));
}

export const sourceId = (s: number): string => `bench-upstream-${pad(s, 2)}`;

/**
 * The stream of upstream items: item n is the same whatever the count, so the 1k store holds the first 1,000
 * items of the 100k store.
 */
export function* upstreamItems(p: GenParams, count: number): Generator<{ source: string; entry: ItemToStore }> {
  const rng = new Rng(p.seed ^ 0x5eed);
  for (let n = 0; n < count; n++) {
    const s = n % p.sources;
    const lang = rng.next() < 0.7 ? 'en' : 'id';
    const words = lang === 'en' ? WORDS_EN : WORDS_ID;
    const published = BASE_TIME - Math.floor(rng.next() * 90 * 24 * HOUR);
    const articleIds: string[] = [];
    if (p.ruled > 0 && rng.next() < p.relatedShare) {
      const k = rng.next() < 0.8 ? 1 : 2;
      for (const a of rng.distinct(Array.from({ length: p.ruled }, (_, i) => i), Math.min(k, p.ruled))) articleIds.push(articleId(a));
    }
    const tokens = articleIds.map((id) => articleToken(Number(id.slice(-5))));
    const title = rng.sentence(words, 6, 12).slice(0, -1);
    const summary = `${rng.sentence(words, 15, 30)} ${rng.sentence(words, 10, 20)}${tokens.length ? ` (${tokens.join(', ')})` : ''}`;
    const url = `https://upstream-${pad(s, 2)}.example/news/${pad(n, 6)}-${rng.pick(words)}`;
    const item: UpstreamItem = {
      key: url,
      url,
      title,
      summary,
      contentHtml: `<p>${summary}</p><p>${rng.sentence(words, 20, 40)} ${rng.sentence(words, 20, 40)}</p><p><a href="${url}">${rng.words(words, 3)}</a></p>`,
      language: lang,
      categories: rng.distinct(UPSTREAM_CATEGORIES, rng.int(1, 3)),
      author: rng.next() < 0.6 ? rng.pick(PEOPLE) : null,
      publishedAt: new Date(published),
      updatedAt: rng.next() < 0.1 ? new Date(published + HOUR) : null,
    };
    yield { source: sourceId(s), entry: { item, articleIds: articleIds.sort() } };
  }
}

export interface StoreInfo {
  dir: string;
  items: number;
  related: number;
  relations: number;
  ms: number;
}

/** A fresh store under `dir` with the first `count` items, inserted with openBulkStore's insertItems. */
export function generateStore(dir: string, p: GenParams, count: number): StoreInfo {
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = performance.now();
  const bySource = new Map<string, ItemToStore[]>();
  let related = 0;
  let relations = 0;
  const relater = compileRelater(syntheticTargets(p.ruled));
  let checked = 0;
  for (const { source, entry } of upstreamItems(p, count)) {
    if (entry.articleIds.length) related++;
    relations += entry.articleIds.length;
    // The relations we store must be those the service's relater computes, or start-up would rewrite them.
    if (checked < 2000) {
      checked++;
      const expected = relater(entry.item).sort().join(',');
      if (expected !== entry.articleIds.join(',')) {
        throw new Error(`generator bug: item ${entry.item.key} relates to [${entry.articleIds.join(',')}] but the rules say [${expected}]`);
      }
    }
    let list = bySource.get(source);
    if (!list) bySource.set(source, (list = []));
    list.push(entry);
  }
  const store = openBulkStore(dir);
  try {
    for (const [source, list] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
      for (let i = 0; i < list.length; i += 5000) store.insertItems(source, list.slice(i, i + 5000));
    }
  } finally {
    store.close();
  }
  return { dir, items: count, related, relations, ms: performance.now() - t0 };
}

const xmlEscape = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A 1,000-item RSS 2.0 upstream feed as a busy wire service would publish it: full HTML content with relative
 * links, images, an occasional script (for the sanitiser), categories and creators; a share of items mention
 * an article's token, so relating is exercised.
 */
export function upstreamFeed(p: GenParams, count = 1000): string {
  const rng = new Rng(p.seed ^ 0xfeed);
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">',
    '<channel>',
    '<title>Bench Wire – World</title>',
    '<link>https://wire.example/world/</link>',
    '<description>Synthetic upstream feed for the benchmark</description>',
    '<language>en</language>',
    '<atom:link rel="self" type="application/rss+xml" href="https://wire.example/world/rss.xml"/>',
  ];
  for (let n = 0; n < count; n++) {
    const words = WORDS_EN;
    const published = BASE_TIME - n * 17 * 60_000;
    const token = p.ruled > 0 && rng.next() < 0.3 ? ` ${articleToken(rng.int(0, p.ruled - 1))}` : '';
    const title = rng.sentence(words, 6, 12).slice(0, -1);
    const lead = `${rng.sentence(words, 15, 30)}${token}`;
    const paras = Array.from({ length: rng.int(2, 5) }, () => `<p>${rng.sentence(words, 15, 35)} <a href="/world/${rng.int(1, 99999)}">${rng.words(words, 2)}</a> ${rng.sentence(words, 8, 20)}</p>`);
    if (rng.next() < 0.3) paras.push(`<figure><img src="/img/${n}.jpg" alt="${rng.words(words, 3)}" onerror="x()"><figcaption>${rng.words(words, 5)}</figcaption></figure>`);
    if (rng.next() < 0.1) paras.push('<script>track()</script><iframe src="https://ads.example/"></iframe>');
    const content = `<p><strong>${lead}</strong></p>${paras.join('')}`;
    out.push(
      '<item>',
      `<title>${xmlEscape(title)}</title>`,
      `<link>https://wire.example/world/${pad(n, 6)}</link>`,
      `<guid isPermaLink="false">wire-${pad(n, 6)}</guid>`,
      `<pubDate>${new Date(published).toUTCString()}</pubDate>`,
      `<dc:creator>${xmlEscape(rng.pick(PEOPLE))}</dc:creator>`,
      ...rng.distinct(UPSTREAM_CATEGORIES, rng.int(1, 3)).map((c) => `<category>${xmlEscape(c)}</category>`),
      `<description>${xmlEscape(`<p>${lead}</p>`)}</description>`,
      `<content:encoded><![CDATA[${content}]]></content:encoded>`,
      '</item>',
    );
  }
  out.push('</channel>', '</rss>', '');
  return out.join('\n');
}
