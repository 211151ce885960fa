import type { RetentionPolicy } from '../../config.ts';
import type { ItemToStore, PollResult } from '../../model/poll.ts';
import { confirmedListing, emptyPollResult, finishPollResult, sourceMoves } from '../rows.ts';
import type { SourceStatePatch } from '../../model/source.ts';
import { writeTransaction, type SqliteDatabase } from './database.ts';
import type { ItemTable } from './items.ts';
import type { SourceTable } from './sources.ts';

/** A poll's writes to every table, each poll in one transaction. */
export function pollCommits(db: SqliteDatabase, sources: SourceTable, items: ItemTable) {
  const commitPoll = writeTransaction(db,
    (sourceId: string, entries: readonly ItemToStore[], state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult => {
      const result = emptyPollResult();
      const nowMs = now.getTime();
      const touched = new Set<string>();
      const before = sources.row(sourceId);
      // The previous listing, confirmed by any 304 since, was last seen at the last success; this one is seen now.
      const confirmed = confirmedListing(before);
      if (confirmed) items.seenUntil(sourceId, confirmed.listedAt, confirmed.seenUntil);
      for (const entry of entries) items.upsert(sourceId, entry, nowMs, result, touched);
      items.markListed(sourceId, entries.map((e) => e.item.key), nowMs);
      sources.setListedAt(sourceId, nowMs);
      items.applyRetention(sourceId, retention, nowMs, nowMs, result, touched);
      // Every related item of the source shows its feed URL and site: if those move, any article may show it.
      const moved = sourceMoves(before, state) && items.hasRelated(sourceId);
      sources.update(sourceId, state);
      return finishPollResult(result, moved, touched);
    },
  );

  const commitNotModified = writeTransaction(db,
    (sourceId: string, state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult => {
      const result = emptyPollResult();
      const touched = new Set<string>();
      items.applyRetention(sourceId, retention, sources.row(sourceId)?.listed_at ?? null, now.getTime(), result, touched);
      sources.update(sourceId, state);
      return finishPollResult(result, false, touched);
    },
  );

  return {
    commitPoll: (sourceId: string, entries: readonly ItemToStore[], state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult =>
      commitPoll(sourceId, entries, state, retention, now),
    commitNotModified: (sourceId: string, state: SourceStatePatch, retention: RetentionPolicy, now: Date): PollResult =>
      commitNotModified(sourceId, state, retention, now),
  };
}
