import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { openStore, type Store } from './store.ts';

/**
 * The store the config names: PostgreSQL when DATABASE_URL is set (`shared`: replicas use it together), else the
 * embedded SQLite store in DATA_DIR.
 */
export async function openConfiguredStore(config: Pick<Config, 'databaseUrl' | 'dataDir'>, logger: Logger): Promise<{ store: Store; shared: boolean }> {
  if (config.databaseUrl !== null) {
    void logger;
    throw new Error('DATABASE_URL: the PostgreSQL store is not built into this version yet');
  }
  return { store: await Promise.resolve(openStore(config.dataDir)), shared: false };
}
