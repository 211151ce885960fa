import fs from 'node:fs';
import type { Logger } from '../log.ts';
import { ContentError } from '../errors.ts';
import { loadContent } from './load.ts';
import type { ContentSnapshot } from './model.ts';

/**
 * The content the service is serving now. A change under CONTENT_DIR is reloaded; if the new version is
 * invalid, the last good snapshot stays in service and the problems are kept for /healthz and the logs.
 */
export class LiveContent {
  private snapshot: ContentSnapshot;
  private problem: ContentError | null = null;
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners: Array<(s: ContentSnapshot) => void> = [];

  /** Throws ContentError when the content is invalid at start-up: there is no last good version yet. */
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.snapshot = loadContent(dir, now());
  }

  get current(): ContentSnapshot {
    return this.snapshot;
  }

  /** The problems of the newest version on disk, if it could not be loaded. */
  get lastError(): ContentError | null {
    return this.problem;
  }

  onChange(listener: (s: ContentSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Loads the content again; returns true when a valid and different version was taken into service. */
  reload(): boolean {
    let next: ContentSnapshot;
    try {
      next = loadContent(this.dir, this.now());
    } catch (err) {
      if (!(err instanceof ContentError)) throw err;
      this.problem = err;
      this.logger.error({ problems: err.problems }, 'content change rejected; still serving the last good version');
      return false;
    }
    this.problem = null;
    if (next.fingerprint === this.snapshot.fingerprint) return false;
    this.snapshot = next;
    this.logger.info({ articles: next.articles.length, fingerprint: next.fingerprint.slice(0, 12) }, 'content reloaded');
    for (const l of this.listeners) l(next);
    return true;
  }

  /** Reloads after changes under the content folder settle (editors save several files at once). */
  watch(debounceMs = 200): void {
    if (this.watcher) return;
    this.watcher = fs.watch(this.dir, { recursive: true }, () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.reload();
      }, debounceMs);
    });
    this.watcher.on('error', (err) => this.logger.error({ err }, 'content watcher failed; restart to pick up changes'));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
