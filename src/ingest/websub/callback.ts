import type { Logger } from '../../log.ts';
import type { PushCallback } from '../../model/push.ts';
import type { Store } from '../../storage/store.ts';
import { decodeBody } from '../charset.ts';
import type { Ingester } from '../ingester.ts';
import { signatureProblem } from './signature.ts';
import type { Subscriber } from './subscriber.ts';

export interface CallbackDeps {
  store: Store;
  subscriber: Subscriber;
  ingester: Pick<Ingester, 'receivePush' | 'hasSource'>;
  logger: Logger;
  now: () => Date;
}

/**
 * What `BASE_URL/websub/callback/<source id>` does: GET is the hub's verification or denial (the subscriber
 * answers); POST is a push, stored only when it is signed with the secret we gave (WebSub 7.1.2: a bad or
 * missing signature is acknowledged with a 2xx, so a forger learns nothing, and nothing is stored); a push for
 * a source we do not subscribe is a 410, which tells the hub the subscription is gone (7).
 */
export function createPushCallback(deps: CallbackDeps): PushCallback {
  const { store, logger } = deps;
  return {
    verify: (sourceId, query) => deps.subscriber.verify(sourceId, query),
    async receive(sourceId, body, headers) {
      const log = logger.child({ source_id: sourceId });
      const sub = await store.pushSubscription(sourceId);
      const inService = deps.ingester.hasSource(sourceId);
      if (!sub || sub.pending === 'unsubscribe' || !inService) {
        log.warn({ bytes: body.length }, 'push for no subscription of ours refused');
        return { status: 410, body: 'no subscription here\n' };
      }
      const problem = signatureProblem(body, headers.signature, sub.secret);
      if (problem) {
        log.warn({ hub: sub.hub, bytes: body.length, problem }, 'push with a bad signature ignored');
        return { status: 202, body: '' };
      }
      await store.savePushSubscription({ ...sub, lastPushAt: deps.now() });
      const { text } = decodeBody(body, headers.contentType ?? null);
      const outcome = await deps.ingester.receivePush(sourceId, text);
      // A feed that does not parse is the hub's to know about no more than a good one; our own failure is a 500,
      // so the hub delivers it again.
      return outcome.kind === 'failed' && !outcome.upstream ? { status: 500, body: 'not stored\n' } : { status: 202, body: '' };
    },
  };
}
