import fs from 'node:fs';
import path from 'node:path';
import { validate as validateCron } from 'node-cron';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';

/** One upstream feed from CONTENT_DIR/sources.yaml. */
export interface Source {
  id: string;
  /** As written in sources.yaml (GET /status reports it verbatim). */
  url: string;
  name: string;
  /** node-cron expression, five fields or six with seconds. */
  schedule: string;
  language: string | null;
}

export const DEFAULT_SCHEDULE = '*/15 * * * *';

const entrySchema = z.object({
  url: z.string().min(1),
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'must be letters, digits, ".", "_" or "-"')
    .optional(),
  name: z.string().min(1).optional(),
  schedule: z.string().min(1).optional(),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[a-z0-9]{2,8})*$/i, 'must be a language tag such as "en" or "pt-BR"')
    .optional(),
}).strict();

/** `https://www.example.com/world/rss.xml` -> `example-com-world-rss-xml`. */
export function sourceIdFromUrl(url: URL): string {
  const host = url.hostname.replace(/^www\./, '');
  return `${host}${url.pathname}${url.search}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

/**
 * Reads CONTENT_DIR/sources.yaml. A missing file means no upstream sources; a bad entry is a ConfigError
 * naming the entry (index and URL) and the field.
 */
export function loadSources(contentDir: string): Source[] {
  const file = path.join(contentDir, 'sources.yaml');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  let doc: unknown;
  try {
    // Core schema, as for site.yaml and front matter: values stay strings unless plainly numbers or booleans.
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: 'sources.yaml' });
  } catch (err) {
    throw new ConfigError(`sources.yaml is not valid YAML: ${(err as Error).message}`, ['sources.yaml']);
  }
  if (doc === null || doc === undefined) return [];
  if (!Array.isArray(doc)) {
    throw new ConfigError('sources.yaml must be a list of entries such as "- url: https://..."', ['sources.yaml']);
  }

  const sources: Source[] = [];
  const seen = new Map<string, number>();
  doc.forEach((raw: unknown, index) => {
    const rawUrl = typeof raw === 'object' && raw !== null && 'url' in raw ? String(raw.url) : '(no url)';
    const fail = (field: string, message: string): never => {
      throw new ConfigError(`sources.yaml entry ${index} (${rawUrl}): ${field} ${message}`, [
        `sources[${index}].${field}`,
      ]);
    };
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'entry';
      fail(issue.code === 'unrecognized_keys' ? (issue.keys[0] ?? 'entry') : field, issue.message);
    }
    const entry = parsed.data!;
    let url: URL;
    try {
      url = new URL(entry.url);
    } catch {
      return fail('url', 'must be an absolute URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') fail('url', 'must use http or https');
    if (url.username || url.password) fail('url', 'must not carry credentials');
    const schedule = entry.schedule?.trim() ?? DEFAULT_SCHEDULE;
    if (!validateCron(schedule)) fail('schedule', `is not a valid cron expression: ${JSON.stringify(schedule)}`);
    const id = entry.id ?? sourceIdFromUrl(url);
    const previous = seen.get(id);
    if (previous !== undefined) fail('id', `duplicates the id of entry ${previous}: ${JSON.stringify(id)}`);
    seen.set(id, index);
    sources.push({
      id,
      url: entry.url,
      name: entry.name ?? url.hostname.replace(/^www\./, ''),
      schedule,
      language: entry.language ?? null,
    });
  });
  return sources;
}
