import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openPostgresStore } from '../../src/storage/postgres/store.ts';
import { openStore, type Store } from '../../src/storage/store.ts';

/**
 * The storage backends the behaviour suite runs against. A place is where one store lives (a directory for
 * SQLite, a schema of the test database for PostgreSQL): opened again, it is the same store; dropped, it is
 * gone. PostgreSQL tests never skip: without a server they fail, saying how to start one.
 */
export interface Place {
  open(): Promise<Store>;
  drop(): Promise<void>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Several stores of one place see each other's writes (replicas): true for PostgreSQL. */
  shared: boolean;
  place(): Promise<Place>;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const START_HINT = 'start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (or point TEST_DATABASE_URL at one)';

let reachable: Promise<void> | null = null;

/** Resolves once PostgreSQL answers at TEST_DATABASE_URL; rejects with how to start it otherwise. */
export function requirePostgres(): Promise<void> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (err) {
      reachable = null;
      throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL} (${err instanceof Error ? err.message : String(err)}): ${START_HINT}`, { cause: err });
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

/** A schema name of its own for one test (`prefix` and 12 random hex digits). */
export const randomSchema = (prefix = 't'): string => `${prefix}_${randomBytes(6).toString('hex')}`;

/** Runs one statement on the test database, outside any store (setting up and dropping schemas). */
export async function adminQuery(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

export const dropSchema = (schema: string): Promise<pg.QueryResult> => adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);

export const sqliteBackend: Backend = {
  name: 'sqlite',
  shared: false,
  place: () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-store-'));
    const dir = path.join(root, 'data');
    return Promise.resolve({
      open: () => Promise.resolve(openStore(dir)),
      drop: () => fs.promises.rm(root, { recursive: true, force: true }),
    });
  },
};

export const postgresBackend: Backend = {
  name: 'postgres',
  shared: true,
  place: async () => {
    await requirePostgres();
    const schema = randomSchema();
    return {
      open: () => openPostgresStore(TEST_DATABASE_URL, { schema, poolSize: 4 }),
      drop: async () => void (await dropSchema(schema)),
    };
  },
};

export const backends: readonly Backend[] = [sqliteBackend, postgresBackend];
