import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ContentError } from '../errors.ts';
import { assemble } from './assemble.ts';
import { ContentCache, type CacheEntry } from './cache.ts';
import type { ContentSnapshot } from './model.ts';
import { parseArticleFile, type ParsedFile } from './parse.ts';
import { Problems } from './problems.ts';
import type { OriginalInput, TranslationInput } from './schema.ts';
import { loadSite } from './site.ts';

/*
 * Loading the content tree: lists the article files, parses the changed ones (parse.ts, site.ts), links them
 * across files (assemble.ts), and keeps what it made in the cache (cache.ts) for the next load and restart.
 */

/**
 * Which article folders (names under articles/) may have changed since the cache last saw the tree. Folders
 * outside it are taken from the cache as they were, without a stat; null (the default) checks every folder
 * and file. LiveContent knows the folders from its per-folder watchers.
 */
export type ChangedFolders = ReadonlySet<string> | null;

/**
 * The Markdown files under articles/, sorted. A folder whose mtime is unchanged since the cache saw it has
 * the same entries (creating, deleting or renaming a file changes it), so it is stat'ed, not read; a folder
 * outside `changed` is not even stat'ed.
 */
function listArticleFiles(contentDir: string, problems: Problems, cache: ContentCache, changed: ChangedFolders): string[] {
  const root = path.join(contentDir, 'articles');
  let dirs: fs.Dirent[];
  try {
    dirs = fs.readdirSync(root, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    problems.add('articles', null, `cannot read: ${String(err)}`);
    return [];
  }
  const files: string[] = [];
  const seen = new Set<string>();
  // Code-unit order: deterministic, and several times cheaper than localeCompare on ten thousand names.
  for (const dir of dirs.filter((d) => d.isDirectory()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    let entry = cache.dirs.get(dir.name);
    const mtime = entry && changed && !changed.has(dir.name) ? entry.mtimeMs : fs.statSync(path.join(root, dir.name)).mtimeMs;
    if (!entry || entry.mtimeMs !== mtime) {
      entry = { mtimeMs: mtime, files: fs.readdirSync(path.join(root, dir.name)).filter((n) => n.endsWith('.md')).sort() };
      cache.dirs.set(dir.name, entry);
      cache.dirty = true;
    }
    seen.add(dir.name);
    // The same path strings load after load: no 20,000 new strings per reload, and map lookups by them stay cheap.
    entry.paths ??= entry.files.map((name) => `articles/${dir.name}/${name}`);
    for (const file of entry.paths) files.push(file);
  }
  for (const name of cache.dirs.keys()) {
    if (!seen.has(name)) {
      cache.dirs.delete(name);
      cache.dirty = true;
    }
  }
  return files;
}

/** The article folder of `articles/<folder>/<file>.md`. */
function folderOf(file: string): string {
  return file.slice('articles/'.length, file.indexOf('/', 'articles/'.length));
}

/**
 * Reads and validates the whole content tree. Throws ContentError listing every problem with its file
 * (relative to CONTENT_DIR) and field; returns a snapshot only when everything is valid. With `changed`,
 * files in other folders are trusted to be as `cache` saw them (see ChangedFolders).
 */
export function loadContent(
  contentDir: string,
  now: Date = new Date(),
  cache: ContentCache = new ContentCache(),
  changed: ChangedFolders = null,
): ContentSnapshot {
  const problems = new Problems();
  const hash = createHash('sha256');
  const site = loadSite(contentDir, problems);
  hash.update(fs.existsSync(path.join(contentDir, 'site.yaml')) ? fs.readFileSync(path.join(contentDir, 'site.yaml')) : '');
  const seen = new Set<string>();
  /** The entries this version is made of: the last good version if it has no problems. */
  const used = new Map<string, CacheEntry>();
  const languages = new Set(site?.languages.map((l) => l.code) ?? []);

  const originals: ParsedFile<OriginalInput>[] = [];
  const translations: ParsedFile<TranslationInput>[] = [];

  const languageList = [...languages].join(',');
  for (const file of listArticleFiles(contentDir, problems, cache, changed)) {
    let cached = cache.files.get(file);
    let stamp: string;
    if (cached && changed && !changed.has(folderOf(file))) stamp = cached.stamp;
    else {
      const st = fs.statSync(path.join(contentDir, file));
      // The languages site.yaml offers decide whether a file is valid, so they are part of its identity.
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}:${languageList}`;
    }
    hash.update(file).update('\0').update(stamp).update('\0');
    if (!cached || cached.stamp !== stamp) {
      cached = { stamp, outcome: parseArticleFile(contentDir, file, languages, site !== null) };
      cache.files.set(file, cached);
      cache.dirty = true;
    }
    if (cached.outcome.kind !== 'invalid') cached.outcome.parsed.stamp = stamp;
    seen.add(file);
    used.set(file, cached);
    const outcome = cached.outcome;
    if (outcome.kind === 'original') originals.push(outcome.parsed);
    else if (outcome.kind === 'translation') translations.push(outcome.parsed);
    else for (const p of outcome.problems) problems.list.push(p);
  }
  for (const file of cache.files.keys()) {
    if (!seen.has(file)) {
      cache.files.delete(file);
      cache.dirty = true;
    }
  }

  // Checked across files even when a file or site.yaml failed, so one load reports every problem.
  const articles = assemble(site, originals, translations, problems, cache.assembled);
  if (!site || !articles || problems.list.length > 0) throw new ContentError(problems.list);
  const fingerprint = hash.digest('hex');
  if (cache.lastGood?.fingerprint !== fingerprint) cache.dirty = true;
  cache.lastGood = { site, fingerprint, files: used };
  return { site, articles, fingerprint, loadedAt: now };
}

/**
 * The last content that loaded without problems, as the cache remembers it (front matter as it was then;
 * bodies are read from the files when first shown). Null when there is none.
 */
export function lastGoodContent(cache: ContentCache, now: Date): ContentSnapshot | null {
  const last = cache.lastGood;
  if (!last) return null;
  const originals: ParsedFile<OriginalInput>[] = [];
  const translations: ParsedFile<TranslationInput>[] = [];
  for (const { outcome } of last.files.values()) {
    if (outcome.kind === 'original') originals.push(outcome.parsed);
    else if (outcome.kind === 'translation') translations.push(outcome.parsed);
  }
  const problems = new Problems();
  const articles = assemble(last.site, originals, translations, problems);
  return articles ? { site: last.site, articles, fingerprint: last.fingerprint, loadedAt: now } : null;
}
