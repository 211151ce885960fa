import type { ContentSnapshot, RelateTarget } from './model.ts';

const targetsBySnapshot = new WeakMap<ContentSnapshot, RelateTarget[]>();

/**
 * What the ingester relates upstream items to: each article with the rules of all its languages.
 * The same snapshot gives the same array, so the ingester compiles its matcher once per content version.
 */
export function relateTargets(snapshot: ContentSnapshot): RelateTarget[] {
  let targets = targetsBySnapshot.get(snapshot);
  if (!targets) {
    targets = computeTargets(snapshot);
    targetsBySnapshot.set(snapshot, targets);
  }
  return targets;
}

function computeTargets(snapshot: ContentSnapshot): RelateTarget[] {
  return snapshot.articles
    .map((a) => ({ articleId: a.id, rules: [...a.translations.values()].flatMap((t) => t.rules) }))
    .filter((t) => t.rules.length > 0);
}
