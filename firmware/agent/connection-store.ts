import type { KemKeyPair, KeyPair } from '../../hal/crypto';
import { decode, Encoder } from '../encoding/binary';
import type { Decoder } from '../encoding/binary';
import { readProtocolServer, writeProtocolServer } from '../smp/address';
import type { SmpServer } from '../smp/address';
import { EngineError } from './engine-errors';
import type { MsgIntegrity, ReceiveChainState, SendChainState } from './integrity';
import type { X3dhPrivateKeys } from './x3dh';

/**
 * The stored forms of the agent engine's state (agent.ts): one Connection record per connection
 * (its queues, keys, negotiated versions, both hash chains and the messages awaiting receipts),
 * the entries of its Outbox log (sealed envelopes waiting for the router's OK) and of its Inbox
 * log (received messages, committed with the ratchet step that decrypted them). The ratchet
 * itself is stored by ratchet-state.ts under StoreType.Ratchet with the same id.
 *
 * Every form starts with a format byte, so a later firmware can read what an earlier one wrote.
 * Decoding is strict (decode() requires every byte to be consumed) and reports damage as
 * EngineError 'bad-record'; the store has already authenticated the bytes, so damage here means
 * a bug or a format this firmware does not know, never an attacker.
 */

/** 2 adds the legacy-handshake fields at the end (format 1 is still read: they take their fast-handshake values). */
const CONNECTION_FORMAT = 2;
const CONNECTION_FORMAT_V1 = 1;
const OUTBOX_FORMAT = 1;
const INBOX_FORMAT = 1;

/** Bound on messages remembered for receipts: the oldest are forgotten (never marked delivered). */
export const MAX_PENDING_RECEIPTS = 256;

/** 'address': a contact address (agent.md §5.3), whose queue only receives contact requests. */
export type ConnectionRole = 'initiator' | 'joiner' | 'address';

/**
 * - 'invited':   initiator, the link is out, no confirmation yet; an address is always 'invited'
 * - 'joined':    joiner, our confirmation is queued or sent, the initiator's info not yet received
 * - 'confirmed': initiator, the joiner's confirmation was processed and our info is queued
 * - 'connected': both infos exchanged (the initiator: ours was accepted by the router)
 * - 'deleting':  the app deleted it; the queue deletion on the router is still to be done
 */
export type ConnectionStatus = 'invited' | 'joined' | 'confirmed' | 'connected' | 'deleting';

/** Appended only: a stored role is its index. */
const ROLES: readonly ConnectionRole[] = ['initiator', 'joiner', 'address'];
const STATUSES: readonly ConnectionStatus[] = ['invited', 'joined', 'confirmed', 'connected', 'deleting'];

/** The queue we receive on (simplexmq `RcvQueue`). */
export interface RcvQueueRecord {
  readonly server: SmpServer;
  readonly rcvId: Uint8Array;
  /** Ed25519 recipient key pair (raw). */
  readonly rcvAuthKey: KeyPair;
  /** X25519(router's queue key, our rcvDh private key): opens the router's layer. */
  readonly rcvDhSecret: Uint8Array;
  readonly sndId: Uint8Array;
  /** Our per-queue e2e X25519 pair; its public half is in the link / reply-queue info. */
  readonly e2eKey: KeyPair;
  /** The per-queue e2e secret, fixed by the first confirmation; null before. */
  readonly e2eDhSecret: Uint8Array | null;
  readonly smpClientVersion: number;
  readonly senderCanSecure: boolean;
}

/** The queue we send to (simplexmq `SndQueue`). */
export interface SndQueueRecord {
  readonly server: SmpServer;
  readonly sndId: Uint8Array;
  /** Ed25519 sender key pair (raw), installed with SKEY. */
  readonly senderKey: KeyPair;
  /** X25519(peer's per-queue e2e key, our per-queue e2e private key). */
  readonly e2eDhSecret: Uint8Array;
  readonly smpClientVersion: number;
  /** SKEY succeeded: the queue is ours to send to. */
  readonly secured: boolean;
  /**
   * The queue is sender-securable (we SKEY it). False: a legacy queue (agent.md §5.2) that its
   * owner secures with KEY; our first message (the confirmation) goes unsigned, with 'K'.
   */
  readonly senderCanSecure: boolean;
}

