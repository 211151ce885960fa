/**
 * Relating by content at the benchmark's scale (issue 14): 10,000 articles in two languages in the article index,
 * 100,000 stored upstream items. Measures (a) the cost of relating one new item (what a poll pays per item), (b) a
 * full re-relate of every stored item (what the background pass pays after every article changed: a first start,
 * a new analysis), in the store's batches, and (c) the RSS of the process once the index is built.
 *
 * The articles of bench/lib/generate.ts draw every word from 150-word vocabularies: each of their terms is in
 * every article, so a search would find nothing worth ranking and cost nothing. These articles are written like
 * news instead: common words (those vocabularies), a long tail of rarer words (a Zipf-distributed vocabulary of
 * 40,000 names), and a handful of words of the article's own story; half the items tell one article's story.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RelateTarget } from '../../src/content/model.ts';
import { compileContentRelater } from '../../src/ingest/relate-content.ts';
import type { UpstreamItem } from '../../src/model/item.ts';
import type { ItemToStore } from '../../src/model/poll.ts';
import type { ArticleDoc } from '../../src/model/search.ts';
import { terms } from '../../src/search/analyse.ts';
import { openStore } from '../../src/storage/store.ts';
import { Rng, WORDS_EN, WORDS_ID, pad } from './rng.ts';
import { openBulkStore } from './store.ts';

export interface RelateBenchParams {
  articles: number;
  items: number;
  /** New items related one by one for (a). */
  probes: number;
  seed: number;
  /** Where the store is made (emptied first); a temporary directory by default. */
  dir?: string;
}

export const RELATE_DEFAULTS: RelateBenchParams = { articles: 10_000, items: 100_000, probes: 5_000, seed: 20261114 };

export interface RelateBenchResult {
  articles: number;
  items: number;
  /** Building the index: analysing and storing every article. */
  indexMs: number;
  /** The same, CPU time of this process (user + system): what a busy machine does not inflate. */
  indexCpuMs: number;
  /** (a) Mean and 99th percentile of relating one new item, and the share of items related to something. */
  perItemMs: { mean: number; p99: number; relatedShare: number };
  /** (b) Every stored item related again, in batches of `batch`. */
  fullRelate: { ms: number; cpuMs: number; batch: number; relations: number };
  /** (c) Resident set size after the index is built, and after the full re-relate (MB). */
  rssMb: { afterIndex: number; afterFullRelate: number };
  dbMb: number;
}

const RARE = 40_000;
/** Syllables of the synthetic names: pronounceable, never an English or Indonesian stop word. */
const SYL = ['ka', 'ro', 'mi', 'tu', 'sha', 'vel', 'dor', 'ba', 'kir', 'zan', 'lo', 'pe', 'gra', 'nu', 'tes', 'wa'];
const nameOf = (i: number): string => {
  let s = '';
  for (let n = i + 17; n > 0; n = Math.floor(n / SYL.length)) s += SYL[n % SYL.length];
  return `${s}ia`;
};
const NAMES = Array.from({ length: RARE }, (_, i) => nameOf(i));

/** A name by Zipf's law: the few first are everywhere, most are rare. */
const zipf = (rng: Rng): string => NAMES[Math.min(RARE - 1, Math.floor(Math.exp(rng.next() * Math.log(RARE))) - 1)]!;

function text(rng: Rng, common: readonly string[], story: readonly string[], n: number, storyShare: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    out.push(r < storyShare ? rng.pick(story) : r < storyShare + 0.25 ? zipf(rng) : rng.pick(common));
  }
  return out.join(' ');
}

/** Each article's own story: five rare names. */
const storyOf = (rng: Rng): string[] => Array.from({ length: 5 }, () => NAMES[rng.int(2_000, RARE - 1)]!);

/**
 * The benchmark's world, drawn from one seeded stream in a fixed order (stories, then items, then the articles'
 * text, then the probes), so the in-process measurement and the service's world (writeRelateWorld) are the same.
 */
interface RelateWorld {
  /** Upstream item n (n >= p.items: a new item, for the probes). */
  item(n: number): UpstreamItem;
  /** Article a's text in each language: a headline, a summary (the head) and a body. */
  article(a: number): { lang: 'id' | 'en'; title: string; summary: string; body: string }[];
}

