import fs from 'node:fs';
import path from 'node:path';
import { validate as validateCron } from 'node-cron';
import yaml from 'js-yaml';
import { z } from 'zod';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Source } from '../model/source.ts';

export const DEFAULT_SCHEDULE = '*/15 * * * *';

/** The checks of `url`: absolute http(s), no credentials (they would end up in /status and the logs). */
function checkUrl(value: string, ctx: z.RefinementCtx): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: 'must use http or https' });
  if (url.username || url.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
}

const entrySchema = z.object({
  url: z.string().min(1).superRefine(checkUrl),
  id: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'must be letters, digits, ".", "_" or "-"')
    .optional(),
  name: z.string().min(1).optional(),
  schedule: z
    .string()
    .min(1)
    .superRefine((value, ctx) => {
      const schedule = value.trim();
      if (!validateCron(schedule)) ctx.addIssue({ code: 'custom', message: `is not a valid cron expression: ${JSON.stringify(schedule)}` });
    })
    .optional(),
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

/** One problem of sources.yaml: `field` is the entry's field (`sources[1].url`), null for the file as a whole. */
export interface SourcesProblem {
  file: 'sources.yaml';
  field: string | null;
  message: string;
}

/**
 * sources.yaml cannot be used; every problem found is listed, not only the first (as ContentError does for the
 * content). A ConfigError whose keys are the fields at fault.
 */
export class SourcesError extends ConfigError {
  constructor(readonly problems: readonly SourcesProblem[]) {
    super(
      problems.length === 1
        ? problems[0]!.message
        : `sources.yaml has ${problems.length} problems:\n${problems.map((p) => `  ${p.message}`).join('\n')}`,
      [...new Set(problems.map((p) => p.field ?? 'sources.yaml'))],
    );
  }
}

/** What sources.yaml holds: the valid entries, and the problems of the others (the file is usable when there are none). */
export interface SourcesRead {
  sources: Source[];
  problems: SourcesProblem[];
}

/**
 * Reads and checks CONTENT_DIR/sources.yaml, every entry, collecting every problem with its entry (index and URL)
 * and field. A missing file means no upstream sources. Throws only when the file exists but cannot be read.
 */
export function readSources(contentDir: string): SourcesRead {
  const file = path.join(contentDir, 'sources.yaml');
  const sources: Source[] = [];
  const problems: SourcesProblem[] = [];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { sources, problems };
    throw err;
  }
  let doc: unknown;
  try {
    // Core schema, as for site.yaml and front matter: values stay strings unless plainly numbers or booleans.
    doc = yaml.load(text, { schema: yaml.CORE_SCHEMA, filename: 'sources.yaml' });
  } catch (err) {
    problems.push({ file: 'sources.yaml', field: null, message: `sources.yaml is not valid YAML: ${(err as Error).message}` });
    return { sources, problems };
  }
  if (doc === null || doc === undefined) return { sources, problems };
  if (!Array.isArray(doc)) {
    problems.push({ file: 'sources.yaml', field: null, message: 'sources.yaml must be a list of entries such as "- url: https://..."' });
    return { sources, problems };
  }

  const seen = new Map<string, number>();
  doc.forEach((raw: unknown, index) => {
    const rawUrl = typeof raw === 'object' && raw !== null && 'url' in raw ? String(raw.url) : '(no url)';
    const problem = (field: string, message: string): void => {
      problems.push({ file: 'sources.yaml', field: `sources[${index}].${field}`, message: `sources.yaml entry ${index} (${rawUrl}): ${field} ${message}` });
    };
    const parsed = entrySchema.safeParse(raw);
    const issues = parsed.success ? [] : parsed.error.issues;
    for (const issue of issues) {
      if (issue.code === 'unrecognized_keys') {
        // One problem per unknown field, each named.
        for (const key of issue.keys) problem(key, issue.keys.length === 1 ? issue.message : `Unrecognized key: ${JSON.stringify(key)}`);
      } else {
        problem(issue.path.length > 0 ? issue.path.map(String).join('.') : 'entry', issue.message);
      }
    }
    // The entry's id, if it has one whatever its other problems, so a duplicate is reported in the same pass.
    const entry: { url?: unknown; id?: unknown } = typeof raw === 'object' && raw !== null ? raw : {};
    const valid = (field: 'url' | 'id') => typeof entry[field] === 'string' && !issues.some((i) => i.path[0] === field);
    let id: string | null = null;
    if (entry.id !== undefined) id = valid('id') ? (entry.id as string) : null;
    else if (valid('url')) id = sourceIdFromUrl(new URL(entry.url as string));
    if (id !== null) {
      const previous = seen.get(id);
      if (previous !== undefined) problem('id', `duplicates the id of entry ${previous}: ${JSON.stringify(id)}`);
      else seen.set(id, index);
    }
    if (!parsed.success || id === null || seen.get(id) !== index) return;
    const url = new URL(parsed.data.url);
    sources.push({
      id,
      url: parsed.data.url,
      name: parsed.data.name ?? url.hostname.replace(/^www\./, ''),
      schedule: parsed.data.schedule?.trim() ?? DEFAULT_SCHEDULE,
      language: parsed.data.language ?? null,
    });
  });
  return { sources, problems };
}

/** The sources of CONTENT_DIR/sources.yaml; a SourcesError lists every problem when there is any. */
export function loadSources(contentDir: string): Source[] {
  const { sources, problems } = readSources(contentDir);
  if (problems.length > 0) throw new SourcesError(problems);
  return sources;
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

  /** Throws SourcesError (a ConfigError listing every problem) when sources.yaml is invalid at start-up. */
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
      this.problem =
        err instanceof SourcesError
          ? [...err.problems]
          : [{ file: 'sources.yaml', field: null, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }];
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
