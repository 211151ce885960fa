import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { contentHash, type ItemColumns } from '../hash.ts';
import { SchemaTooNewError } from '../errors.ts';
import { MIGRATIONS } from './migrations.ts';

/** The SQLite connection the table modules share. */
export type SqliteDatabase = Database.Database;

/** SQL functions the migrations call (PostgreSQL would define them in its schema, or do the step another way). */
function defineMigrationFunctions(db: SqliteDatabase): void {
  // Migration 7: a stored item's content hash in the current format, from its columns in ItemColumns order.
  db.function(
    'item_content_hash',
    { deterministic: true },
    (url, title, summary, contentHtml, language, categories, author, publishedAt, updatedAt) =>
      contentHash([url, title, summary, contentHtml, language, categories, author, publishedAt, updatedAt] as ItemColumns),
  );
}

function applyMigrations(db: SqliteDatabase): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
  );
  const newest = Math.max(0, ...applied);
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  // A newer build migrated this file: this one could write rows it reads wrongly.
  if (newest > known) throw new SchemaTooNewError(newest, known);
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    writeTransaction(db, () => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    })();
  }
}

/** Opens (creating if needed) `${dataDir}/kabar.sqlite` and brings its schema up to date. */
export function openDatabase(dataDir: string): SqliteDatabase {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'kabar.sqlite'));
  // WAL: readers (the HTTP side) never wait for a poll's transaction, and a crash leaves the last commit intact.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  defineMigrationFunctions(db);
  try {
    applyMigrations(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * A write transaction: it takes the write lock at BEGIN (BEGIN IMMEDIATE), waiting for it up to busy_timeout. The
 * relating worker (src/ingest/relate-worker.ts) writes through a second connection: a deferred transaction that
 * read before the other committed could not take the lock afterwards (SQLITE_BUSY_SNAPSHOT, no wait) and would fail.
 */
export function writeTransaction<A extends unknown[], R>(db: SqliteDatabase, fn: (...args: A) => R): (...args: A) => R {
  const tx = db.transaction(fn);
  return (...args: A) => tx.immediate(...args);
}

export function closeDatabase(db: SqliteDatabase): void {
  if (db.open) db.close();
}
