import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { ContentProblem } from '../errors.ts';
import { lazyMarkdown } from './markdown.ts';
import { Problems } from './problems.ts';
import { originalSchema, translationSchema, type OriginalInput, type TranslationInput } from './schema.ts';

/**
 * One file at a time, on its own: YAML text to data, an article file (name, front matter, Markdown body) to its
 * validated front matter. What spans files (translations of an id, categories of site.yaml) is assemble.ts'.
 */

const ARTICLE_FILE = /^index\.([A-Za-z0-9-]+)\.md$/;
const FRONT_MATTER = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/;

export interface ParsedFile<T> {
  file: string;
  language: string;
  slug: string;
  data: T;
  bodyHtml: () => string;
  bodyMarkdown: () => string;
  /** The file's identity when read (load.ts sets it): mtime, size, inode. */
  stamp: string;
}

export type FileOutcome =
  | { kind: 'original'; parsed: ParsedFile<OriginalInput> }
  | { kind: 'translation'; parsed: ParsedFile<TranslationInput> }
  | { kind: 'invalid'; problems: ContentProblem[] };

/** YAML text to data, or undefined with the problem added (naming the line and column). */
export function readYaml(file: string, text: string, problems: Problems): unknown {
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

/** Reads and validates one article file on its own; what it relates to is checked later, across files. */
export function parseArticleFile(contentDir: string, file: string, languages: ReadonlySet<string>, siteKnown: boolean): FileOutcome {
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
  const bodyMarkdown = () => body;
  const stamp = '';
  if ('translationOf' in raw) {
    const parsed = translationSchema.safeParse(raw);
    if (parsed.success) return { kind: 'translation', parsed: { file, language, slug, data: parsed.data, bodyHtml, bodyMarkdown, stamp } };
    problems.fromZod(file, parsed.error);
    return invalid();
  }
  const parsed = originalSchema.safeParse(raw);
  if (parsed.success) return { kind: 'original', parsed: { file, language, slug, data: parsed.data, bodyHtml, bodyMarkdown, stamp } };
  problems.fromZod(file, parsed.error);
  return invalid();
}

/**
 * The Markdown of a file whose front matter came from the cache. Serving the last good version, the file may have
 * changed or gone since: its current body (or nothing) is shown rather than failing the page.
 */
export function readBody(contentDir: string, file: string): string {
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
