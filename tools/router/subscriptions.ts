/**
 * Which connection is subscribed to each queue (the reference's `queueSubscribers`; one
 * instance for recipient queues, one for notifier ids). A queue has at most one subscribed
 * connection: subscribing from another one takes the subscription over, and the previous
 * subscriber is told with END (commands.ts sends it).
 */
export class SubscriptionRegistry<C> {
  private readonly subscribers = new Map<string, C>();

  /** Makes `conn` the subscriber of `key`; returns the previous subscriber if it was another connection. */
  subscribe(key: string, conn: C): C | null {
    const previous = this.subscribers.get(key);
    this.subscribers.set(key, conn);
    return previous !== undefined && previous !== conn ? previous : null;
  }

  current(key: string): C | null {
    return this.subscribers.get(key) ?? null;
  }

  /** Ends `conn`'s subscription, if it still holds it (a disconnect after a takeover must not end the new one). */
  remove(key: string, conn: C): void {
    if (this.subscribers.get(key) === conn) this.subscribers.delete(key);
  }

  /** Removes whoever is subscribed (the queue is gone) and returns them. */
  take(key: string): C | null {
    const current = this.subscribers.get(key);
    if (current === undefined) return null;
    this.subscribers.delete(key);
    return current;
  }

  get size(): number {
    return this.subscribers.size;
  }
}
