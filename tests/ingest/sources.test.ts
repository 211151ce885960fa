import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.ts';
import { loadSources } from '../../src/ingest/sources.ts';

function dirWith(yaml: string | null): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kabar-sources-'));
  if (yaml !== null) fs.writeFileSync(path.join(dir, 'sources.yaml'), yaml);
  return dir;
}

function configError(yaml: string): ConfigError {
  try {
    loadSources(dirWith(yaml));
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSources', () => {
  it('returns no sources when sources.yaml is missing', () => {
    expect(loadSources(dirWith(null))).toEqual([]);
  });

  it('fills defaults: id from host and path, name from host, every 15 minutes', () => {
    expect(loadSources(dirWith('- url: https://www.example.com/world/rss.xml\n'))).toEqual([
      { id: 'example-com-world-rss-xml', url: 'https://www.example.com/world/rss.xml', name: 'example.com', schedule: '*/15 * * * *', language: null },
    ]);
  });

  it('keeps given fields and accepts six-field cron with seconds', () => {
    const [s] = loadSources(dirWith('- url: http://127.0.0.1:9/feed\n  id: local\n  name: Local\n  schedule: "*/30 * * * * *"\n  language: id\n'));
    expect(s).toEqual({ id: 'local', url: 'http://127.0.0.1:9/feed', name: 'Local', schedule: '*/30 * * * * *', language: 'id' });
  });

  it('names the entry and field for a bad URL, a bad cron and a duplicate id', () => {
    const badUrl = configError('- url: https://ok.example/a\n- url: not a url\n');
    expect(badUrl.message).toMatch(/entry 1 \(not a url\): url/);
    expect(badUrl.keys).toEqual(['sources[1].url']);
    expect(configError('- url: ftp://files.example/feed\n').message).toMatch(/entry 0 .*url must use http or https/);
    const badCron = configError('- url: https://ok.example/a\n  schedule: every hour\n');
    expect(badCron.message).toMatch(/entry 0 \(https:\/\/ok.example\/a\): schedule/);
    const dup = configError('- url: https://ok.example/a\n  id: same\n- url: https://ok.example/b\n  id: same\n');
    expect(dup.message).toMatch(/entry 1 \(https:\/\/ok.example\/b\): id duplicates the id of entry 0/);
    expect(configError('- url: https://ok.example/a\n  shedule: "* * * * *"\n').message).toMatch(/shedule/);
    expect(configError('url: https://ok.example/a\n').message).toMatch(/must be a list/);
  });

  it('loads the shipped content/sources.yaml', () => {
    const sources = loadSources(path.resolve(import.meta.dirname, '../../content'));
    expect(sources.length).toBeGreaterThan(0);
    expect(new Set(sources.map((s) => s.id)).size).toBe(sources.length);
  });
});
