import type pg from 'pg';
import { SchemaTooNewError } from '../errors.ts';
import type { Migration } from '../sqlite/migrations.ts';
import { PG_MIGRATIONS } from './migrations.ts';

/** Where `warn` goes (a pino Logger fits): the change listener's lost and regained connections. */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
}

export interface PostgresOptions {
  /**
   * The schema the tables live in (created if missing), e.g. one per test; else the URL's `?schema=`, else
   * `public`. Lower-case letters, digits and `_` only.
   */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  logger?: StoreLogger;
}

/** The pool the table modules share, the schema it uses, and how to open one more connection like the pool's. */
export interface PgDatabase {
  pool: pg.Pool;
  schema: string;
  clientConfig: pg.ClientConfig;
  /** The driver (loaded on first use), for connections outside the pool (the change listener's). */
  driver: typeof pg;
}

/** A connection of the pool, or the pool itself (one statement on whichever connection is free). */
export type Queryable = pg.Pool | pg.PoolClient;

const INT8_OID = 20;
/**
 * Times and ids are BIGINT (ms since the epoch, like SQLite's): read them as numbers, not pg's default strings.
 * Every value this schema holds is far below 2^53.
 */
function bigintsAsNumbers(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
      oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : (driver.types.getTypeParser(oid, format) as unknown)) as pg.CustomTypesConfig['getTypeParser'],
  };
}

let driverLoading: Promise<typeof pg> | null = null;
/** The pg driver, loaded on first use: a service on SQLite never loads it (about 15 MB of its memory). */
function loadDriver(): Promise<typeof pg> {
  return (driverLoading ??= import('pg').then((m) => m.default));
}

/** Lower case: the name goes unquoted into search_path, where PostgreSQL folds it to lower case. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The pg connection settings of `url`, with its `?schema=` taken out (pg would not know it). */
export function connectionSettings(url: string, options: PostgresOptions = {}): { clientConfig: pg.ClientConfig; schema: string } {
  const parsed = new URL(url);
  const fromUrl = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const schema = options.schema ?? fromUrl ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new Error(`PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _ only`);
  return {
    schema,
    // Every connection (the pool's and the listener's) sees only this schema, so two schemas of one database
    // never mix. The few named (prepared) statements, those a render or a poll runs often, are planned once per
    // connection: a custom plan per call would cost about as much as running them.
    clientConfig: { connectionString: parsed.toString(), options: `-c search_path=${schema} -c plan_cache_mode=force_generic_plan` },
  };
}

/**
 * Runs `fn` in one transaction on one connection of the pool; rolls back and rethrows if it throws. With
 * `flushedLater`, COMMIT does not wait for the write-ahead log to reach the disk (`synchronous_commit = off` for
 * this transaction only): a crash of the server may lose the last such transactions, never corrupt or half-apply
 * one. That is SQLite's `synchronous = NORMAL` durability, for writes that can be made again (a poll is fetched
 * again when its commit is lost, its validators with it).
 */
export async function transaction<T>(db: PgDatabase, fn: (client: pg.PoolClient) => Promise<T>, options: { flushedLater?: boolean } = {}): Promise<T> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(options.flushedLater ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: unknown) => {
      // The connection is gone or unusable: the pool must not hand it out again.
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * Brings the schema up to date. Replicas starting at the same moment take turns on a session advisory lock (one
 * per schema): the first applies what is missing, the others then find nothing to do. A schema newer than
 * PG_MIGRATIONS is refused before anything is written.
 */
async function applyMigrations(pool: pg.Pool, schema: string, migrations: readonly Migration[]): Promise<void> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`kabar-migrations:${schema}`]);
    try {
      // Created only when missing: CREATE SCHEMA asks for the right to create one even when it exists.
      const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((r) => r.version));
      const known = Math.max(0, ...migrations.map((m) => m.version));
      const found = Math.max(0, ...applied);
      if (found > known) throw new SchemaTooNewError(found, known);
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`kabar-migrations:${schema}`]);
    }
  } catch (err) {
    // A failed unlock or rollback leaves the session in doubt: close it (which also drops its lock).
    if (!(err instanceof SchemaTooNewError)) broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Connects to PostgreSQL at `url` and brings the schema up to date (`migrations`: tests pass a longer list to
 * play a newer build). Throws SchemaTooNewError for a schema newer than the list.
 */
export async function openPgDatabase(url: string, options: PostgresOptions = {}, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<PgDatabase> {
  const driver = await loadDriver();
  const settings = connectionSettings(url, options);
  const schema = settings.schema;
  const clientConfig: pg.ClientConfig = { ...settings.clientConfig, types: bigintsAsNumbers(driver) };
  const pool = new driver.Pool({ ...clientConfig, max: options.poolSize ?? 10, idleTimeoutMillis: 30_000 });
  // An idle connection dropped by the server is an 'error' on the pool: without a listener, node would exit.
  pool.on('error', (err) => options.logger?.warn({ err }, 'idle PostgreSQL connection lost'));
  try {
    await applyMigrations(pool, schema, migrations);
  } catch (err) {
    await pool.end();
    throw err;
  }
  return { pool, schema, clientConfig, driver };
}

export async function closePgDatabase(db: PgDatabase): Promise<void> {
  if (!db.pool.ended) await db.pool.end();
}
