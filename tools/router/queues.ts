/**
 * Queues and their messages, in memory, with every change journaled (the reference's QueueStore
 * and MsgStore: Server/QueueStore/STM.hs, Server/MsgStore/STM.hs, Types.hs).
 *
 * Each change is applied by one function, `applyQueueChange` / `applyMessageChange`, both live
 * and when the journal is replayed at start, so a recovered router is in exactly the state the
 * journal describes. A live change is applied and handed to the journal in the same synchronous
 * step; the returned promise settles when it is on disk. The caller answers only then.
 *
 * A stored message is delivered only once it is durable: a router that crashes can lose a
 * message nobody was told about, never one a recipient has seen but the journal has not.
 */
import type { PublicKey } from '../../firmware/crypto/keys';
import type { QueueMode } from '../../firmware/smp/commands';

export interface LinkData {
  readonly linkId: Uint8Array;
  readonly fixedData: Uint8Array;
  readonly userData: Uint8Array;
}

export interface NotifierCreds {
  readonly notifierId: Uint8Array;
  readonly notifierKey: PublicKey;
  /** X25519(rcvNtfDhKey, server private key): encrypts NMSG metadata. */
  readonly rcvNtfDhSecret: Uint8Array;
}

export type QueueStatus = 'active' | 'off';

/** `QueueRec`: everything the router keeps about a queue except its messages. */
export interface QueueState {
  readonly rcvId: Uint8Array;
  readonly senderId: Uint8Array;
  recipientKeys: PublicKey[];
  /** X25519(rcvDhKey, server private key): encrypts MSG bodies for the recipient (smp.md §8.2). */
  readonly rcvDhSecret: Uint8Array;
  senderKey: PublicKey | null;
  /** null for queues created before v9 (the reference's `Nothing`). */
  readonly mode: QueueMode | null;
  link: LinkData | null;
  notifier: NotifierCreds | null;
  status: QueueStatus;
}

export type MessageKind = 'message' | 'quota';

export interface StoredMessage {
  readonly msgId: Uint8Array;
  /** Receive time, whole seconds since the epoch. */
  readonly ts: number;
  /** 'quota': the marker a SEND over the quota leaves; it carries that SEND's msgId and time. */
  readonly kind: MessageKind;
  readonly notification: boolean;
  readonly body: Uint8Array;
  /** Set when the journal record is on disk; only durable messages are delivered. */
  durable: boolean;
}

export interface Queue {
  readonly state: QueueState;
  /** rcvId as a map key. */
  readonly key: string;
  /** Oldest first. The reference's quota counts every entry, the marker included. */
  readonly messages: StoredMessage[];
  deleted: boolean;
}

export type QueueChange =
  | { readonly op: 'create'; readonly queue: QueueState }
  | { readonly op: 'secure'; readonly rcvId: Uint8Array; readonly senderKey: PublicKey }
  | { readonly op: 'keys'; readonly rcvId: Uint8Array; readonly recipientKeys: PublicKey[] }
  | { readonly op: 'link'; readonly rcvId: Uint8Array; readonly link: LinkData }
  | { readonly op: 'unlink'; readonly rcvId: Uint8Array }
  | { readonly op: 'notifier'; readonly rcvId: Uint8Array; readonly notifier: NotifierCreds }
  | { readonly op: 'unnotifier'; readonly rcvId: Uint8Array }
  | { readonly op: 'suspend'; readonly rcvId: Uint8Array }
  | { readonly op: 'delete'; readonly rcvId: Uint8Array };

export type MessageChange =
  | { readonly op: 'store'; readonly rcvId: Uint8Array; readonly message: StoredMessage }
  | { readonly op: 'remove'; readonly rcvId: Uint8Array; readonly msgId: Uint8Array };

/** Where changes go to become durable (store-log.ts). */
export interface QueueJournal {
  queueChange(change: QueueChange): Promise<void>;
  messageChange(change: MessageChange): Promise<void>;
}

/** The outcome of a change that the queue's state may refuse. */
export type ChangeResult = { readonly ok: true; readonly durable: Promise<void> } | { readonly ok: false; readonly error: 'AUTH' | 'DUPLICATE' };

export type WriteResult =
  | { readonly ok: true; readonly message: StoredMessage; readonly durable: Promise<void> }
  | { readonly ok: false; readonly error: 'QUOTA' };

