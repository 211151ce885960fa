/**
 * PostgreSQL against SQLite on the storage side of issue 13's targets, in process (bench/postgres-only.ts runs
 * them; bench/run.ts may wire them in):
 *  - ingest: the 1,000-item upstream feed parsed, normalised and related once, then stored by `commitPoll` as a
 *    new source's first poll, into one store of each backend (wall time per poll; items/s of the store step, and of the pipeline without the
 *    fetch: parse + normalise + relate + store), and the same poll again (every item unchanged);
 *  - cold render's queries on a 100k-item store of each backend (filled by each backend's bulk loader from the same
 *    synthetic items): `relatedForArticles` for a feed's 50 articles (the site feed's, whose articles carry every
 *    relation, and a category feed's mix), and `relatedItems(50)` for the related feed, interleaved backend by
 *    backend so a drift of the machine falls on both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { RelatedCache } from '../../src/cache/related.ts';
import type { RetentionPolicy } from '../../src/config.ts';
import { loadContent } from '../../src/content/load.ts';
import { buildFeed, RELATED_PER_ARTICLE } from '../../src/feeds/build.ts';
import { FORMATS, Urls, type FeedKey } from '../../src/feeds/catalog.ts';
import { RENDERERS } from '../../src/feeds/render.ts';
import { normaliseFeed } from '../../src/ingest/normalise.ts';
import { parseFeed } from '../../src/ingest/parser.ts';
import { compileRelater } from '../../src/ingest/relate.ts';
import type { ItemToStore } from '../../src/model/poll.ts';
import { bulkItemLoader } from '../../src/storage/postgres/bulk.ts';
import { closePgDatabase, openPgDatabase } from '../../src/storage/postgres/database.ts';
import { openPostgresStore } from '../../src/storage/postgres/store.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { articleId, DEFAULT_PARAMS, generateStore, syntheticTargets, upstreamFeed, upstreamItems, type GenParams } from './generate.ts';
import type { IngestOutput } from '../workers/ingest.ts';
import type { LoadCase, StartupFigures, Target } from './report.ts';
import { median, quantile, round, sampleInterleaved } from './stats.ts';

const RETENTION: RetentionPolicy = { maxItemsPerSource: 5000, maxAgeDays: 36_500, maxRelatedItemsPerSource: 5000 };
const FEED_URL = 'https://wire.example/world/rss.xml';
const SOURCE = { id: 'bench-wire', name: 'Bench Wire', url: FEED_URL };

/** A throwaway schema per store, dropped at the end. */
const schemaName = (label: string): string => `bench_${label}_${process.pid}_${Math.floor(Math.random() * 1e6)}`;

async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

export interface IngestFigures {
  items: number;
  relatedItems: number;
  runs: number;
  /** parse + normalise + relate of the feed, medians (no fetch: the service's is a loopback round trip here). */
  pipelineMs: { parse: number; normalise: number; relate: number };
  backends: {
    name: 'sqlite' | 'postgres';
    /** commitPoll of the 1,000 new items, per run. */
    storeMs: number[];
    storeMedianMs: number;
    storeItemsPerSecond: number;
    /** 1,000 / (pipeline medians + store median): the ingest figure without the fetch. */
    pipelineItemsPerSecond: number;
    /** The same poll again: every item found unchanged. */
    unchangedMedianMs: number;
  }[];
}

