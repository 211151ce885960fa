import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ContentError, type ContentProblem } from '../errors.ts';
import { renderMarkdown } from './markdown.ts';
import type { Article, Category, ContentSnapshot, RelateTarget, Site, Translation } from './model.ts';
import { originalSchema, siteSchema, translationSchema, type OriginalInput, type TranslationInput } from './schema.ts';

const ARTICLE_FILE = /^index\.([A-Za-z0-9-]+)\.md$/;
const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

interface ParsedFile<T> {
  file: string;
  language: string;
  slug: string;
  data: T;
  body: string;
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
    // YAML 1.2 core schema: `2020-11-03T20:00:00+07:00` stays a string, so we parse dates ourselves.
    return parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (err) {
    const msg = err instanceof YAMLParseError ? err.message.split('\n')[0] : String(err);
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

function listArticleFiles(contentDir: string, problems: Problems): string[] {
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
  for (const dir of dirs.filter((d) => d.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    for (const name of fs.readdirSync(path.join(root, dir.name)).sort()) {
      if (name.endsWith('.md')) files.push(path.posix.join('articles', dir.name, name));
    }
  }
  return files;
}

/**
 * Reads and validates the whole content tree. Throws ContentError listing every problem with its file
 * (relative to CONTENT_DIR) and field; returns a snapshot only when everything is valid.
 */
export function loadContent(contentDir: string, now: Date = new Date()): ContentSnapshot {
  const problems = new Problems();
  const hash = createHash('sha256');
  const site = loadSite(contentDir, problems);
  hash.update(fs.existsSync(path.join(contentDir, 'site.yaml')) ? fs.readFileSync(path.join(contentDir, 'site.yaml')) : '');
  const languages = new Set(site?.languages.map((l) => l.code) ?? []);
  const categorySlugs = new Set(site?.categories.map((c) => c.slug) ?? []);

  const originals: ParsedFile<OriginalInput>[] = [];
  const translations: ParsedFile<TranslationInput>[] = [];

  for (const file of listArticleFiles(contentDir, problems)) {
    const name = path.posix.basename(file);
    const slug = path.posix.basename(path.posix.dirname(file));
    const m = ARTICLE_FILE.exec(name);
    if (!m) {
      problems.add(file, null, 'file name must be index.<language>.md, e.g. index.id.md');
      continue;
    }
    const language = m[1]!;
    if (site && !languages.has(language)) {
      problems.add(file, null, `language "${language}" is not offered in site.yaml (${[...languages].join(', ')})`);
      continue;
    }
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)) {
      problems.add(file, null, `folder name "${slug}" must be a slug: lower-case letters, digits and single hyphens`);
      continue;
    }
    const text = fs.readFileSync(path.join(contentDir, file), 'utf8');
    hash.update(file).update('\0').update(text).update('\0');
    const fm = FRONT_MATTER.exec(text);
    if (!fm) {
      problems.add(file, null, 'must start with front matter between two "---" lines');
      continue;
    }
    const raw = readYaml(file, fm[1]!, problems);
    if (raw === undefined) continue;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.add(file, null, 'front matter must be a mapping of fields');
      continue;
    }
    const body = text.slice(fm[0].length);
    if ('translationOf' in raw) {
      const parsed = translationSchema.safeParse(raw);
      if (parsed.success) translations.push({ file, language, slug, data: parsed.data, body });
      else problems.fromZod(file, parsed.error);
    } else {
      const parsed = originalSchema.safeParse(raw);
      if (parsed.success) originals.push({ file, language, slug, data: parsed.data, body });
      else problems.fromZod(file, parsed.error);
    }
  }

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

  if (problems.list.length > 0 || !site) throw new ContentError(problems.list);

  const articles: Article[] = [...byId.values()].map(({ original, translations: tr }) => ({
    id: original.data.id,
    slug: original.slug,
    originalLanguage: original.language,
    credit: original.data.source,
    categories: original.data.categories,
    translations: new Map(site.languages.filter((l) => tr.has(l.code)).map((l) => [l.code, tr.get(l.code)!])),
  }));
  articles.sort(
    (a, b) =>
      b.translations.get(b.originalLanguage)!.published.getTime() - a.translations.get(a.originalLanguage)!.published.getTime() ||
      a.id.localeCompare(b.id),
  );
  return { site, articles, fingerprint: hash.digest('hex'), loadedAt: now };
}

function checkDates(f: ParsedFile<OriginalInput | TranslationInput>, problems: Problems): void {
  if (f.data.updated && f.data.updated < f.data.published) {
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
    published: d.published,
    updated: d.updated ?? d.published,
    authors,
    translator,
    isOriginal,
    categories,
    tags: d.tags,
    image: d.image ?? null,
    bodyHtml: renderMarkdown(f.body),
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