function relateWorld(p: RelateBenchParams): RelateWorld {
  const rng = new Rng(p.seed);
  const stories = Array.from({ length: p.articles }, () => storyOf(rng));
  return {
    item(n) {
      const lang = n % 2 === 0 ? 'id' : 'en';
      const common = lang === 'id' ? WORDS_ID : WORDS_EN;
      const about = rng.next() < 0.5 ? stories[rng.int(0, p.articles - 1)]! : storyOf(rng);
      const url = `https://upstream-${pad(n % 20, 2)}.example/news/${pad(n, 6)}`;
      return {
        key: url,
        url,
        title: text(rng, common, about, rng.int(6, 12), 0.3),
        summary: text(rng, common, about, rng.int(20, 40), 0.15),
        contentHtml: '',
        language: lang,
        categories: [],
        author: null,
        publishedAt: new Date(Date.UTC(2026, 10, 1) + n * 60_000),
        updatedAt: null,
      };
    },
    article(a) {
      return (
        [
          ['id', WORDS_ID],
          ['en', WORDS_EN],
        ] as const
      ).map(([lang, common]) => ({
        lang,
        title: text(rng, common, stories[a]!, 10, 0.3),
        summary: text(rng, common, stories[a]!, 30, 0.15),
        body: text(rng, common, stories[a]!, 300, 0.05),
      }));
    },
  };
}

export const relateSourceId = (n: number): string => `upstream-${pad(n % 20, 2)}`;
const relateArticleId = (a: number): string => `bench-${pad(a, 5)}`;

/** The world's items, through the benchmark's bulk loader, unrelated (a full re-relate computes their relations). */
function storeItems(dir: string, p: RelateBenchParams, world: RelateWorld): void {
  const bulk = openBulkStore(dir);
  try {
    const bySource = new Map<string, ItemToStore[]>();
    for (let n = 0; n < p.items; n++) {
      const source = relateSourceId(n);
      let list = bySource.get(source);
      if (!list) bySource.set(source, (list = []));
      list.push({ item: world.item(n), articleIds: [] });
    }
    for (const [source, list] of bySource) for (let i = 0; i < list.length; i += 5000) bulk.insertItems(source, list.slice(i, i + 5000));
  } finally {
    bulk.close();
  }
}

export function runRelateBench(p: RelateBenchParams = RELATE_DEFAULTS): RelateBenchResult {
  const dir = p.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-relate-bench-'));
  fs.rmSync(dir, { recursive: true, force: true });
  const world = relateWorld(p);
  storeItems(dir, p, world);

  const store = openStore(dir);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const t0 = performance.now();
  const c0 = cpu();
  const targets: RelateTarget[] = [];
  for (let i = 0; i < p.articles; i += 100) {
    const docs: ArticleDoc[] = [];
    for (let a = i; a < Math.min(p.articles, i + 100); a++) {
      const head: string[] = [];
      const body: string[] = [];
      for (const t of world.article(a)) {
        head.push(...terms(`${t.title} ${t.summary}`, t.lang));
        body.push(...terms(t.body, t.lang));
      }
      const articleId = relateArticleId(a);
      docs.push({ articleId, fingerprint: 'bench', head, body });
      targets.push({ articleId, rules: [], text: { fingerprint: 'bench', source: () => ({ translations: [] }), doc: () => ({ head, body: [] }) } });
    }
    store.indexArticles(docs, []);
  }
  store.compactArticleIndex();
  const indexMs = performance.now() - t0;
  const indexCpuMs = cpu() - c0;
  // The targets above keep their head terms for the doc() closures: the service's targets read files instead.
  for (const t of targets) t.text = { fingerprint: 'bench', source: () => ({ translations: [] }), doc: () => ({ head: [], body: [] }) };
  globalThis.gc?.();
  const afterIndex = process.memoryUsage().rss / 1e6;

  const relate = compileContentRelater(targets, store.articleSearch());
  const times: number[] = [];
  let related = 0;
  for (let n = 0; n < p.probes; n++) {
    const it = world.item(p.items + n);
    const t = performance.now();
    const r = relate(it);
    times.push(performance.now() - t);
    if (r.articleIds.length > 0) related++;
  }
  times.sort((a, b) => a - b);

  const batch = 2000;
  const t1 = performance.now();
  const c1 = cpu();
  let relations = 0;
  for (let after: number | null = 0; after !== null; ) {
    const b = store.recomputeRelationsBatch((i) => {
      const r = relate(i);
      relations += r.articleIds.length;
      return r;
    }, after, batch);
    after = b.next;
  }
  const fullMs = performance.now() - t1;
  const fullCpuMs = cpu() - c1;
  const afterFullRelate = process.memoryUsage().rss / 1e6;
  store.close();
  const dbMb = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0) / 1e6;
  if (!p.dir) fs.rmSync(dir, { recursive: true, force: true });
  return {
    articles: p.articles,
    items: p.items,
    indexMs,
    indexCpuMs,
    perItemMs: { mean: times.reduce((a, b) => a + b, 0) / times.length, p99: times[Math.floor(times.length * 0.99)]!, relatedShare: related / p.probes },
    fullRelate: { ms: fullMs, cpuMs: fullCpuMs, batch, relations },
    rssMb: { afterIndex, afterFullRelate },
    dbMb,
  };
}

