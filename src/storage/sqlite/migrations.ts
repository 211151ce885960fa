/**
 * Schema migrations, applied in order, each once, each in its own transaction. Never edit a released one:
 * append a new version. The SQL sticks to what SQLite and PostgreSQL share (INTEGER/BIGINT epoch
 * milliseconds for times, TEXT for JSON), so that a second backend (PostgreSQL is planned, not written) could
 * reuse it almost verbatim. SQL functions a migration calls are defined in `database.ts` (MIGRATION_FUNCTIONS).
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
  {
    version: 6,
    name: 'retention counts from when the source last listed an item, and keeps related items',
    // last_seen_at: when a successful poll of the source last listed the item (first stored, at least). The items
    // of the source's current listing have last_seen_at = sources.listed_at, the time of the 200 that listed them;
    // an unchanged (304) poll confirms that listing without writing them: until the next 200 they were seen at
    // the source's last_success_at. Rows stored before this version get the most generous value we can know
    // (the source's last success), so the upgrade prunes nothing early.
    // tombstones.related_cap: the item was removed by the cap on related items (RETENTION_RELATED_MAX_ITEMS), so
    // it stays out even while related; other tombstones only hold back items that relate to nothing.
    sql: `
      ALTER TABLE items ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
      UPDATE items SET last_seen_at = MAX(first_seen_at,
        COALESCE((SELECT last_success_at FROM sources s WHERE s.id = items.source_id), 0));
      ALTER TABLE sources ADD COLUMN listed_at BIGINT;
      UPDATE sources SET listed_at = last_success_at;
      CREATE INDEX items_source_seen ON items (source_id, is_related, last_seen_at, published_at);
      ALTER TABLE tombstones ADD COLUMN related_cap INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 7,
    name: 'every content hash in the current format',
    // The first hashes were SHA-256 of the JSON of an item's columns, told apart by their missing "v2:" prefix and
    // rewritten at run time when the item was next seen unchanged. A stored hash always covers the stored columns,
    // so hashing those again in the current format keeps an unchanged item unchanged (the only exception: text
    // with lone surrogates, stored as U+FFFD, is reported updated once on its next poll, and rewritten as it is).
    sql: `
      UPDATE items SET content_hash = item_content_hash(url, title, summary, content_html, language, categories, author,
        published_at, updated_at)
      WHERE substr(content_hash, 1, 3) <> 'v2:';
    `,
  },
  {
    version: 8,
    name: 'subscribers of our feeds (the WebSub hub), kept across restarts until their lease ends',
    sql: `
      CREATE TABLE websub_subscriptions (
        topic TEXT NOT NULL,
        callback TEXT NOT NULL,
        secret TEXT,
        lease_seconds INTEGER NOT NULL,
        expires_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (topic, callback)
      );
      CREATE INDEX websub_subscriptions_expires ON websub_subscriptions (expires_at);
    `,
  },
  {
    version: 9,
    name: 'our subscriptions to upstream WebSub hubs, one per source',
    // pending: the request ('subscribe' or 'unsubscribe') the hub has not verified yet; only that one is answered.
    // A source taken out of sources.yaml keeps its row until the hub verifies the unsubscription.
    sql: `
      CREATE TABLE push_subscriptions (
        source_id TEXT PRIMARY KEY REFERENCES sources (id),
        hub TEXT NOT NULL,
        topic TEXT NOT NULL,
        secret TEXT NOT NULL,
        pending TEXT,
        requested_at BIGINT NOT NULL,
        verified_at BIGINT,
        lease_ends_at BIGINT,
        last_push_at BIGINT,
        last_error TEXT
      );
    `,
  },
  {
    version: 10,
    name: 'who reads us: subscriber counts aggregators report, and salted hashes of other pollers, per feed and day',
    // Days are UTC calendar days (TEXT, YYYY-MM-DD). A poller is a hash of its address and User-Agent with a salt
    // that changes every day (kept in meta until the next day, then replaced): no address is ever stored.
    sql: `
      CREATE TABLE reader_subscribers (
        day TEXT NOT NULL,
        feed TEXT NOT NULL,
        aggregator TEXT NOT NULL,
        feed_ref TEXT NOT NULL,
        subscribers INTEGER NOT NULL,
        reported_at BIGINT NOT NULL,
        PRIMARY KEY (day, feed, aggregator, feed_ref)
      );
      CREATE TABLE reader_pollers (
        day TEXT NOT NULL,
        feed TEXT NOT NULL,
        poller TEXT NOT NULL,
        PRIMARY KEY (day, feed, poller)
      );
    `,
  },
  {
    version: 11,
    name: 'poll leases: which replica polls a source now, until when, and when the source was last claimed',
    // Times in ms since the epoch, as everywhere in this schema. See SyncStore.claimPoll.
    sql: `
      ALTER TABLE sources ADD COLUMN poll_holder TEXT;
      ALTER TABLE sources ADD COLUMN poll_lease_until BIGINT;
      ALTER TABLE sources ADD COLUMN poll_claimed_at BIGINT;
    `,
  },
  {
    version: 12,
    name: 'our articles in a full-text index (what upstream items are related by), and why each relation holds',
    // SQLite only (FTS5); PostgreSQL keeps a tsvector column instead (README, "Related items"). The text indexed is
    // already analysed (folded, stop words out, stemmed per language: src/search/analyse.ts), so the tokenizer only
    // splits on spaces. `head`: titles, summaries, tags and category labels of every translation; `body`: the
    // bodies. Contentless: the terms are kept in the index only. article_terms: in how many articles each term
    // occurs (FTS5's own vocabulary table counts that by reading the term's whole list: too slow per item), and
    // article_doc_terms the distinct terms of each indexed article (to decrement them when it changes). article_index maps its rowids to article ids, with
    // the fingerprint of what was indexed and the one the stored relations of the article were computed with.
    // relations.score: the normalised BM25 score (1 for an item an editor's rule forces in), and why: JSON
    // {"by": "content" | "rule", "terms": [...]}.
    sql: `
      CREATE VIRTUAL TABLE article_search USING fts5 (head, body, content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 0');
      CREATE TABLE article_terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE article_doc_terms (rowid INTEGER PRIMARY KEY, terms TEXT NOT NULL);
      CREATE TABLE article_index (
        rowid INTEGER PRIMARY KEY,
        article_id TEXT NOT NULL UNIQUE,
        indexed TEXT NOT NULL,
        related TEXT
      );
      ALTER TABLE relations ADD COLUMN score REAL NOT NULL DEFAULT 1;
      ALTER TABLE relations ADD COLUMN why TEXT;
      CREATE INDEX relations_article_score ON relations (article_id, score DESC, published_at DESC, item_id DESC);
    `,
  },
];
