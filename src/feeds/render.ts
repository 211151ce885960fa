import type { Format } from './catalog.ts';
import type { FeedDoc } from './model.ts';
import { renderAtom1 } from './atom1.ts';
import { renderJson11 } from './json11.ts';
import { renderRss2 } from './rss2.ts';

export const RENDERERS: Record<Format, (doc: FeedDoc) => string> = {
  rss: renderRss2,
  atom: renderAtom1,
  json: renderJson11,
};
