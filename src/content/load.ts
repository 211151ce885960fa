import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { ContentError, type ContentProblem } from '../errors.ts';
import { lazyMarkdown } from './markdown.ts';
import type { Article, Category, ContentSnapshot, RelateTarget, Site, Translation } from './model.ts';
import { originalSchema, siteSchema, translationSchema, type OriginalInput, type TranslationInput } from './schema.ts';

const ARTICLE_FILE = /^index\.([A-Za-z0-9-]+)\.md$/;
const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

interface ParsedFile<T> {
  file: string;
  language: string;
  slug: string;
  data: T;
  bodyHtml: () => string;
}

type FileOutcome =
  | { kind: 'original'; parsed: ParsedFile<OriginalInput> }
  | { kind: 'translation'; parsed: ParsedFile<TranslationInput> }
  | { kind: 'invalid'; problems: ContentProblem[] };

/**
 * What earlier loads made of each article file, by path, with the file's identity (mtime, size, inode).
 * A reload re-reads only files whose identity changed, so editing one article of ten thousand is cheap,
 * and bodies already rendered stay rendered.
 */
type CacheEntry = { stamp: string; outcome: FileOutcome };

/** The last version that loaded without problems: served when a start finds the content invalid. */
interface LastGood {
  site: Site;
  fingerprint: string;
  /** The entries it was made of (mostly the very objects of `files`, which hold the newest version of each file). */
  files: ReadonlyMap<string, CacheEntry>;
}

export class ContentCache {
  readonly files = new Map<string, CacheEntry>();
  lastGood: LastGood | null = null;
  /** Article folders by name, with their mtime and the Markdown files they held then. */
  readonly dirs = new Map<string, { mtimeMs: number; files: string[] }>();
  /** Whether anything changed since it was read or written. */
  dirty = false;

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
      const parsed = { file, language: o.language, slug: o.slug, data, bodyHtml: lazyMarkdown(() => readBody(contentDir, file)) };
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
const CACHE_VERSION = 3;

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

/**
 * The Markdown of a file whose front matter came from the cache. Serving the last good version, the file may have
 * changed or gone since: its current body (or nothing) is shown rather than failing the page.
 */
function readBody(contentDir: string, file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(path.join(contentDir, file), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  const fm = FRONT_MATTER.exec(text);
  return fm ? text.slice(fm[0].length) : text;
}

/** Collects problems so one load reports every broken file, not only the first. */
class Problems {
  readonly list: ContentProblem[] = [];
  add(file: string, field: string | null, message: string): void {
    this.list.push({ file, field, message });
  }
  fromZod(file: string, error: z.ZodError): void {
    for (const issue of error.issues) {
      this.add(file, issue.path.length ? issue.path.map(String).join('.') : null, issue.message);
    }
  }
}

function readYaml(file: string, text: string, problems: Problems): unknown {
  try {
    // Core schema: `2020-11-03T20:00:00+07:00` stays a string (we parse dates with their zone ourselves);
    // duplicate keys are errors.
    return yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: file });
  } catch (err) {
    const msg = err instanceof yaml.YAMLException ? `${err.reason} (line ${err.mark.line + 1}, column ${err.mark.column + 1})` : String(err);
    problems.add(file, null, `invalid YAML: ${msg}`);
    return undefined;
  }
}

