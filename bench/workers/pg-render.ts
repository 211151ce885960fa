/**
 * Cold render on the 100k-item PostgreSQL store against SQLite, pinned to the service core like render.ts
 * (bench/lib/postgres.ts, measurePgColdRender).
 */
import { measurePgColdRender } from '../lib/postgres.ts';
import { runWorker } from '../lib/worker.ts';

runWorker(measurePgColdRender);
