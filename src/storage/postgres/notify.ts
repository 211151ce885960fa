import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PublishedChange } from '../../model/poll.ts';
import type { PgDatabase, StoreLogger } from './database.ts';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (the default build). */
const MAX_PAYLOAD_BYTES = 7999;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;

/** The channel of one schema's replicas: stores of two schemas in one database (tests) never hear each other. */
export function changeChannel(schema: string): string {
  return schema === 'public' ? 'kabar_published' : `kabar_published_${schema}`.slice(0, 63);
}

/** What travels on the channel: who announced, and which articles changed (null: any of them). */
interface Payload {
  from: string;
  articles: readonly string[] | null;
}

function parsePayload(text: string): Payload | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { from, articles } = value as Record<string, unknown>;
  if (typeof from !== 'string') return null;
  if (articles === null) return { from, articles: null };
  if (Array.isArray(articles) && articles.every((a): a is string => typeof a === 'string')) return { from, articles };
  return null;
}

export interface ChangeNotifier {
  announce: (change: PublishedChange) => Promise<void>;
  onChange: (listener: (change: PublishedChange) => void) => void;
  close: () => Promise<void>;
}

/**
 * Change announcements between replicas over LISTEN/NOTIFY. Each store has a random replica id, sent with
 * every announcement, so it never hears its own. The LISTEN runs on a connection of its own (a pooled one would
 * go back to the pool); when it drops, it is opened again with growing pauses, and the listener then hears
 * "everything changed" (`articles: null`), since announcements sent meanwhile are lost.
 */
export async function openChangeNotifier(db: PgDatabase, logger?: StoreLogger): Promise<ChangeNotifier> {
  const replica = randomUUID();
  const channel = changeChannel(db.schema);
  let listener: ((change: PublishedChange) => void) | null = null;
  let client: pg.Client | null = null;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: NodeJS.Timeout | null = null;

  const hear = (msg: pg.Notification): void => {
    if (msg.channel !== channel || msg.payload === undefined) return;
    const payload = parsePayload(msg.payload);
    if (!payload) {
      logger?.warn({ channel, payload: msg.payload.slice(0, 200) }, 'ignored a malformed change announcement');
      return;
    }
    if (payload.from === replica) return;
    listener?.({ articles: payload.articles });
  };

  async function connect(): Promise<void> {
    const c = new db.driver.Client(db.clientConfig);
    c.on('notification', hear);
    // A dropped connection emits 'error' (and 'end'): either way, listen again on a new one.
    c.on('error', (err) => lost(c, err));
    c.on('end', () => lost(c, null));
    await c.connect();
    await c.query(`LISTEN "${channel}"`);
    client = c;
  }

  function lost(c: pg.Client, err: Error | null): void {
    if (closed || client !== c) return;
    client = null;
    c.removeAllListeners('notification');
    void c.end().catch(() => {});
    logger?.warn({ channel, err }, 'change listener lost its PostgreSQL connection; reconnecting');
    schedule();
  }

  function schedule(): void {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().then(
        () => {
          retryMs = RETRY_MIN_MS;
          logger?.warn({ channel }, 'change listener reconnected');
          // What was announced while we were away is lost: every article may have changed.
          listener?.({ articles: null });
        },
        (err: unknown) => {
          logger?.warn({ channel, err }, 'change listener could not reconnect');
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          schedule();
        },
      );
    }, retryMs);
    retryTimer.unref();
  }

  await connect();

  return {
    announce: async (change: PublishedChange): Promise<void> => {
      let text = JSON.stringify({ from: replica, articles: change.articles } satisfies Payload);
      // Too many articles for one notification: "any article" says as much, in a few bytes.
      if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) text = JSON.stringify({ from: replica, articles: null } satisfies Payload);
      await db.pool.query('SELECT pg_notify($1, $2)', [channel, text]);
    },
    onChange: (l: (change: PublishedChange) => void): void => {
      listener = l;
    },
    close: async (): Promise<void> => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const c = client;
      client = null;
      if (c) await c.end().catch(() => {});
    },
  };
}
