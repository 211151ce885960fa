import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PublishedChange } from '../../src/model/poll.ts';
import { SchemaTooNewError } from '../../src/storage/errors.ts';
import { closePgDatabase, openPgDatabase } from '../../src/storage/postgres/database.ts';
import { PG_MIGRATIONS } from '../../src/storage/postgres/migrations.ts';
import { changeChannel } from '../../src/storage/postgres/notify.ts';
import { openPostgresStore } from '../../src/storage/postgres/store.ts';
import type { Store } from '../../src/storage/store.ts';
import { adminQuery, dropSchema, randomSchema, requirePostgres, TEST_DATABASE_URL } from './backends.ts';

/**
 * The PostgreSQL backend's own behaviour: its schema, migrations under a lock, refusing a newer schema, the
 * change listener's reconnection. Everything else is store.test.ts, on both backends.
 */

const stores: Store[] = [];
const schemas: string[] = [];
function schema(): string {
  const s = randomSchema('kp');
  schemas.push(s);
  return s;
}
async function open(options: { schema?: string }, url = TEST_DATABASE_URL): Promise<Store> {
  const store = await openPostgresStore(url, { ...options, poolSize: 2 });
  stores.push(store);
  return store;
}

// Each test fails (never skips) without a server, saying how to start one.
beforeEach(requirePostgres);
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const s of schemas.splice(0)) await dropSchema(s);
});

describe('postgres store', () => {
  it('migrates an empty schema once when three replicas start at the same moment', async () => {
    const s = schema();
    const opened = await Promise.all([open({ schema: s }), open({ schema: s }), open({ schema: s })]);
    expect(opened).toHaveLength(3);
    const { rows } = await adminQuery(`SELECT version, name FROM "${s}".schema_migrations ORDER BY version`);
    expect(rows).toEqual(PG_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    // Each replica works on the same tables.
    await opened[0].setMeta('k', 'v');
    expect(await opened[2].getMeta('k')).toBe('v');
  });

  it('refuses a schema a newer build migrated, naming both versions', async () => {
    const s = schema();
    const known = Math.max(...PG_MIGRATIONS.map((m) => m.version));
    const newer = await openPgDatabase(TEST_DATABASE_URL, { schema: s }, [
      ...PG_MIGRATIONS,
      { version: known + 2, name: 'a table of the future', sql: 'CREATE TABLE future (x INTEGER)' },
    ]);
    await closePgDatabase(newer);
    const refused = open({ schema: s });
    await expect(refused).rejects.toBeInstanceOf(SchemaTooNewError);
    await expect(refused).rejects.toThrow(`database schema is at version ${known + 2}, this build knows up to ${known}: upgrade the service`);
    // Nothing was written: the newer build's schema is as it left it.
    const { rows } = await adminQuery(`SELECT max(version) AS v FROM "${s}".schema_migrations`);
    expect(rows[0]).toEqual({ v: known + 2 });
  });

  it('takes its schema from the URL when no option names one, and keeps schemas apart', async () => {
    const a = schema();
    const b = schema();
    const inA = await open({}, `${TEST_DATABASE_URL}?schema=${a}`);
    const inB = await open({ schema: b });
    await inA.setMeta('where', 'a');
    expect(await inB.getMeta('where')).toBeNull();
    const { rows } = await adminQuery(`SELECT value FROM "${a}".meta WHERE key = 'where'`);
    expect(rows).toEqual([{ value: 'a' }]);
    await expect(openPostgresStore(TEST_DATABASE_URL, { schema: 'bad"name' })).rejects.toThrow(/schema name/);
  });

  it('listens again when its connection drops, and then tells its listener that anything may have changed', async () => {
    const s = schema();
    const announcer = await open({ schema: s });
    const listener = await open({ schema: s });
    const heard: PublishedChange[] = [];
    await listener.onChangeAnnounced((c) => heard.push(c));
    await announcer.announceChange({ articles: ['a1'] });
    await expect.poll(() => heard.length, { timeout: 1000, interval: 20 }).toBe(1);
    // Both stores listen on the channel: end both connections (the server restarting, a proxy timing out).
    const killed = await adminQuery(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = $1`,
      [`LISTEN "${changeChannel(s)}"`],
    );
    expect(killed.rowCount).toBe(2);
    await expect.poll(() => heard.length, { timeout: 3000, interval: 20 }).toBe(2);
    expect(heard[1]).toEqual({ articles: null });
    await announcer.announceChange({ articles: ['a2'] });
    await expect.poll(() => heard.length, { timeout: 1000, interval: 20 }).toBe(3);
    expect(heard).toEqual([{ articles: ['a1'] }, { articles: null }, { articles: ['a2'] }]);
  });
});
