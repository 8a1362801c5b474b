import type { PublicKey } from '../crypto/keys';
import { decodePublicKeyOf, encodePublicKey } from '../crypto/keys';
import { decode, Encoder } from '../encoding/binary';
import type { Decoder } from '../encoding/binary';
import { copyBytes } from '../encoding/bytes';
import { DecodeError, EncodeError } from '../encoding/errors';
import { readProtocolServer, writeProtocolServer } from '../smp/address';
import type { SmpServer } from '../smp/address';
import { readAuthKey, writeAuthKey } from '../smp/wire-keys';
import { readQueueUri, senderCanSecure, writeQueueUri } from './queue-uri';
import type { QueueMode, SmpQueueUri } from './queue-uri';
import { SMP_CLIENT_VERSION_SENDER_SECURE, SMP_CLIENT_VERSION_SHORT_LINKS } from './versions';

/**
 * The agent messages that travel inside the double ratchet (agent.md §6.4; simplexmq
 * Agent/Protocol.hs `AgentMessage`, `APrivHeader`, `AMessage`, `AMessageReceipt`,
 * `SMPQueueInfo`, `SndQAddr`):
 *
 *   AgentMessage = 'I' ‖ tail(connInfo)                       AgentConnInfo
 *                | 'D' ‖ NonEmpty SMPQueueInfo ‖ tail(connInfo) AgentConnInfoReply
 *                | 'R' ‖ tail(info)                           AgentRatchetInfo
 *                | 'M' ‖ BE64 sndMsgId ‖ bs(prevMsgHash) ‖ AMessage
 *
 * There is no padding field: the ratchet pads. Decoders read the whole input (upstream parses
 * with `parseAll`), so nothing may follow a HELLO, a receipt list or a queue list, and throw
 * DecodeError only. Byte strings in decoded values are copies, so they outlive the plaintext
 * buffer the caller may wipe.
 *
 * Hashes are taken as upstream types them (`MsgHash` is any ByteString): a prevMsgHash or a
 * receipt hash of the wrong length is not a parse error, it simply fails the integrity or receipt
 * check (integrity.ts), where the app shows a warning instead of losing the message.
 */

/** `initialSMPClientVersion`: queue infos at v1 use a legacy server encoding nobody sends any more. */
const SMP_CLIENT_VERSION_INITIAL = 1;

const TAG_CONN_INFO = 0x49; // 'I'
const TAG_CONN_INFO_REPLY = 0x44; // 'D'
const TAG_RATCHET_INFO = 0x52; // 'R'
const TAG_MESSAGE = 0x4d; // 'M'

const TAG_HELLO = 0x48; // 'H'
const TAG_A_MSG = 0x4d; // 'M'
const TAG_A_RCVD = 0x56; // 'V'
const TAG_EREADY = 0x45; // 'E'
const TAG_QUEUE = 0x51; // 'Q', followed by one of:
const TAG_QCONT = 0x43; // 'C'
const TAG_QADD = 0x41; // 'A'
const TAG_QKEY = 0x4b; // 'K'
const TAG_QUSE = 0x55; // 'U'
const TAG_QTEST = 0x54; // 'T'

const MODE_MESSAGING = 0x4d; // 'M'
const MODE_CONTACT = 0x43; // 'C'
const BOOL_TRUE = 0x54; // 'T'
const BOOL_FALSE = 0x46; // 'F'

// ---------------------------------------------------------------------------------------------
// Types

/** A queue the peer sends to, as named in queue rotation messages (upstream `SndQAddr`). */
export interface SndQAddr {
  readonly server: SmpServer;
  readonly senderId: Uint8Array;
}

/** A reply queue at one agreed SMP client version (upstream `SMPQueueInfo`). */
export interface SmpQueueInfo {
  readonly clientVersion: number;
  readonly server: SmpServer;
  readonly senderId: Uint8Array;
  /** The queue owner's per-queue e2e X25519 public key, raw 32 bytes. */
  readonly dhPublicKey: Uint8Array;
  /** Carried from SMP client v4 ('M' / 'C'); from v3 only "sender can secure" ('T'). */
  readonly queueMode: QueueMode | null;
}

/** `APrivHeader`: the sender's counter and the hash of its previous agent message (integrity.ts). */
export interface APrivHeader {
  readonly sndMsgId: number;
  readonly prevMsgHash: Uint8Array;
}

/** `AMessageReceipt`: which of our messages the peer received, and the hash it saw. */
export interface MessageReceipt {
  /** The sndMsgId of the receipted message. */
  readonly agentMsgId: number;
  readonly msgHash: Uint8Array;
  /** Application data; the chat app always sends none. */
  readonly rcptInfo: Uint8Array;
}

