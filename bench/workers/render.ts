/**
 * In-process measurements on the loaded synthetic content (pinned to the service core by run.ts):
 *  - cold render of 50-item feeds in each format with a 1k-item and a 100k-item store: buildFeed (which
 *    queries the store for related items) + RENDERERS[format], each call fresh (nothing is cached below the
 *    representation cache: the render after a poll changed every article's related items); after a typical
 *    poll (the newest article's related items changed, the others kept in the RelatedCache); and the same after a content
 *    edit, as the service does it, with related items from its warm RelatedCache;
 *  - the first render of each format on a freshly loaded snapshot (article bodies not yet read and rendered:
 *    the first request after a restart);
 *  - the parts of start-up that depend on the data: loading the content through LiveContent (first start, and
 *    restart with the parsed-content cache), setting up its watchers, compiling the relate rules, recomputing
 *    every stored item's relations (done when the rules changed), and the heap the snapshot retains;
 *  - what relating would cost if every article carried relate rules (projection from a sample).
 */
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { Representation } from '../../src/cache/representation.ts';
import { RelatedCache } from '../../src/cache/related.ts';
import { LiveContent } from '../../src/content/live.ts';
import { ContentCache } from '../../src/content/cache.ts';
import { loadContent } from '../../src/content/load.ts';
import { relateTargets } from '../../src/content/relate-targets.ts';
import { buildFeed } from '../../src/feeds/build.ts';
import { FORMATS, Urls, type FeedKey } from '../../src/feeds/catalog.ts';
import { RENDERERS } from '../../src/feeds/render.ts';
import { compileRelater } from '../../src/ingest/relate.ts';
import { silentLogger } from '../../src/log.ts';
import { openStore } from '../../src/storage/store.ts';
import { DEFAULT_PARAMS, syntheticTargets, upstreamItems, type GenParams } from '../lib/generate.ts';
import { median, quantile, round, sample, sampleInterleaved, youngGc } from '../lib/stats.ts';
import { recomputeAllRelations } from '../lib/store.ts';
import { runWorker } from '../lib/worker.ts';

export interface RenderInput {
  contentDir: string;
  stores: { label: string; dir: string; items: number }[];
  /** The store whose relations are recomputed to time the start-up relate step. */
  relateStoreDir: string;
  workDir: string;
  baseUrl: string;
  /** Fresh snapshots per format for the first-render (cold bodies) figure. */
  firstRenderSamples: number;
  iterations: number;
  warmup: number;
  maxMsPerCase: number;
  params: GenParams;
}

export interface RenderCase {
  store: string;
  storeItems: number;
  feed: string;
  path: string;
  format: string;
  entries: number;
  bytes: number;
  samples: number;
  buildMedianMs: number;
  renderMedianMs: number;
  totalMedianMs: number;
  totalP90Ms: number;
  /**
   * build + render as the service does it after a content edit: related items come from its in-memory
   * RelatedCache (only a poll or re-relate that changes what we publish clears it).
   */
  contentChangeMedianMs: number;
  /**
   * build + render after a typical poll: one new related item for the feed's newest article, so the service's
   * RelatedCache forgets that article's list (and the newest-related list) and keeps the others.
   */
  typicalPollMedianMs: number;
  /** Representation.fromText (Buffer + sha256 ETag), done once per cold render by the cache. */
  representMedianMs: number;
  /** gzip level 9 of the body, done on the first gzip request after a change. */
  gzipMs: number;
}

