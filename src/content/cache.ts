import fs from 'node:fs';
import path from 'node:path';
import { AssembledMemo } from './assemble.ts';
import { lazyMarkdown } from './markdown.ts';
import type { Site } from './model.ts';
import { readBody, type FileOutcome } from './parse.ts';

/*
 * The start-up cache (`content-cache.json` in DATA_DIR): what earlier loads made of each file, and the last
 * content that loaded without problems, kept across restarts. One JSON value per line (see readLines).
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
    let fd: number;
    try {
      fd = fs.openSync(cacheFile, 'r');
    } catch {
      return cache;
    }
    const instant = (i: PersistedInstant) => ({ at: new Date(i.at), utcOffset: i.utcOffset });
    const entry = (file: string, stamp: string, o: PersistedOutcome): CacheEntry => {
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
    let header: PersistedHeader | null = null;
    let lastGood: { files: Map<string, CacheEntry>; consistent: boolean } | null = null;
    try {
      for (const line of readLines(fd)) {
        const record = JSON.parse(line) as PersistedRecord;
        if (header === null) {
          header = record as PersistedHeader;
          if (header.version !== CACHE_VERSION || header.contentDir !== contentDir) return new ContentCache();
          if (header.lastGood) lastGood = { files: new Map(), consistent: true };
          continue;
        }
        const r = record as PersistedLine;
        if (r[0] === 'f') cache.files.set(r[1], entry(r[1], r[2], r[3]));
        else if (r[0] === 'd') cache.dirs.set(r[1], { mtimeMs: r[2], files: r[3] });
        else if (r[0] === 'l' && lastGood) {
          const [, file, stamp, o] = r;
          const same = cache.files.get(file);
          if (o) lastGood.files.set(file, entry(file, stamp, o));
          else if (same?.stamp === stamp) lastGood.files.set(file, same);
          else lastGood.consistent = false; // no last good version rather than a wrong one
        }
      }
    } catch {
      // Unreadable or cut short: the files are simply parsed again.
      return new ContentCache();
    } finally {
      fs.closeSync(fd);
    }
    if (header?.lastGood && lastGood?.consistent) cache.lastGood = { ...header.lastGood, files: lastGood.files };
    return cache;
  }

  /** Writes the cache if it changed (atomically: a crash leaves the old file or the new one). */
  write(cacheFile: string, contentDir: string): void {
    if (!this.dirty) return;
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      const lines = new LineWriter(fd);
      const last = this.lastGood;
      lines.add({ version: CACHE_VERSION, contentDir, lastGood: last ? { site: last.site, fingerprint: last.fingerprint } : null } satisfies PersistedHeader);
      for (const [file, { stamp, outcome }] of this.files) {
        if (outcome.kind !== 'invalid') lines.add(['f', file, stamp, persisted(outcome)] satisfies PersistedLine);
      }
      for (const [name, d] of this.dirs) lines.add(['d', name, d.mtimeMs, d.files] satisfies PersistedLine);
      // Mostly the entries above; only a file whose newer version was rejected is written twice.
      for (const [file, e] of last?.files ?? []) {
        const o = this.files.get(file) === e || e.outcome.kind === 'invalid' ? null : persisted(e.outcome);
        lines.add(['l', file, e.stamp, o] satisfies PersistedLine);
      }
      lines.flush();
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, cacheFile);
    this.dirty = false;
  }
}

/** Bump when the front matter schema or the parsed shape changes, so old caches are ignored. */
const CACHE_VERSION = 5;

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

/** The first line of the file. */
interface PersistedHeader {
  version: number;
  contentDir: string;
  /** The last good version's site; its files are the 'l' lines. */
  lastGood: { site: Site; fingerprint: string } | null;
}

/** Each further line: a file's outcome, an article folder, or a file of the last good version (null: the same as its 'f' line). */
type PersistedLine =
  | ['f', string, string, PersistedOutcome]
  | ['d', string, number, string[]]
  | ['l', string, string, PersistedOutcome | null];

type PersistedRecord = PersistedHeader | PersistedLine;

/*
 * One JSON value per line, read and written in chunks: ten thousand articles make a cache of some 20 MB, and one
 * JSON.parse of it held the whole text and the whole parsed tree at once. Those outlived the young generation and
 * stayed in the old one as garbage (about 35 MB of heap) until a full collection, which an idle service may not run
 * for a long time; line by line, each record's text and tree die young.
 */
const CHUNK_BYTES = 1 << 20;

/** The lines of a file, read in chunks of CHUNK_BYTES. */
function* readLines(fd: number): Generator<string> {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let carry = '';
  for (;;) {
    const n = fs.readSync(fd, chunk, 0, CHUNK_BYTES, null);
    if (n === 0) break;
    let start = 0;
    for (let nl = chunk.indexOf(10, 0); nl !== -1 && nl < n; nl = chunk.indexOf(10, start)) {
      // A line split across chunks: decode it whole, so a UTF-8 sequence is never cut.
      const line = carry ? Buffer.concat([Buffer.from(carry, 'latin1'), chunk.subarray(start, nl)]).toString('utf8') : chunk.toString('utf8', start, nl);
      carry = '';
      if (line) yield line;
      start = nl + 1;
    }
    carry += chunk.toString('latin1', start, n);
  }
  if (carry) yield Buffer.from(carry, 'latin1').toString('utf8');
}

/** Writes one JSON value per line, in chunks of about CHUNK_BYTES. */
class LineWriter {
  private pending: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}

  add(value: unknown): void {
    const line = `${JSON.stringify(value)}\n`;
    this.pending.push(line);
    this.size += line.length;
    if (this.size >= CHUNK_BYTES) this.flush();
  }

  flush(): void {
    if (this.pending.length > 0) fs.writeSync(this.fd, this.pending.join(''));
    this.pending = [];
    this.size = 0;
  }
}

function persisted(outcome: Exclude<FileOutcome, { kind: 'invalid' }>): PersistedOutcome {
  const { language, slug, data } = outcome.parsed;
  return { kind: outcome.kind, language, slug, data: data as unknown as PersistedOutcome['data'] };
}
