import type { Store } from '../store.ts';
import { closePgDatabase, openPgDatabase, type PostgresOptions } from './database.ts';
import { itemTable } from './items.ts';
import { metaTable } from './meta.ts';
import { openChangeNotifier } from './notify.ts';
import { pollCommits } from './polls.ts';
import { pushTable } from './push.ts';
import { readerTables } from './readers.ts';
import { relationTable } from './relations.ts';
import { searchTable } from './search.ts';
import { sourceTable } from './sources.ts';
import { subscriptionTable } from './subscriptions.ts';
import { validatorTable } from './validators.ts';

export type { PostgresOptions } from './database.ts';

/**
 * Opens the PostgreSQL store at `url` (postgres://...), in `options.schema` or the URL's `?schema=` (created if
 * missing), after bringing its schema up to date under an advisory lock. Every method returns a promise and
 * behaves as the SQLite store's does; several replicas may share the database. Throws SchemaTooNewError when
 * another build migrated the schema further than this one knows.
 */
export async function openPostgresStore(url: string, options: PostgresOptions = {}): Promise<Store> {
  const db = await openPgDatabase(url, options);
  let notifier;
  try {
    notifier = await openChangeNotifier(db, options.logger);
  } catch (err) {
    await closePgDatabase(db);
    throw err;
  }
  const sources = sourceTable(db);
  const relations = relationTable(db);
  const search = searchTable(db);
  const items = itemTable(relations);
  const polls = pollCommits(db, sources, items);
  const meta = metaTable(db);
  const validators = validatorTable(db);
  const push = pushTable(db);
  const readers = readerTables(db);
  const subscriptions = subscriptionTable(db);
  let closing: Promise<void> | null = null;
  return {
    syncSources: sources.sync,
    sourceState: sources.state,
    updateSourceState: (sourceId, patch) => sources.update(sourceId, patch),
    commitPoll: polls.commitPoll,
    commitNotModified: polls.commitNotModified,
    itemCount: (sourceId) => items.count(db.pool, sourceId),
    recomputeRelationsBatch: relations.recomputeBatch,
    relationReasons: relations.reasons,
    indexedArticles: search.indexed,
    indexArticles: search.index,
    compactArticleIndex: search.compact,
    forgetArticleIndex: search.forget,
    markArticlesRelated: search.markRelated,
    articleSearch: () => search.search,
    relatedForArticle: relations.forArticle,
    relatedForArticles: relations.forArticles,
    relatedItems: relations.all,
    getMeta: meta.get,
    setMeta: meta.set,
    settleValidators: validators.settle,
    claimPoll: sources.claim,
    releasePoll: sources.release,
    announceChange: notifier.announce,
    onChangeAnnounced: notifier.onChange,
    pushSubscription: push.get,
    pushSubscriptions: push.all,
    savePushSubscription: push.save,
    forgetPushSubscription: push.remove,
    recordReaders: readers.record,
    readersByDay: readers.byDay,
    saveSubscription: subscriptions.save,
    removeSubscription: subscriptions.remove,
    subscriptionsFor: subscriptions.forTopic,
    subscriptionCounts: subscriptions.counts,
    purgeExpiredSubscriptions: subscriptions.purgeExpired,
    // The listener first (it would reconnect otherwise), then the pool; a second close waits for the first.
    close: () => (closing ??= notifier.close().then(() => closePgDatabase(db))),
  };
}
