import { createHash } from 'node:crypto';
import type { ContentSnapshot } from '../content/model.ts';
import { buildFeed, NO_RELATED } from './build.ts';
import type { FeedKey, Urls } from './catalog.ts';
import type { FeedDoc } from './model.ts';
import { articlesByMonth } from './months.ts';
import { RENDERERS } from './render.ts';

/**
 * The whole archive (RFC 5005, archived feeds): each site and category feed, per language and format, has one
 * archive document per UTC month with articles. The subscription feed links the newest month
 * (`prev-archive`); each document links the subscription feed (`current`), the month before (`prev-archive`)
 * and the month after (`next-archive`), so a partner can walk back to the first article and forward again.
 *
 * "Closed archive documents never change", honestly: a document is served at two URLs, the month's
 * (`2020-11.atom`, cached five minutes, as it changes when an article of that month is edited) and the month's
 * with the version of its bytes (`2020-11.<hash>.atom`, `immutable` for a year, since other bytes get another
 * version). `prev-archive` links are versioned: a document's version therefore covers every older document, and
 * a client that reaches a version it has already read has read everything before it. `next-archive` and the
 * subscription feed's `prev-archive` name the month only (the newer document is not known, or not closed, yet);
 * the newest month is open, so it is never served as immutable. A version that is no longer current is a 404
 * naming the current document.
 */

export interface ArchiveKey {
  feed: FeedKey;
  month: string;
}

/** The version of the newest month's bytes is never linked (it is open); the others' versions are, by their successors. */
const versions = new WeakMap<ContentSnapshot, Map<string, ReadonlyMap<string, string>>>();

export function versionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The months with articles of a feed's language and scope, oldest first. */
export function archiveMonths(snapshot: ContentSnapshot, feed: FeedKey): string[] {
  return [...articlesByMonth(snapshot, feed.language, feed.scope).keys()];
}

/** The current version of each month's document of `feed` (rendered oldest first, as each links its predecessor's). */
export function archiveVersions(snapshot: ContentSnapshot, feed: FeedKey, urls: Urls): ReadonlyMap<string, string> {
  let perSnapshot = versions.get(snapshot);
  if (!perSnapshot) versions.set(snapshot, (perSnapshot = new Map<string, ReadonlyMap<string, string>>()));
  const id = `${urls.base} ${feed.language} ${feed.scope.kind === 'category' ? feed.scope.slug : feed.scope.kind} ${feed.format}`;
  let out = perSnapshot.get(id);
  if (!out) {
    const map = new Map<string, string>();
    let prev: string | null = null;
    for (const month of archiveMonths(snapshot, feed)) {
      const text = RENDERERS[feed.format](archiveDoc(snapshot, { feed, month }, urls, prev === null ? null : urls.archive(feed, prev, map.get(prev) ?? null)));
      map.set(month, versionOf(text));
      prev = month;
    }
    out = map;
    perSnapshot.set(id, out);
  }
  return out;
}

function archiveDoc(snapshot: ContentSnapshot, key: ArchiveKey, urls: Urls, prevArchive: string | null): FeedDoc {
  const byMonth = articlesByMonth(snapshot, key.feed.language, key.feed.scope);
  const months = [...byMonth.keys()];
  const next = months[months.indexOf(key.month) + 1];
  const doc = buildFeed(snapshot, key.feed, urls, NO_RELATED, undefined, {
    articles: byMonth.get(key.month) ?? [],
    history: {
      archive: true,
      current: urls.feed(key.feed),
      prevArchive,
      nextArchive: next === undefined ? null : urls.archive(key.feed, next),
    },
  });
  // Its own address is the month's, whichever of its two URLs it was fetched at (the version cannot be in its bytes).
  return { ...doc, selfUrl: urls.archive(key.feed, key.month) };
}

/** The archive document of one month (which must have articles): the same bytes at both of its URLs. */
export function buildArchive(snapshot: ContentSnapshot, key: ArchiveKey, urls: Urls): FeedDoc {
  const months = archiveMonths(snapshot, key.feed);
  const i = months.indexOf(key.month);
  if (i === -1) throw new Error(`no articles in ${key.month}`);
  const prev = months[i - 1];
  const prevHref = prev === undefined ? null : urls.archive(key.feed, prev, archiveVersions(snapshot, key.feed, urls).get(prev) ?? null);
  return archiveDoc(snapshot, key, urls, prevHref);
}

/** Whether a month's document is closed (a newer month has articles): only then is its versioned URL immutable. */
export function isClosed(snapshot: ContentSnapshot, key: ArchiveKey): boolean {
  const months = archiveMonths(snapshot, key.feed);
  return months.indexOf(key.month) < months.length - 1;
}
