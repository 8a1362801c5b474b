/**
 * What each verified command does (smp.md §7; the reference's `processCommand` in Server.hs):
 * queue creation and keys, subscriptions and delivery with flow control, messages, link data,
 * notifier credentials. Private routing is in proxy.ts and forwarded.ts.
 *
 * Every handler runs synchronously to its decision; changes that must be on disk before they
 * are confirmed return an 'after' outcome with the journal's promise.
 */
import type { Crypto } from '../../hal/crypto';
import { cbEncrypt, cbNonce } from '../../firmware/crypto/box';
import type { PublicKey } from '../../firmware/crypto/keys';
import { equalBytes } from '../../firmware/encoding/bytes';
import { maxMessageLength, type Command } from '../../firmware/smp/commands';
import type { ErrorType } from '../../firmware/smp/errors';
import { encodeNMsgMeta, encodeRcvMsgBody, NMSG_META_PADDED_LENGTH, RCV_MSG_PADDED_LENGTH } from '../../firmware/smp/message';
import type { BrokerMsg } from '../../firmware/smp/responses';
import type { Outcome, Reply, RouterContext, Session, Sub } from './context';
import {
  idKey,
  isContactQueue,
  type ChangeResult,
  isSecuredMessagingQueue,
  type LinkData,
  type NotifierCreds,
  type Queue,
  type QueueState,
  type StoredMessage,
} from './queues';

/** Server-generated queue, notifier, link and message ids (`queueIdBytes`, `msgIdBytes`). */
export const ID_LENGTH = 24;
/** How often NEW and NKEY draw new ids after a collision before giving up (`tryCreate 3`). */
const ID_ATTEMPTS = 3;

const EMPTY = new Uint8Array(0);

/** A command after its transmission was decoded and its authorization verified. */
export interface Verified {
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  readonly cmd: Command;
  /** The queue the command addresses, for every command that addresses one. */
  readonly queue: Queue | null;
}

export function now(replies: Reply[]): Outcome {
  return { kind: 'now', replies: replies };
}

export function errorReply(corrId: Uint8Array, entityId: Uint8Array, error: ErrorType): Reply {
  return { corrId: corrId, entityId: entityId, msg: { type: 'ERR', error: error } };
}

/**
 * Handles a queue command. `version` is the command's SMP version: the connection's, or the
 * client's version inside a forwarded transmission (RFWD).
 */
export function processCommand(ctx: RouterContext, session: Session, version: number, t: Verified): Outcome {
  const cmd = t.cmd;
  const reply = (msg: BrokerMsg): Reply => ({ corrId: t.corrId, entityId: t.entityId, msg: msg });
  const err = (error: ErrorType): Outcome => now([reply({ type: 'ERR', error: error })]);
  const ok = (durable: Promise<void>): Outcome => ({ kind: 'after', replies: [reply({ type: 'OK' })], durable: durable });

  if (cmd.type === 'NEW') return createQueue(ctx, session, t, cmd);
  if (cmd.type === 'PING') return now([{ corrId: t.corrId, entityId: EMPTY, msg: { type: 'PONG' } }]);

  const q = t.queue;
  // Verification found the queue; a queue deleted since cannot reach here in one synchronous step.
  if (q === null || q.deleted) return err({ type: 'INTERNAL' });
  const store = ctx.store;
  const s = q.state;

  switch (cmd.type) {
    case 'SEND':
      return send(ctx, version, q, cmd.flags.notification, cmd.body, reply);
    case 'SUB':
      return subscribe(ctx, session, q, reply);
    case 'GET':
      return getMessage(ctx, session, q, reply);
    case 'ACK':
      return acknowledge(ctx, session, q, cmd.msgId, reply);
    case 'KEY':
      return afterChange(store.secure(q, cmd.senderKey), reply, null);
    case 'SKEY':
      if (s.mode !== 'messaging') return err({ type: 'AUTH' });
      return afterChange(store.secure(q, cmd.senderKey), reply, null);
    case 'LKEY': {
      if (s.mode !== 'messaging') return err({ type: 'AUTH' });
      const link = s.link;
      const lnk = link !== null && equalBytes(link.linkId, t.entityId) ? linkReply(s, link) : null;
      return afterChange(store.secure(q, cmd.senderKey), reply, lnk === null ? { type: 'ERR', error: { type: 'AUTH' } } : lnk);
    }
    case 'LGET': {
      const link = s.link;
      if (!isContactQueue(s) || link === null || !equalBytes(link.linkId, t.entityId)) return err({ type: 'AUTH' });
      return now([reply(linkReply(s, link))]);
    }
    case 'RKEY': {
      if (s.mode !== 'contact') return err({ type: 'AUTH' });
      return afterChange(store.setRecipientKeys(q, cmd.recipientKeys.slice()), reply, null);
    }
    case 'LSET': {
      if (isSecuredMessagingQueue(s)) return err({ type: 'AUTH' });
      const link: LinkData = { linkId: copy(cmd.linkId), fixedData: copy(cmd.fixedData), userData: copy(cmd.userData) };
      return afterChange(store.setLink(q, link), reply, null);
    }
    case 'LDEL':
      return ok(store.deleteLink(q));
    case 'NKEY':
      return addNotifier(ctx, session, q, cmd.notifierKey, cmd.rcvNtfDhKey.raw, reply);
    case 'NDEL':
      endNotifier(ctx, session, s.notifier);
      return ok(store.deleteNotifier(q));
    case 'NSUB':
      return subscribeNotifier(ctx, session, q, reply);
    case 'OFF':
      return ok(store.suspend(q));
    case 'DEL':
      return deleteQueue(ctx, session, q, reply);
    case 'QUE':
      return now([reply({ type: 'INFO', info: queueInfo(session.subs.get(q.key) ?? null, q) })]);
    default:
      // Commands without a queue (PRXY, PFWD, RFWD, SUBS, NSUBS) never get here.
      return err({ type: 'INTERNAL' });
  }
}

