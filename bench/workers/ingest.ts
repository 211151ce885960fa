/**
 * Ingest throughput, in its own process pinned to the service core (the upstream runs on the other core):
 *  - full polls of a 1,000-item feed into a fresh store (createIngester + pollSource), wall and CPU time;
 *  - unchanged polls answered 304, wall and CPU time, and the bare HTTP round trip of the same conditional
 *    request (so the report can subtract the network and the upstream's own time);
 *  - the same work split into its steps (fetch, parse, normalise + sanitise, relate, store) on the same feed.
 * Into SQLite, or with `databaseUrl` into PostgreSQL (see ingestStores).
 */
import http from 'node:http';
import { pino } from 'pino';
import type { FetchPolicy, RetentionPolicy } from '../../src/config.ts';
import { loadContent } from '../../src/content/load.ts';
import { relateTargets } from '../../src/content/relate-targets.ts';
import { fetchFeed } from '../../src/ingest/fetcher.ts';
import { createIngester } from '../../src/ingest/ingester.ts';
import { normaliseFeed } from '../../src/ingest/normalise.ts';
import { parseFeed } from '../../src/ingest/parser.ts';
import { compileContentRelater } from '../../src/ingest/relate-content.ts';
import type { Source } from '../../src/model/source.ts';
import { createLogger } from '../../src/log.ts';
import { ingestStores } from '../lib/postgres.ts';
import { median, quantile, round } from '../lib/stats.ts';
import { runWorker } from '../lib/worker.ts';

export interface IngestInput {
  feedUrl: string;
  contentDir: string;
  workDir: string;
  runs: number;
  /**
   * Full polls done first and not counted: the service polls for days, so what matters is the pipeline once
   * the JIT has compiled it (the first poll on a pinned core is about three times the steady one).
   */
  warmupRuns: number;
  notModifiedPolls: number;
  /** PostgreSQL's DATABASE_URL: the polls go into a throwaway schema there (dropped at the end); unset, SQLite. */
  databaseUrl?: string;
}

