/**
 * Our WebSub subscriptions to upstream hubs: one per source at most, kept in the store, so a restart keeps
 * answering the hub's verification and checking its pushes.
 */

/** A hub an upstream feed advertises, and the topic (its `self` URL) to subscribe to there. */
export interface HubLink {
  hub: string;
  topic: string;
}

/** A request we sent the hub and it has not verified yet (WebSub 5.3): only that one is answered with its challenge. */
export type PendingMode = 'subscribe' | 'unsubscribe';

/** Our subscription of one source's topic at its hub. */
export interface PushSubscription extends HubLink {
  sourceId: string;
  /** The secret we gave the hub (hex, under 200 bytes): every push must be signed with it. */
  secret: string;
  /** The request awaiting the hub's verification, null when none is. */
  pending: PendingMode | null;
  /** When the pending request was sent (or the last one, when none is pending). */
  requestedAt: Date;
  /** When the hub verified our subscription, null before it did. */
  verifiedAt: Date | null;
  /** When the lease the hub granted ends, null before it verified. */
  leaseEndsAt: Date | null;
  /** When a push that passed the signature check was last received. */
  lastPushAt: Date | null;
  /** Why the last request failed or the hub denied it, null after a verification. */
  lastError: string | null;
}

/** The answer our callback gives the hub. */
export interface CallbackReply {
  status: number;
  /** text/plain body (the challenge, or a short reason). */
  body: string;
}

/** What the HTTP layer needs of the subscriber at `BASE_URL/websub/callback/<source id>`. */
export interface PushCallback {
  /** A GET from the hub: verification of intent (WebSub 5.3) or a denial (5.2). */
  verify(sourceId: string, query: URLSearchParams): Promise<CallbackReply>;
  /** A POST from the hub: content distribution (7), checked against `X-Hub-Signature` (7.1). */
  receive(sourceId: string, body: Buffer, headers: { signature: string | undefined; contentType: string | undefined }): Promise<CallbackReply>;
}