/** See the file's comment: ingest of the 1,000-item feed as a new source's first poll, `runs` times after `warmup`, per backend. */
export async function measureIngest(url: string, opts: { runs: number; warmup: number; params?: GenParams }): Promise<IngestFigures> {
  const params = opts.params ?? DEFAULT_PARAMS;
  const text = upstreamFeed(params, 1000);
  const relater = compileRelater(syntheticTargets(params.ruled));
  const steps = { parse: [] as number[], normalise: [] as number[], relate: [] as number[] };
  let entries: ItemToStore[] = [];
  for (let run = 0; run < opts.warmup + opts.runs; run++) {
    let t = performance.now();
    const feed = await parseFeed(text);
    const parseMs = performance.now() - t;
    t = performance.now();
    const items = normaliseFeed(feed, { feedUrl: FEED_URL, sourceLanguage: 'en', now: new Date() });
    const normaliseMs = performance.now() - t;
    t = performance.now();
    entries = items.map((item) => ({ item, articleIds: relater(item) }));
    const relateMs = performance.now() - t;
    if (run >= opts.warmup) {
      steps.parse.push(parseMs);
      steps.normalise.push(normaliseMs);
      steps.relate.push(relateMs);
    }
  }
  const pipelineMs = { parse: median(steps.parse), normalise: median(steps.normalise), relate: median(steps.relate) };
  const pipeline = pipelineMs.parse + pipelineMs.normalise + pipelineMs.relate;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-bench-pg-'));
  const backends: IngestFigures['backends'] = [];
  const schema = schemaName('ingest');
  try {
    // One store per backend, as a running service has it (PostgreSQL's connections open and its catalog cached);
    // each run polls a source of its own, so every one of its 1,000 items is new.
    const opened: { name: 'sqlite' | 'postgres'; store: Store }[] = [
      { name: 'sqlite', store: openStore(path.join(tmp, 'ingest')) },
      { name: 'postgres', store: await openPostgresStore(url, { schema, poolSize: 2 }) },
    ];
    try {
      for (const { name, store } of opened) {
        const storeMs: number[] = [];
        const unchangedMs: number[] = [];
        for (let run = 0; run < opts.warmup + opts.runs; run++) {
          const source = { ...SOURCE, id: `${SOURCE.id}-${run}` };
          await store.syncSources([source]);
          let t = performance.now();
          const first = await store.commitPoll(source.id, entries, { lastStatus: 200 }, RETENTION, new Date());
          const ms = performance.now() - t;
          if (first.inserted !== entries.length) throw new Error(`${name}: ${first.inserted} of ${entries.length} items inserted`);
          t = performance.now();
          const again = await store.commitPoll(source.id, entries, { lastStatus: 200 }, RETENTION, new Date());
          const againMs = performance.now() - t;
          if (again.unchanged !== entries.length) throw new Error(`${name}: ${again.unchanged} of ${entries.length} items unchanged`);
          if (run >= opts.warmup) {
            storeMs.push(ms);
            unchangedMs.push(againMs);
          }
        }
        const storeMedianMs = median(storeMs);
        backends.push({
          name,
          storeMs: storeMs.map((x) => round(x, 1)),
          storeMedianMs: round(storeMedianMs, 1),
          storeItemsPerSecond: Math.round((entries.length / storeMedianMs) * 1000),
          pipelineItemsPerSecond: Math.round((entries.length / (pipeline + storeMedianMs)) * 1000),
          unchangedMedianMs: round(median(unchangedMs), 1),
        });
      }
    } finally {
      for (const o of opened) await o.store.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await dropSchema(url, schema);
  }
  return {
    items: entries.length,
    relatedItems: entries.filter((e) => e.articleIds.length > 0).length,
    runs: opts.runs,
    pipelineMs: { parse: round(pipelineMs.parse, 1), normalise: round(pipelineMs.normalise, 1), relate: round(pipelineMs.relate, 1) },
    backends,
  };
}

/**
 * A PostgreSQL store in `schema` filled with the first `count` synthetic items, as generateStore fills a SQLite one
 * (per source, 5,000 items per transaction, through the backend's own upsert); returns the milliseconds taken.
 */
export async function generatePgStore(url: string, schema: string, p: GenParams, count: number): Promise<number> {
  const t0 = performance.now();
  const bySource = new Map<string, ItemToStore[]>();
  for (const { source, entry } of upstreamItems(p, count)) {
    let list = bySource.get(source);
    if (!list) bySource.set(source, (list = []));
    list.push(entry);
  }
  const db = await openPgDatabase(url, { schema, poolSize: 2 });
  try {
    const insert = bulkItemLoader(db);
    for (const [source, list] of [...bySource].sort(([a], [b]) => a.localeCompare(b))) {
      for (let i = 0; i < list.length; i += 5000) await insert(source, list.slice(i, i + 5000));
    }
    // Statistics and the visibility map as autovacuum leaves them after such a load (index-only scans then skip
    // the table).
    await db.pool.query('VACUUM ANALYZE');
  } finally {
    await closePgDatabase(db);
  }
  return performance.now() - t0;
}

export interface QueryCase {
  name: string;
  backend: 'sqlite' | 'postgres';
  samples: number;
  medianMs: number;
  p90Ms: number;
}

export interface ColdQueryFigures {
  items: number;
  fillMs: { sqlite: number; postgres: number };
  cases: QueryCase[];
  /** PostgreSQL's median over SQLite's, per query (the issue's bound for the whole cold render is 1.5). */
  ratios: Record<string, number>;
}

/**
 * See the file's comment: the cold render's store queries on a `count`-item store of each backend, `iterations`
 * times each after `warmup`, the backends interleaved.
 */
export async function measureColdQueries(url: string, opts: { count: number; iterations: number; warmup: number; params?: GenParams }): Promise<ColdQueryFigures> {
  const params = opts.params ?? DEFAULT_PARAMS;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-bench-pg-'));
  const schema = schemaName('cold');
  try {
    const sqliteInfo = generateStore(path.join(tmp, 'store'), params, opts.count);
    const pgFillMs = await generatePgStore(url, schema, params, opts.count);
    const stores: { name: 'sqlite' | 'postgres'; store: Store }[] = [
      { name: 'sqlite', store: openStore(sqliteInfo.dir) },
      { name: 'postgres', store: await openPostgresStore(url, { schema, poolSize: 2 }) },
    ];
    try {
      // The site feed shows the 50 newest articles (those the relate rules name: every relation is theirs); a
      // category feed's 50 are spread over the archive (a few with relations, most without).
      const queries: { name: string; run: (s: Store) => Promise<number> }[] = [
        {
          name: 'relatedForArticles, site feed (50 newest articles)',
          run: async (s) => count(await s.relatedForArticles(Array.from({ length: 50 }, (_, i) => articleId(i)), RELATED_PER_ARTICLE)),
        },
        {
          name: 'relatedForArticles, category feed (50 articles spread)',
          run: async (s) => count(await s.relatedForArticles(Array.from({ length: 50 }, (_, i) => articleId(i * 7)), RELATED_PER_ARTICLE)),
        },
        { name: 'relatedItems(50), related feed', run: async (s) => (await s.relatedItems(50)).length },
      ];
      const cases: QueryCase[] = [];
      const ratios: Record<string, number> = {};
      for (const q of queries) {
        const times = new Map<string, number[]>(stores.map((s) => [s.name, []]));
        const shown = new Map<string, number>();
        for (let i = 0; i < opts.warmup + opts.iterations; i++) {
          for (const s of i % 2 === 0 ? stores : [...stores].reverse()) {
            const t = performance.now();
            const n = await q.run(s.store);
            const ms = performance.now() - t;
            if (i >= opts.warmup) times.get(s.name)!.push(ms);
            shown.set(s.name, n);
          }
        }
        if (shown.get('sqlite') !== shown.get('postgres')) throw new Error(`${q.name}: SQLite shows ${shown.get('sqlite')} items, PostgreSQL ${shown.get('postgres')}`);
        for (const s of stores) {
          const t = times.get(s.name)!;
          cases.push({ name: q.name, backend: s.name, samples: t.length, medianMs: round(median(t), 3), p90Ms: round(quantile(t, 0.9), 3) });
        }
        ratios[q.name] = round(median(times.get('postgres')!) / median(times.get('sqlite')!), 2);
      }
      return { items: opts.count, fillMs: { sqlite: Math.round(sqliteInfo.ms), postgres: Math.round(pgFillMs) }, cases, ratios };
    } finally {
      for (const s of stores) await s.store.close();
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
    await dropSchema(url, schema);
  }
}

const storeMs = (i: IngestOutput): number | string => i.steps.find((s) => s.name === 'store')?.medianMs ?? '–';

function count(related: Map<string, readonly unknown[]>): number {
  let n = 0;
  for (const list of related.values()) n += list.length;
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Issue 13's PostgreSQL targets in `npm run bench` (bench/run.ts): the service's own PostgreSQL path against the
// SQLite figures of the same run.

/** Where the bench finds PostgreSQL (the service's schema is added as `?schema=`). */
export const benchDatabaseUrl = (): string => process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The PostgreSQL twin of the bench's 100k-item SQLite store, in a schema of its own. */
export interface PgBenchStore {
  schema: string;
  /** DATABASE_URL for the service and the workers: the bench schema in `?schema=`. */
  serviceUrl: string;
  items: number;
  fillMs: number;
  drop(): Promise<void>;
}

/** Fills a new schema with the same `count` synthetic items (and relations) as generateStore puts in the SQLite store. */
export async function createPgBenchStore(url: string, params: GenParams, count: number): Promise<PgBenchStore> {
  const schema = schemaName('store');
  const serviceUrl = `${url}${url.includes('?') ? '&' : '?'}schema=${schema}`;
  try {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.end();
  } catch (err) {
    throw new Error(`the PostgreSQL targets need a server at ${new URL(url).host} (BENCH_DATABASE_URL): ${(err as Error).message}`, { cause: err });
  }
  try {
    const fillMs = await generatePgStore(url, schema, params, count);
    return {
      schema,
      serviceUrl,
      items: count,
      fillMs: Math.round(fillMs),
      drop: () => dropSchema(url, schema),
    };
  } catch (err) {
    await dropSchema(url, schema);
    throw err;
  }
}

/**
 * Where the ingest worker stores each run's poll: a fresh SQLite store per run (under `workDir`), or with
 * `databaseUrl` one throwaway PostgreSQL schema for the whole worker, as a running service has its store (connections
 * open, statements prepared); the worker polls a source of its own per run, so every item is new there too.
 */
export async function ingestStores(databaseUrl: string | undefined, workDir: string): Promise<{ open(name: string): { store: Store; done: () => void }; close: () => Promise<void> }> {
  if (!databaseUrl) {
    return {
      open(name) {
        const dir = path.join(workDir, name);
        fs.rmSync(dir, { recursive: true, force: true });
        const store = openStore(dir);
        const done = () => {
          store.close();
          fs.rmSync(dir, { recursive: true, force: true });
        };
        return { store, done };
      },
      close: async () => {},
    };
  }
  const schema = schemaName('ingest');
  const store = await openPostgresStore(databaseUrl, { schema });
  return {
    open: () => ({ store, done: () => {} }),
    close: async () => {
      await store.close();
      await dropSchema(databaseUrl, schema);
    },
  };
}

export interface PgRenderInput {
  contentDir: string;
  /** The 100k-item SQLite store, and DATABASE_URL of its PostgreSQL twin (PgBenchStore.serviceUrl). */
  sqliteDir: string;
  databaseUrl: string;
  baseUrl: string;
  readAheadSamples: number;
  iterations: number;
  warmup: number;
  maxMsPerCase: number;
}

export interface PgRenderCase {
  feed: string;
  format: string;
  /** buildFeed + render with the SQLite store queried for the entries' related items (render.ts's cold render). */
  sqliteMedianMs: number;
  /** The same from the related items PostgreSQL's read-ahead keeps in memory (the service's only PostgreSQL path). */
  postgresMedianMs: number;
  ratio: number;
  samples: number;
}

export interface PgRenderOutput {
  articles: number;
  /** RelatedCache.load at start: every article's related items and the newest related ones, from PostgreSQL. */
  readAhead: { samples: number; medianMs: number; maxMs: number; lists: number; items: number };
  /** RelatedCache.changed for one article (after a poll touched its related items), until renders see it. */
  oneArticleRereadMedianMs: number;
  cases: PgRenderCase[];
}

/**
 * Cold render on the 100k-item PostgreSQL store as the service does it (bench/workers/pg-render.ts runs it pinned
 * like render.ts): the read-ahead timed on fresh RelatedCaches, then each feed and format rendered from it,
 * interleaved render by render with the SQLite cold render of render.ts, so the ratio is of one moment; the two
 * must give the same bytes.
 */
export async function measurePgColdRender(input: PgRenderInput): Promise<PgRenderOutput> {
  const snapshot = loadContent(input.contentDir);
  const ids = snapshot.articles.map((a) => a.id);
  const urls = new Urls(input.baseUrl);
  const sqlite = openStore(input.sqliteDir);
  const store = await openPostgresStore(input.databaseUrl);
  try {
    const readAheadMs: number[] = [];
    let related = new RelatedCache(store, { preload: true });
    for (let i = 0; i <= input.readAheadSamples; i++) {
      related = new RelatedCache(store, { preload: true });
      const t = performance.now();
      await related.load(ids, snapshot.site.feedItemLimit);
      if (i > 0) readAheadMs.push(performance.now() - t);
    }
    const lists = related.relatedForArticles(ids, RELATED_PER_ARTICLE);
    const reread: number[] = [];
    for (let i = 0; i < 25; i++) {
      const t = performance.now();
      await related.changed([ids[i % 5]!]);
      if (i >= 5) reread.push(performance.now() - t);
    }

    const category = snapshot.articles[0]!.categories[0]!;
    const feeds: { name: string; key: Omit<FeedKey, 'format'> }[] = [
      { name: 'site (id)', key: { language: 'id', scope: { kind: 'site' } } },
      { name: `category ${category} (en)`, key: { language: 'en', scope: { kind: 'category', slug: category } } },
      { name: 'related (id)', key: { language: 'id', scope: { kind: 'related' } } },
    ];
    const cases: PgRenderCase[] = [];
    for (const f of feeds) {
      for (const format of FORMATS) {
        const key: FeedKey = { ...f.key, format };
        const texts = ['', ''];
        const [s, p] = sampleInterleaved(
          [sqlite, related].map((reader, i) => () => void (texts[i] = RENDERERS[format](buildFeed(snapshot, key, urls, reader)))),
          input.iterations,
          input.warmup,
          input.maxMsPerCase,
        ) as [number[], number[]];
        if (texts[0] !== texts[1]) throw new Error(`${f.name} ${format}: the render from PostgreSQL differs from SQLite's`);
        cases.push({ feed: f.name, format, sqliteMedianMs: round(median(s), 3), postgresMedianMs: round(median(p), 3), ratio: round(median(p) / median(s), 2), samples: p.length });
      }
    }
    return {
      articles: ids.length,
      readAhead: { samples: readAheadMs.length, medianMs: round(median(readAheadMs), 0), maxMs: round(Math.max(...readAheadMs), 0), lists: [...lists.values()].filter((l) => l.length > 0).length, items: count(lists) },
      oneArticleRereadMedianMs: round(median(reread), 2),
      cases,
    };
  } finally {
    sqlite.close();
    await store.close();
  }
}

/** bench/run.ts's names of the worker phases below (for its noise table and the targets' "disturbed"). */
export const PG_PHASES = { render: 'postgres cold render worker', ingest: 'postgres ingest worker' } as const;

/** What bench/run.ts keeps of these measurements (BenchResult.postgres). */
export interface PostgresFigures {
  items: number;
  fillMs: number;
  startup: StartupFigures;
  /** Identity 200 per feed: PostgreSQL as `ours`, SQLite as `bare`. */
  load: LoadCase[];
  ingest: IngestOutput;
  render: PgRenderOutput;
}

/**
 * The three PostgreSQL rows of the targets table; `sqliteIngest`, the SQLite ingest of the same run, is shown
 * beside PostgreSQL's (on a busy machine the absolute figure says little alone).
 */
export function postgresTargets(r: PostgresFigures, sqliteIngest: IngestOutput, disturbed: (phase: string) => boolean): Target[] {
  const worstLoad = r.load.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  const worstRender = r.render.cases.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const { readAhead } = r.render;
  return [
    {
      name: `Cached feed identity 200 on PostgreSQL against SQLite (worst of ${r.load.map((c) => c.feed).join(', ')}; the hot path must not touch the database)`,
      target: '≥ 0.95 × SQLite',
      measured:
        r.load
          .map((c) => `${c.feed} ${round(c.ratio, 2)} (${c.ours.rps.toLocaleString('en-US')} vs ${c.bare.rps.toLocaleString('en-US')} req/s; server CPU ${c.ours.serverCpuUsPerResponse} vs ${c.bare.serverCpuUsPerResponse} µs/resp)`)
          .join('; '),
      met: worstLoad.ratio >= 0.95,
      // As bench/run.ts's cached-feed rows: other processes used more than 10% of a core during the runs.
      disturbed: r.load.some((c) => Math.max(c.ours.window.foreignCoreShare, c.bare.window.foreignCoreShare) > 0.1),
    },
    {
      name: 'Ingest throughput on PostgreSQL (1,000-item feed, loopback)',
      target: '≥ 3,000 items/s',
      measured:
        `${r.ingest.full.itemsPerSecond.toLocaleString('en-US')} items/s (SQLite: ${sqliteIngest.full.itemsPerSecond.toLocaleString('en-US')}); ` +
        `store step ${storeMs(r.ingest)} ms (SQLite: ${storeMs(sqliteIngest)} ms)`,
      met: r.ingest.full.itemsPerSecond >= 3000,
      disturbed: disturbed(PG_PHASES.ingest),
    },
    {
      name: `Cold render on a 100k-item PostgreSQL store vs SQLite (worst of ${r.render.cases.length} feeds and formats; related items read ahead at start)`,
      target: '≤ 1.5 ×',
      measured:
        `${worstRender.ratio} × (${worstRender.feed} ${worstRender.format}: ${worstRender.postgresMedianMs} ms from the lists in memory vs SQLite's ${worstRender.sqliteMedianMs} ms with its queries); ` +
        `read-ahead of ${r.render.articles.toLocaleString('en-US')} articles' related items (${readAhead.items.toLocaleString('en-US')} items): ${readAhead.medianMs} ms, ` +
        `one article's again after a poll: ${r.render.oneArticleRereadMedianMs} ms; first start on it to the first 200: ${r.startup.spawnToFirst200Ms === null ? '–' : `${(r.startup.spawnToFirst200Ms / 1000).toFixed(2)} s`}`,
      met: r.render.cases.every((c) => c.ratio <= 1.5),
      disturbed: disturbed(PG_PHASES.render),
    },
  ];
}