// ---------------------------------------------------------------------------------------------
// NEW (`createQueue`)

function createQueue(ctx: RouterContext, session: Session, t: Verified, cmd: Extract<Command, { type: 'NEW' }>): Outcome {
  const reply = (msg: BrokerMsg): Reply => ({ corrId: t.corrId, entityId: t.entityId, msg: msg });
  const password = ctx.config.basicAuth;
  if (password !== null && (cmd.basicAuth === null || !sameText(cmd.basicAuth, password))) {
    return now([reply({ type: 'ERR', error: { type: 'AUTH' } })]);
  }
  const crypto = ctx.crypto;
  const req = cmd.queueReqData;
  const linkReq = req === null ? null : req.link;
  let clientSenderId: Uint8Array | null = null;
  if (linkReq !== null) {
    // A client-chosen sender id must be the hash of this corrId, so that NEW cannot be used to
    // test whether some other queue id exists (the "ID oracle", Server.hs createQueue).
    clientSenderId = copy(linkReq.senderId);
    if (!equalBytes(clientSenderId, crypto.sha3_384(t.corrId).subarray(0, ID_LENGTH))) {
      return now([reply({ type: 'ERR', error: { type: 'CMD', cmdErr: 'PROHIBITED' } })]);
    }
  }
  const dh = crypto.x25519KeyPair();
  const rcvDhSecret = crypto.x25519(dh.privateKey, cmd.rcvDhKey.raw);
  const ntf = cmd.ntfCreds === null ? null : crypto.x25519KeyPair();
  const rcvNtfDhSecret = ntf === null || cmd.ntfCreds === null ? null : crypto.x25519(ntf.privateKey, cmd.ntfCreds.rcvNtfDhKey.raw);

  for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
    let link: LinkData | null = null;
    if (req !== null && req.link !== null) {
      const linkId = req.mode === 'contact' ? copy(req.link.linkId) : ctx.random.bytes(ID_LENGTH);
      link = { linkId: linkId, fixedData: copy(req.link.fixedData), userData: copy(req.link.userData) };
    }
    const notifier: NotifierCreds | null =
      cmd.ntfCreds === null || rcvNtfDhSecret === null
        ? null
        : { notifierId: ctx.random.bytes(ID_LENGTH), notifierKey: cmd.ntfCreds.notifierKey, rcvNtfDhSecret: rcvNtfDhSecret };
    const state: QueueState = {
      rcvId: ctx.random.bytes(ID_LENGTH),
      senderId: clientSenderId !== null ? clientSenderId : ctx.random.bytes(ID_LENGTH),
      recipientKeys: [cmd.rcvAuthKey],
      rcvDhSecret: rcvDhSecret,
      senderKey: null,
      mode: req === null ? null : req.mode,
      link: link,
      notifier: notifier,
      status: 'active',
    };
    const created = ctx.store.create(state);
    if (created.ok) {
      if (cmd.subMode === 'subscribe') {
        // A new queue has no messages and no other subscriber.
        const key = idKey(state.rcvId);
        session.subs.set(key, { mode: 'subscribed', delivered: null });
        ctx.subscribers.subscribe(key, session);
      }
      const ids: BrokerMsg = {
        type: 'IDS',
        rcvId: state.rcvId,
        sndId: state.senderId,
        rcvPublicDhKey: { alg: 'x25519', raw: dh.publicKey },
        queueMode: state.mode,
        linkId: link === null ? null : link.linkId,
        serviceId: null,
        serverNtfCreds: notifier === null || ntf === null ? null : { notifierId: notifier.notifierId, rcvNtfDhKey: { alg: 'x25519', raw: ntf.publicKey } },
      };
      return { kind: 'after', replies: [reply(ids)], durable: created.durable };
    }
    // Client-chosen ids are not retried: the client asked for exactly these.
    if (clientSenderId !== null) {
      return now([reply({ type: 'ERR', error: { type: 'AUTH' } })]);
    }
  }
  return now([reply({ type: 'ERR', error: { type: 'INTERNAL' } })]);
}

