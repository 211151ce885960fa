import fs from 'node:fs';
import path from 'node:path';
import { validate as validateCron } from 'node-cron';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Source } from '../model/source.ts';

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

/** One problem of a refused sources.yaml, in the shape /healthz gives content problems. */
export interface SourcesProblem {
  file: 'sources.yaml';
  field: string | null;
  message: string;
}

/**
 * The sources in service. A change to CONTENT_DIR/sources.yaml is read again without a restart; an invalid one is
 * refused: the sources in service go on polling, and `rejectedChange` says why (for /healthz and the log).
 */
export class LiveSources {
  private list: Source[];
  private problem: SourcesProblem[] | null = null;
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: Array<(sources: readonly Source[]) => void> = [];

  /** Throws ConfigError when sources.yaml is invalid at start-up. */
  constructor(
    readonly contentDir: string,
    private readonly logger: Logger,
  ) {
    this.list = loadSources(contentDir);
  }

  get current(): readonly Source[] {
    return this.list;
  }

  /** The problems of the newest sources.yaml, if it was refused. */
  get rejectedChange(): readonly SourcesProblem[] | null {
    return this.problem;
  }

  onChange(listener: (sources: readonly Source[]) => void): void {
    this.listeners.push(listener);
  }

  /** Reads sources.yaml again; true when a valid and different list was taken into service. */
  reload(): boolean {
    let next: Source[];
    try {
      next = loadSources(this.contentDir);
    } catch (err) {
      // A file that cannot be read (permissions, a folder in its place) is refused like an invalid one.
      this.problem = [
        err instanceof ConfigError
          ? { file: 'sources.yaml', field: err.keys.find((k) => k !== 'sources.yaml') ?? null, message: err.message }
          : { file: 'sources.yaml', field: null, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` },
      ];
      this.logger.error({ problems: this.problem }, 'sources.yaml change rejected; the sources in service go on');
      return false;
    }
    this.problem = null;
    if (JSON.stringify(next) === JSON.stringify(this.list)) return false;
    this.list = next;
    this.logger.info({ sources: next.length }, 'sources reloaded');
    for (const l of this.listeners) l(next);
    return true;
  }

  /**
   * Reloads once writes to sources.yaml settle. The folder is watched, not the file: editors save by writing a new
   * file and renaming it over the old one, which a watch on the file itself would not survive.
   */
  watch(debounceMs = 200): void {
    if (this.watcher) return;
    try {
      this.watcher = fs.watch(this.contentDir, { persistent: false }, (_event, filename) => {
        if (filename !== null && filename !== 'sources.yaml') return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          this.reload();
        }, debounceMs);
      });
      this.watcher.on('error', (err) => {
        this.logger.warn({ err, folder: this.contentDir }, 'sources.yaml watcher lost its folder');
        this.close();
      });
    } catch (err) {
      this.logger.error({ err, folder: this.contentDir }, 'cannot watch sources.yaml; restart to pick up changes');
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
