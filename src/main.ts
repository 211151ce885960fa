import { loadConfig } from './config.ts';
import { ConfigError, ContentError } from './errors.ts';
import { createLogger } from './log.ts';
import { createService } from './service.ts';

/** Entry point of `npm start`: read config, build the service, listen, poll, stop cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  let service;
  try {
    service = createService(config, logger);
  } catch (err) {
    if (err instanceof ContentError || err instanceof ConfigError) {
      logger.fatal({ err: { message: err.message } }, 'cannot start');
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { server } = service;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  logger.info({ host: config.host, port: config.port, base_url: config.baseUrl, content_dir: config.contentDir, data_dir: config.dataDir }, 'listening');
  if (config.ingest) service.ingester.start();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    service.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