// ---------------------------------------------------------------------------------------------
// Messages and delivery (`sendMessage`, `subscribeQueueAndDeliver`, `getMessage`, `acknowledgeMsg`)

function send(ctx: RouterContext, version: number, q: Queue, notification: boolean, body: Uint8Array, reply: (m: BrokerMsg) => Reply): Outcome {
  const err = (error: ErrorType): Outcome => now([reply({ type: 'ERR', error: error })]);
  if (body.length > maxMessageLength(version)) return err({ type: 'LARGE_MSG' });
  if (q.state.status === 'off') return err({ type: 'AUTH' });
  const store = ctx.store;
  // Once the sender has secured a messaging queue, its link data is no longer needed.
  if (q.state.link !== null && isSecuredMessagingQueue(q.state)) {
    store.deleteLink(q).catch((e: unknown) => logFailure(ctx, 'link-delete', e));
  }
  const nowSeconds = Math.floor(ctx.now() / 1000);
  store.expire(q, nowSeconds - ctx.config.messageTtlSeconds);
  const written = store.write(q, ctx.random.bytes(ID_LENGTH), nowSeconds, notification, copy(body));
  if (!written.ok) return err({ type: 'QUOTA' });
  const message = written.message;
  const delivered = written.durable.then(() => {
    deliverHead(ctx, q);
    if (message.notification) notify(ctx, q, message);
  });
  return { kind: 'after', replies: [reply({ type: 'OK' })], durable: delivered };
}

function subscribe(ctx: RouterContext, session: Session, q: Queue, reply: (m: BrokerMsg) => Reply): Outcome {
  let sub = session.subs.get(q.key);
  if (sub === undefined) {
    sub = { mode: 'subscribed', delivered: null };
    session.subs.set(q.key, sub);
    const previous = ctx.subscribers.subscribe(q.key, session);
    if (previous !== null) endSubscription(previous, q.key, q.state.rcvId, { type: 'END' });
  } else if (sub.mode === 'get') {
    // A connection that used GET on a queue may not also subscribe to it.
    return now([reply({ type: 'ERR', error: { type: 'CMD', cmdErr: 'PROHIBITED' } })]);
  } else {
    // A repeated SUB delivers the unacknowledged message again.
    sub.delivered = null;
  }
  const replies: Reply[] = [reply({ type: 'SOK', serviceId: null })];
  const head = ctx.store.peek(q);
  if (head !== null) {
    sub.delivered = head.msgId;
    replies.push({ corrId: EMPTY, entityId: q.state.rcvId, msg: messageFor(ctx, q, head) });
  }
  return now(replies);
}

function getMessage(ctx: RouterContext, session: Session, q: Queue, reply: (m: BrokerMsg) => Reply): Outcome {
  let sub = session.subs.get(q.key);
  if (sub === undefined) {
    // Tracked like a subscription so this connection cannot SUB, but not registered: no END
    // goes to other subscribers and nothing is pushed.
    sub = { mode: 'get', delivered: null };
    session.subs.set(q.key, sub);
  } else if (sub.mode === 'subscribed') {
    return now([reply({ type: 'ERR', error: { type: 'CMD', cmdErr: 'PROHIBITED' } })]);
  } else {
    sub.delivered = null;
  }
  const head = ctx.store.peek(q);
  if (head === null) return now([reply({ type: 'OK' })]);
  sub.delivered = head.msgId;
  return now([reply(messageFor(ctx, q, head))]);
}

/**
 * ACK: only the message delivered on this connection, or (an empty msgId) whatever was. When
 * subscribed, the answer is the next message, if there is one. Flow control: nothing more is
 * delivered until the delivered message is acknowledged.
 */
