import type { RelatedItem, RelatedReader } from '../feeds/build.ts';

/**
 * The related items feeds and pages show, kept in memory between changes of the store. A content edit
 * re-renders feeds without querying the store again; a poll or a re-relate that changes what we publish
 * calls `clear()` (the service wires it to the ingester's onPublishedChange), so nothing stale is served.
 */
export class RelatedCache implements RelatedReader {
  private readonly perArticle = new Map<string, RelatedItem[]>();
  private readonly overall = new Map<number, RelatedItem[]>();

  constructor(
    private readonly store: RelatedReader,
    private readonly maxArticles = 50_000,
  ) {}

  clear(): void {
    this.perArticle.clear();
    this.overall.clear();
  }

  relatedForArticle(articleId: string, limit: number): RelatedItem[] {
    return this.relatedForArticles([articleId], limit).get(articleId) ?? [];
  }

  relatedForArticles(articleIds: readonly string[], limitPerArticle: number): Map<string, RelatedItem[]> {
    const out = new Map<string, RelatedItem[]>();
    const missing: string[] = [];
    for (const id of articleIds) {
      const hit = this.perArticle.get(`${limitPerArticle}:${id}`);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      if (this.perArticle.size + missing.length > this.maxArticles) this.perArticle.clear();
      for (const [id, items] of this.store.relatedForArticles(missing, limitPerArticle)) {
        this.perArticle.set(`${limitPerArticle}:${id}`, items);
        out.set(id, items);
      }
    }
    return out;
  }

  relatedItems(limit: number): RelatedItem[] {
    let hit = this.overall.get(limit);
    if (!hit) {
      hit = this.store.relatedItems(limit);
      this.overall.set(limit, hit);
    }
    return hit;
  }
}
