/**
 * One replica of the service in its own process, built as `npm start` builds it (the environment read by loadConfig,
 * createService, listen, poll on the schedules), with a short poll jitter so a test's ticks come every few seconds.
 * Prints `listening <port>` when it answers; SIGTERM closes it cleanly. Run: `node --import tsx tests/helpers/replica-process.ts`.
 */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { createService } from '../../src/service.ts';

const config = loadConfig();
// Warnings and errors on stdout (JSON) for the test to show when something fails.
const logger = createLogger(process.env.LOG_LEVEL ?? 'warn');
const service = await createService(config, logger, { pollJitterMs: Number(process.env.TEST_POLL_JITTER_MS ?? '200') });
await new Promise<void>((resolve) => service.server.listen(config.port, config.host, resolve));
process.stdout.write(`listening ${(service.server.address() as AddressInfo).port}\n`);
if (config.ingest) service.ingester.start();
process.on('SIGTERM', () => {
  service.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
