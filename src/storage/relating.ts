import type { RelationWhy } from '../model/item.ts';
import type { Relating, RelationReason } from '../model/poll.ts';

/*
 * How both backends store a relation's score and why (columns relations.score and relations.why), so that a
 * relation read back from either compares equal to one computed again.
 */

/** A stored relation of one item: its score and why, as JSON (null: stored before reasons were kept). */
export interface StoredRelation {
  score: number;
  why: string | null;
}

/** Scores are kept to three decimals, so a recomputation that moves one by rounding noise changes nothing. */
export const roundScore = (score: number): number => Math.round(score * 1000) / 1000;

/** An item's relations as to store them, by article id (restricted to `only` when given). */
export function wanted(rel: Relating, only: ReadonlySet<string> | null): Map<string, StoredRelation> {
  const reasons = new Map<string, RelationReason>((rel.reasons ?? []).map((r) => [r.articleId, r]));
  const out = new Map<string, StoredRelation>();
  for (const a of rel.articleIds) {
    if (only && !only.has(a)) continue;
    const r = reasons.get(a);
    out.set(a, r ? { score: roundScore(r.score), why: JSON.stringify({ by: r.by, terms: r.terms }) } : { score: 1, why: null });
  }
  return out;
}

/** A stored why read back (a relation stored before reasons were kept was an editor's rule). */
export function parseWhy(why: string | null): Pick<RelationWhy, 'by' | 'terms'> {
  return why ? (JSON.parse(why) as { by: RelationReason['by']; terms: string[] }) : { by: 'rule', terms: [] };
}