export interface QueueAddition {
  readonly uri: SmpQueueUri;
  /** The queue this one replaces; upstream refuses an addition without one. */
  readonly replaced: SndQAddr | null;
}

export interface QueueKey {
  readonly info: SmpQueueInfo;
  /** The key the new queue will be secured with (Ed25519 from current clients). */
  readonly senderKey: PublicKey;
}

export interface QueueUse {
  readonly address: SndQAddr;
  readonly primary: boolean;
}

/** `AMessage`, the payload of an `AgentMessage 'M'`. */
export type AMessage =
  | { readonly type: 'HELLO' }
  | { readonly type: 'A_MSG'; readonly body: Uint8Array }
  | { readonly type: 'A_RCVD'; readonly receipts: readonly MessageReceipt[] }
  | { readonly type: 'EREADY'; readonly lastDecryptedMsgId: number }
  | { readonly type: 'A_QCONT'; readonly address: SndQAddr }
  | { readonly type: 'QADD'; readonly queues: readonly QueueAddition[] }
  | { readonly type: 'QKEY'; readonly queues: readonly QueueKey[] }
  | { readonly type: 'QUSE'; readonly queues: readonly QueueUse[] }
  | { readonly type: 'QTEST'; readonly addresses: readonly SndQAddr[] };

export type AMessageType = AMessage['type'];

export type AgentMessage =
  /** The initiator's connection info, in its confirmation (§5.1 step 7). */
  | { readonly type: 'conn-info'; readonly connInfo: Uint8Array }
  /** The joiner's reply queues and connection info, in its confirmation (§5.1 step 5). */
  | { readonly type: 'conn-info-reply'; readonly queues: readonly SmpQueueInfo[]; readonly connInfo: Uint8Array }
  /** Sent beside a ratchet re-sync key ('R' envelope); the agent sends it empty. */
  | { readonly type: 'ratchet-info'; readonly info: Uint8Array }
  | { readonly type: 'message'; readonly header: APrivHeader; readonly message: AMessage };

export type AgentMessageType = AgentMessage['type'];

// ---------------------------------------------------------------------------------------------
// SndQAddr and SMPQueueInfo

export function writeSndQAddr(e: Encoder, a: SndQAddr): void {
  checkSenderId(a.senderId);
  writeProtocolServer(e, a.server);
  e.short(a.senderId);
}

export function readSndQAddr(d: Decoder): SndQAddr {
  const server = readProtocolServer(d);
  return { server: copyServer(server), senderId: readSenderId(d) };
}

/**
 * `smpEncode SMPQueueInfo`. What follows the key depends on the version, so that older peers
 * never meet a byte they cannot skip: from v4 the queue mode 'M' | 'C' (or nothing), at v3 a
 * sender-securable queue adds 'T', at v2 nothing. v1 used a legacy server encoding that no
 * current peer sends, so it is refused.
 */
export function writeSmpQueueInfo(e: Encoder, q: SmpQueueInfo): void {
  const v = q.clientVersion;
  if (!(Math.floor(v) === v && v > SMP_CLIENT_VERSION_INITIAL && v <= 65535)) {
    throw new EncodeError('invalid-value', 'queue info SMP client version must be 2..65535 (version 1 uses a legacy encoding)');
  }
  if (q.queueMode !== null && q.queueMode !== 'messaging' && q.queueMode !== 'contact') {
    throw new EncodeError('invalid-value', 'unknown queue mode');
  }
  checkSenderId(q.senderId);
  e.version(v);
  writeProtocolServer(e, q.server);
  e.short(q.senderId);
  e.short(encodePublicKey('x25519', q.dhPublicKey));
  if (v >= SMP_CLIENT_VERSION_SHORT_LINKS) {
    if (q.queueMode === 'messaging') e.u8(MODE_MESSAGING);
    else if (q.queueMode === 'contact') e.u8(MODE_CONTACT);
  } else if (v >= SMP_CLIENT_VERSION_SENDER_SECURE && senderCanSecure(q.queueMode)) {
    e.u8(BOOL_TRUE);
  }
}

/**
 * `smpP SMPQueueInfo`. The mode suffix is read whatever the version, as upstream's `queueModeP`
 * does: 'M' or 'T' mean messaging, 'C' or 'F' contact, any other byte is left for what follows.
 */
