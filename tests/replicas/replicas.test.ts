import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyContent, edit, REPO, TEST_BASE, write } from '../helpers/service.ts';
import { eventually, startSubscriber, type Subscriber } from '../helpers/subscriber.ts';

/**
 * Two replicas of the service, each its own process, on one PostgreSQL database (a schema of their own), reading
 * the same CONTENT_DIR, polling one fixture upstream every 4 s: what a newsroom running several replicas behind a
 * load balancer relies on.
 */
const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `replicas_${randomBytes(4).toString('hex')}`;
const TICK_MS = 4000;
const FETCH_TIMEOUT_MS = 2000;

interface Replica {
  child: ChildProcess;
  origin: string;
  output: string[];
}

interface Fetch {
  at: number;
  /** The replica's end of the connection (its local port). */
  port: number;
}

let contentDir: string;
let upstream: http.Server;
let upstreamUrl: string;
const fetches: Fetch[] = [];
/** What the upstream lists, newest first. */
const listed: { title: string; link: string; date: string }[] = [];
/** While set, the upstream holds every request until it resolves. */
let stall: Promise<void> | null = null;
let db: pg.Client;
const replicas: Replica[] = [];

function rss(): string {
  const items = listed
    .map((i) => `<item><title>${i.title}</title><link>${i.link}</link><guid>${i.link}</guid><pubDate>${i.date}</pubDate></item>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link><description>Wire</description>${items}</channel></rss>`;
}

function addItem(n: number): string {
  const title = `Iran warns of Karabakh escalation, report ${n}`;
  listed.unshift({ title, link: `https://wire.example/karabakh-${n}`, date: new Date(Date.UTC(2026, 10, 20, 8, n)).toUTCString() });
  return title;
}

function startReplica(): Promise<Replica> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-replica-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO, 'tests/helpers/replica-process.ts')], {
    cwd: REPO,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      BASE_URL: TEST_BASE,
      CONTENT_DIR: contentDir,
      DATA_DIR: dataDir,
      DATABASE_URL: `${PG_URL}?schema=${SCHEMA}`,
      INGEST: 'on',
      FETCH_TIMEOUT_MS: String(FETCH_TIMEOUT_MS),
      WEBSUB_ALLOW_PRIVATE_CALLBACKS: 'true',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`replica did not start within 30 s:\n${output.join('')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const m = /listening (\d+)/.exec(output.join(''));
      if (m) {
        clearTimeout(timer);
        const replica = { child, origin: `http://127.0.0.1:${m[1]}`, output };
        replicas.push(replica);
        resolve(replica);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${code}:\n${output.join('')}`));
    });
  });
}

async function get(r: Replica, p: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const res = await fetch(r.origin + p, { headers });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

/** Milliseconds until `p` on replica `r` contains `text` (polled every 25 ms), or throws after `timeoutMs`. */
async function until(r: Replica, p: string, text: string, since: number, timeoutMs: number): Promise<number> {
  for (;;) {
    if ((await get(r, p)).body.includes(text)) return Date.now() - since;
    if (Date.now() - since > timeoutMs) throw new Error(`${p} on ${r.origin} did not show ${JSON.stringify(text)} within ${timeoutMs} ms:\n${r.output.join('').slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The pid of the replica whose TCP socket has local port `port` on loopback (from /proc: socket inodes). */
function ownerOf(port: number): Replica | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hex}`)) inodes.add(cols[9]!);
    }
  }
  return replicas.find((r) => {
    const dir = `/proc/${r.child.pid}/fd`;
    if (r.child.exitCode !== null || !fs.existsSync(dir)) return false;
    return fs.readdirSync(dir).some((fd) => {
      try {
        return inodes.has(/^socket:\[(\d+)\]$/.exec(fs.readlinkSync(path.join(dir, fd)))?.[1] ?? '');
      } catch {
        return false;
      }
    });
  });
}

beforeAll(async () => {
  db = new pg.Client({ connectionString: PG_URL });
  try {
    await db.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${PG_URL} (${(err as Error).message}): start it with ` +
        '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` (.ci/run does), or set TEST_DATABASE_URL',
      { cause: err },
    );
  }
  upstream = http.createServer((req, res) => {
    fetches.push({ at: Date.now(), port: req.socket.remotePort! });
    const answer = () => {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' });
      res.end(rss());
    };
    if (stall) void stall.then(answer);
    else answer();
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/feed.xml`;
  addItem(1);
  contentDir = copyContent();
  write(contentDir, 'sources.yaml', `- url: ${upstreamUrl}\n  id: wire\n  name: Wire\n  schedule: "*/${TICK_MS / 1000} * * * * *"\n`);
});

afterAll(async () => {
  for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
  upstream?.closeAllConnections();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  await db?.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => undefined);
  await db?.end();
  if (contentDir) fs.rmSync(contentDir, { recursive: true, force: true });
});

describe('two replicas on one PostgreSQL database', () => {
  let a: Replica;
  let b: Replica;
  let subscriber: Subscriber;

  it('start at the same moment on an empty database, which is migrated once', async () => {
    [a, b] = await Promise.all([startReplica(), startReplica()]);
    const { rows } = await db.query<{ version: number; n: string }>(`SELECT version, count(*) AS n FROM ${SCHEMA}.schema_migrations GROUP BY version ORDER BY version`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => Number(r.n) === 1)).toBe(true);
    expect(rows.map((r) => r.version)).toEqual(rows.map((_, i) => i + 1));
    for (const r of [a, b]) expect((await get(r, '/healthz')).status).toBe(200);
  }, 60_000);

  it('fetch the source once per scheduled tick in total, not once per replica', async () => {
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 4 * TICK_MS + 500));
    const seen = fetches.filter((f) => f.at >= started - TICK_MS);
    const perTick = new Map<number, number>();
    for (const f of seen) perTick.set(Math.floor(f.at / TICK_MS), (perTick.get(Math.floor(f.at / TICK_MS)) ?? 0) + 1);
    expect([...perTick.values()].every((n) => n === 1), `fetches per tick: ${JSON.stringify([...perTick])}`).toBe(true);
    // Polling goes on: about one fetch per tick (the first ones may have been the start-up round's).
    expect(seen.length).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it('answer every feed with the same bytes, ETag and Last-Modified, so a reader bouncing between them gets 304s', async () => {
    const opml = (await get(a, '/feeds.opml')).body;
    const feeds = [...opml.matchAll(/xmlUrl="([^"]+)"/g)].map((m) => m[1]!.replace(TEST_BASE, ''));
    expect(feeds.length).toBeGreaterThan(10);
    for (const feed of feeds) {
      const [fa, fb] = await Promise.all([get(a, feed), get(b, feed)]);
      expect(fa.status, feed).toBe(200);
      expect([fb.headers.etag, fb.headers['last-modified']], feed).toEqual([fa.headers.etag, fa.headers['last-modified']]);
      expect(fb.body, feed).toBe(fa.body);
      expect((await get(b, feed, { 'if-none-match': fa.headers.etag! })).status, feed).toBe(304);
    }
  }, 60_000);

  it('show what one of them polled on both within a second, and deliver the changed feed to a WebSub subscriber once', async () => {
    subscriber = await startSubscriber();
    const topic = `${TEST_BASE}/en/related/feed.rss`;
    const res = await fetch(`${a.origin}/websub`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.topic': topic, 'hub.callback': subscriber.url() }).toString(),
    });
    expect(res.status).toBe(202);
    await eventually(async () => (await get(b, '/websub')).body.includes('"subscriptions":1'), 5000, 'the subscription, seen by the other replica');
    const title = addItem(2);
    const since = Date.now();
    const [ta, tb] = await Promise.all([until(a, '/en/related/feed.rss', title, since, 3 * TICK_MS), until(b, '/en/related/feed.rss', title, since, 3 * TICK_MS)]);
    expect(Math.abs(ta - tb), `replica a after ${ta} ms, b after ${tb} ms`).toBeLessThan(1000);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const deliveries = subscriber.posts.filter((p) => p.body.toString().includes(title));
    expect(deliveries).toHaveLength(1);
    await subscriber.close();
  }, 60_000);

  it('show a content edit on both within a second', async () => {
    const title = 'Russia Says 2,000 Militants From the Middle East Are in Karabakh (edited)';
    const since = Date.now();
    edit(contentDir, 'articles/rusia-2000-militan-timteng-karabakh/index.en.md', (t) => t.replace(/^title: .*$/m, `title: ${title}`));
    const [ta, tb] = await Promise.all([until(a, '/en/feed.atom', title, since, 5000), until(b, '/en/feed.atom', title, since, 5000)]);
    expect(Math.max(ta, tb), `replica a after ${ta} ms, b after ${tb} ms`).toBeLessThan(1000);
    const [fa, fb] = await Promise.all([get(a, '/en/feed.atom'), get(b, '/en/feed.atom')]);
    expect(fb.headers.etag).toBe(fa.headers.etag);
  }, 30_000);

  it('go on polling when the one polling is killed mid-poll, losing and duplicating nothing', async () => {
    let release!: () => void;
    stall = new Promise((resolve) => (release = resolve));
    const before = fetches.length;
    const title = addItem(3);
    await eventually(() => fetches.length > before, 3 * TICK_MS, 'a poll to reach the stalled upstream');
    const poller = ownerOf(fetches[before]!.port);
    expect(poller, 'the polling replica (by its socket)').toBeDefined();
    poller!.child.kill('SIGKILL');
    await new Promise((resolve) => poller!.child.once('exit', resolve));
    stall = null;
    release();
    const survivor = poller === a ? b : a;
    // Its lease ends (fetch timeout plus a margin), then the next tick is the survivor's.
    await until(survivor, '/en/related/feed.rss', title, Date.now(), 30_000);
    const { rows } = await db.query<{ n: string; keys: string }>(`SELECT count(*) AS n, count(DISTINCT item_key) AS keys FROM ${SCHEMA}.items WHERE source_id = 'wire'`);
    expect(Number(rows[0]!.n)).toBe(listed.length);
    expect(Number(rows[0]!.keys)).toBe(listed.length);
    expect((await get(survivor, '/status')).body).toContain('"lastError":null');
  }, 60_000);
});
