import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Everything the service reads from its environment, validated once at start-up. */
export interface Config {
  port: number;
  host: string;
  /** Absolute http(s) URL without a trailing slash; every URL we publish starts with it. */
  baseUrl: string;
  contentDir: string;
  dataDir: string;
  logLevel: string;
  /** Whether to poll upstream sources on their schedules (the service still serves what is stored). */
  ingest: boolean;
  fetch: FetchPolicy;
  retention: RetentionPolicy;
  /**
   * WEBSUB_SUBSCRIBE: subscribe to the WebSub hubs upstream feeds advertise. 'auto' (unset): only when BASE_URL
   * is public, as a hub on the Internet must be able to call it back.
   */
  websubSubscribe: 'on' | 'off' | 'auto';
  /** When set, GET /stats, /stats.json and /metrics ask for `Authorization: Bearer <it>`; else they are open. */
  adminToken: string | null;
  hub: HubPolicy;
  /**
   * DATABASE_URL: a `postgres://` (or `postgresql://`) URL selects PostgreSQL, shared by replicas; null keeps the
   * embedded SQLite store in DATA_DIR.
   */
  databaseUrl: string | null;
  /**
   * PURGE_WEBHOOK: where the surrogate keys of resources whose bytes changed are POSTed (README, "Caches in
   * front"), for a CDN to purge them; null: no purges, shared caches keep copies for their s-maxage.
   */
  purgeWebhook: string | null;
  /**
   * RELATE_BY_CONTENT: relate upstream items to our articles by the articles' own text (README, "Related items"),
   * besides the editors' `relates` rules. Experimental, off by default: off, relating is by rules only and no
   * article is indexed.
   */
  relateByContent: boolean;
}

/** The built-in WebSub hub (README, "WebSub"). */
export interface HubPolicy {
  /** Outside hubs (`WEBSUB_HUB`): advertised beside ours, and told of every feed whose bytes change. */
  outsideHubs: readonly string[];
  /** `WEBSUB_ALLOW_PRIVATE_CALLBACKS=true`: callbacks may reach private and loopback addresses (intranets, tests). */
  allowPrivateCallbacks: boolean;
}

export interface FetchPolicy {
  /** Time limit on one whole HTTP exchange, redirects included. */
  timeoutMs: number;
  /** Cap on the decompressed body. */
  maxBytes: number;
  maxRedirects: number;
  userAgent: string;
}

/**
 * How long stored upstream items are kept (README, "Retention"). Age counts from when the source last listed an
 * item, never from the date the upstream gives it; items related to one of our articles are not pruned by age or
 * by `maxItemsPerSource`, only by their own cap.
 */
export interface RetentionPolicy {
  /** Unrelated items kept per source, those the source listed most recently first. */
  maxItemsPerSource: number;
  /** Unrelated items the source has not listed for longer than this are removed. */
  maxAgeDays: number;
  /** Related items kept per source, those the source listed most recently first. */
  maxRelatedItemsPerSource: number;
}

export const SERVICE_NAME = 'kabar-feeds';
export const SERVICE_VERSION = '0.1.0';

const intInRange = (name: string, min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be between ${min} and ${max}`);

const envSchema = z.object({
  PORT: intInRange('PORT', 0, 65535).default(3000),
  HOST: z.string().min(1, 'HOST must not be empty').default('0.0.0.0'),
  BASE_URL: z.string().optional(),
  CONTENT_DIR: z.string().min(1, 'CONTENT_DIR must not be empty').default('./content'),
  DATA_DIR: z.string().min(1, 'DATA_DIR must not be empty').default('./data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  INGEST: z.enum(['on', 'off']).default('on'),
  FETCH_TIMEOUT_MS: intInRange('FETCH_TIMEOUT_MS', 100, 300_000).default(10_000),
  FETCH_MAX_BYTES: intInRange('FETCH_MAX_BYTES', 1024, 100 * 1024 * 1024).default(5 * 1024 * 1024),
  FETCH_MAX_REDIRECTS: intInRange('FETCH_MAX_REDIRECTS', 0, 20).default(5),
  RETENTION_MAX_ITEMS: intInRange('RETENTION_MAX_ITEMS', 1, 1_000_000).default(500),
  RETENTION_MAX_AGE_DAYS: intInRange('RETENTION_MAX_AGE_DAYS', 1, 36_500).default(180),
  RETENTION_RELATED_MAX_ITEMS: intInRange('RETENTION_RELATED_MAX_ITEMS', 1, 1_000_000).default(5000),
  WEBSUB_SUBSCRIBE: z.enum(['on', 'off'], { message: 'WEBSUB_SUBSCRIBE must be "on" or "off"' }).optional(),
  // A bearer token is a token68 (RFC 9110 11.2); shorter than 16 characters it is too easy to guess.
  ADMIN_TOKEN: z
    .string()
    .regex(/^[A-Za-z0-9._~+/-]+=*$/, 'ADMIN_TOKEN must be letters, digits and -._~+/ (a bearer token), optionally ending in =')
    .min(16, 'ADMIN_TOKEN must be at least 16 characters')
    .optional(),
  WEBSUB_HUB: z.string().optional(),
  WEBSUB_ALLOW_PRIVATE_CALLBACKS: z.enum(['true', 'false']).default('false'),
  DATABASE_URL: z.string().optional(),
  PURGE_WEBHOOK: z.string().optional(),
  RELATE_BY_CONTENT: z.enum(['on', 'off'], { message: 'RELATE_BY_CONTENT must be "on" or "off"' }).default('off'),
});

/** Normalises a base URL: absolute http(s), no query or fragment, no trailing slash. */
export function normaliseBaseUrl(raw: string, key = 'BASE_URL'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${key} must be an absolute URL, got ${JSON.stringify(raw)}`, [key]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${key} must use http or https, got ${url.protocol}`, [key]);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${key} must not carry credentials, a query or a fragment: ${raw}`, [key]);
  }
  return url.href.replace(/\/+$/, '');
}

