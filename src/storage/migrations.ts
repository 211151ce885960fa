/**
 * Schema migrations, applied in order, each once, each in its own transaction. Never edit a released one:
 * append a new version. The SQL sticks to what SQLite and PostgreSQL share (INTEGER/BIGINT epoch
 * milliseconds for times, TEXT for JSON) so the PostgreSQL backend can reuse it almost verbatim.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sources, items, relations, tombstones',
    sql: `
      CREATE TABLE sources (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        current_url TEXT NOT NULL,
        site_url TEXT,
        feed_title TEXT,
        etag TEXT,
        last_modified TEXT,
        last_attempt_at BIGINT,
        last_success_at BIGINT,
        last_status INTEGER,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_poll_at BIGINT,
        last_error TEXT
      );

      CREATE TABLE items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source_id TEXT NOT NULL REFERENCES sources (id),
        item_key TEXT NOT NULL,
        url TEXT,
        title TEXT NOT NULL,
        summary TEXT NOT NULL,
        content_html TEXT NOT NULL,
        language TEXT,
        categories TEXT NOT NULL,
        author TEXT,
        published_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        first_seen_at BIGINT NOT NULL,
        content_hash TEXT NOT NULL,
        is_related INTEGER NOT NULL DEFAULT 0,
        UNIQUE (source_id, item_key)
      );
      CREATE INDEX items_source_published ON items (source_id, published_at);
      CREATE INDEX items_related_published ON items (is_related, published_at, id);

      CREATE TABLE relations (
        article_id TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items (id),
        published_at BIGINT NOT NULL,
        PRIMARY KEY (article_id, item_id)
      );
      CREATE INDEX relations_article_published ON relations (article_id, published_at, item_id);
      CREATE INDEX relations_item ON relations (item_id);

      -- Items removed by retention: remembered so that a feed still carrying them does not bring them back.
      CREATE TABLE tombstones (
        source_id TEXT NOT NULL,
        item_key TEXT NOT NULL,
        deleted_at BIGINT NOT NULL,
        PRIMARY KEY (source_id, item_key)
      );
    `,
  },
  {
    version: 2,
    name: 'sources taken out of sources.yaml stop being published',
    sql: `ALTER TABLE sources ADD COLUMN active INTEGER NOT NULL DEFAULT 1;`,
  },
  {
    version: 3,
    name: 'small key-value facts about the store (e.g. which relate rules its relations were computed with)',
    sql: `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  },
  {
    version: 4,
    name: 'the validators of each published resource, so Last-Modified survives a restart',
    sql: `CREATE TABLE validators (resource TEXT PRIMARY KEY, hash TEXT NOT NULL, last_modified BIGINT NOT NULL);`,
  },
  {
    version: 5,
    name: 'old tombstones are purged on each poll',
    sql: `CREATE INDEX tombstones_source_deleted ON tombstones (source_id, deleted_at);`,
  },
];