export function readSmpQueueInfo(d: Decoder): SmpQueueInfo {
  const at = d.offset;
  const clientVersion = d.version();
  if (clientVersion <= SMP_CLIENT_VERSION_INITIAL) {
    throw new DecodeError('invalid-value', 'queue info at byte ' + at + ' has SMP client version ' + clientVersion + ', whose legacy server encoding is not supported');
  }
  const server = copyServer(readProtocolServer(d));
  const senderId = readSenderId(d);
  const dhPublicKey = decodePublicKeyOf('x25519', d.short());
  let queueMode: QueueMode | null = null;
  const next = d.peek();
  if (next === MODE_MESSAGING || next === BOOL_TRUE) queueMode = 'messaging';
  else if (next === MODE_CONTACT || next === BOOL_FALSE) queueMode = 'contact';
  if (queueMode !== null) d.u8();
  return { clientVersion: clientVersion, server: server, senderId: senderId, dhPublicKey: dhPublicKey, queueMode: queueMode };
}

// ---------------------------------------------------------------------------------------------
// AMessage

export function writeAMessage(e: Encoder, m: AMessage): void {
  switch (m.type) {
    case 'HELLO':
      e.u8(TAG_HELLO);
      return;
    case 'A_MSG':
      e.u8(TAG_A_MSG).tail(m.body);
      return;
    case 'A_RCVD':
      e.u8(TAG_A_RCVD).nonEmpty(m.receipts, writeReceipt);
      return;
    case 'EREADY':
      e.u8(TAG_EREADY).int64(m.lastDecryptedMsgId);
      return;
    case 'A_QCONT':
      e.u8(TAG_QUEUE).u8(TAG_QCONT);
      writeSndQAddr(e, m.address);
      return;
    case 'QADD':
      e.u8(TAG_QUEUE).u8(TAG_QADD).nonEmpty(m.queues, (x, q) => {
        writeQueueUri(x, q.uri);
        x.maybe(q.replaced, writeSndQAddr);
      });
      return;
    case 'QKEY':
      e.u8(TAG_QUEUE).u8(TAG_QKEY).nonEmpty(m.queues, (x, q) => {
        writeSmpQueueInfo(x, q.info);
        writeAuthKey(x, q.senderKey, 'QKEY sender key');
      });
      return;
    case 'QUSE':
      e.u8(TAG_QUEUE).u8(TAG_QUSE).nonEmpty(m.queues, (x, q) => {
        writeSndQAddr(x, q.address);
        x.bool(q.primary);
      });
      return;
    case 'QTEST':
      e.u8(TAG_QUEUE).u8(TAG_QTEST).nonEmpty(m.addresses, writeSndQAddr);
      return;
    default:
      throw new EncodeError('invalid-value', 'unknown agent message type');
  }
}

export function readAMessage(d: Decoder): AMessage {
  const at = d.offset;
  const tag = d.u8();
  switch (tag) {
    case TAG_HELLO:
      return { type: 'HELLO' };
    case TAG_A_MSG:
      return { type: 'A_MSG', body: copyBytes(d.tail()) };
    case TAG_A_RCVD:
      return { type: 'A_RCVD', receipts: d.nonEmpty(readReceipt) };
    case TAG_EREADY:
      return { type: 'EREADY', lastDecryptedMsgId: d.int64() };
    case TAG_QUEUE:
      return readQueueMessage(d, at);
    default:
      throw new DecodeError('invalid-value', 'agent message type at byte ' + at + ' is not one of H, M, V, E, QC, QA, QK, QU, QT');
  }
}

function readQueueMessage(d: Decoder, at: number): AMessage {
  const tag = d.u8();
  switch (tag) {
    case TAG_QCONT:
      return { type: 'A_QCONT', address: readSndQAddr(d) };
    case TAG_QADD:
      return {
        type: 'QADD',
        queues: d.nonEmpty((x): QueueAddition => {
          const uri = readQueueUri(x);
          return { uri: uri, replaced: x.maybe(readSndQAddr) };
        }),
      };
    case TAG_QKEY:
      return {
        type: 'QKEY',
        queues: d.nonEmpty((x): QueueKey => {
          const info = readSmpQueueInfo(x);
          return { info: info, senderKey: readAuthKey(x, 'QKEY sender key') };
        }),
      };
    case TAG_QUSE:
      return {
        type: 'QUSE',
        queues: d.nonEmpty((x): QueueUse => {
          const address = readSndQAddr(x);
          return { address: address, primary: x.bool() };
        }),
      };
    case TAG_QTEST:
      return { type: 'QTEST', addresses: d.nonEmpty(readSndQAddr) };
    default:
      throw new DecodeError('invalid-value', 'queue message type at byte ' + at + ' is not one of QC, QA, QK, QU, QT');
  }
}

function writeReceipt(e: Encoder, r: MessageReceipt): void {
  e.int64(r.agentMsgId).short(r.msgHash).large(r.rcptInfo);
}

