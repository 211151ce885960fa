import { randomBytes } from 'node:crypto';
import type { FetchPolicy } from '../../config.ts';
import type { Logger } from '../../log.ts';
import type { CallbackReply, HubLink, PushSubscription } from '../../model/push.ts';
import type { Source } from '../../model/source.ts';
import type { Store } from '../../storage/store.ts';
import { ipLiteral, isPrivateHost, specialAddressKind } from '../addresses.ts';
import type { Reach } from '../fetcher.ts';
import { postToHub } from './hub-client.ts';

/** The lease we ask for: the spec's suggested default (hubs grant what their policy allows). */
export const REQUESTED_LEASE_SECONDS = 10 * 24 * 3600;
/** A request the hub neither verified nor denied is sent again after this long (at the next poll). */
const RETRY_AFTER_MS = 3600_000;
/** A lease is renewed once this share of it is left (one day of a ten-day lease), at most a day before its end. */
const RENEW_SHARE = 0.2;
const RENEW_MAX_MS = 24 * 3600_000;
/** Names that never reach the public Internet: a BASE_URL there cannot be called by an upstream hub. */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.test', '.example', '.invalid', '.internal', '.lan', '.home.arpa'];

/** Whether a hub on the Internet can call back `baseUrl`: not a loopback, private or reserved address or name. */
export function baseUrlIsPublic(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname.toLowerCase();
  const ip = ipLiteral(host);
  if (ip !== null) return specialAddressKind(ip) === null;
  return host.includes('.') && host !== 'localhost' && !LOCAL_SUFFIXES.some((s) => host.endsWith(s) || host === s.slice(1));
}

/** Whether pushes are coming: the hub verified the subscription, its lease has not ended, and we are not leaving. */
export function pushActive(s: PushSubscription | null, now: Date): boolean {
  return !!s && s.verifiedAt !== null && s.leaseEndsAt !== null && s.leaseEndsAt.getTime() > now.getTime() && s.pending !== 'unsubscribe';
}

/** When a verified lease is due for renewal. */
function renewalAt(s: PushSubscription): number | null {
  if (!s.verifiedAt || !s.leaseEndsAt) return null;
  const lease = s.leaseEndsAt.getTime() - s.verifiedAt.getTime();
  return s.leaseEndsAt.getTime() - Math.min(lease * RENEW_SHARE, RENEW_MAX_MS);
}

export interface SubscriberDeps {
  store: Store;
  /** Callbacks are `${baseUrl}/websub/callback/<source id>`. */
  baseUrl: string;
  /** Whether to subscribe at all (WEBSUB_SUBSCRIBE, or BASE_URL is public). */
  enabled: boolean;
  fetchPolicy: Pick<FetchPolicy, 'timeoutMs' | 'maxRedirects' | 'userAgent'>;
  logger: Logger;
  now: () => Date;
}

/** Our side of WebSub with upstream hubs: subscribing, verifying, renewing and unsubscribing, one source each. */
export interface Subscriber {
  readonly enabled: boolean;
  /** After a poll read the feed: subscribe to the hub it advertises (or again, or elsewhere), or leave one it dropped. */
  discovered(source: Source, found: HubLink | null): void;
  /** The source left sources.yaml: unsubscribe. */
  removed(sourceId: string): void;
  /** At start: unsubscribe what belongs to sources no longer configured (or everything, when disabled). */
  start(sources: readonly Source[]): void;
  /** Renews the leases due (called every minute while the ingester runs; tests call it with their clock). */
  renewDue(sources: readonly Source[]): Promise<void>;
  /** The hub's GET on our callback: answer a verification we asked for, note a denial; 404 for anything else. */
  verify(sourceId: string, query: URLSearchParams): Promise<CallbackReply>;
  isPushed(sourceId: string): Promise<boolean>;
  /** Resolves when no request to a hub is in flight. */
  whenIdle(): Promise<void>;
}

