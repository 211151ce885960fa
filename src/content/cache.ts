import fs from 'node:fs';
import path from 'node:path';
import { AssembledMemo } from './assemble.ts';
import { lazyMarkdown } from './markdown.ts';
import type { Site } from './model.ts';
import { readBody, type FileOutcome } from './parse.ts';

/*
 * The start-up cache (`content-cache.json` in DATA_DIR): what earlier loads made of each file, and the last
 * content that loaded without problems, kept across restarts.
 */

/**
 * What earlier loads made of each article file, by path, with the file's identity (mtime, size, inode).
 * A reload re-reads only files whose identity changed, so editing one article of ten thousand is cheap,
 * and bodies already rendered stay rendered.
 */
export type CacheEntry = { stamp: string; outcome: FileOutcome };

/** The last version that loaded without problems: served when a start finds the content invalid. */
export interface LastGood {
  site: Site;
  fingerprint: string;
  /** The entries it was made of (mostly the very objects of `files`, which hold the newest version of each file). */
  files: ReadonlyMap<string, CacheEntry>;
}

export class ContentCache {
  readonly files = new Map<string, CacheEntry>();
  lastGood: LastGood | null = null;
  /**
   * Article folders by name, with their mtime and the Markdown files they held then (`paths`: the files as
   * paths under CONTENT_DIR, made once; not persisted).
   */
  readonly dirs = new Map<string, { mtimeMs: number; files: string[]; paths?: string[] }>();
  /** Whether anything changed since it was read or written. */
  dirty = false;
  /** Translations and articles made of the files above, for the next load (in memory only). */
  readonly assembled = new AssembledMemo();

  /**
   * The cache a previous run left in `cacheFile` (valid outcomes only), so a restart with ten thousand
   * unchanged articles stats them instead of reading and parsing them. Anything unreadable, or written
   * by another version of the schema, is ignored: the files are then simply parsed again.
   */
  static read(cacheFile: string, contentDir: string): ContentCache {
    const cache = new ContentCache();
    let raw: unknown;
    try {
      raw = JSON.parse(fs.readFileSync(cacheFile, 'utf8'));
    } catch {
      return cache;
    }
    const doc = raw as {
      version?: unknown;
      contentDir?: unknown;
      files?: [string, string, PersistedOutcome][];
      dirs?: [string, number, string[]][];
      lastGood?: PersistedLastGood | null;
    };
    if (doc.version !== CACHE_VERSION || doc.contentDir !== contentDir || !Array.isArray(doc.files) || !Array.isArray(doc.dirs)) {
      return cache;
    }
    for (const [name, mtimeMs, files] of doc.dirs) cache.dirs.set(name, { mtimeMs, files });
    const entry = (file: string, stamp: string, o: PersistedOutcome): CacheEntry => {
      const instant = (i: PersistedInstant) => ({ at: new Date(i.at), utcOffset: i.utcOffset });
      const data = { ...o.data, published: instant(o.data.published), updated: o.data.updated ? instant(o.data.updated) : undefined };
      const parsed = {
        file,
        language: o.language,
        slug: o.slug,
        data,
        bodyHtml: lazyMarkdown(() => readBody(contentDir, file)),
        bodyMarkdown: () => readBody(contentDir, file),
        stamp,
      };
      const outcome = (o.kind === 'original' ? { kind: 'original', parsed } : { kind: 'translation', parsed }) as FileOutcome;
      return { stamp, outcome };
    };
    for (const [file, stamp, o] of doc.files) cache.files.set(file, entry(file, stamp, o));
    const last = doc.lastGood;
    if (last && Array.isArray(last.files)) {
      const files = new Map<string, CacheEntry>();
      for (const [file, stamp, o] of last.files) {
        const same = cache.files.get(file);
        if (o) files.set(file, entry(file, stamp, o));
        else if (same?.stamp === stamp) files.set(file, same);
        else return cache; // inconsistent: no last good version rather than a wrong one
      }
      cache.lastGood = { site: last.site, fingerprint: last.fingerprint, files };
    }
    return cache;
  }

  /** Writes the cache if it changed (atomically: a crash leaves the old file or the new one). */
  write(cacheFile: string, contentDir: string): void {
    if (!this.dirty) return;
    const files: [string, string, PersistedOutcome][] = [];
    for (const [file, { stamp, outcome }] of this.files) {
      if (outcome.kind === 'invalid') continue;
      files.push([file, stamp, persisted(outcome)]);
    }
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    const dirs = [...this.dirs].map(([name, d]) => [name, d.mtimeMs, d.files]);
    let lastGood: PersistedLastGood | null = null;
    if (this.lastGood) {
      const { site, fingerprint } = this.lastGood;
      // Mostly the entries above; only a file whose newer version was rejected is written twice.
      const lastFiles = [...this.lastGood.files].map(([file, e]): [string, string, PersistedOutcome | null] =>
        this.files.get(file) === e || e.outcome.kind === 'invalid' ? [file, e.stamp, null] : [file, e.stamp, persisted(e.outcome)],
      );
      lastGood = { site, fingerprint, files: lastFiles };
    }
    fs.writeFileSync(tmp, JSON.stringify({ version: CACHE_VERSION, contentDir, files, dirs, lastGood }));
    fs.renameSync(tmp, cacheFile);
    this.dirty = false;
  }
}

/** Bump when the front matter schema or the parsed shape changes, so old caches are ignored. */
const CACHE_VERSION = 4;

/** A ZonedInstant as JSON writes it. */
interface PersistedInstant {
  at: string;
  utcOffset: number;
}

interface PersistedOutcome {
  kind: 'original' | 'translation';
  language: string;
  slug: string;
  data: Record<string, unknown> & { published: PersistedInstant; updated?: PersistedInstant };
}

interface PersistedLastGood {
  site: Site;
  fingerprint: string;
  /** null: the same as the entry of `files` with this stamp. */
  files: [string, string, PersistedOutcome | null][];
}

function persisted(outcome: Exclude<FileOutcome, { kind: 'invalid' }>): PersistedOutcome {
  const { language, slug, data } = outcome.parsed;
  return { kind: outcome.kind, language, slug, data: data as unknown as PersistedOutcome['data'] };
}