function acknowledge(ctx: RouterContext, session: Session, q: Queue, msgId: Uint8Array, reply: (m: BrokerMsg) => Reply): Outcome {
  const sub = session.subs.get(q.key);
  const delivered = sub === undefined ? null : sub.delivered;
  if (sub === undefined || delivered === null || (msgId.length > 0 && !equalBytes(msgId, delivered))) {
    return now([reply({ type: 'ERR', error: { type: 'NO_MSG' } })]);
  }
  sub.delivered = null;
  // As the reference: the removal compares the ACK's msgId with the head, so an empty msgId
  // removes nothing and the head is delivered again.
  ctx.store.removeIfHead(q, msgId);
  if (sub.mode === 'get') return now([reply({ type: 'OK' })]);
  const next = ctx.store.peek(q);
  if (next === null) return now([reply({ type: 'OK' })]);
  sub.delivered = next.msgId;
  return now([reply(messageFor(ctx, q, next))]);
}

/**
 * Pushes the head message to the queue's subscriber if it has nothing unacknowledged
 * (`tryDeliverMessage`). Called when a message becomes durable.
 */
export function deliverHead(ctx: RouterContext, q: Queue): void {
  if (q.deleted) return;
  const subscriber = ctx.subscribers.current(q.key);
  if (subscriber === null) return;
  const sub = subscriber.subs.get(q.key);
  if (sub === undefined || sub.mode !== 'subscribed' || sub.delivered !== null) return;
  const head = ctx.store.peek(q);
  if (head === null) return;
  sub.delivered = head.msgId;
  subscriber.push({ corrId: EMPTY, entityId: q.state.rcvId, msg: messageFor(ctx, q, head) });
}

function messageFor(ctx: RouterContext, q: Queue, m: StoredMessage): BrokerMsg {
  return encryptMessage(ctx.crypto, q.state.rcvDhSecret, m);
}

/** MSG: the message boxed for the recipient with rcvDhSecret and the msgId as nonce (smp.md §8.2). */
export function encryptMessage(crypto: Crypto, rcvDhSecret: Uint8Array, m: StoredMessage): BrokerMsg {
  const plaintext =
    m.kind === 'quota'
      ? encodeRcvMsgBody({ type: 'quota', ts: m.ts })
      : encodeRcvMsgBody({ type: 'message', ts: m.ts, flags: { notification: m.notification }, body: m.body });
  return { type: 'MSG', msgId: m.msgId, encBody: cbEncrypt(crypto, rcvDhSecret, cbNonce(m.msgId), plaintext, RCV_MSG_PADDED_LENGTH) };
}

/** NMSG metadata: the message's id and time boxed for the notification server (smp.md §7.2). */
export function encryptNotification(crypto: Crypto, rcvNtfDhSecret: Uint8Array, nonce: Uint8Array, msgId: Uint8Array, ts: number): Uint8Array {
  return cbEncrypt(crypto, rcvNtfDhSecret, nonce, encodeNMsgMeta({ msgId: msgId, ts: ts }), NMSG_META_PADDED_LENGTH);
}

function endSubscription(subscriber: Session, key: string, rcvId: Uint8Array, msg: BrokerMsg): void {
  subscriber.subs.delete(key);
  subscriber.push({ corrId: EMPTY, entityId: rcvId, msg: msg });
}

function deleteQueue(ctx: RouterContext, session: Session, q: Queue, reply: (m: BrokerMsg) => Reply): Outcome {
  const s = q.state;
  session.subs.delete(q.key);
  const other = ctx.subscribers.take(q.key);
  if (other !== null && other !== session) endSubscription(other, q.key, s.rcvId, { type: 'DELD' });
  endNotifier(ctx, session, s.notifier);
  return { kind: 'after', replies: [reply({ type: 'OK' })], durable: ctx.store.delete(q) };
}

// ---------------------------------------------------------------------------------------------
// Notifiers (NKEY, NDEL, NSUB, NMSG)

function addNotifier(ctx: RouterContext, session: Session, q: Queue, notifierKey: PublicKey, rcvNtfDhKey: Uint8Array, reply: (m: BrokerMsg) => Reply): Outcome {
  const dh = ctx.crypto.x25519KeyPair();
  const secret = ctx.crypto.x25519(dh.privateKey, rcvNtfDhKey);
  const previous = q.state.notifier;
  for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
    const notifier: NotifierCreds = { notifierId: ctx.random.bytes(ID_LENGTH), notifierKey: notifierKey, rcvNtfDhSecret: secret };
    const r = ctx.store.setNotifier(q, notifier);
    if (r.ok) {
      endNotifier(ctx, session, previous);
      return { kind: 'after', replies: [reply({ type: 'NID', notifierId: notifier.notifierId, srvNtfDhKey: { alg: 'x25519', raw: dh.publicKey } })], durable: r.durable };
    }
  }
  return now([reply({ type: 'ERR', error: { type: 'INTERNAL' } })]);
}