function loadSite(contentDir: string, problems: Problems): Site | null {
  const file = 'site.yaml';
  let text: string;
  try {
    text = fs.readFileSync(path.join(contentDir, file), 'utf8');
  } catch (err) {
    problems.add(file, null, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return null;
  }
  const raw = readYaml(file, text, problems);
  if (raw === undefined) return null;
  const parsed = siteSchema.safeParse(raw);
  if (!parsed.success) {
    problems.fromZod(file, parsed.error);
    return null;
  }
  const s = parsed.data;
  const codes = Object.keys(s.languages);
  if (codes.length === 0) problems.add(file, 'languages', 'at least one language is needed');
  if (!codes.includes(s.defaultLanguage)) {
    problems.add(file, 'defaultLanguage', `"${s.defaultLanguage}" is not one of languages (${codes.join(', ')})`);
    return null;
  }
  const ordered = [s.defaultLanguage, ...codes.filter((c) => c !== s.defaultLanguage)];
  const categories: Category[] = [];
  for (const [slug, labels] of Object.entries(s.categories)) {
    const missing = codes.filter((c) => !(c in labels));
    if (missing.length) problems.add(file, `categories.${slug}`, `no label for language ${missing.join(', ')}`);
    categories.push({ slug, label: labels });
  }
  return {
    idAuthority: s.idAuthority,
    defaultLanguage: s.defaultLanguage,
    languages: ordered.map((code) => ({ code, ...s.languages[code]! })),
    categories,
    feedItemLimit: s.feedItemLimit,
    copyright: s.copyright,
  };
}

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
    const abs = path.join(root, dir.name);
    let entry = cache.dirs.get(dir.name);
    const mtime = entry && changed && !changed.has(dir.name) ? entry.mtimeMs : fs.statSync(abs).mtimeMs;
    if (!entry || entry.mtimeMs !== mtime) {
      entry = { mtimeMs: mtime, files: fs.readdirSync(abs).filter((n) => n.endsWith('.md')).sort() };
      cache.dirs.set(dir.name, entry);
      cache.dirty = true;
    }
    seen.add(dir.name);
    for (const name of entry.files) files.push(`articles/${dir.name}/${name}`);
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
  const articles = assemble(site, originals, translations, problems);
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

/** Links translations to originals and checks what spans files; null (and `problems` filled) when that fails. */
function assemble(
  site: Site | null,
  originals: readonly ParsedFile<OriginalInput>[],
  translations: readonly ParsedFile<TranslationInput>[],
  problems: Problems,
): Article[] | null {
  const categorySlugs = new Set(site?.categories.map((c) => c.slug) ?? []);
  const byId = new Map<string, { original: ParsedFile<OriginalInput>; translations: Map<string, Translation> }>();
  const slugs = new Map<string, string>();
  for (const o of originals) {
    const other = byId.get(o.data.id);
    if (other) {
      problems.add(o.file, 'id', `id "${o.data.id}" is already used by ${other.original.file}`);
      continue;
    }
    const slugOwner = slugs.get(o.slug);
    if (slugOwner) {
      problems.add(o.file, null, `folder "${o.slug}" already holds the original ${slugOwner}`);
      continue;
    }
    slugs.set(o.slug, o.file);
    o.data.categories.forEach((c, i) => {
      if (site && !categorySlugs.has(c)) {
        problems.add(o.file, `categories.${i}`, `unknown category "${c}" (site.yaml defines: ${[...categorySlugs].join(', ')})`);
      }
    });
    checkDates(o, problems);
    const translation = toTranslation(o, o.data.id, o.data.authors, null, o.data.categories, true);
    byId.set(o.data.id, { original: o, translations: new Map([[o.language, translation]]) });
  }

  for (const t of translations) {
    const entry = byId.get(t.data.translationOf);
    if (!entry) {
      problems.add(t.file, 'translationOf', `no article has id "${t.data.translationOf}"`);
      continue;
    }
    const original = entry.original;
    if (entry.translations.has(t.language)) {
      problems.add(t.file, null, `article "${original.data.id}" already has a ${t.language} version: ${entry.translations.get(t.language)!.file}`);
      continue;
    }
    if (t.data.categories && [...t.data.categories].sort().join() !== [...original.data.categories].sort().join()) {
      problems.add(t.file, 'categories', `must be left out or equal those of the original ${original.file}`);
    }
    checkDates(t, problems);
    entry.translations.set(
      t.language,
      toTranslation(t, original.data.id, t.data.authors ?? original.data.authors, t.data.translator, original.data.categories, false),
    );
  }

  if (problems.list.length > 0 || !site) return null;

  const articles: Article[] = [...byId.values()].map(({ original, translations: tr }) => ({
    id: original.data.id,
    slug: original.slug,
    originalLanguage: original.language,
    credit: original.data.source,
    categories: original.data.categories,
    translations: new Map(site.languages.filter((l) => tr.has(l.code)).map((l) => [l.code, tr.get(l.code)!])),
  }));
  // Newest first (by the original's publication), then by id: sorted on precomputed keys.
  const keyed = articles.map((a) => ({ a, t: a.translations.get(a.originalLanguage)!.published.getTime() }));
  keyed.sort((x, y) => y.t - x.t || x.a.id.localeCompare(y.a.id));
  return keyed.map((k) => k.a);
}

/** Reads and validates one article file on its own; what it relates to is checked later, across files. */
function parseArticleFile(contentDir: string, file: string, languages: ReadonlySet<string>, siteKnown: boolean): FileOutcome {
  const problems = new Problems();
  const invalid = (): FileOutcome => ({ kind: 'invalid', problems: problems.list });
  const name = path.posix.basename(file);
  const slug = path.posix.basename(path.posix.dirname(file));
  const m = ARTICLE_FILE.exec(name);
  if (!m) {
    problems.add(file, null, 'file name must be index.<language>.md, e.g. index.id.md');
    return invalid();
  }
  const language = m[1]!;
  if (siteKnown && !languages.has(language)) {
    problems.add(file, null, `language "${language}" is not offered in site.yaml (${[...languages].join(', ')})`);
    return invalid();
  }
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)) {
    problems.add(file, null, `folder name "${slug}" must be a slug: lower-case letters, digits and single hyphens`);
    return invalid();
  }
  const text = fs.readFileSync(path.join(contentDir, file), 'utf8');
  const fm = FRONT_MATTER.exec(text);
  if (!fm) {
    problems.add(file, null, 'must start with front matter between two "---" lines');
    return invalid();
  }
  const raw = readYaml(file, fm[1]!, problems);
  if (raw === undefined) return invalid();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(file, null, 'front matter must be a mapping of fields');
    return invalid();
  }
  const body = text.slice(fm[0].length);
  const bodyHtml = lazyMarkdown(() => body);
  if ('translationOf' in raw) {
    const parsed = translationSchema.safeParse(raw);
    if (parsed.success) return { kind: 'translation', parsed: { file, language, slug, data: parsed.data, bodyHtml } };
    problems.fromZod(file, parsed.error);
    return invalid();
  }
  const parsed = originalSchema.safeParse(raw);
  if (parsed.success) return { kind: 'original', parsed: { file, language, slug, data: parsed.data, bodyHtml } };
  problems.fromZod(file, parsed.error);
  return invalid();
}

