/**
 * Subscriber counts aggregators put in their User-Agent. There is no standard: each writes `N subscribers`
 * (or `N readers`, `1 subscriber`) somewhere, some with an id of the subscription to sum over (Feedbin's
 * `feed-id:123`, The Old Reader's and Google's `feed-id=...`, NewsBlur's `/site/123/`). The formats we know
 * and where they come from are in tests/fixtures/user-agents.json.
 */

export interface AggregatorReport {
  aggregator: string;
  /** The aggregator's id of this subscription, '' when it gives none. */
  feedRef: string;
  subscribers: number;
}

/** Names for aggregators whose User-Agent does not start with a usable product token. */
const KNOWN: readonly [RegExp, string][] = [
  [/\bfeedly\b/i, 'Feedly'],
  [/\binoreader\b/i, 'Inoreader'],
  [/\bnewsblur\b/i, 'NewsBlur'],
  [/\bfeedbin\b/i, 'Feedbin'],
  [/\btheoldreader\b/i, 'The Old Reader'],
  [/\bbazqux\b/i, 'BazQux'],
  [/\bfeedfetcher-google\b/i, 'Google Feedfetcher'],
  [/\bovercast\b/i, 'Overcast'],
  [/\bfeedwrangler\b|\bfeed wrangler\b/i, 'Feed Wrangler'],
];

const COUNT = /(\d{1,3}(?:,\d{3})+|\d{1,9})\s*(?:subscribers?|subscriber\(s\)|readers?)\b/i;
const FEED_REF = /feed-id\s*[:=]\s*([\w.-]{1,64})|newsblur\.com\/site\/(\d{1,12})\//i;
/** A product token `Name/1.2`, other than the browser-compatibility ones. */
const PRODUCT = /([A-Za-z][\w.-]{1,40})\/\d/g;
const NOT_A_NAME = new Set(['mozilla', 'applewebkit', 'gecko', 'khtml', 'safari', 'chrome', 'version', 'compatible']);

/** The report in a User-Agent, or null when it carries no subscriber count. */
export function aggregatorReport(userAgent: string): AggregatorReport | null {
  const count = COUNT.exec(userAgent);
  if (!count) return null;
  const subscribers = Number(count[1]!.replaceAll(',', ''));
  const ref = FEED_REF.exec(userAgent);
  return { aggregator: aggregatorName(userAgent, count.index), feedRef: ref ? (ref[1] ?? ref[2]!) : '', subscribers };
}

function aggregatorName(userAgent: string, countAt: number): string {
  for (const [pattern, name] of KNOWN) if (pattern.test(userAgent)) return name;
  for (const m of userAgent.matchAll(PRODUCT)) if (!NOT_A_NAME.has(m[1]!.toLowerCase())) return m[1]!;
  // "kinjabot (; 1 Readers)", "LiveJournal.com (...; 1 readers)": the first word before the count.
  const first = /^[\w.-]+/.exec(userAgent.slice(0, countAt).trim());
  return first ? first[0].slice(0, 40) : 'unknown';
}
