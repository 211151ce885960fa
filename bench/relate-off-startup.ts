/**
 * What a start with RELATE_BY_CONTENT at its default (off) costs in relating, at the bench's scale: the service
 * built from the bench's 10,000 generated articles (50 with rules) on an empty database, then once more on the
 * same database (a restart). Prints the time until the ingester is idle (its background relating done), how many
 * articles the index holds (must be 0), and every log line about relating or indexing.
 *
 *   npx tsx bench/relate-off-startup.ts
 *
 * By hand only: never run as a test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { createService } from '../src/service.ts';
import type { SyncStore } from '../src/storage/store.ts';
import { DEFAULT_PARAMS, generateContent } from './lib/generate.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-off-start-'));
const contentDir = path.join(work, 'content');
const dataDir = path.join(work, 'data');
try {
  generateContent(contentDir, DEFAULT_PARAMS);
  for (const start of ['first start', 'restart']) {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
        done();
      },
    });
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', CONTENT_DIR: contentDir, DATA_DIR: dataDir, INGEST: 'off' });
    const t0 = performance.now();
    const service = await createService(config, createLogger('info', sink), { watchContent: false });
    const built = performance.now() - t0;
    await service.ingester.whenIdle();
    const idle = performance.now() - t0;
    const indexed = (service.store as unknown as SyncStore).indexedArticles().length;
    await service.close();
    const relating = lines.filter((l) => /relat|index/i.test(l));
    process.stdout.write(
      `${start}: RELATE_BY_CONTENT ${config.relateByContent ? 'on' : 'off'}, ${service.content.current.articles.length} articles, service built in ${Math.round(built)} ms, ` +
        `ingester idle after ${Math.round(idle)} ms, articles in the index: ${indexed}\n  log lines about relating or indexing: ${relating.length === 0 ? 'none' : `\n  ${relating.join('\n  ')}`}\n`,
    );
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
