import { Representation } from './representation.ts';

export interface Rendered {
  text: string;
  contentType: string;
  cacheControl: string;
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

  constructor(
    private readonly now: () => Date,
    private readonly maxEntries = 10_000,
  ) {}

  invalidate(): void {
    this.generation++;
  }

  /** The current representation for `key`, or undefined if it has to be rendered (fast-path check). */
  peek(key: string): Representation | undefined {
    const e = this.entries.get(key);
    return e && e.generation === this.generation ? e.rep : undefined;
  }

  get(key: string, render: () => Rendered): Representation {
    const hit = this.peek(key);
    if (hit) return hit;
    const previous = this.entries.get(key);
    const r = render();
    let rep = Representation.fromText(r.text, r.contentType, r.cacheControl, this.now());
    if (previous && previous.rep.hash === rep.hash) rep = previous.rep;
    if (!previous && this.entries.size >= this.maxEntries) {
      // Bounded: drop the oldest entry (Map keeps insertion order).
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { generation: this.generation, rep });
    return rep;
  }
}