/** A sent A_MSG whose receipt is awaited: its number and the hash the receipt must name. */
export interface PendingReceipt {
  readonly sndMsgId: number;
  readonly msgHash: Uint8Array;
}

export interface ConnectionRecord {
  readonly role: ConnectionRole;
  readonly status: ConnectionStatus;
  /** The negotiated agent version; 0 while the initiator has not seen the confirmation. */
  readonly agentVersion: number;
  /** PQ (sntrup761) wanted for this connection; the negotiated versions may still rule it out. */
  readonly pqSupport: boolean;
  /** Our connection info: the chat x.info JSON sent in the handshake. */
  readonly connInfo: Uint8Array;
  /** The peer's connection info as received (x.info JSON), or null before it arrived. */
  readonly peerConnInfo: Uint8Array | null;
  readonly rcvQueue: RcvQueueRecord;
  readonly sndQueue: SndQueueRecord | null;
  /** The initiator's X3DH private keys, kept until the confirmation arrives. */
  readonly x3dhKeys: X3dhPrivateKeys | null;
  readonly sendChain: SendChainState;
  readonly receiveChain: ReceiveChainState | null;
  readonly pendingReceipts: readonly PendingReceipt[];
  /**
   * Legacy handshake (agent.md §5.2): the peer's Ed25519 sender key (raw) that our receive queue
   * must be secured with (KEY); null when done or not needed. The outbox runs KEY before sending.
   */
  readonly peerSenderKey: Uint8Array | null;
  /** The handshake ends with HELLO both ways (a 'K' confirmation was sent or received on a legacy reply queue). */
  readonly awaitHello: boolean;
  readonly helloSent: boolean;
  readonly helloReceived: boolean;
}

// ---------------------------------------------------------------------------------------------
// Connection

export function encodeConnection(c: ConnectionRecord): Uint8Array {
  const e = new Encoder(1024);
  e.u8(CONNECTION_FORMAT);
  e.u8(ROLES.indexOf(c.role));
  e.u8(STATUSES.indexOf(c.status));
  e.word16(c.agentVersion);
  e.bool(c.pqSupport);
  e.large(c.connInfo);
  writeMaybe(e, c.peerConnInfo, (b) => e.large(b));
  writeRcvQueue(e, c.rcvQueue);
  writeMaybe(e, c.sndQueue, (q) => writeSndQueue(e, q));
  writeMaybe(e, c.x3dhKeys, (k) => writeX3dhKeys(e, k));
  e.int64(c.sendChain.lastSndMsgId);
  e.short(c.sendChain.lastMsgHash);
  writeMaybe(e, c.receiveChain, (r) => {
    e.int64(r.prevExtSndId);
    e.short(r.prevRcvMsgHash);
  });
  e.word16(c.pendingReceipts.length);
  for (let i = 0; i < c.pendingReceipts.length; i++) {
    e.int64(c.pendingReceipts[i].sndMsgId);
    e.short(c.pendingReceipts[i].msgHash);
  }
  // Format 2 fields, at the end so that format 1 is format 2 without them.
  writeMaybe(e, c.peerSenderKey, (k) => e.short(k));
  e.bool(c.awaitHello);
  e.bool(c.helloSent);
  e.bool(c.helloReceived);
  e.bool(c.sndQueue === null || c.sndQueue.senderCanSecure);
  return e.finish();
}

