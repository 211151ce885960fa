import type { HubLink } from '../../model/push.ts';
import type { HeaderLink } from '../link-header.ts';
import type { RawFeed } from '../parser.ts';

const httpUrl = (href: string, base: string): string | null => {
  try {
    const url = new URL(href, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
};

/**
 * The hub a feed advertises and the topic to subscribe to there (WebSub 4): the HTTP `Link` headers first, and
 * only when they name no hub, the feed's own `atom:link` elements. The topic is the `self` link found with the
 * hub, else the URL the feed was fetched from. Of several hubs, the first is used (one subscription per source).
 */
export function discoverHub(headerLinks: readonly HeaderLink[], feed: RawFeed, feedUrl: string): HubLink | null {
  const fromHeaders = headerLinks.find((l) => l.rels.includes('hub'));
  if (fromHeaders) {
    const hub = httpUrl(fromHeaders.href, feedUrl);
    const self = headerLinks.find((l) => l.rels.includes('self'));
    const topic = (self && httpUrl(self.href, feedUrl)) ?? feedUrl;
    return hub ? { hub, topic } : null;
  }
  const base = (l: { base: string | null }) => (l.base ? (httpUrl(l.base, feedUrl) ?? feedUrl) : feedUrl);
  const hubLink = feed.websubLinks.find((l) => l.rel === 'hub');
  if (!hubLink) return null;
  const hub = httpUrl(hubLink.href, base(hubLink));
  const self = feed.websubLinks.find((l) => l.rel === 'self');
  const topic = (self && httpUrl(self.href, base(self))) ?? feedUrl;
  return hub ? { hub, topic } : null;
}
