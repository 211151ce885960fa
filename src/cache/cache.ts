import { Representation, type RepresentationOptions } from './representation.ts';

export interface Rendered extends RepresentationOptions {
  text: string;
  contentType: string;
  cacheControl: string;
  /** A `Link` header to send with it (feeds: their WebSub hubs and self URL). */
  link?: string;
}

/**
 * Where validators outlive the process (the store): a restart must not move Last-Modified of unchanged bytes, and
 * replicas sharing a store agree on it. See `SyncStore.settleValidators`.
 */
export interface ValidatorMemory {
  settleValidators(key: string, hash: string, at: Date): Settled | Promise<Settled>;
}

interface Settled {
  lastModified: Date;
  /** These bytes were not published before (by this process or another sharing the store). */
  changed: boolean;
}

/**
 * Rendered resources by key (path plus query), valid for one generation of the published data. A change
 * of content or of related items starts a new generation; each resource is rendered again on its next
 * request, and when the bytes come out identical the old validators (ETag and Last-Modified) are kept,
 * so aggregators keep getting 304s for feeds the change did not touch.
 */
export class RepresentationCache {
  private generation = 0;
  private readonly entries = new Map<string, { generation: number; rep: Representation }>();
  /** Renders waiting for the store's validators, by key: a second request for the key waits for the same. */
  private readonly pending = new Map<string, { generation: number; rep: Promise<Representation> }>();
  private bytes = 0;

  /**
   * `maxBytes` bounds the identity bodies kept (compressed forms add about a third): `?limit=N` variants
   * of every feed must not be a way to fill the memory. Past it, the oldest entries go first.
   */
  private readonly maxBytes: number;
  private readonly memory: ValidatorMemory | null;
  private readonly onRender: ((contentType: string, ms: number) => void) | null;
  private readonly onNewBytes: ((key: string, rep: Representation) => void) | null;

  constructor(
    /** The service's clock; HTTP reads it too (an If-Modified-Since after it is ignored). */
    readonly now: () => Date,
    options: {
      maxBytes?: number;
      /** Keeps validators across restarts. */
      memory?: ValidatorMemory;
      /** Told how long each render took (for the metrics). */
      onRender?: (contentType: string, ms: number) => void;
      /**
       * Told when a render gives a resource bytes it did not have before (what it last published, in memory or
       * in `memory`): the WebSub hub distributes a changed feed from here. Called after the entry is stored.
       */
      onNewBytes?: (key: string, rep: Representation) => void;
    } = {},
  ) {
    this.maxBytes = options.maxBytes ?? 128 * 1024 * 1024;
    this.memory = options.memory ?? null;
    this.onRender = options.onRender ?? null;
    this.onNewBytes = options.onNewBytes ?? null;
  }

  /** Entries kept, and the bytes of their identity bodies. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  invalidate(): void {
    this.generation++;
  }

  /** The current representation for `key`, or undefined if it has to be rendered (fast-path check). */
  peek(key: string): Representation | undefined {
    const e = this.entries.get(key);
    return e && e.generation === this.generation ? e.rep : undefined;
  }

  /**
   * The representation of `key` for the current generation, rendered with `render` if there is none. The render
   * itself is synchronous; settling its validators with the store may not be (a replica's store is a round trip).
   */
  async get(key: string, render: () => Rendered): Promise<Representation> {
    const hit = this.peek(key);
    if (hit) return hit;
    const generation = this.generation;
    const waiting = this.pending.get(key);
    if (waiting?.generation === generation) return waiting.rep;
    const rep = this.renderAndSettle(key, render, generation);
    this.pending.set(key, { generation, rep });
    try {
      return await rep;
    } finally {
      if (this.pending.get(key)?.rep === rep) this.pending.delete(key);
    }
  }

  private async renderAndSettle(key: string, render: () => Rendered, generation: number): Promise<Representation> {
    const previous = this.entries.get(key);
    const started = performance.now();
    const r = render();
    this.onRender?.(r.contentType, performance.now() - started);
    const renderedAt = this.now();
    let rep = Representation.fromText(r.text, r.contentType, r.cacheControl, renderedAt, { vary: r.vary, browserView: r.browserView, link: r.link ?? null, surrogateKeys: r.surrogateKeys });
    let changed = true;
    if (previous && previous.rep.hash === rep.hash) {
      rep = previous.rep;
      changed = false;
    } else if (this.memory) {
      // Not in memory (first render since start, or evicted), or new bytes: what was published before, here or by
      // another replica, keeps its Last-Modified.
      const settled = await this.memory.settleValidators(key, rep.hash, renderedAt);
      if (settled.lastModified.getTime() !== renderedAt.getTime()) rep = rep.withLastModified(settled.lastModified);
      changed = settled.changed;
    }
    return this.keep(key, rep, generation, changed);
  }

  private keep(key: string, rep: Representation, generation: number, changed: boolean): Representation {
    const previous = this.entries.get(key);
    // A render of a newer generation finished first: it stays (this one is served to whoever waited for it).
    if (previous && previous.generation > generation) return rep;
    if (previous) {
      this.entries.delete(key);
      this.bytes -= previous.rep.body.length;
    }
    this.entries.set(key, { generation, rep });
    this.bytes += rep.body.length;
    // Map iteration follows insertion order, and a re-rendered key was re-inserted: oldest first.
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes || k === key) break;
      this.entries.delete(k);
      this.bytes -= e.rep.body.length;
    }
    if (changed) this.onNewBytes?.(key, rep);
    return rep;
  }
}
