/**
 * NMSG notifications waiting for their notifier to subscribe (the reference's NtfStore). Kept in
 * memory only, as the reference keeps them between its periodic saves: a notification is a hint
 * that a message waits, and the message itself is durable.
 */
import type { Reply } from './context';

/** Per notifier id; the oldest go first when a notifier that never subscribes collects more. */
const MAX_PENDING = 128;

export class PendingNotifications {
  private readonly pending = new Map<string, Reply[]>();

  add(notifierKey: string, reply: Reply): void {
    let list = this.pending.get(notifierKey);
    if (list === undefined) {
      list = [];
      this.pending.set(notifierKey, list);
    }
    list.push(reply);
    if (list.length > MAX_PENDING) list.shift();
  }

  /** Removes and returns what waits for this notifier, oldest first. */
  take(notifierKey: string): Reply[] {
    const list = this.pending.get(notifierKey);
    if (list === undefined) return [];
    this.pending.delete(notifierKey);
    return list;
  }

  /** The notifier id is gone (NDEL, NKEY replacing it, DEL). */
  drop(notifierKey: string): void {
    this.pending.delete(notifierKey);
  }
}