/** The notifier id is gone: its subscriber (if another connection) gets DELD, its pending notifications are dropped. */
function endNotifier(ctx: RouterContext, session: Session | null, notifier: NotifierCreds | null): void {
  if (notifier === null) return;
  const key = idKey(notifier.notifierId);
  ctx.notifications.drop(key);
  const subscriber = ctx.notifierSubscribers.take(key);
  if (subscriber === null) return;
  subscriber.notifierSubs.delete(key);
  if (subscriber !== session) subscriber.push({ corrId: EMPTY, entityId: notifier.notifierId, msg: { type: 'DELD' } });
}

function subscribeNotifier(ctx: RouterContext, session: Session, q: Queue, reply: (m: BrokerMsg) => Reply): Outcome {
  const notifier = q.state.notifier;
  if (notifier === null) return now([reply({ type: 'ERR', error: { type: 'INTERNAL' } })]);
  const key = idKey(notifier.notifierId);
  const replies: Reply[] = [reply({ type: 'SOK', serviceId: null })];
  if (!session.notifierSubs.has(key)) {
    session.notifierSubs.add(key);
    const previous = ctx.notifierSubscribers.subscribe(key, session);
    if (previous !== null) {
      previous.notifierSubs.delete(key);
      previous.push({ corrId: EMPTY, entityId: notifier.notifierId, msg: { type: 'END' } });
    }
    const waiting = ctx.notifications.take(key);
    for (let i = 0; i < waiting.length; i++) replies.push(waiting[i]);
  }
  return now(replies);
}

/** NMSG for a stored message, to the notifier's subscriber or kept until it subscribes. */
function notify(ctx: RouterContext, q: Queue, m: StoredMessage): void {
  const n = q.state.notifier;
  if (n === null || q.deleted) return;
  const nonce = ctx.random.bytes(24);
  const encMeta = encryptNotification(ctx.crypto, n.rcvNtfDhSecret, nonce, m.msgId, m.ts);
  const push: Reply = { corrId: EMPTY, entityId: n.notifierId, msg: { type: 'NMSG', nonce: nonce, encMeta: encMeta } };
  const key = idKey(n.notifierId);
  const subscriber = ctx.notifierSubscribers.current(key);
  if (subscriber !== null) subscriber.push(push);
  else ctx.notifications.add(key, push);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** OK (or `success`) once the change is durable; the state's refusal (AUTH, …) at once. */
function afterChange(r: ChangeResult, reply: (m: BrokerMsg) => Reply, success: BrokerMsg | null): Outcome {
  if (!r.ok) return now([reply({ type: 'ERR', error: { type: r.error === 'DUPLICATE' ? 'DUPLICATE_' : 'AUTH' } })]);
  return { kind: 'after', replies: [reply(success === null ? { type: 'OK' } : success)], durable: r.durable };
}

function linkReply(s: QueueState, link: LinkData): BrokerMsg {
  return { type: 'LNK', senderId: s.senderId, fixedData: link.fixedData, userData: link.userData };
}

/** QUE's JSON, in the reference's shape (QueueInfo.hs; aeson omits absent fields). */
function queueInfo(sub: Sub | null, q: Queue): string {
  const info: { [k: string]: unknown } = { qiSnd: q.state.senderKey !== null, qiNtf: q.state.notifier !== null };
  if (sub !== null) {
    const qSub: { [k: string]: unknown } = { qSubThread: sub.mode === 'get' ? 'prohibitSub' : 'noSub' };
    if (sub.delivered !== null) qSub.qDelivered = base64(sub.delivered);
    info.qiSub = qSub;
  }
  info.qiSize = q.messages.length;
  if (q.messages.length > 0) {
    const m = q.messages[0];
    info.qiMsg = { msgId: base64(m.msgId), msgTs: new Date(m.ts * 1000).toISOString(), msgType: m.kind === 'quota' ? 'quota' : 'message' };
  }
  return JSON.stringify(info);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/** Decoded command fields are views into the received block; what is kept must be copied. */
function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Password comparison that does not stop at the first difference. */
export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'latin1');
  const y = Buffer.from(b, 'latin1');
  return equalBytes(new Uint8Array(x.buffer, x.byteOffset, x.length), new Uint8Array(y.buffer, y.byteOffset, y.length));
}

export function logFailure(ctx: RouterContext, what: string, e: unknown): void {
  ctx.log.write('error', 'router.' + what + '-failed', { error: e instanceof Error ? e.message : 'unknown' });
}