export function decodeConnection(bytes: Uint8Array): ConnectionRecord {
  const r = decode(bytes, (d): ConnectionRecord => {
    const format = d.u8();
    if (format !== CONNECTION_FORMAT && format !== CONNECTION_FORMAT_V1) {
      throw badRecord('connection record has format ' + format + ', this firmware reads ' + CONNECTION_FORMAT_V1 + ' and ' + CONNECTION_FORMAT);
    }
    const role = pick(ROLES, d.u8(), 'role');
    const status = pick(STATUSES, d.u8(), 'status');
    const agentVersion = d.word16();
    const pqSupport = d.bool();
    const connInfo = d.large();
    const peerConnInfo = readMaybe(d, () => d.large());
    const rcvQueue = readRcvQueue(d);
    const sndQueue = readMaybe(d, () => readSndQueue(d));
    const x3dhKeys = readMaybe(d, () => readX3dhKeys(d));
    const sendChain: SendChainState = { lastSndMsgId: d.int64(), lastMsgHash: d.short() };
    const receiveChain = readMaybe(d, (): ReceiveChainState => ({ prevExtSndId: d.int64(), prevRcvMsgHash: d.short() }));
    const n = d.word16();
    if (n > MAX_PENDING_RECEIPTS) throw badRecord('connection record lists ' + n + ' pending receipts, more than ' + MAX_PENDING_RECEIPTS);
    const pendingReceipts: PendingReceipt[] = [];
    for (let i = 0; i < n; i++) pendingReceipts.push({ sndMsgId: d.int64(), msgHash: d.short() });
    // Format 1 knew only the fast handshake: no KEY pending, no HELLO, sender-securable send queue.
    let peerSenderKey: Uint8Array | null = null;
    let awaitHello = false;
    let helloSent = false;
    let helloReceived = false;
    let sndSecurable = true;
    if (format === CONNECTION_FORMAT) {
      peerSenderKey = readMaybe(d, () => d.short());
      awaitHello = d.bool();
      helloSent = d.bool();
      helloReceived = d.bool();
      sndSecurable = d.bool();
    }
    return {
      role: role,
      status: status,
      agentVersion: agentVersion,
      pqSupport: pqSupport,
      connInfo: connInfo,
      peerConnInfo: peerConnInfo,
      rcvQueue: rcvQueue,
      sndQueue: sndQueue === null ? null : { ...sndQueue, senderCanSecure: sndSecurable },
      x3dhKeys: x3dhKeys,
      sendChain: sendChain,
      receiveChain: receiveChain,
      pendingReceipts: pendingReceipts,
      peerSenderKey: peerSenderKey,
      awaitHello: awaitHello,
      helloSent: helloSent,
      helloReceived: helloReceived,
    };
  });
  if (!r.ok) throw badRecord('connection record does not decode: ' + r.error.message);
  return r.value;
}

function writeRcvQueue(e: Encoder, q: RcvQueueRecord): void {
  writeProtocolServer(e, q.server);
  e.short(q.rcvId);
  writeKeyPair(e, q.rcvAuthKey);
  e.short(q.rcvDhSecret);
  e.short(q.sndId);
  writeKeyPair(e, q.e2eKey);
  writeMaybe(e, q.e2eDhSecret, (s) => e.short(s));
  e.word16(q.smpClientVersion);
  e.bool(q.senderCanSecure);
}

function readRcvQueue(d: Decoder): RcvQueueRecord {
  return {
    server: readProtocolServer(d),
    rcvId: d.short(),
    rcvAuthKey: readKeyPair(d),
    rcvDhSecret: d.short(),
    sndId: d.short(),
    e2eKey: readKeyPair(d),
    e2eDhSecret: readMaybe(d, () => d.short()),
    smpClientVersion: d.word16(),
    senderCanSecure: d.bool(),
  };
}

function writeSndQueue(e: Encoder, q: SndQueueRecord): void {
  writeProtocolServer(e, q.server);
  e.short(q.sndId);
  writeKeyPair(e, q.senderKey);
  e.short(q.e2eDhSecret);
  e.word16(q.smpClientVersion);
  e.bool(q.secured);
}

function readSndQueue(d: Decoder): SndQueueRecord {
  return {
    server: readProtocolServer(d),
    sndId: d.short(),
    senderKey: readKeyPair(d),
    e2eDhSecret: d.short(),
    smpClientVersion: d.word16(),
    secured: d.bool(),
    senderCanSecure: true,
  };
}

function writeKeyPair(e: Encoder, k: KeyPair): void {
  e.short(k.privateKey);
  e.short(k.publicKey);
}