export function createSubscriber(deps: SubscriberDeps): Subscriber {
  const { store, logger, now } = deps;
  const inFlight = new Set<Promise<void>>();

  const callbackUrl = (sourceId: string) => `${deps.baseUrl}/websub/callback/${encodeURIComponent(sourceId)}`;

  async function reachOf(sourceId: string): Promise<Reach> {
    const url = (await store.sourceState(sourceId))?.url;
    // The hub was named by the feed: it may go where the feed may (see poll.ts).
    return url && (await isPrivateHost(new URL(url).hostname)) ? 'any' : 'public';
  }

  function track(work: Promise<void>): void {
    const logged = work.catch((err: unknown) => logger.error({ err }, 'websub subscription bookkeeping failed'));
    inFlight.add(logged);
    void logged.finally(() => inFlight.delete(logged));
  }

  async function request(sub: PushSubscription, mode: 'subscribe' | 'unsubscribe'): Promise<void> {
    const log = logger.child({ source_id: sub.sourceId, hub: sub.hub, topic: sub.topic });
    // Stored first: the hub may verify before its answer to the request reaches us.
    await store.savePushSubscription({ ...sub, pending: mode, requestedAt: now() });
    const params: Record<string, string> = { 'hub.mode': mode, 'hub.callback': callbackUrl(sub.sourceId), 'hub.topic': sub.topic };
    if (mode === 'subscribe') {
      params['hub.lease_seconds'] = String(REQUESTED_LEASE_SECONDS);
      params['hub.secret'] = sub.secret;
    }
    try {
      const status = await postToHub(sub.hub, params, deps.fetchPolicy, await reachOf(sub.sourceId));
      log.info({ status, mode }, 'websub request accepted, awaiting verification');
    } catch (err) {
      const message = (err as Error).message;
      log.warn({ mode, err: message }, 'websub request failed');
      const current = await store.pushSubscription(sub.sourceId);
      if (!current || current.pending !== mode) return;
      // A failed unsubscription is left to expire with its lease; a failed subscription is tried again later.
      if (mode === 'unsubscribe') await store.forgetPushSubscription(sub.sourceId);
      else await store.savePushSubscription({ ...current, pending: null, lastError: `${mode}: ${message}` });
    }
  }

  function subscribe(source: Source, link: HubLink, previous: PushSubscription | null): void {
    const same = previous !== null && previous.hub === link.hub && previous.topic === link.topic && previous.pending !== 'unsubscribe';
    // A renewal keeps its secret, so pushes signed before the hub verifies it still pass; anything else gets a new one.
    const sub: PushSubscription = same
      ? previous
      : {
          sourceId: source.id,
          ...link,
          secret: randomBytes(32).toString('hex'),
          pending: 'subscribe',
          requestedAt: now(),
          verifiedAt: null,
          leaseEndsAt: null,
          lastPushAt: previous?.lastPushAt ?? null,
          lastError: null,
        };
    track(request(sub, 'subscribe'));
  }

  function unsubscribe(sub: PushSubscription): void {
    if (sub.pending === 'unsubscribe') return;
    track(request(sub, 'unsubscribe'));
  }

  /** Whether to send (again) a subscription request for what the feed advertises now. */
  function wanted(sub: PushSubscription | null, link: HubLink, at: number): boolean {
    if (!sub || sub.pending === 'unsubscribe' || sub.hub !== link.hub || sub.topic !== link.topic) return true;
    const sinceRequest = at - sub.requestedAt.getTime();
    if (sub.pending === 'subscribe' || sub.lastError !== null) return sinceRequest >= RETRY_AFTER_MS;
    const renewAt = renewalAt(sub);
    return renewAt === null || at >= renewAt;
  }

  return {
    enabled: deps.enabled,
    discovered(source, found) {
      if (!deps.enabled) return;
      track(
        (async () => {
          const sub = await store.pushSubscription(source.id);
          if (!found) {
            // The feed no longer advertises a hub: leave the one we had.
            if (sub) unsubscribe(sub);
            return;
          }
          if (wanted(sub, found, now().getTime())) subscribe(source, found, sub);
        })(),
      );
    },
    removed(sourceId) {
      track(
        (async () => {
          const sub = await store.pushSubscription(sourceId);
          if (sub) unsubscribe(sub);
        })(),
      );
    },
    start(sources) {
      const ids = new Set(sources.map((s) => s.id));
      track(
        (async () => {
          for (const sub of await store.pushSubscriptions()) {
            if (!deps.enabled || !ids.has(sub.sourceId)) unsubscribe(sub);
          }
        })(),
      );
    },
    async renewDue(sources) {
      if (!deps.enabled) return;
      const at = now().getTime();
      const byId = new Map(sources.map((s) => [s.id, s]));
      for (const sub of await store.pushSubscriptions()) {
        const source = byId.get(sub.sourceId);
        const renewAt = renewalAt(sub);
        const retry = sub.lastError === null || at - sub.requestedAt.getTime() >= RETRY_AFTER_MS;
        if (source && sub.pending === null && renewAt !== null && at >= renewAt && retry) subscribe(source, sub, sub);
        // An unsubscription the hub never verified: its lease ends on its own.
        else if (sub.pending === 'unsubscribe' && at - sub.requestedAt.getTime() >= RENEW_MAX_MS) await store.forgetPushSubscription(sub.sourceId);
      }
      await Promise.allSettled([...inFlight]);
    },
    async verify(sourceId, query) {
      const mode = query.get('hub.mode');
      const topic = query.get('hub.topic');
      const sub = await store.pushSubscription(sourceId);
      const log = logger.child({ source_id: sourceId, hub: sub?.hub, topic });
      if (!sub || topic !== sub.topic) {
        log.warn({ mode }, 'websub verification for no subscription of ours refused');
        return { status: 404, body: 'no subscription of this topic here\n' };
      }
      if (mode === 'denied') {
        // WebSub 5.2: the subscription is not possible (anymore); polling goes on, and it is asked again later.
        const reason = query.get('hub.reason');
        log.warn({ reason }, 'websub subscription denied by the hub');
        await store.savePushSubscription({ ...sub, pending: null, verifiedAt: null, leaseEndsAt: null, requestedAt: now(), lastError: `denied by the hub${reason ? `: ${reason}` : ''}` });
        return { status: 200, body: '' };
      }
      const challenge = query.get('hub.challenge');
      if ((mode !== 'subscribe' && mode !== 'unsubscribe') || mode !== sub.pending || !challenge) {
        log.warn({ mode, pending: sub.pending }, 'websub verification we did not ask for refused');
        return { status: 404, body: `no pending ${mode ?? 'request'} of this topic\n` };
      }
      if (mode === 'unsubscribe') {
        await store.forgetPushSubscription(sourceId);
        log.info('websub unsubscription verified');
        return { status: 200, body: challenge };
      }
      const lease = Number(query.get('hub.lease_seconds'));
      // The hub must say how long (5.3); a hub that does not is taken to grant what we asked for.
      const seconds = Number.isInteger(lease) && lease > 0 ? lease : REQUESTED_LEASE_SECONDS;
      const at = now();
      const leaseEndsAt = new Date(at.getTime() + seconds * 1000);
      await store.savePushSubscription({ ...sub, pending: null, verifiedAt: at, leaseEndsAt, lastError: null });
      log.info({ lease_seconds: seconds, lease_ends_at: leaseEndsAt.toISOString() }, 'websub subscription verified');
      return { status: 200, body: challenge };
    },
    isPushed: async (sourceId) => pushActive(await store.pushSubscription(sourceId), now()),
    async whenIdle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