export interface IngestOutput {
  items: number;
  feedBytes: number;
  relateTargets: number;
  full: { runs: number; wallMs: number[]; cpuMs: number[]; medianWallMs: number; medianCpuMs: number; itemsPerSecond: number; relatedItems: number };
  notModified: {
    polls: number;
    medianWallMs: number;
    p90WallMs: number;
    medianCpuMs: number;
    bareRoundTripMedianMs: number;
    ownWorkMedianMs: number;
    lastStatus: number | null;
  };
  steps: { name: string; medianMs: number; perItemUs: number }[];
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

function bareConditionalGet(url: string, etag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { headers: { 'if-none-match': etag, 'user-agent': 'bench' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function main(input: IngestInput): Promise<IngestOutput> {
  const stores = await ingestStores(input.databaseUrl, input.workDir);
  try {
    return await measure(input, stores);
  } finally {
    await stores.close();
  }
}

async function measure(input: IngestInput, stores: Awaited<ReturnType<typeof ingestStores>>): Promise<IngestOutput> {
  const snapshot = loadContent(input.contentDir);
  const targets = relateTargets(snapshot, false);
  const fetchPolicy: FetchPolicy = { timeoutMs: 10_000, maxBytes: 20 * 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds-bench' };
  const retention: RetentionPolicy = { maxItemsPerSource: 5000, maxAgeDays: 36_500, maxRelatedItemsPerSource: 5000 };
  // Logs at info, as the service writes them, into /dev/null.
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));
  const wire: Source = { id: 'bench-wire', url: input.feedUrl, name: 'Bench Wire', schedule: '*/15 * * * *', language: 'en' };

  const wallMs: number[] = [];
  const cpu: number[] = [];
  let items = 0;
  let relatedItems = 0;
  const nmWall: number[] = [];
  const nmCpu: number[] = [];
  let lastStatus: number | null = null;
  for (let run = 0; run < input.warmupRuns + input.runs; run++) {
    const counted = run >= input.warmupRuns;
    // A source per run: on PostgreSQL the runs share one store, and each poll must find every item new.
    const source: Source = { ...wire, id: `${wire.id}-${run}` };
    const { store, done } = stores.open(`ingest-${run}`);
    try {
      const ingester = createIngester({ store, sources: [source], fetchPolicy, retention, logger, targets: () => targets, onPublishedChange: () => {}, jitterMs: 0 });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await ingester.pollSource(source.id);
      if (counted) {
        wallMs.push(performance.now() - t0);
        cpu.push(cpuMs(process.cpuUsage(c0)));
      }
      const st = (await ingester.status())[0]!;
      if (st.lastStatus !== 200 || st.lastError) throw new Error(`full poll failed: ${st.lastStatus} ${st.lastError}`);
      items = st.itemCount;
      if (run === input.warmupRuns) {
        for (let i = 0; i < input.notModifiedPolls; i++) {
          const n0 = process.cpuUsage();
          const t1 = performance.now();
          await ingester.pollSource(source.id);
          nmWall.push(performance.now() - t1);
          nmCpu.push(cpuMs(process.cpuUsage(n0)));
        }
        lastStatus = (await ingester.status())[0]!.lastStatus;
      }
      await ingester.stop();
    } finally {
      done();
    }
  }

  const bare: number[] = [];
  for (let i = 0; i < input.notModifiedPolls; i++) {
    const t = performance.now();
    const status = await bareConditionalGet(input.feedUrl, '"bench-feed-v1"');
    bare.push(performance.now() - t);
    if (status !== 304) throw new Error(`upstream answered ${status} to a matching conditional GET`);
  }

  // The same work, step by step.
  const steps: Record<string, number[]> = { fetch: [], parse: [], 'normalise + sanitise': [], relate: [], store: [] };
  let feedBytes = 0;
  for (let run = 0; run < input.runs; run++) {
    let t = performance.now();
    const res = await fetchFeed(input.feedUrl, { etag: null, lastModified: null }, fetchPolicy);
    steps.fetch!.push(performance.now() - t);
    if (res.kind !== 'ok') throw new Error('expected a 200');
    feedBytes = Buffer.byteLength(res.text);
    t = performance.now();
    const feed = await parseFeed(res.text);
    steps.parse!.push(performance.now() - t);
    t = performance.now();
    const normalised = normaliseFeed(feed, { feedUrl: res.finalUrl, sourceLanguage: 'en', now: new Date() });
    steps['normalise + sanitise']!.push(performance.now() - t);
    t = performance.now();
    // As the ingester relates with RELATE_BY_CONTENT at its default (off): rules and excludes, no article index.
    const relate = compileContentRelater(targets, null);
    const entries = normalised.map((item) => ({ item, ...relate(item) }));
    steps.relate!.push(performance.now() - t);
    relatedItems = entries.filter((e) => e.articleIds.length > 0).length;
    const source: Source = { ...wire, id: `${wire.id}-steps-${run}` };
    const { store, done } = stores.open(`ingest-steps-${run}`);
    try {
      await store.syncSources([source]);
      t = performance.now();
      await store.commitPoll(source.id, entries, { lastStatus: 200 }, retention, new Date());
      steps.store!.push(performance.now() - t);
    } finally {
      done();
    }
  }

  const medWall = median(wallMs);
  const nmMed = median(nmWall);
  const bareMed = median(bare);
  return {
    items,
    feedBytes,
    relateTargets: targets.length,
    full: {
      runs: wallMs.length,
      wallMs: wallMs.map((x) => round(x, 1)),
      cpuMs: cpu.map((x) => round(x, 1)),
      medianWallMs: round(medWall, 1),
      medianCpuMs: round(median(cpu), 1),
      itemsPerSecond: Math.round((items / medWall) * 1000),
      relatedItems,
    },
    notModified: {
      polls: nmWall.length,
      medianWallMs: round(nmMed, 3),
      p90WallMs: round(quantile(nmWall, 0.9), 3),
      medianCpuMs: round(median(nmCpu), 3),
      bareRoundTripMedianMs: round(bareMed, 3),
      ownWorkMedianMs: round(Math.max(0, nmMed - bareMed), 3),
      lastStatus,
    },
    steps: Object.entries(steps).map(([name, v]) => ({ name, medianMs: round(median(v), 2), perItemUs: round((median(v) / Math.max(1, items)) * 1000, 1) })),
  };
}

runWorker(main);
