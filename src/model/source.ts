/** One upstream feed from CONTENT_DIR/sources.yaml. */
export interface Source {
  id: string;
  /** As written in sources.yaml (GET /status reports it verbatim). */
  url: string;
  name: string;
  /** node-cron expression, five fields or six with seconds. */
  schedule: string;
  language: string | null;
}

/** What the ingester remembers about one source between polls. */
export interface SourceState {
  id: string;
  name: string;
  /** As written in sources.yaml. */
  url: string;
  /** Where the feed lives now (after permanent redirects). */
  currentUrl: string;
  siteUrl: string | null;
  feedTitle: string | null;
  etag: string | null;
  lastModified: string | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  lastStatus: number | null;
  consecutiveFailures: number;
  nextPollAt: Date | null;
  lastError: string | null;
}

/** What a poll writes of a source's state: anything but what sources.yaml says. */
export type SourceStatePatch = Partial<Omit<SourceState, 'id' | 'name' | 'url'>>;

/** Dates as ISO-8601 text, as JSON carries them. */
type Iso<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

/**
 * One source as GET /status shows it: its state (times ISO-8601), without the validators, its item count, and
 * whether its WebSub hub pushes it (`pushed`: a verified subscription whose lease has not ended), at which hub,
 * until when, and when the last push (with a good signature) came.
 */
export type SourceStatus = Iso<
  Pick<
    SourceState,
    'id' | 'name' | 'url' | 'currentUrl' | 'lastAttemptAt' | 'lastSuccessAt' | 'lastStatus' | 'consecutiveFailures' | 'nextPollAt' | 'lastError'
  >
> & { itemCount: number; pushed: boolean; hub: string | null; leaseEndsAt: string | null; lastPushAt: string | null };
