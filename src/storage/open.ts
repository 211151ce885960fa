import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { SchemaTooNewError, StorageUnavailableError } from './errors.ts';
import { openPostgresStore } from './postgres/store.ts';
import { openStore, type Store } from './store.ts';

/**
 * The store the config names: PostgreSQL when DATABASE_URL is set (`shared`: replicas use it together), else the
 * embedded SQLite store in DATA_DIR. Throws SchemaTooNewError, or StorageUnavailableError naming the server (never
 * the password) when PostgreSQL cannot be reached or refuses us.
 */
export async function openConfiguredStore(config: Pick<Config, 'databaseUrl' | 'dataDir'>, logger: Logger): Promise<{ store: Store; shared: boolean }> {
  if (config.databaseUrl === null) return { store: openStore(config.dataDir), shared: false };
  try {
    return { store: await openPostgresStore(config.databaseUrl, { logger }), shared: true };
  } catch (err) {
    if (err instanceof SchemaTooNewError) throw err;
    const url = new URL(config.databaseUrl);
    const where = `${url.hostname}:${url.port || '5432'}${url.pathname}`;
    throw new StorageUnavailableError(`cannot open the PostgreSQL store at ${where} (DATABASE_URL): ${(err as Error).message}`, { cause: err });
  }
}