function checkDates(f: ParsedFile<OriginalInput | TranslationInput>, problems: Problems): void {
  if (f.data.updated && f.data.updated.at < f.data.published.at) {
    problems.add(f.file, 'updated', 'is before published');
  }
}

function toTranslation(
  f: ParsedFile<OriginalInput | TranslationInput>,
  articleId: string,
  authors: OriginalInput['authors'],
  translator: TranslationInput['translator'] | null,
  categories: readonly string[],
  isOriginal: boolean,
): Translation {
  const d = f.data;
  return {
    articleId,
    language: f.language,
    file: f.file,
    title: d.title,
    summary: d.summary,
    published: d.published.at,
    updated: (d.updated ?? d.published).at,
    publishedUtcOffset: d.published.utcOffset,
    updatedUtcOffset: (d.updated ?? d.published).utcOffset,
    authors,
    translator,
    isOriginal,
    categories,
    tags: d.tags,
    image: d.image ?? null,
    bodyHtml: f.bodyHtml,
    rules: d.relates,
  };
}

const targetsBySnapshot = new WeakMap<ContentSnapshot, RelateTarget[]>();

/**
 * What the ingester relates upstream items to: each article with the rules of all its languages.
 * The same snapshot gives the same array, so the ingester compiles its matcher once per content version.
 */
export function relateTargets(snapshot: ContentSnapshot): RelateTarget[] {
  let targets = targetsBySnapshot.get(snapshot);
  if (!targets) {
    targets = computeTargets(snapshot);
    targetsBySnapshot.set(snapshot, targets);
  }
  return targets;
}

function computeTargets(snapshot: ContentSnapshot): RelateTarget[] {
  return snapshot.articles
    .map((a) => ({ articleId: a.id, rules: [...a.translations.values()].flatMap((t) => t.rules) }))
    .filter((t) => t.rules.length > 0);
}
