import { createHash } from 'node:crypto';
import type { UpstreamFeedInfo, UpstreamItem } from '../model/item.ts';
import type { RawFeed, RawItem, RawLink } from './parser.ts';
import { absoluteHttpUrl, htmlToText, sanitizeContent, textToHtml } from './sanitize.ts';

export const SUMMARY_MAX_CHARS = 500;
const TITLE_MAX_CHARS = 300;
const MAX_CATEGORIES = 20;

export interface NormaliseContext {
  /** The URL the feed was fetched from (after redirects): the last resort base for relative links. */
  feedUrl: string;
  sourceLanguage: string | null;
  now: Date;
}

function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const atSpace = cut.lastIndexOf(' ');
  return `${(atSpace > max * 0.6 ? cut.slice(0, atSpace) : cut).trimEnd()}…`;
}

function parseDate(value: string | null, now: Date): Date | null {
  if (!value) return null;
  const t = Date.parse(value.trim());
  if (Number.isNaN(t)) return null;
  // A date in the future would pin the item on top of every feed. It is clamped to when we first saw the
  // item, as a missing date is (the store keeps that time), so it does not move forward on every poll.
  return t > now.getTime() ? null : new Date(t);
}

function resolveBase(base: string | null, against: string): string {
  if (!base) return against;
  try {
    return new URL(base, against).href;
  } catch {
    return against;
  }
}

function pickLink(links: readonly RawLink[], base: string): string | null {
  const ordered = [
    ...links.filter((l) => l.rel === 'alternate'),
    ...links.filter((l) => l.rel !== 'alternate' && l.rel !== 'self' && l.rel !== 'enclosure' && l.rel !== 'edit'),
  ];
  for (const l of ordered) {
    const abs = absoluteHttpUrl(l.href, resolveBase(l.base, base));
    if (abs) return abs;
  }
  return null;
}

/** The feed's own base for relative links: its xml:base, else its site link, else where we fetched it. */
export function feedInfo(feed: RawFeed, feedUrl: string): UpstreamFeedInfo & { base: string } {
  const xmlBase = resolveBase(feed.base, feedUrl);
  const siteUrl = pickLink(feed.links, xmlBase);
  return {
    title: feed.title ? htmlToText(feed.title) || null : null,
    siteUrl,
    base: feed.base ? xmlBase : (siteUrl ?? feedUrl),
  };
}

/** One raw item to the internal type; null when it carries nothing to show (no title, link or content). */
export function normaliseItem(raw: RawItem, feed: RawFeed, ctx: NormaliseContext): UpstreamItem | null {
  return normaliseAgainst(raw, feed, ctx, feedInfo(feed, ctx.feedUrl).base);
}

function normaliseAgainst(raw: RawItem, feed: RawFeed, ctx: NormaliseContext, feedBase: string): UpstreamItem | null {
  const base = resolveBase(raw.base, feedBase);
  const url = pickLink(raw.links, base);
  const rawContent = raw.content ?? raw.summary ?? '';
  const contentHtml = sanitizeContent(raw.contentIsText ? textToHtml(rawContent) : rawContent, base);
  const summarySource = raw.summary ?? raw.content ?? '';
  const summary = cap(htmlToText(summarySource), SUMMARY_MAX_CHARS);
  let title = cap(htmlToText(raw.title ?? ''), TITLE_MAX_CHARS);
  if (!title && !url && !summary) return null;
  if (!title) title = cap(summary, 80) || url || '';

  const published = parseDate(raw.published ?? raw.updated, ctx.now);
  const updated = parseDate(raw.updated, ctx.now);
  const id = raw.id?.trim();
  const key =
    id ||
    url ||
    `sha256:${createHash('sha256').update(`${title}\n${raw.published ?? raw.updated ?? ''}`).digest('hex')}`;

  const categories = [...new Set(raw.categories.map((c) => htmlToText(c)).filter(Boolean))].slice(0, MAX_CATEGORIES);
  const author = raw.author ? htmlToText(raw.author) || null : null;
  const language = raw.language?.trim() || feed.language?.trim() || ctx.sourceLanguage || null;
  return { key, url, title, summary, contentHtml, language, categories, author, publishedAt: published, updatedAt: updated };
}

/**
 * The feed with at most `max` items: the newest, by their date (an undated or future-dated item counts as
 * seen now, as the store will date it), feed order kept among equals. Retention would delete the rest at
 * once, and sanitising them first would hold the event loop for seconds on a hostile feed of many items.
 */
export function newestItems(feed: RawFeed, max: number, now: Date): RawFeed {
  if (feed.items.length <= max) return feed;
  const dated = feed.items.map((raw, index) => ({
    raw,
    index,
    t: parseDate(raw.published ?? raw.updated, now)?.getTime() ?? now.getTime(),
  }));
  dated.sort((a, b) => b.t - a.t || a.index - b.index);
  const kept = new Set(dated.slice(0, max).map((d) => d.index));
  return { ...feed, items: feed.items.filter((_, i) => kept.has(i)) };
}

/** Every usable item of a feed, in feed order, one per key (the first wins). */
export function normaliseFeed(feed: RawFeed, ctx: NormaliseContext): UpstreamItem[] {
  const seen = new Set<string>();
  const out: UpstreamItem[] = [];
  // The feed's base is the same for every item: resolve it (and read the feed's title) once, not per item.
  const feedBase = feedInfo(feed, ctx.feedUrl).base;
  for (const raw of feed.items) {
    const item = normaliseAgainst(raw, feed, ctx, feedBase);
    if (!item || seen.has(item.key)) continue;
    seen.add(item.key);
    out.push(item);
  }
  return out;
}