function readReceipt(d: Decoder): MessageReceipt {
  const agentMsgId = d.int64();
  const msgHash = copyBytes(d.short());
  return { agentMsgId: agentMsgId, msgHash: msgHash, rcptInfo: copyBytes(d.large()) };
}

// ---------------------------------------------------------------------------------------------
// AgentMessage

export function writeAgentMessage(e: Encoder, m: AgentMessage): void {
  switch (m.type) {
    case 'conn-info':
      e.u8(TAG_CONN_INFO).tail(m.connInfo);
      return;
    case 'conn-info-reply':
      e.u8(TAG_CONN_INFO_REPLY).nonEmpty(m.queues, writeSmpQueueInfo).tail(m.connInfo);
      return;
    case 'ratchet-info':
      e.u8(TAG_RATCHET_INFO).tail(m.info);
      return;
    case 'message':
      e.u8(TAG_MESSAGE).int64(m.header.sndMsgId).short(m.header.prevMsgHash);
      writeAMessage(e, m.message);
      return;
    default:
      throw new EncodeError('invalid-value', 'unknown agent message kind');
  }
}

/** The exact bytes that are ratchet-encrypted and hashed (integrity.ts hashes these). */
export function encodeAgentMessage(m: AgentMessage): Uint8Array {
  const e = new Encoder(agentMessageCapacity(m));
  writeAgentMessage(e, m);
  return e.finish();
}

/** Decodes one whole decrypted AgentMessage; DecodeError otherwise. */
export function decodeAgentMessage(bytes: Uint8Array): AgentMessage {
  const r = decode(bytes, readAgentMessage);
  if (!r.ok) throw new DecodeError(r.error.code, 'agent message: ' + r.error.message);
  return r.value;
}

export function readAgentMessage(d: Decoder): AgentMessage {
  const at = d.offset;
  const tag = d.u8();
  switch (tag) {
    case TAG_CONN_INFO:
      return { type: 'conn-info', connInfo: copyBytes(d.tail()) };
    case TAG_CONN_INFO_REPLY: {
      const queues = d.nonEmpty(readSmpQueueInfo);
      return { type: 'conn-info-reply', queues: queues, connInfo: copyBytes(d.tail()) };
    }
    case TAG_RATCHET_INFO:
      return { type: 'ratchet-info', info: copyBytes(d.tail()) };
    case TAG_MESSAGE: {
      const sndMsgId = d.int64();
      const prevMsgHash = copyBytes(d.short());
      return { type: 'message', header: { sndMsgId: sndMsgId, prevMsgHash: prevMsgHash }, message: readAMessage(d) };
    }
    default:
      throw new DecodeError('invalid-value', "agent message at byte " + at + " is not 'I', 'D', 'R' or 'M'");
  }
}

/**
 * The kind of an encoded AgentMessage from its first byte, without decoding it: lets the sealing
 * layer check it was handed the right kind of message. Null for anything else.
 */
export function agentMessageTypeOf(bytes: Uint8Array): AgentMessageType | null {
  if (bytes.length === 0) return null;
  switch (bytes[0]) {
    case TAG_CONN_INFO:
      return 'conn-info';
    case TAG_CONN_INFO_REPLY:
      return 'conn-info-reply';
    case TAG_RATCHET_INFO:
      return 'ratchet-info';
    case TAG_MESSAGE:
      return 'message';
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Enough for the fixed parts; bodies are added on top so a 16 KB message is allocated once. */
function agentMessageCapacity(m: AgentMessage): number {
  if (m.type === 'conn-info') return 1 + m.connInfo.length;
  if (m.type === 'conn-info-reply') return 256 + m.connInfo.length;
  if (m.type === 'ratchet-info') return 1 + m.info.length;
  if (m.message.type === 'A_MSG') return 11 + m.header.prevMsgHash.length + m.message.body.length;
  return 256;
}

/** Queue IDs are 24 bytes on current servers; an empty one cannot address a queue. */
function readSenderId(d: Decoder): Uint8Array {
  const at = d.offset;
  const id = d.short();
  // Stricter than upstream, which reads any ByteString: an empty ID names no queue.
  if (id.length === 0) throw new DecodeError('invalid-value', 'queue sender ID at byte ' + at + ' is empty');
  return copyBytes(id);
}

function checkSenderId(id: Uint8Array): void {
  if (id.length === 0 || id.length > 255) throw new EncodeError('invalid-value', 'queue sender ID must be 1..255 bytes');
}

/** readProtocolServer returns a view of the key hash; keep a copy so the value outlives the plaintext. */
function copyServer(s: SmpServer): SmpServer {
  return { hosts: s.hosts, port: s.port, keyHash: copyBytes(s.keyHash) };
}
