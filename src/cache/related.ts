import type { RelatedItem, RelatedReader } from '../feeds/build.ts';

/**
 * The related items feeds and pages show, kept in memory between changes of the store. A content edit
 * re-renders feeds without querying the store again; a poll that changes what we publish calls `forget()`
 * with the articles it touched (a re-relate calls `clear()`; the service wires both to the ingester's
 * onPublishedChange), so nothing stale is served and the other articles' lists stay in memory.
 */
export class RelatedCache implements RelatedReader {
  /** Article id → (limit → items). */
  private readonly perArticle = new Map<string, Map<number, RelatedItem[]>>();
  private readonly overall = new Map<number, RelatedItem[]>();

  constructor(
    private readonly store: RelatedReader,
    private readonly maxArticles = 50_000,
  ) {}

  clear(): void {
    this.perArticle.clear();
    this.overall.clear();
  }

  /** Drops what is kept for these articles, and the newest-related list (which any change may reorder). */
  forget(articleIds: readonly string[]): void {
    for (const id of articleIds) this.perArticle.delete(id);
    this.overall.clear();
  }

  relatedForArticle(articleId: string, limit: number): RelatedItem[] {
    return this.relatedForArticles([articleId], limit).get(articleId) ?? [];
  }

  relatedForArticles(articleIds: readonly string[], limitPerArticle: number): Map<string, RelatedItem[]> {
    const out = new Map<string, RelatedItem[]>();
    const missing: string[] = [];
    for (const id of articleIds) {
      const hit = this.perArticle.get(id)?.get(limitPerArticle);
      if (hit) out.set(id, hit);
      else missing.push(id);
    }
    if (missing.length > 0) {
      if (this.perArticle.size + missing.length > this.maxArticles) this.perArticle.clear();
      for (const [id, items] of this.store.relatedForArticles(missing, limitPerArticle)) {
        let byLimit = this.perArticle.get(id);
        if (!byLimit) this.perArticle.set(id, (byLimit = new Map<number, RelatedItem[]>()));
        byLimit.set(limitPerArticle, items);
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
