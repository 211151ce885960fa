import type { RetentionPolicy } from '../../config.ts';
import type { ItemToStore, PollResult } from '../../model/poll.ts';
import { confirmedListing, emptyPollResult, finishPollResult, sourceMoves } from '../rows.ts';
import type { SourceStatePatch } from '../../model/source.ts';
import { transaction, type PgDatabase } from './database.ts';
import type { PgItemTable } from './items.ts';
import type { PgSourceTable } from './sources.ts';

/** A poll lost in a crash of the server is fetched again (its validators are lost with it): see `transaction`. */
const FLUSHED_LATER = { flushedLater: true };

/**
 * A poll's writes to every table, each poll in one transaction (see sqlite/polls.ts). The source's row is locked
 * first: two commits of one source (a lease that ran out mid-poll) take turns instead of interleaving.
 */
export function pollCommits(db: PgDatabase, sources: PgSourceTable, items: PgItemTable) {
  const commitPoll = (sourceId: string, entries: readonly ItemToStore[], state: SourceStatePatch, retention: RetentionPolicy, now: Date): Promise<PollResult> =>
    transaction(db, async (c) => {
      const result = emptyPollResult();
      const nowMs = now.getTime();
      const touched = new Set<string>();
      const before = await sources.row(c, sourceId, true);
      // The previous listing, confirmed by any 304 since, was last seen at the last success; this one is seen now.
      const confirmed = confirmedListing(before);
      if (confirmed) await items.seenUntil(c, sourceId, confirmed.listedAt, confirmed.seenUntil);
      await items.upsertAll(c, sourceId, entries, nowMs, result, touched, true);
      await sources.setListedAt(c, sourceId, nowMs);
      await items.applyRetention(c, sourceId, retention, nowMs, nowMs, result, touched);
      // Every related item of the source shows its feed URL and site: if those move, any article may show it.
      const moved = sourceMoves(before, state) && (await items.hasRelated(c, sourceId));
      await sources.update(sourceId, state, c);
      return finishPollResult(result, moved, touched);
    }, FLUSHED_LATER);

  const commitNotModified = (sourceId: string, state: SourceStatePatch, retention: RetentionPolicy, now: Date): Promise<PollResult> =>
    transaction(db, async (c) => {
      const result = emptyPollResult();
      const touched = new Set<string>();
      const before = await sources.row(c, sourceId, true);
      await items.applyRetention(c, sourceId, retention, before?.listed_at ?? null, now.getTime(), result, touched);
      await sources.update(sourceId, state, c);
      return finishPollResult(result, false, touched);
    }, FLUSHED_LATER);

  return { commitPoll, commitNotModified };
}