function readKeyPair(d: Decoder): KeyPair {
  return { privateKey: d.short(), publicKey: d.short() };
}

function writeKemKeyPair(e: Encoder, k: KemKeyPair): void {
  e.large(k.publicKey);
  e.large(k.secretKey);
}

function readKemKeyPair(d: Decoder): KemKeyPair {
  return { publicKey: d.large(), secretKey: d.large() };
}

/** Only a proposal can be pending: the initiator never accepts in its link. */
function writeX3dhKeys(e: Encoder, k: X3dhPrivateKeys): void {
  writeKeyPair(e, k.key1);
  writeKeyPair(e, k.key2);
  if (k.kem !== null && k.kem.kind !== 'proposed') throw badRecord('pending X3DH keys can only hold a KEM proposal');
  writeMaybe(e, k.kem, (kem) => writeKemKeyPair(e, kem.keyPair));
}

function readX3dhKeys(d: Decoder): X3dhPrivateKeys {
  const key1 = readKeyPair(d);
  const key2 = readKeyPair(d);
  const kem = readMaybe(d, () => readKemKeyPair(d));
  return { key1: key1, key2: key2, kem: kem === null ? null : { kind: 'proposed', keyPair: kem } };
}

// ---------------------------------------------------------------------------------------------
// Outbox entries

/**
 * What an outbox entry carries, which decides what its router OK means:
 * - 'confirmation': the joiner's confirmation to the initiator's queue
 * - 'conn-info':    the initiator's connection info (its OK makes the connection connected)
 * - 'message':      an A_MSG the app sent (its OK is reported as sent)
 * - 'control':      anything else the agent sends on its own (receipts)
 */
export type OutboxKind = 'confirmation' | 'conn-info' | 'message' | 'control' | 'hello';

/** Appended only: a stored kind is its index. 'hello' (legacy handshake, §5.2) is sent once: its OK counts toward connected. */
const OUTBOX_KINDS: readonly OutboxKind[] = ['confirmation', 'conn-info', 'message', 'control', 'hello'];

export interface OutboxEntry {
  readonly kind: OutboxKind;
  /** The agent message number inside (the app's message id for 'message'). */
  readonly sndMsgId: number;
  /** The SEND notification flag. */
  readonly notification: boolean;
  /** The sealed ClientMsgEnvelope, sent as it is after any restart. */
  readonly envelope: Uint8Array;
}

export function encodeOutboxEntry(o: OutboxEntry): Uint8Array {
  const e = new Encoder(o.envelope.length + 16);
  e.u8(OUTBOX_FORMAT);
  e.u8(OUTBOX_KINDS.indexOf(o.kind));
  e.int64(o.sndMsgId);
  e.bool(o.notification);
  e.tail(o.envelope);
  return e.finish();
}