export interface RenderOutput {
  contentLoadMs: number;
  articles: number;
  cases: RenderCase[];
  /** First render of the site feed (id) on a snapshot just loaded from the parsed-content cache, 100k store. */
  firstRender: { format: string; samples: number; medianMs: number; warmMedianMs: number }[];
  startup: {
    /** LiveContent with an empty cache file: every file read and parsed (a first start). */
    contentColdLoadMs: number;
    /** LiveContent with the cache file the first load wrote (a restart). */
    contentRestartLoadMs: number;
    watchSetupMs: number;
    relateTargets: number;
    compileRelaterMs: number;
    recomputeRelationsMs: number;
    recomputeItems: number;
    relationsChanged: boolean;
    /** Heap retained by one loaded snapshot (after GC), null without --expose-gc. */
    snapshotRetainedMB: number | null;
  };
  projection: {
    allArticlesTargets: number;
    compileMs: number;
    relatePerItemMs: number;
    projectedRelateAllS: number;
    projectedRelate1000ItemsS: number;
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

function main(input: RenderInput): RenderOutput {
  const params = input.params ?? DEFAULT_PARAMS;
  const logger = silentLogger();
  const cacheFile = path.join(input.workDir, 'render-content-cache.json');
  fs.rmSync(cacheFile, { force: true });

  // Content as the service loads it: first start (nothing cached), then a restart (cache file from the first).
  gc?.();
  const heap0 = v8.getHeapStatistics().used_heap_size;
  let t = performance.now();
  const first = new LiveContent(input.contentDir, logger, () => new Date(), cacheFile);
  const contentColdLoadMs = performance.now() - t;
  gc?.();
  const snapshotRetainedMB = gc ? (v8.getHeapStatistics().used_heap_size - heap0) / 1048576 : null;
  t = performance.now();
  const restarted = new LiveContent(input.contentDir, logger, () => new Date(), cacheFile);
  const contentRestartLoadMs = performance.now() - t;
  t = performance.now();
  restarted.watch();
  const watchSetupMs = performance.now() - t;
  restarted.close();
  first.close();
  const snapshot = first.current;
  const contentLoadMs = contentColdLoadMs;
  const urls = new Urls(input.baseUrl);

  const category = snapshot.articles[0]!.categories[0]!;
  const feeds: { name: string; key: Omit<FeedKey, 'format'> }[] = [
    { name: 'site (id)', key: { language: 'id', scope: { kind: 'site' } } },
    { name: `category ${category} (en)`, key: { language: 'en', scope: { kind: 'category', slug: category } } },
    { name: 'related (id)', key: { language: 'id', scope: { kind: 'related' } } },
  ];

  const cases: RenderCase[] = [];
  const stores = input.stores.map((s) => ({ s, store: openStore(s.dir) }));
  try {
    for (const f of feeds) {
      for (const format of FORMATS) {
        const key: FeedKey = { ...f.key, format };
        // The cold render from each store, the stores interleaved render by render: their ratio is the figure
        // that matters, and a drift of this shared machine must not fall on one store only.
        const runs = stores.map(({ store }) => {
          const r = { build: [] as number[], render: [] as number[], text: '', entries: 0 };
          const fn = () => {
            const t0 = performance.now();
            const doc = buildFeed(snapshot, key, urls, store);
            const t1 = performance.now();
            r.text = RENDERERS[format](doc);
            const t2 = performance.now();
            r.build.push(t1 - t0);
            r.render.push(t2 - t1);
            r.entries = doc.entries.length;
          };
          return { r, fn };
        });
        // Each render starts with an empty young generation (youngGc), so neither store pays for the other's garbage.
        const totalsPerStore = sampleInterleaved(
          runs.map((x) => x.fn),
          input.iterations,
          input.warmup,
          input.maxMsPerCase,
          youngGc,
        );
        stores.forEach(({ s, store }, i) => {
          const { r } = runs[i]!;
          const totals = totalsPerStore[i]!;
          const text = r.text;
          const related = new RelatedCache(store);
          const afterEdit = sample(
            () => RENDERERS[format](buildFeed(snapshot, key, urls, related)),
            input.iterations,
            input.warmup,
            input.maxMsPerCase,
          );
          const newest =
            f.key.scope.kind === 'category'
              ? snapshot.articles.find((a) => f.key.scope.kind === 'category' && a.categories.includes(f.key.scope.slug))
              : snapshot.articles[0];
          const afterPoll = sample(
            () => {
              related.forget(newest ? [newest.id] : []);
              return RENDERERS[format](buildFeed(snapshot, key, urls, related));
            },
            input.iterations,
            input.warmup,
            input.maxMsPerCase,
          );
          const measuredBuild = r.build.slice(-totals.length);
          const measuredRender = r.render.slice(-totals.length);
          const represent = sample(() => Representation.fromText(text, 'application/xml', 'public', new Date()), 50, 3, 1000);
          const rep = Representation.fromText(text, 'application/xml', 'public', new Date());
          const tg = performance.now();
          rep.bytes('gzip');
          const gzipMs = performance.now() - tg;
          cases.push({
            store: s.label,
            storeItems: s.items,
            feed: f.name,
            path: urls.feed(key).slice(input.baseUrl.length),
            format,
            entries: r.entries,
            bytes: Buffer.byteLength(text),
            samples: totals.length,
            buildMedianMs: round(median(measuredBuild), 3),
            renderMedianMs: round(median(measuredRender), 3),
            totalMedianMs: round(median(totals), 3),
            totalP90Ms: round(quantile(totals, 0.9), 3),
            contentChangeMedianMs: round(median(afterEdit), 3),
            typicalPollMedianMs: round(median(afterPoll), 3),
            representMedianMs: round(median(represent), 3),
            gzipMs: round(gzipMs, 3),
          });
        });
      }
    }
  } finally {
    for (const { store } of stores) store.close();
  }

  // First render with cold bodies: each sample on a snapshot freshly loaded from the cache file.
  const firstRender: RenderOutput['firstRender'] = [];
  const bigStore = openStore(input.relateStoreDir);
  try {
    for (const format of FORMATS) {
      const key: FeedKey = { language: 'id', scope: { kind: 'site' }, format };
      const times: number[] = [];
      for (let i = 0; i < input.firstRenderSamples; i++) {
        const fresh = loadContent(input.contentDir, new Date(), ContentCache.read(cacheFile, input.contentDir));
        const t0 = performance.now();
        RENDERERS[format](buildFeed(fresh, key, urls, bigStore));
        times.push(performance.now() - t0);
      }
      const warm = cases.find((c) => c.store === '100k' && c.feed === feeds[0]!.name && c.format === format);
      firstRender.push({ format, samples: times.length, medianMs: round(median(times), 2), warmMedianMs: warm?.totalMedianMs ?? Number.NaN });
    }
  } finally {
    bigStore.close();
  }
  fs.rmSync(cacheFile, { force: true });

  // Start-up parts that scale with the data.
  const targets = relateTargets(snapshot, false);
  t = performance.now();
  const relater = compileRelater(targets);
  const compileRelaterMs = performance.now() - t;
  const store = openStore(input.relateStoreDir);
  let recomputeRelationsMs: number;
  let relationsChanged: boolean;
  try {
    t = performance.now();
    relationsChanged = recomputeAllRelations(store, (item) => ({ articleIds: relater(item) }));
    recomputeRelationsMs = performance.now() - t;
  } finally {
    store.close();
  }

  // If every article carried rules like the ruled ones.
  const all = syntheticTargets(snapshot.articles.length);
  t = performance.now();
  const allRelater = compileRelater(all);
  const compileMs = performance.now() - t;
  const items = [...upstreamItems(params, 40)].map((x) => x.entry.item);
  allRelater(items[0]!);
  t = performance.now();
  for (const it of items) allRelater(it);
  const relatePerItemMs = (performance.now() - t) / items.length;

  return {
    contentLoadMs: round(contentLoadMs, 1),
    articles: snapshot.articles.length,
    cases,
    firstRender,
    startup: {
      contentColdLoadMs: round(contentColdLoadMs, 1),
      contentRestartLoadMs: round(contentRestartLoadMs, 1),
      watchSetupMs: round(watchSetupMs, 1),
      relateTargets: targets.length,
      compileRelaterMs: round(compileRelaterMs, 1),
      recomputeRelationsMs: round(recomputeRelationsMs, 1),
      recomputeItems: input.stores.find((s) => s.dir === input.relateStoreDir)?.items ?? 0,
      relationsChanged,
      snapshotRetainedMB: snapshotRetainedMB === null ? null : round(snapshotRetainedMB, 1),
    },
    projection: {
      allArticlesTargets: all.length,
      compileMs: round(compileMs, 1),
      relatePerItemMs: round(relatePerItemMs, 3),
      projectedRelateAllS: round((relatePerItemMs * params.items) / 1000, 1),
      projectedRelate1000ItemsS: round(relatePerItemMs, 2),
    },
  };
}

runWorker(main);
