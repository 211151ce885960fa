import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { REPO } from '../helpers/service.ts';

/**
 * compose.yaml (README, "Running several replicas") is checked, not run: no Docker engine runs on these machines.
 * Where a compose CLI exists (`docker compose`, or Debian's `docker-compose`), its own `config` check runs; the
 * structural check below always does: PostgreSQL 15 with a volume and a healthcheck, two replicas of the image
 * built from our Dockerfile on one database and one read-only content mount, and nginx in front of both.
 */

const FILE = path.join(REPO, 'compose.yaml');

interface Service {
  image?: string;
  build?: string | { context: string };
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** `${VAR:-default}` and `${VAR}` as compose reads them, with an empty environment. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_m, _name: string, fallback?: string) => fallback ?? '');
}

const compose = yaml.load(fs.readFileSync(FILE, 'utf8')) as Compose;
const replicas = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

/** The compose CLI on this machine, if any: the plugin first, then Debian's v1. */
function composeCli(): string[] | null {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return null;
}
const cli = composeCli();

describe('compose.yaml', () => {
  // .ci/run installs Debian's docker-compose when no compose client is here: without one this fails, never skips.
  test(`passes the compose CLI's own check (${cli ? `${cli.join(' ')} config -q` : 'no compose CLI on this machine'})`, () => {
    if (cli === null) throw new Error('no compose client: install Debian\'s docker-compose (apt-get install docker-compose), as .ci/run does');
    const r = spawnSync(cli[0]!, [...cli.slice(1), '-f', FILE, 'config', '-q'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  test('PostgreSQL 15 keeps its data on a named volume and says when it is ready', () => {
    const pg = compose.services.postgres!;
    expect(pg.image).toMatch(/^postgres:15(\b|$)/);
    const data = pg.volumes?.find((v) => v.endsWith(':/var/lib/postgresql/data'));
    expect(data).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(data!.split(':')[0]);
    expect(pg.healthcheck?.test.join(' ')).toContain('pg_isready');
  });

  test('two replicas, built from our Dockerfile, on one database and the same read-only content, each with its own DATA_DIR', () => {
    expect(replicas.map(([name]) => name)).toHaveLength(2);
    expect(fs.existsSync(path.join(REPO, 'Dockerfile'))).toBe(true);
    const pg = compose.services.postgres!.environment!;
    const dataVolumes = new Set<string>();
    const databases = new Set<string>();
    for (const [name, s] of replicas) {
      expect(typeof s.build === 'string' ? s.build : s.build!.context, name).toBe('.');
      const env = Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, interpolate(String(v))]));
      // The environment is one the service accepts (an empty value means unset, as for PURGE_WEBHOOK here).
      const config = loadConfig(env, '/');
      expect(config.baseUrl).toMatch(/^https?:\/\//);
      const db = new URL(env.DATABASE_URL!);
      expect(db.protocol).toBe('postgres:');
      expect(db.hostname).toBe('postgres');
      expect([decodeURIComponent(db.username), decodeURIComponent(db.password), db.pathname.slice(1)]).toEqual([
        pg.POSTGRES_USER,
        interpolate(pg.POSTGRES_PASSWORD!),
        pg.POSTGRES_DB,
      ]);
      databases.add(env.DATABASE_URL!);
      const content = s.volumes?.find((v) => v.split(':')[1] === env.CONTENT_DIR);
      expect(content, `${name} mounts CONTENT_DIR`).toBe('./content:/content:ro');
      const data = s.volumes?.find((v) => v.split(':')[1] === env.DATA_DIR);
      expect(data, `${name} mounts DATA_DIR`).toBeDefined();
      dataVolumes.add(data!.split(':')[0]!);
      expect(s.depends_on?.postgres?.condition).toBe('service_healthy');
      expect(s.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${config.port}/healthz`);
      // Not published: readers reach them through nginx.
      expect(s.ports).toBeUndefined();
    }
    expect(databases.size).toBe(1);
    expect(dataVolumes.size).toBe(2);
  });

  test('nginx balances over both replicas, passing Host and X-Forwarded-*, with its own gzip off (ETags untouched)', () => {
    const lb = compose.services.nginx!;
    expect(lb.image).toMatch(/^nginx:/);
    expect(lb.ports).toEqual(['8080:80']);
    for (const [name] of replicas) expect(lb.depends_on?.[name]?.condition).toBe('service_healthy');
    const mount = lb.volumes?.find((v) => v.includes(':/etc/nginx/nginx.conf'));
    expect(mount).toBe('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    const conf = fs.readFileSync(path.join(REPO, 'deploy/nginx.conf'), 'utf8').replace(/#.*$/gm, '');
    const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(conf);
    expect(upstream).not.toBeNull();
    const servers = [...upstream![2]!.matchAll(/server\s+([\w.-]+):(\d+)/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(servers.sort()).toEqual(replicas.map(([name, s]) => `${name}:${s.environment!.PORT}`).sort());
    // Round robin is nginx's default: no other balancing method is chosen.
    expect(upstream![2]).not.toMatch(/\b(least_conn|ip_hash|hash|random)\b/);
    expect(conf).toContain(`proxy_pass http://${upstream![1]};`);
    expect(conf).toMatch(/^\s*gzip off;/m);
    for (const header of ['Host $host', 'X-Forwarded-For $proxy_add_x_forwarded_for', 'X-Forwarded-Proto $scheme']) {
      expect(conf).toContain(`proxy_set_header ${header};`);
    }
    expect(conf).not.toMatch(/proxy_hide_header\s+(ETag|Last-Modified|Cache-Control|Surrogate-Key)/i);
  });
});
