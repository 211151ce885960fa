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
import type { RetentionPolicy } from '../../src/config.ts';
import { RELATED_PER_ARTICLE } from '../../src/feeds/build.ts';
import { normaliseFeed } from '../../src/ingest/normalise.ts';
import { parseFeed } from '../../src/ingest/parser.ts';
import { compileRelater } from '../../src/ingest/relate.ts';
import type { ItemToStore } from '../../src/model/poll.ts';
import { bulkItemLoader } from '../../src/storage/postgres/bulk.ts';
import { closePgDatabase, openPgDatabase } from '../../src/storage/postgres/database.ts';
import { openPostgresStore } from '../../src/storage/postgres/store.ts';
import { openStore, type Store } from '../../src/storage/store.ts';
import { articleId, DEFAULT_PARAMS, generateStore, syntheticTargets, upstreamFeed, upstreamItems, type GenParams } from './generate.ts';
import { median, quantile, round } from './stats.ts';

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
  /** PostgreSQL's median over SQLite's, per query (the bound for the whole cold render is 1.5). */
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

function count(related: Map<string, readonly unknown[]>): number {
  let n = 0;
  for (const list of related.values()) n += list.length;
  return n;
}
