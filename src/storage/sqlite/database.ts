import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { contentHash, type ItemColumns } from '../hash.ts';
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
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
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
  applyMigrations(db);
  return db;
}

export function closeDatabase(db: SqliteDatabase): void {
  if (db.open) db.close();
}
