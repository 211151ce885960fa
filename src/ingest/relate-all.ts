import { createHash } from 'node:crypto';
import type { RelateTarget } from '../content/model.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../storage/store.ts';
import type { Relater } from './relate.ts';

/** Store meta key: fingerprint of the relate rules the stored relations reflect. */
const RELATE_RULES_KEY = 'relate-rules';

export interface RelateAllDeps {
  store: Store;
  logger: Logger;
  /** The current articles' rules, and their compiled relater. */
  targets: () => readonly RelateTarget[];
  relater: () => Relater;
  /** Called after each batch that changed a relation (any article's related items may have changed). */
  onPublishedChange: () => void;
  /** Items related per batch, between which the event loop runs. */
  batch: number;
  /** True once the ingester stops: a running pass ends at its next batch. */
  stopped: () => boolean;
}

/**
 * Relating every stored item again after the relate rules changed (a content edit, or a start after one).
 */
export interface RelateAll {
  /**
   * Recomputes the relations of every stored item when the rules differ from those the stored relations were
   * computed with, in batches that yield to the event loop, so the server keeps answering; a newer call
   * supersedes a running one. Never rejects: a failure is logged.
   */
  run(): Promise<void>;
  /** False while a pass is relating stored items to new rules. */
  current(): boolean;
  /** The running pass, if any (to wait for it). */
  running(): Promise<void> | null;
}

export function createRelateAll(deps: RelateAllDeps): RelateAll {
  const { store, logger } = deps;
  /** The latest run call: an older pass stops at its next batch. */
  let latest = 0;
  let relating: Promise<void> | null = null;

  async function pass(run: number): Promise<void> {
    // Recomputing touches every stored item (seconds at 100k items): skip it when the rules are the ones
    // the stored relations were computed with, as on most restarts and content edits.
    const fingerprint = createHash('sha256').update(JSON.stringify(deps.targets())).digest('hex');
    if ((await store.getMeta(RELATE_RULES_KEY)) === fingerprint) return;
    const relate = deps.relater();
    const started = performance.now();
    // From the first batch on, the stored relations match no rules' fingerprint until the last batch is done:
    // a pass cut short (superseded, stopped, crashed) is redone by the next, even for the rules stored before.
    await store.setMeta(RELATE_RULES_KEY, 'relating');
    for (let after: number | null = 0; after !== null; ) {
      // Superseded by a newer call (which starts over with newer rules), or the ingester stops: the rules'
      // fingerprint is not stored, so the next start relates again.
      if (run !== latest || deps.stopped()) return;
      const batch = await store.recomputeRelationsBatch((item) => relate(item), after, deps.batch);
      // Published at once: a feed rendered between batches must not keep showing relations already replaced.
      if (batch.changed) deps.onPublishedChange();
      after = batch.next;
      if (after !== null) await new Promise((resolve) => setImmediate(resolve));
    }
    await store.setMeta(RELATE_RULES_KEY, fingerprint);
    logger.info({ ms: Math.round(performance.now() - started) }, 'stored items related to the current rules');
  }

  return {
    run() {
      const p: Promise<void> = pass(++latest)
        .catch((err: unknown) => logger.error({ err }, 'relating stored items failed'))
        .finally(() => {
          if (relating === p) relating = null;
        });
      relating = p;
      return p;
    },
    current: () => relating === null,
    running: () => relating,
  };
}
