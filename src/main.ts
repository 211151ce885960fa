import { loadConfig } from './config.ts';
import { ConfigError, ContentError } from './errors.ts';
import type { AddressInfo } from 'node:net';
import { createLogger, humanDestination } from './log.ts';
import { createService } from './service.ts';
import { SchemaTooNewError, StorageUnavailableError } from './storage/errors.ts';

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
  // JSON for log collectors; laid out for a person when stdout is a terminal.
  const logger = createLogger(config.logLevel, process.stdout.isTTY ? humanDestination(process.stdout) : undefined);
  let service;
  try {
    service = await createService(config, logger);
  } catch (err) {
    if (err instanceof ContentError || err instanceof ConfigError || err instanceof SchemaTooNewError || err instanceof StorageUnavailableError) {
      logger.fatal({ err: { message: err.message } }, 'cannot start');
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { server } = service;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (err) {
    const why = listenFailure(err, config.port, config.host);
    if (why === null) throw err;
    process.stderr.write(`${why}\n`);
    await service.close().catch(() => undefined);
    process.exit(1);
  }
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: config.host, port, base_url: config.baseUrl, content_dir: config.contentDir, data_dir: config.dataDir }, 'listening');
  // The one line for a person: where to point a browser (logs stay JSON on stdout, so this goes to stderr).
  const open = localUrl(config.host, port);
  process.stderr.write(
    `kabar-feeds listening on ${open}${config.baseUrl.replace(/\/$/, '') === open ? '' : ` (feeds and pages link to ${config.baseUrl})`}\n`,
  );
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

/** A URL a browser on this machine can open for the address we listen on. */
function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return `http://localhost:${port}`;
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}

/** One line naming the variable to change, for the ways listening fails on configuration; null for others. */
function listenFailure(err: unknown, port: number, host: string): string | null {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  if (code === 'EADDRINUSE') return `PORT ${port} is already in use on HOST ${host}: set PORT to a free port`;
  if (code === 'EACCES') return `PORT ${port} on HOST ${host} needs privileges this process lacks: set PORT to 1024 or above`;
  if (code === 'EADDRNOTAVAIL') return `HOST ${host} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0`;
  return null;
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
