import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.ts';
import { ContentError } from '../errors.ts';
import { ContentCache } from './cache.ts';
import { lastGoodContent, loadContent, type ChangedFolders } from './load.ts';
import type { ContentSnapshot } from './model.ts';

/** Quiet time after a reload before the content cache is written. */
export const SAVE_QUIET_MS = 30_000;
/** The longest a reload waits to be written to the content cache. */
export const SAVE_MAX_DELAY_MS = 300_000;

/**
 * The content the service is serving now. A change under CONTENT_DIR is reloaded; if the new version is
 * invalid, the last good snapshot stays in service and the problems are kept for /healthz and the logs.
 */
export class LiveContent {
  private snapshot: ContentSnapshot;
  private problem: ContentError | null = null;
  private watchers: Map<string, fs.FSWatcher> | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Article folders the watchers reported since the last reload; null: something else changed, check all. */
  private pending: Set<string> | null = new Set();
  private saveTimer: NodeJS.Timeout | null = null;
  /** When the first reload not yet in the cache file happened (performance.now()), or null. */
  private unsavedSince: number | null = null;
  private readonly listeners: Array<(s: ContentSnapshot) => void> = [];
  private readonly cache: ContentCache;

  /**
   * `cacheFile` (in DATA_DIR) keeps what was parsed across restarts, and the last good version; null keeps it in
   * memory only. Content that is invalid at start-up is refused like a change: the last good version the cache
   * remembers is served, and `lastError` says why. Throws ContentError when there is no last good version.
   */
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    private readonly cacheFile: string | null = null,
  ) {
    this.cache = cacheFile ? ContentCache.read(cacheFile, dir) : new ContentCache();
    try {
      this.snapshot = loadContent(dir, now(), this.cache);
    } catch (err) {
      const last = err instanceof ContentError ? lastGoodContent(this.cache, now()) : null;
      if (!last) throw err;
      this.snapshot = last;
      this.problem = err as ContentError;
      logger.error(
        { problems: this.problem.problems, articles: last.articles.length, fingerprint: last.fingerprint.slice(0, 12) },
        'content is invalid at start-up; serving the last good version from the content cache',
      );
    }
    this.saveCache();
  }

  /**
   * The cache only speeds up the next start, and writing it (megabytes of JSON for ten thousand articles)
   * blocks the event loop for a while (0.1-0.25 s): it is written once edits have settled, `SAVE_QUIET_MS` after
   * the last reload, so a series of edits (and the WebSub fan-outs they start) is not interrupted by it; at the
   * latest `SAVE_MAX_DELAY_MS` after the first reload not yet written, so steady edits cannot put it off forever;
   * and on close.
   */
  private scheduleSave(): void {
    if (!this.cacheFile) return;
    const now = performance.now();
    this.unsavedSince ??= now;
    if (this.saveTimer) clearTimeout(this.saveTimer);
    const delay = Math.max(0, Math.min(SAVE_QUIET_MS, this.unsavedSince + SAVE_MAX_DELAY_MS - now));
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      this.unsavedSince = null;
      this.saveCache();
    }, delay);
    this.saveTimer.unref();
  }

  private saveCache(): void {
    if (!this.cacheFile) return;
    try {
      this.cache.write(this.cacheFile, this.dir);
    } catch (err) {
      // Only start-up time depends on it.
      this.logger.warn({ err, file: this.cacheFile }, 'cannot write the content cache');
    }
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

  /**
   * Loads the content again; returns true when a valid and different version was taken into service.
   * `changed`: the only article folders that may have changed (from the watchers); by default all are checked.
   */
  reload(changed: ChangedFolders = null): boolean {
    let next: ContentSnapshot;
    try {
      next = loadContent(this.dir, this.now(), this.cache, changed);
      this.scheduleSave();
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

  /**
   * Reloads after changes under the content folder settle (editors save several files at once). One inotify
   * watch per folder (content, articles, each article): Node 20's recursive fs.watch on Linux polls every
   * file with fs.watchFile, which costs seconds at start-up and CPU forever with ten thousand articles.
   */
  watch(debounceMs = 200): void {
    if (this.watchers) return;
    this.watchers = new Map();
    /**
     * `folder`: the article folder the event is about, null when it may be anything (site.yaml, a rename).
     * `withinArticle`: it came from an article folder's own watcher (a file in it edited, added or removed),
     * which changes no folder to watch: the article folders are listed again (ten thousand entries) only after
     * an event in articles/ or the content folder.
     */
    let folderListChanged = false;
    const changed = (folder: string | null, withinArticle: boolean) => {
      if (folder === null) this.pending = null;
      else this.pending?.add(folder);
      if (!withinArticle) folderListChanged = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = null;
        const folders = this.pending;
        this.pending = new Set();
        if (folderListChanged) this.syncArticleWatchers(changed);
        folderListChanged = false;
        this.reload(folders);
      }, debounceMs);
    };
    this.watchFolder(this.dir, changed);
    this.syncArticleWatchers(changed);
  }

  private watchFolder(folder: string, onChange: (articleFolder: string | null, withinArticle: boolean) => void): void {
    if (!this.watchers || this.watchers.has(folder)) return;
    const articles = path.join(this.dir, 'articles');
    // An event in an article folder is about that folder; one in articles/ about the entry it names.
    const withinArticle = path.dirname(folder) === articles;
    const articleFolder = (filename: string | null): string | null => (withinArticle ? path.basename(folder) : folder === articles ? filename : null);
    try {
      const w = fs.watch(folder, { persistent: false }, (_event, filename) => {
        // sources.yaml is the ingester's (src/ingest/sources.ts watches it): no content reload for it.
        if (folder === this.dir && filename === 'sources.yaml') return;
        onChange(articleFolder(filename), withinArticle);
      });
      w.on('error', (err) => {
        this.logger.warn({ err, folder }, 'content watcher lost a folder');
        w.close();
        this.watchers?.delete(folder);
      });
      this.watchers.set(folder, w);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.logger.error({ err, folder }, 'cannot watch content folder; restart to pick up changes there');
      }
    }
  }

  /** Watches `articles/` and every article folder in it; forgets folders that are gone. */
  private syncArticleWatchers(onChange: (articleFolder: string | null, withinArticle: boolean) => void): void {
    if (!this.watchers) return;
    const articles = path.join(this.dir, 'articles');
    this.watchFolder(articles, onChange);
    let names: string[] = [];
    try {
      names = fs.readdirSync(articles, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      // no articles folder yet: the content folder's watcher sees it appear
    }
    const wanted = new Set([this.dir, articles, ...names.map((n) => path.join(articles, n))]);
    for (const [folder, w] of this.watchers) {
      if (!wanted.has(folder)) {
        w.close();
        this.watchers.delete(folder);
      }
    }
    for (const folder of wanted) this.watchFolder(folder, onChange);
  }

  close(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      this.unsavedSince = null;
      this.saveCache();
    }
    for (const w of this.watchers?.values() ?? []) w.close();
    this.watchers = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
