import type { Source } from '../model/source.ts';
import type { PollCounts, PollDeps, PollStage } from './poll.ts';
import { ingestText, shortError } from './poll.ts';
import { FetchError } from './fetcher.ts';
import { ParseError } from './parser.ts';

/** The outcome of one push from an upstream hub, as a value (the ingester logs and publishes it). */
export type PushOutcome =
  | {
      kind: 'stored';
      sourceId: string;
      receivedAt: Date;
      counts: PollCounts;
      publishedChanged: boolean;
      /** The articles whose related items may have changed; null when it may be any of them. */
      changedArticles: string[] | null;
      truncated: { items: number; kept: number } | null;
    }
  | {
      kind: 'failed';
      sourceId: string;
      receivedAt: Date;
      stage: PollStage;
      /** The pushed feed was at fault (it does not parse), as opposed to us. */
      upstream: boolean;
      error: unknown;
      message: string;
    };

/**
 * Stores a feed a hub pushed (its signature already checked) through the same pipeline as a polled body: parse,
 * normalise, sanitise, relate, one transaction. Its relative links resolve against the URL polls fetch, so an
 * item's key is the same whichever way it came. The poll state (validators, times, errors) is left to polls.
 */
export async function ingestPush(
  deps: Pick<PollDeps, 'store' | 'retention' | 'relater'>,
  source: Source,
  text: string,
  receivedAt: Date,
): Promise<PushOutcome> {
  const feedUrl = (await deps.store.sourceState(source.id))?.currentUrl ?? source.url;
  let stage: PollStage = 'parse';
  try {
    const { result, truncated } = await ingestText(deps, source, { text, feedUrl, at: receivedAt }, {}, (next) => {
      stage = next;
    });
    const { inserted, updated, unchanged, tombstoned, deleted, relatedCapped } = result;
    return {
      kind: 'stored',
      sourceId: source.id,
      receivedAt,
      counts: { inserted, updated, unchanged, tombstoned, deleted, relatedCapped },
      publishedChanged: result.publishedChanged,
      changedArticles: result.changedArticles,
      truncated,
    };
  } catch (error) {
    const upstream = error instanceof ParseError || error instanceof FetchError;
    return { kind: 'failed', sourceId: source.id, receivedAt, stage, upstream, error, message: shortError(error) };
  }
}
