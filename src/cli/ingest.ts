/**
 * `npm run ingest`: polls every source in CONTENT_DIR/sources.yaml once and exits, for deployments that drive
 * polling from outside (cron, a job runner). Exit 0 when the run completed, even if some sources failed
 * (they are listed); 2 on a configuration or content error.
 */
import { pino } from 'pino';
import { loadConfig } from '../config.ts';
import { loadContent } from '../content/load.ts';
import { relateTargets } from '../content/relate-targets.ts';
import type { RelateTarget } from '../content/model.ts';
import { ConfigError, ContentError } from '../errors.ts';
import { createLogger } from '../log.ts';
import { openStore } from '../storage/store.ts';
import { runOnce, summaryLine } from '../ingest/run.ts';
import { loadSources } from '../ingest/sources.ts';

async function main(): Promise<number> {
  let config;
  let sources;
  try {
    config = loadConfig();
    sources = loadSources(config.contentDir);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`ingest: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, pino.destination(2));
  let targets: RelateTarget[];
  try {
    targets = relateTargets(loadContent(config.contentDir), config.relateByContent);
  } catch (err) {
    if (err instanceof ContentError) {
      process.stderr.write(`ingest: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (sources.length === 0) {
    process.stdout.write(`no sources in ${config.contentDir}/sources.yaml\n`);
    return 0;
  }
  const store = openStore(config.dataDir);
  try {
    // The article index as the service last left it (the service keeps it up to date; this command only reads it).
    const search = config.relateByContent ? store.articleSearch() : null;
    const result = await runOnce({ store, sources, fetchPolicy: config.fetch, retention: config.retention, logger, targets: () => targets, search });
    for (const s of result.sources) process.stdout.write(`${summaryLine(s)}\n`);
    process.stdout.write(
      `${sources.length} sources polled, ${sources.length - result.failed} ok, ${result.failed} failed\n`,
    );
    return 0;
  } finally {
    store.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ingest: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
