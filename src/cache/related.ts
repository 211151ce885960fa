import { RELATED_PER_ARTICLE, type RelatedItem, type RelatedReader } from '../feeds/build.ts';

/** Where related items come from: the store, whose answers may come now (SQLite) or later (PostgreSQL). */
export interface RelatedSource {
  relatedForArticles(articleIds: readonly string[], limitPerArticle: number): Map<string, RelatedItem[]> | Promise<Map<string, RelatedItem[]>>;
  relatedItems(limit: number): RelatedItem[] | Promise<RelatedItem[]>;
}

/**
 * The related items feeds and pages show, kept in memory between changes of the store. Renders read them
 * synchronously; a content edit re-renders feeds without asking the store again. Two ways to fill it:
 *
 * - on demand (`preload` false; a store in process, SQLite): what a render asks for and is missing is read from
 *   the store then and there; `changed()` drops the lists of the articles a poll touched (all on null).
 * - ahead (`preload` true; a store over the network, PostgreSQL): `load()` reads every article's list and the
 *   newest related items before the service answers, and `changed()` reads the touched articles' lists again
 *   before it resolves; renders only ever read memory. An article it was not told about has nothing related.
 *
 * After `changed()` (synchronously when it returns null, else when its promise resolves) renders see the new lists:
 * the service invalidates the representation cache then, so nothing stale is served.
 */
export class RelatedCache implements RelatedReader {
  /** Article id → (limit → items). */
  private readonly perArticle = new Map<string, Map<number, RelatedItem[]>>();
  private readonly overall = new Map<number, RelatedItem[]>();
  /** Ahead mode: every article known to `load`, and the longest newest-related list any render may ask for. */
  private articleIds: readonly string[] = [];
  private overallMax = 0;
  /** Ahead mode: the reload in progress; changes that come meanwhile are read after it. */
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: RelatedSource,
    private readonly options: { preload?: boolean; maxArticles?: number } = {},
  ) {}

  get preload(): boolean {
    return this.options.preload === true;
  }

  /**
   * Ahead mode: reads the related items of `articleIds` (RELATED_PER_ARTICLE each, as feeds and pages show) and the
   * newest `overallMax` related items, replacing what was kept. On demand: forgets everything (a new content version).
   * Returns as `changed` does.
   */
  load(articleIds: readonly string[], overallMax: number): Promise<void> | null {
    this.articleIds = [...articleIds];
    this.overallMax = overallMax;
    if (!this.preload) {
      this.clear();
      return null;
    }
    const next = this.reloading.catch(() => {}).then(() => this.read(this.articleIds));
    this.reloading = next;
    return next;
  }

  /**
   * What we publish changed: the related items of `articleIds` (null: of any article). Returns null when renders
   * see the new lists already (on demand), else a promise that resolves once they do (ahead).
   */
  changed(articleIds: readonly string[] | null): Promise<void> | null {
    if (!this.preload) {
      if (articleIds) this.forget(articleIds);
      else this.clear();
      return null;
    }
    const next = this.reloading.catch(() => {}).then(() => this.read(articleIds ?? this.articleIds));
    this.reloading = next;
    return next;
  }

  private async read(articleIds: readonly string[]): Promise<void> {
    const [lists, overall] = await Promise.all([this.store.relatedForArticles(articleIds, RELATED_PER_ARTICLE), this.store.relatedItems(this.overallMax)]);
    for (const id of articleIds) this.perArticle.set(id, new Map([[RELATED_PER_ARTICLE, lists.get(id) ?? []]]));
    this.overall.clear();
    this.overall.set(this.overallMax, overall);
  }

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
      const kept = this.perArticle.get(id);
      const hit = kept?.get(limitPerArticle) ?? (this.preload && kept ? kept.get(RELATED_PER_ARTICLE)?.slice(0, limitPerArticle) : undefined);
      if (hit) out.set(id, hit);
      else if (this.preload) out.set(id, []);
      else missing.push(id);
    }
    if (missing.length > 0) {
      if (this.perArticle.size + missing.length > (this.options.maxArticles ?? 50_000)) this.perArticle.clear();
      for (const [id, items] of this.fromStore(this.store.relatedForArticles(missing, limitPerArticle))) {
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
    if (!hit && this.preload) return (this.overall.get(this.overallMax) ?? []).slice(0, limit);
    if (!hit) {
      hit = this.fromStore(this.store.relatedItems(limit));
      this.overall.set(limit, hit);
    }
    return hit;
  }

  /** On demand, the store answers at once; a store that cannot must be used ahead (`preload`). */
  private fromStore<T>(answer: T | Promise<T>): T {
    if (answer instanceof Promise) throw new Error('RelatedCache: this store answers asynchronously; create the cache with { preload: true } and load() it');
    return answer;
  }
}
