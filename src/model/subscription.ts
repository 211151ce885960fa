/** One subscriber of one of our feeds (a WebSub topic), as the hub keeps it. */
export interface Subscription {
  /** The feed's URL, exactly as we publish it (BASE_URL plus its path). */
  topic: string;
  /** Where new versions of the feed are POSTed. */
  callback: string;
  /** The HMAC key the subscriber gave (`hub.secret`), null without one: deliveries are then unsigned. */
  secret: string | null;
  /** The lease granted, after our bounds. */
  leaseSeconds: number;
  /** When the lease ends; an expired subscription gets nothing and is purged. */
  expiresAt: Date;
  /** When the subscriber first verified this subscription (a renewal keeps it). */
  createdAt: Date;
}
