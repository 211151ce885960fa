import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { bulkItemLoader } from '../../src/storage/sqlite/bulk.ts';
import { closeDatabase, openDatabase } from '../../src/storage/sqlite/database.ts';
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.ts';
import { openStore, type SyncStore } from '../../src/storage/store.ts';
import { DAY, item, retention, T0 } from './fixtures.ts';

/** The SQLite backend's own behaviour: its file, its schema and upgrades of older files. The rest is store.test.ts. */


const stores: SyncStore[] = [];
function track(store: SyncStore): SyncStore {
  stores.push(store);
  return store;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});
const tempDir = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-sqlite-')), 'data');
const fileOf = (dir: string) => path.join(dir, 'kabar.sqlite');

describe('sqlite store', () => {
  it('creates the data dir and one file in WAL mode, and applies every migration once', () => {
    const dir = tempDir();
    track(openStore(dir)).close();
    track(openStore(dir));
    const db = new Database(fileOf(dir), { readonly: true });
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('refuses a file a newer build migrated further, naming both versions, and leaves it as it was', () => {
    const dir = tempDir();
    track(openStore(dir)).close();
    const db = new Database(fileOf(dir));
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(99, 'from a newer build', 0);
    db.close();
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    expect(() => openStore(dir)).toThrow(`database schema is at version 99, this build knows up to ${known}: upgrade the service`);
    const after = new Database(fileOf(dir), { readonly: true });
    expect(after.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(99);
    after.close();
  });

  it('upgrades a store of schema 5 without pruning early: its items count as seen at the last success', () => {
    const dir = tempDir();
    fs.mkdirSync(dir);
    const old = new Database(fileOf(dir));
    old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
    for (const m of MIGRATIONS.filter((x) => x.version <= 5)) {
      old.exec(m.sql);
      old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    const lastSuccess = T0.getTime() + 100 * DAY;
    old.prepare("INSERT INTO sources (id, name, url, current_url, last_success_at) VALUES ('src', 'Source', 'https://up.example/feed', 'https://up.example/feed', ?)").run(lastSuccess);
    old.prepare(
      `INSERT INTO items (source_id, item_key, title, summary, content_html, categories, published_at, updated_at, first_seen_at, content_hash)
       VALUES ('src', 'kept', 't', 's', 'c', '[]', 0, 0, ?, 'h')`,
    ).run(T0.getTime());
    old.close();
    const store = track(openStore(dir));
    const keep = { maxItemsPerSource: 100, maxAgeDays: 30, maxRelatedItemsPerSource: 5000 };
    // First stored 130 days before, but listed (as far as we know) until the last success 30 days before.
    expect(store.commitPoll('src', [], {}, keep, new Date(lastSuccess + 30 * DAY))).toMatchObject({ deleted: 0 });
    expect(store.commitPoll('src', [], {}, keep, new Date(lastSuccess + 31 * DAY))).toMatchObject({ deleted: 1 });
  });

  it('upgrades the content hashes of schema 6 (JSON of the columns): an unchanged item stays unchanged, an edited one is updated', () => {
    const dir = tempDir();
    const a = item('a', { contentHtml: '<p title="q">Body – \\ "quoted"</p>', author: 'Ayu' });
    const undated = item('undated', { publishedAt: null, language: null, categories: [] });
    const unrelated = item('unrelated', { updatedAt: new Date(T0.getTime() - DAY / 2) });
    const entries = [{ item: a, articleIds: ['art'] }, { item: undated, articleIds: ['art'] }, { item: unrelated, articleIds: [] }];
    const store = track(openStore(dir));
    store.syncSources([{ id: 'src', name: 'Source', url: 'https://up.example/feed' }]);
    store.commitPoll('src', entries, {}, retention, T0);
    store.close();

    // Back to schema 6, with each hash as the first versions wrote it.
    const db = new Database(fileOf(dir));
    const columns = ['url', 'title', 'summary', 'content_html', 'language', 'categories', 'author', 'published_at', 'updated_at'];
    const rows = db.prepare('SELECT * FROM items ORDER BY id').all() as Record<string, string | number | null>[];
    for (const row of rows) {
      const legacy = createHash('sha256').update(JSON.stringify(columns.map((c) => row[c]))).digest('hex');
      db.prepare('UPDATE items SET content_hash = ? WHERE id = ?').run(legacy, row.id);
    }
    db.prepare('DELETE FROM schema_migrations WHERE version = 7').run();
    db.close();

    const upgraded = track(openStore(dir));
    const check = new Database(fileOf(dir), { readonly: true });
    // Each hash is again the one the current version wrote for the same item.
    expect(check.prepare('SELECT id, content_hash FROM items ORDER BY id').all()).toEqual(rows.map((r) => ({ id: r.id, content_hash: r.content_hash })));
    check.close();
    expect(upgraded.commitPoll('src', entries, {}, retention, T0)).toMatchObject({ unchanged: 3, updated: 0, publishedChanged: false, changedArticles: [] });
    const edited = { ...a, contentHtml: '<p title="q">Body – \\ "quoted" again</p>' };
    expect(upgraded.commitPoll('src', [{ item: edited, articleIds: ['art'] }], {}, retention, T0)).toMatchObject({ updated: 1, publishedChanged: true });
  });

  it('bulk-loads synthetic items for the benchmark, outside the Store interface', () => {
    const dir = tempDir();
    const db = openDatabase(dir);
    const insertItems = bulkItemLoader(db);
    insertItems('bench', Array.from({ length: 1000 }, (_, i) => ({ item: item(`b${i}`), articleIds: i % 2 ? ['art'] : [] })));
    closeDatabase(db);
    const store = track(openStore(dir));
    expect(store.itemCount('bench')).toBe(1000);
    expect(store.relatedForArticle('art', 20)).toHaveLength(20);
    expect(store.sourceState('bench')).toMatchObject({ name: 'bench', url: 'https://bench.invalid/feed' });
  });
});
