import type { ContentSnapshot } from '../content/model.ts';
import { allFeeds, type Urls } from '../feeds/catalog.ts';
import type { Logger } from '../log.ts';

/*
 * Renders every feed of the catalog again after what we publish changed, so a CDN hears of the change. Feeds are
 * rendered lazily, on request, and a CDN that holds a copy asks again only when its s-maxage ends: without this,
 * the representation cache would learn of new bytes (and the purger would be told) only after the CDN had served
 * the old ones for that long. The WebSub hub does the same for subscribed topics; when both run, the second render
 * of a feed in one generation is a cache hit. A change seldom comes alone (a poll of many sources, a deploy of
 * many files), so renders start a moment after the last one, and one pass runs at a time.
 */

/** The cache keys of every feed in the OPML list, and of the list itself. */
export function catalogKeys(content: ContentSnapshot, urls: Urls): string[] {
  return [...allFeeds(content).map((f) => new URL(urls.feed(f)).pathname), new URL(urls.opml()).pathname];
}

export interface EagerRenderDeps {
  /** The keys to render, read at each pass (categories and languages come and go with the content). */
  keys: () => readonly string[];
  /** What a request for the key would do: render it unless the cache has it for the current generation. */
  render: (key: string) => void | Promise<void>;
  logger: Logger;
  /** A pass starts once no change came for this long (and at most 5 times as long after the first). */
  delayMs?: number;
}

export class EagerRender {
  private readonly delayMs: number;
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;
  private running = false;
  private again = false;
  private closed = false;

  constructor(private readonly deps: EagerRenderDeps) {
    this.delayMs = deps.delayMs ?? 250;
  }

  /** What we publish changed: every feed is rendered again soon. */
  published(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const now = Date.now();
    if (this.timer) clearTimeout(this.timer);
    else this.firstAt = now;
    this.timer = setTimeout(() => void this.pass(), Math.max(0, Math.min(this.delayMs, this.firstAt + 5 * this.delayMs - now)));
    this.timer.unref();
  }

  /** Resolves when no pass is scheduled or running (tests). */
  async idle(): Promise<void> {
    while (!this.closed && (this.timer || this.running)) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private async pass(): Promise<void> {
    this.timer = null;
    this.running = true;
    try {
      do {
        this.again = false;
        for (const key of this.deps.keys()) {
          if (this.closed) return;
          try {
            await this.deps.render(key);
          } catch (err) {
            this.deps.logger.warn({ err, path: key }, 'feed not rendered after a change');
          }
          // One feed per turn of the event loop: requests are served between renders.
          await new Promise((resolve) => setImmediate(resolve));
        }
      } while (this.again && !this.closed);
    } finally {
      this.running = false;
    }
  }
}