export interface RelateWorldInfo {
  articles: number;
  items: number;
  files: number;
  ms: number;
}

/**
 * The same world for the service (issue 14's background re-relate, measured in the running service): the articles
 * as content files under `contentDir` (an Indonesian original and its English translation each, headline and
 * summary in the front matter, the body in Markdown), and the items in a store under `dataDir`, unrelated and not
 * indexed (the service's first start indexes and relates everything). Both are emptied first.
 */
export function writeRelateWorld(contentDir: string, dataDir: string, p: RelateBenchParams = RELATE_DEFAULTS): RelateWorldInfo {
  const t0 = performance.now();
  fs.rmSync(contentDir, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
  const world = relateWorld(p);
  storeItems(dataDir, p, world);
  const q = (s: string): string => JSON.stringify(s);
  let files = 0;
  const write = (rel: string, lines: string[]) => {
    const file = path.join(contentDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    files++;
  };
  write('site.yaml', [
    '# Synthetic site of the relating benchmark (bench/lib/relate.ts). Not committed.',
    'idAuthority: kabar-feeds.example,2026',
    'defaultLanguage: id',
    'feedItemLimit: 50',
    'languages:',
    '  id:',
    '    title: Kabar relating bench',
    '    description: Artikel sintetis untuk mengukur keterkaitan menurut isi.',
    '  en:',
    '    title: Kabar relating bench',
    '    description: Synthetic articles for measuring relating by content.',
  ]);
  // The sources the bulk loader created (its ids, names and URLs), so that syncing them changes nothing.
  const sources = [...new Set(Array.from({ length: Math.min(20, p.items) }, (_, n) => relateSourceId(n)))];
  write('sources.yaml', sources.flatMap((s) => [`- id: ${s}`, `  name: ${s}`, `  url: https://${s}.invalid/feed`]));
  const hour = 3_600_000;
  for (let a = 0; a < p.articles; a++) {
    const [id, en] = world.article(a) as [ReturnType<RelateWorld['article']>[number], ReturnType<RelateWorld['article']>[number]];
    // Article 0 is the newest, one every 3 hours going back.
    const published = new Date(Date.UTC(2026, 10, 20) - a * 3 * hour).toISOString().replace('.000Z', 'Z');
    const dir = `articles/${relateArticleId(a)}`;
    write(`${dir}/index.id.md`, [
      '---',
      `id: ${relateArticleId(a)}`,
      `title: ${q(id.title)}`,
      `summary: ${q(id.summary)}`,
      `published: ${published}`,
      'authors: [Redaksi]',
      'source:',
      '  name: Kabar',
      '---',
      '',
      id.body,
    ]);
    write(`${dir}/index.en.md`, [
      '---',
      `translationOf: ${relateArticleId(a)}`,
      `title: ${q(en.title)}`,
      `summary: ${q(en.summary)}`,
      `published: ${published}`,
      'translator: Kabar translation desk',
      '---',
      '',
      en.body,
    ]);
  }
  return { articles: p.articles, items: p.items, files, ms: performance.now() - t0 };
}