/** One URL of WEBSUB_HUB: absolute http(s), kept as written (a hub's URL may carry a query). */
function hubUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`WEBSUB_HUB must be a comma-separated list of absolute URLs, got ${JSON.stringify(raw)}`, ['WEBSUB_HUB']);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`WEBSUB_HUB URLs must use http or https, got ${JSON.stringify(raw)}`, ['WEBSUB_HUB']);
  }
  return url.href;
}

/** DATABASE_URL: a PostgreSQL connection URL (its password is never repeated in an error). */
function databaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL must be a postgres:// URL (postgres://user:password@host:5432/database), and it does not parse as a URL', ['DATABASE_URL']);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`DATABASE_URL must start with postgres:// or postgresql:// (unset it for the embedded SQLite store), got ${url.protocol}//`, ['DATABASE_URL']);
  }
  if (url.pathname.length <= 1) throw new ConfigError(`DATABASE_URL must name a database (postgres://host:5432/<database>), got none for ${url.host}`, ['DATABASE_URL']);
  return raw;
}

/**
 * PURGE_WEBHOOK: absolute http(s), kept as written (a token may ride in its query). No user:password@: fetch
 * refuses URLs with credentials, and they would be logged with every failure.
 */
function purgeWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`PURGE_WEBHOOK must be an absolute http(s) URL, got ${JSON.stringify(raw)}`, ['PURGE_WEBHOOK']);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`PURGE_WEBHOOK must use http or https, got ${url.protocol}`, ['PURGE_WEBHOOK']);
  }
  if (url.username || url.password) {
    throw new ConfigError('PURGE_WEBHOOK must not carry credentials (user:password@); put a token in its query instead', ['PURGE_WEBHOOK']);
  }
  if (url.hash) throw new ConfigError(`PURGE_WEBHOOK must not carry a fragment: ${raw}`, ['PURGE_WEBHOOK']);
  return url.href;
}

/** Reads and validates the environment; a ConfigError names every variable at fault. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // Empty strings are treated as unset, so `PORT= npm start` means the default, not an error.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const keys = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    const detail = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid environment: ${detail}`, keys);
  }
  const e = parsed.data;
  const baseUrl = normaliseBaseUrl(e.BASE_URL ?? `http://localhost:${e.PORT}`);
  const outsideHubs = (e.WEBSUB_HUB ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => hubUrl(u));
  return {
    port: e.PORT,
    host: e.HOST,
    baseUrl,
    contentDir: path.resolve(cwd, e.CONTENT_DIR),
    dataDir: path.resolve(cwd, e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    ingest: e.INGEST === 'on',
    fetch: {
      timeoutMs: e.FETCH_TIMEOUT_MS,
      maxBytes: e.FETCH_MAX_BYTES,
      maxRedirects: e.FETCH_MAX_REDIRECTS,
      userAgent: `${SERVICE_NAME}/${SERVICE_VERSION} (+${baseUrl}/)`,
    },
    retention: {
      maxItemsPerSource: e.RETENTION_MAX_ITEMS,
      maxAgeDays: e.RETENTION_MAX_AGE_DAYS,
      maxRelatedItemsPerSource: e.RETENTION_RELATED_MAX_ITEMS,
    },
    websubSubscribe: e.WEBSUB_SUBSCRIBE ?? 'auto',
    adminToken: e.ADMIN_TOKEN ?? null,
    hub: { outsideHubs: [...new Set(outsideHubs)], allowPrivateCallbacks: e.WEBSUB_ALLOW_PRIVATE_CALLBACKS === 'true' },
    databaseUrl: e.DATABASE_URL === undefined ? null : databaseUrl(e.DATABASE_URL),
    purgeWebhook: e.PURGE_WEBHOOK === undefined ? null : purgeWebhookUrl(e.PURGE_WEBHOOK),
    relateByContent: e.RELATE_BY_CONTENT === 'on',
  };
}