/** An id as a map key. base64url is cheap in Node and keeps keys printable for debugging. */
export function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.length).toString('base64url');
}

export function sameKey(a: PublicKey, b: PublicKey): boolean {
  if (a.alg !== b.alg || a.raw.length !== b.raw.length) return false;
  for (let i = 0; i < a.raw.length; i++) if (a.raw[i] !== b.raw[i]) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `isContactQueue`: contact mode, or (pre-v9 queues) no mode and no sender key. */
export function isContactQueue(s: QueueState): boolean {
  if (s.mode === 'messaging') return false;
  if (s.mode === 'contact') return true;
  return s.senderKey === null;
}

/** `isSecuredMsgQueue`: not a contact queue, and a sender key is set. */
export function isSecuredMessagingQueue(s: QueueState): boolean {
  return s.mode !== 'contact' && s.senderKey !== null;
}

export class QueueStore {
  private readonly journal: QueueJournal;
  /** Undelivered messages a queue may hold before SEND gets QUOTA (`msgQueueQuota`). */
  private readonly quota: number;
  private readonly byRecipient = new Map<string, Queue>();
  private readonly bySender = new Map<string, Queue>();
  private readonly byNotifier = new Map<string, Queue>();
  private readonly byLink = new Map<string, Queue>();

  constructor(journal: QueueJournal, quota: number) {
    this.journal = journal;
    this.quota = quota;
  }

  get size(): number {
    return this.byRecipient.size;
  }

  recipientQueue(id: Uint8Array): Queue | null {
    return this.byRecipient.get(idKey(id)) ?? null;
  }

  senderQueue(id: Uint8Array): Queue | null {
    return this.bySender.get(idKey(id)) ?? null;
  }

  notifierQueue(id: Uint8Array): Queue | null {
    return this.byNotifier.get(idKey(id)) ?? null;
  }

  linkQueue(id: Uint8Array): Queue | null {
    return this.byLink.get(idKey(id)) ?? null;
  }

  /** Every live queue; for expiry and snapshots. */
  queues(): IterableIterator<Queue> {
    return this.byRecipient.values();
  }

  // -------------------------------------------------------------------------------------------
  // Queue changes (`addQueue_`, `secureQueue`, `updateKeys`, `addQueueLinkData`, …)

  /** DUPLICATE if any of its ids is taken (the caller draws new ids or refuses). */
  create(queue: QueueState): ChangeResult {
    if (
      this.byRecipient.has(idKey(queue.rcvId)) ||
      this.bySender.has(idKey(queue.senderId)) ||
      (queue.notifier !== null && this.byNotifier.has(idKey(queue.notifier.notifierId))) ||
      (queue.link !== null && this.byLink.has(idKey(queue.link.linkId)))
    ) {
      return { ok: false, error: 'DUPLICATE' };
    }
    return this.changeQueue({ op: 'create', queue: queue });
  }

  /** KEY / SKEY / LKEY: sets the sender key once; the same key again is OK, another is AUTH. */
  secure(q: Queue, senderKey: PublicKey): ChangeResult {
    const current = q.state.senderKey;
    if (current !== null) return sameKey(current, senderKey) ? { ok: true, durable: Promise.resolve() } : { ok: false, error: 'AUTH' };
    return this.changeQueue({ op: 'secure', rcvId: q.state.rcvId, senderKey: senderKey });
  }

  setRecipientKeys(q: Queue, keys: PublicKey[]): ChangeResult {
    return this.changeQueue({ op: 'keys', rcvId: q.state.rcvId, recipientKeys: keys });
  }

  /**
   * LSET (`addQueueLinkData`): a queue without link data takes any link; one with link data only
   * new user data for the same link id and fixed data. A link id another queue uses is refused
   * with AUTH (the reference's STM store would silently re-point it).
   */
  setLink(q: Queue, link: LinkData): ChangeResult {
    const current = q.state.link;
    if (current !== null && !(sameBytes(current.linkId, link.linkId) && sameBytes(current.fixedData, link.fixedData))) {
      return { ok: false, error: 'AUTH' };
    }
    const owner = this.byLink.get(idKey(link.linkId));
    if (owner !== undefined && owner !== q) return { ok: false, error: 'AUTH' };
    return this.changeQueue({ op: 'link', rcvId: q.state.rcvId, link: link });
  }

  deleteLink(q: Queue): Promise<void> {
    if (q.state.link === null) return Promise.resolve();
    return this.durableOf(this.changeQueue({ op: 'unlink', rcvId: q.state.rcvId }));
  }

  /** NKEY: DUPLICATE when the new notifier id is taken (the caller retries with another). */
  setNotifier(q: Queue, notifier: NotifierCreds): ChangeResult {
    if (this.byNotifier.has(idKey(notifier.notifierId))) return { ok: false, error: 'DUPLICATE' };
    return this.changeQueue({ op: 'notifier', rcvId: q.state.rcvId, notifier: notifier });
  }

  deleteNotifier(q: Queue): Promise<void> {
    if (q.state.notifier === null) return Promise.resolve();
    return this.durableOf(this.changeQueue({ op: 'unnotifier', rcvId: q.state.rcvId }));
  }

  suspend(q: Queue): Promise<void> {
    if (q.state.status === 'off') return Promise.resolve();
    return this.durableOf(this.changeQueue({ op: 'suspend', rcvId: q.state.rcvId }));
  }

  /** DEL: the queue, its ids and its messages. */
  delete(q: Queue): Promise<void> {
    return this.durableOf(this.changeQueue({ op: 'delete', rcvId: q.state.rcvId }));
  }

  // -------------------------------------------------------------------------------------------
  // Messages (`writeMsg`, `tryPeekMsg`, `tryDelMsg`, `tryDelPeekMsg`, `deleteExpiredMsgs`)

  /**
   * SEND. The reference's rule, restated: a queue whose last entry is the quota marker takes
   * nothing more until it has been emptied; a queue holding `quota` entries takes the marker
   * instead of the message. Either way the sender gets QUOTA.
   */
  write(q: Queue, msgId: Uint8Array, ts: number, notification: boolean, body: Uint8Array): WriteResult {
    const n = q.messages.length;
    if (n > 0 && q.messages[n - 1].kind === 'quota') return { ok: false, error: 'QUOTA' };
    if (n >= this.quota) {
      const marker: StoredMessage = { msgId: msgId, ts: ts, kind: 'quota', notification: false, body: EMPTY, durable: false };
      this.storeMessage(q, marker).catch(() => undefined); // the marker's loss only loses the QUOTA notice
      return { ok: false, error: 'QUOTA' };
    }
    const message: StoredMessage = { msgId: msgId, ts: ts, kind: 'message', notification: notification, body: body, durable: false };
    return { ok: true, message: message, durable: this.storeMessage(q, message) };
  }

  /** The oldest message if it can be delivered (durable), else null. */
  peek(q: Queue): StoredMessage | null {
    if (q.messages.length === 0) return null;
    const head = q.messages[0];
    return head.durable ? head : null;
  }

  /** Removes the oldest message if it has this id (`tryDelMsg`); true if it did. */
  removeIfHead(q: Queue, msgId: Uint8Array): boolean {
    if (q.messages.length === 0 || !sameBytes(q.messages[0].msgId, msgId)) return false;
    this.removeHead(q);
    return true;
  }

  /** Removes expired messages from the head; returns how many (`deleteExpireMsgs_`). */
  expire(q: Queue, olderThanSeconds: number): number {
    let n = 0;
    while (q.messages.length > 0 && q.messages[0].ts < olderThanSeconds && q.messages[0].durable) {
      this.removeHead(q);
      n++;
    }
    return n;
  }

  // -------------------------------------------------------------------------------------------
  // Applying changes: the same code live and during recovery

  /**
   * Applies a journaled queue change without journaling it again. Returns false when the change
   * does not fit the state (a record about an unknown queue, an id already in use): the journal
   * contradicts itself and must not be trusted.
   */
  applyQueueChange(change: QueueChange): boolean {
    if (change.op === 'create') {
      const s = change.queue;
      const q: Queue = { state: s, key: idKey(s.rcvId), messages: [], deleted: false };
      if (this.byRecipient.has(q.key) || this.bySender.has(idKey(s.senderId))) return false;
      this.byRecipient.set(q.key, q);
      this.bySender.set(idKey(s.senderId), q);
      if (s.notifier !== null) this.byNotifier.set(idKey(s.notifier.notifierId), q);
      if (s.link !== null) this.byLink.set(idKey(s.link.linkId), q);
      return true;
    }
    const q = this.byRecipient.get(idKey(change.rcvId));
    if (q === undefined) return false;
    const s = q.state;
    switch (change.op) {
      case 'secure':
        s.senderKey = change.senderKey;
        return true;
      case 'keys':
        s.recipientKeys = change.recipientKeys;
        return true;
      case 'link':
        if (s.link !== null) this.byLink.delete(idKey(s.link.linkId));
        s.link = change.link;
        this.byLink.set(idKey(change.link.linkId), q);
        return true;
      case 'unlink':
        if (s.link !== null) this.byLink.delete(idKey(s.link.linkId));
        s.link = null;
        return true;
      case 'notifier':
        if (s.notifier !== null) this.byNotifier.delete(idKey(s.notifier.notifierId));
        s.notifier = change.notifier;
        this.byNotifier.set(idKey(change.notifier.notifierId), q);
        return true;
      case 'unnotifier':
        if (s.notifier !== null) this.byNotifier.delete(idKey(s.notifier.notifierId));
        s.notifier = null;
        return true;
      case 'suspend':
        s.status = 'off';
        return true;
      case 'delete':
        this.byRecipient.delete(q.key);
        this.bySender.delete(idKey(s.senderId));
        if (s.notifier !== null) this.byNotifier.delete(idKey(s.notifier.notifierId));
        if (s.link !== null) this.byLink.delete(idKey(s.link.linkId));
        q.messages.length = 0;
        q.deleted = true;
        return true;
    }
    return false;
  }

  /**
   * Applies a journaled message change. A change about a queue that no longer exists is ignored
   * (its messages went with it); removing a message that is not there is too (a repeated ACK
   * record, or a message already dropped by compaction).
   */
  applyMessageChange(change: MessageChange): void {
    const q = this.byRecipient.get(idKey(change.rcvId));
    if (q === undefined) return;
    if (change.op === 'store') {
      q.messages.push(change.message);
      return;
    }
    const msgs = q.messages;
    for (let i = 0; i < msgs.length; i++) {
      if (sameBytes(msgs[i].msgId, change.msgId)) {
        msgs.splice(i, 1);
        return;
      }
    }
  }

  /** The live state as changes that recreate it: what a compacted journal holds. */
  queueSnapshot(): QueueChange[] {
    const out: QueueChange[] = [];
    for (const q of this.byRecipient.values()) out.push({ op: 'create', queue: q.state });
    return out;
  }

  messageSnapshot(): MessageChange[] {
    const out: MessageChange[] = [];
    for (const q of this.byRecipient.values()) {
      for (let i = 0; i < q.messages.length; i++) out.push({ op: 'store', rcvId: q.state.rcvId, message: q.messages[i] });
    }
    return out;
  }

  /** Total stored messages (for compaction decisions and statistics). */
  messageCount(): number {
    let n = 0;
    for (const q of this.byRecipient.values()) n += q.messages.length;
    return n;
  }

  // -------------------------------------------------------------------------------------------

  private changeQueue(change: QueueChange): ChangeResult {
    if (!this.applyQueueChange(change)) throw new Error('queue change does not apply: ' + change.op); // a bug, not input
    return { ok: true, durable: this.journal.queueChange(change) };
  }

  private durableOf(r: ChangeResult): Promise<void> {
    return r.ok ? r.durable : Promise.reject(new Error('unexpected ' + r.error));
  }

  private storeMessage(q: Queue, message: StoredMessage): Promise<void> {
    this.applyMessageChange({ op: 'store', rcvId: q.state.rcvId, message: message });
    return this.journal.messageChange({ op: 'store', rcvId: q.state.rcvId, message: message }).then(
      () => {
        message.durable = true;
      },
      (e: unknown) => {
        // Never on disk: it must not wait at the head of the queue forever.
        const i = q.messages.indexOf(message);
        if (i >= 0) q.messages.splice(i, 1);
        throw e;
      },
    );
  }

  private removeHead(q: Queue): void {
    const head = q.messages.shift() as StoredMessage;
    // Not awaited: a lost removal only means the message is delivered again after a crash.
    this.journal.messageChange({ op: 'remove', rcvId: q.state.rcvId, msgId: head.msgId }).catch(() => undefined);
  }
}

const EMPTY = new Uint8Array(0);
