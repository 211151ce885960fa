/**
 * A/B of ingest throughput between two checkouts of the service (e.g. main and this branch), as the bench's
 * ingest worker measures it (bench/workers/ingest.ts): full polls of the bench's 1,000-item feed into a fresh
 * store, with the bench's 10,000 generated articles (50 with rules), the config read from an empty environment
 * (so RELATE_BY_CONTENT is at its default where it exists). Each side runs in its own process, A and B back to
 * back, `rounds` times, so drift of the machine hits both alike.
 *
 *   npx tsx bench/ab-ingest.ts /work/main /work/wt-relate [rounds=5]
 *
 * By hand only: never run as a test, and nothing is written into either checkout.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

interface ChildResult {
  root: string;
  items: number;
  medianWallMs: number;
  itemsPerSecond: number;
  /** The poll's own CPU time (user + system): steadier than wall time on a shared machine. */
  medianCpuMs: number;
  itemsPerCpuSecond: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** One side: `runs` counted full polls after `warmup` uncounted ones, with that checkout's own modules. */
async function child(root: string, feedUrl: string, contentDir: string, workDir: string, warmup: number, runs: number): Promise<ChildResult> {
  const src = (p: string) => import(path.join(root, 'src', p));
  /* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
  const { loadConfig } = await src('config.ts');
  const { loadContent } = await src('content/load.ts');
  const { relateTargets } = await src('content/relate-targets.ts');
  const { createIngester } = await src('ingest/ingester.ts');
  const { openStore } = await src('storage/store.ts');
  const { createLogger } = await src('log.ts');
  const { pino } = await import('pino');
  const config = loadConfig({}, root);
  const targets: unknown = relateTargets(loadContent(contentDir), config.relateByContent);
  const logger = createLogger('info', pino.destination({ dest: '/dev/null', sync: true }));
  const source = { id: 'bench-wire', url: feedUrl, name: 'Bench Wire', schedule: '*/15 * * * *', language: 'en' };
  const retention = { maxItemsPerSource: 5000, maxAgeDays: 36_500, maxRelatedItemsPerSource: 5000 };
  const fetchPolicy = { timeoutMs: 10_000, maxBytes: 20 * 1024 * 1024, maxRedirects: 5, userAgent: 'kabar-feeds-ab' };
  const wall: number[] = [];
  const cpu: number[] = [];
  let items = 0;
  for (let run = 0; run < warmup + runs; run++) {
    const dir = path.join(workDir, `ab-${run}`);
    fs.rmSync(dir, { recursive: true, force: true });
    const store = openStore(dir);
    try {
      const search = config.relateByContent ? store.articleSearch() : null;
      const ingester = createIngester({ store, sources: [source], fetchPolicy, retention, logger, targets: () => targets, search, onPublishedChange: () => {}, jitterMs: 0 });
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await ingester.pollSource(source.id);
      if (run >= warmup) {
        wall.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
      }
      const st = (await ingester.status())[0];
      if (st.lastStatus !== 200 || st.lastError) throw new Error(`poll failed: ${st.lastStatus} ${st.lastError}`);
      items = st.itemCount;
      await ingester.stop();
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  /* eslint-enable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
  const med = median(wall);
  const medCpu = median(cpu);
  return {
    root,
    items,
    medianWallMs: Math.round(med * 10) / 10,
    itemsPerSecond: Math.round((items / med) * 1000),
    medianCpuMs: Math.round(medCpu * 10) / 10,
    itemsPerCpuSecond: Math.round((items / medCpu) * 1000),
  };
}

async function parent(a: string, b: string, rounds: number): Promise<void> {
  const { DEFAULT_PARAMS, generateContent, upstreamFeed } = await import('./lib/generate.ts');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-ab-'));
  const contentDir = path.join(work, 'content');
  generateContent(contentDir, DEFAULT_PARAMS);
  const feed = upstreamFeed(DEFAULT_PARAMS);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"ab-feed"' });
    res.end(feed);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const feedUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/feed.xml`;
  const self = fileURLToPath(import.meta.url);
  const results: Record<string, number[]> = { [a]: [], [b]: [] };
  const perCpu: Record<string, number[]> = { [a]: [], [b]: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const root of round % 2 === 0 ? [a, b] : [b, a]) {
        // Asynchronously: this process serves the feed meanwhile.
        const out = await new Promise<string>((resolve, reject) => {
          execFile(process.execPath, ['--import', 'tsx', self, '--child', root, feedUrl, contentDir, path.join(work, 'w'), '2', '9'], { maxBuffer: 1 << 20 }, (err, stdout) =>
            err ? reject(new Error(`${root}: ${err.message}`)) : resolve(stdout),
          );
        });
        const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
        results[root]!.push(r.itemsPerSecond);
        perCpu[root]!.push(r.itemsPerCpuSecond);
        process.stdout.write(
          `round ${round + 1} ${path.basename(root)}: ${r.itemsPerSecond} items/s wall, ${r.itemsPerCpuSecond} items per CPU second (medians ${r.medianWallMs} ms, CPU ${r.medianCpuMs} ms, ${r.items} items)\n`,
        );
      }
    }
  } finally {
    server.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
  for (const root of [a, b]) {
    process.stdout.write(
      `${root}: median of rounds ${median(results[root]!)} items/s wall [${results[root]!.join(', ')}], ${median(perCpu[root]!)} items per CPU second [${perCpu[root]!.join(', ')}]\n`,
    );
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  const [, root, feedUrl, contentDir, workDir, warmup, runs] = args as [string, string, string, string, string, string, string];
  process.stdout.write(`${JSON.stringify(await child(root, feedUrl, contentDir, workDir, Number(warmup), Number(runs)))}\n`);
} else {
  if (args.length < 2) throw new Error('usage: tsx bench/ab-ingest.ts <checkout A> <checkout B> [rounds]');
  await parent(path.resolve(args[0]!), path.resolve(args[1]!), Number(args[2] ?? '5'));
}