export function decodeOutboxEntry(bytes: Uint8Array): OutboxEntry {
  const r = decode(bytes, (d): OutboxEntry => {
    const format = d.u8();
    if (format !== OUTBOX_FORMAT) throw badRecord('outbox entry has format ' + format + ', this firmware reads ' + OUTBOX_FORMAT);
    return { kind: pick(OUTBOX_KINDS, d.u8(), 'outbox kind'), sndMsgId: d.int64(), notification: d.bool(), envelope: d.tail() };
  });
  if (!r.ok) throw badRecord('outbox entry does not decode: ' + r.error.message);
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// Inbox entries

export interface InboxEntry {
  /** The sender's agent message number. */
  readonly sndMsgId: number;
  /** The router's receive time, seconds since the epoch. */
  readonly brokerTs: number;
  readonly integrity: MsgIntegrity;
  /** The A_MSG body as received: chat JSON (possibly compressed or batched). */
  readonly body: Uint8Array;
}

const INTEGRITY_KINDS: readonly MsgIntegrity['kind'][] = ['ok', 'bad-id', 'duplicate', 'skipped', 'bad-hash'];

export function encodeInboxEntry(m: InboxEntry): Uint8Array {
  const e = new Encoder(m.body.length + 40);
  e.u8(INBOX_FORMAT);
  e.int64(m.sndMsgId);
  e.int64(m.brokerTs);
  const i = m.integrity;
  e.u8(INTEGRITY_KINDS.indexOf(i.kind));
  if (i.kind === 'bad-id') e.int64(i.id);
  if (i.kind === 'skipped') e.int64(i.from).int64(i.to);
  e.tail(m.body);
  return e.finish();
}

export function decodeInboxEntry(bytes: Uint8Array): InboxEntry {
  const r = decode(bytes, (d): InboxEntry => {
    const format = d.u8();
    if (format !== INBOX_FORMAT) throw badRecord('inbox entry has format ' + format + ', this firmware reads ' + INBOX_FORMAT);
    const sndMsgId = d.int64();
    const brokerTs = d.int64();
    const kind = pick(INTEGRITY_KINDS, d.u8(), 'integrity');
    let integrity: MsgIntegrity;
    if (kind === 'bad-id') integrity = { kind: 'bad-id', id: d.int64() };
    else if (kind === 'skipped') integrity = { kind: 'skipped', from: d.int64(), to: d.int64() };
    else integrity = { kind: kind };
    return { sndMsgId: sndMsgId, brokerTs: brokerTs, integrity: integrity, body: d.tail() };
  });
  if (!r.ok) throw badRecord('inbox entry does not decode: ' + r.error.message);
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// Contact requests (StoreType.Invitation)

const CONTACT_REQUEST_FORMAT = 1;

/**
 * A contact request received at one of our addresses (agent.md §5.3), kept until the app accepts
 * or rejects it: the requester's one-time invitation and its chat x.contact JSON.
 */
export interface ContactRequestRecord {
  /** The id of the address connection it arrived at. */
  readonly addressId: Uint8Array;
  /** The agent version of the AgentInvitation envelope. */
  readonly agentVersion: number;
  /** The requester's invitation link, rendered (ASCII); joined on accept. */
  readonly link: string;
  /** The x.contact JSON as received. */
  readonly connInfo: Uint8Array;
}

export function encodeContactRequest(r: ContactRequestRecord): Uint8Array {
  const e = new Encoder(r.link.length + r.connInfo.length + 64);
  e.u8(CONTACT_REQUEST_FORMAT);
  e.short(r.addressId);
  e.word16(r.agentVersion);
  e.large(asciiBytes(r.link));
  e.tail(r.connInfo);
  return e.finish();
}

export function decodeContactRequest(bytes: Uint8Array): ContactRequestRecord {
  const r = decode(bytes, (d): ContactRequestRecord => {
    const format = d.u8();
    if (format !== CONTACT_REQUEST_FORMAT) throw badRecord('contact request has format ' + format + ', this firmware reads ' + CONTACT_REQUEST_FORMAT);
    const addressId = d.short();
    const agentVersion = d.word16();
    const link = asciiString(d.large());
    return { addressId: addressId, agentVersion: agentVersion, link: link, connInfo: d.tail() };
  });
  if (!r.ok) throw badRecord('contact request does not decode: ' + r.error.message);
  return r.value;
}

/** Links are ASCII by construction (percent-encoded); anything else is refused, never mangled. */
function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || c < 0x20) throw badRecord('a stored link must be printable ASCII');
    out[i] = c;
  }
  return out;
}

function asciiString(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c > 0x7e || c < 0x20) throw badRecord('a stored link must be printable ASCII');
    s += String.fromCharCode(c);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function writeMaybe<T>(e: Encoder, v: T | null, write: (v: T) => void): void {
  if (v === null) {
    e.u8(0x30);
    return;
  }
  e.u8(0x31);
  write(v);
}

function readMaybe<T>(d: Decoder, read: () => T): T | null {
  const tag = d.u8();
  if (tag === 0x30) return null;
  if (tag !== 0x31) throw badRecord('a stored optional field has tag ' + tag);
  return read();
}

function pick<T>(values: readonly T[], index: number, what: string): T {
  if (index >= values.length) throw badRecord('stored ' + what + ' ' + index + ' is not one this firmware knows');
  return values[index];
}

function badRecord(message: string): EngineError {
  return new EngineError('bad-record', message);
}
