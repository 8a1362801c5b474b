import type { Crypto } from '../../hal/crypto';
import { copyBytes, equalBytes } from '../encoding/bytes';
import { EncodeError } from '../encoding/errors';
import { encodeAgentMessage } from './agent-message';
import type { AgentMessage, AgentMessageType, AMessage, AMessageType, MessageReceipt } from './agent-message';

/**
 * Message integrity and delivery receipts (agent.md §9; simplexmq Agent.hs `updateSndIds`,
 * `encodeAgentMsgStr`, `checkMsgIntegrity`, `sendRcpt`, `messagesRcvd`, and the store's
 * `updateRcvMsgHash`).
 *
 * Sending: one counter per connection numbers every outgoing agent message, whatever its kind
 * (the confirmation 'I' / 'D', the ratchet info 'R', and every 'M': HELLO, A_MSG, A_RCVD, ...).
 * Each 'M' carries that number and the SHA-256 of the previous outgoing agent message's exact
 * bytes. The very first message has no predecessor: its hash is empty.
 *
 * Receiving: the last external id and the hash of the last received agent message's bytes,
 * initialised from the confirmation (id 1). An unexpected id or hash is reported, never fatal:
 * the message is still delivered and the app shows a warning.
 *
 * The state records are plain and immutable: every function returns a new record, which the owner
 * persists together with the ratchet.
 */

/** The first version with delivery receipts (simplexmq `deliveryRcptsSMPAgentVersion`). */
export const RECEIPTS_AGENT_VERSION = 4;

export const HASH_LENGTH = 32;

/** The sender's side: `last_internal_snd_msg_id` and `last_snd_msg_hash`. */
export interface SendChainState {
  /** The number of the last message sent; 0 before the first. */
  readonly lastSndMsgId: number;
  /** SHA-256 of the last message sent; empty before the first. */
  readonly lastMsgHash: Uint8Array;
}

/** The receiver's side: `last_external_snd_msg_id` and `last_rcv_msg_hash`. */
export interface ReceiveChainState {
  readonly prevExtSndId: number;
  readonly prevRcvMsgHash: Uint8Array;
}

/** What `checkMsgIntegrity` says about a received message (simplexmq `MsgIntegrity`). */
export type MsgIntegrity =
  | { readonly kind: 'ok' }
  /** The id is below the last one received. */
  | { readonly kind: 'bad-id'; readonly id: number }
  /** The same id as the last one received. */
  | { readonly kind: 'duplicate' }
  /** Messages `from` .. `to` (inclusive) never arrived. */
  | { readonly kind: 'skipped'; readonly from: number; readonly to: number }
  /** The right id, but the previous-message hash is not the one we computed. */
  | { readonly kind: 'bad-hash' };

/** A prepared outgoing agent message: the bytes to ratchet-encrypt and the state after it. */
export interface PreparedMessage {
  readonly sndMsgId: number;
  /** The encoded AgentMessage; its SHA-256 is `next.lastMsgHash`. */
  readonly bytes: Uint8Array;
  readonly next: SendChainState;
  /** What to keep to check the peer's receipt for it later. */
  readonly record: SentMessageRecord;
}

/** The kind of a sent message as the store records it (simplexmq `AgentMessageType`). */
export type SentMessageType = Exclude<AgentMessageType, 'message'> | AMessageType;

/** A sent message as the sender remembers it, to check a receipt against (`SndMsg`). */
export interface SentMessageRecord {
  readonly type: SentMessageType;
  /** SHA-256 of the encoded AgentMessage. */
  readonly msgHash: Uint8Array;
}

/** simplexmq `MsgReceiptStatus`, plus the case it reports as prohibited. */
export type ReceiptStatus = 'ok' | 'bad-msg-hash' | 'not-a-message';

// ---------------------------------------------------------------------------------------------
// Sending

export function initialSendChain(): SendChainState {
  return { lastSndMsgId: 0, lastMsgHash: new Uint8Array(0) };
}

/**
 * Numbers `message` with the next id, links it to the previous message's hash, and encodes it
 * (simplexmq `updateSndIds` then `encodeAgentMsgStr`). Use for every AMessage: HELLO, A_MSG,
 * A_RCVD, EREADY and the queue messages.
 */
export function prepareAgentMessage(crypto: Crypto, s: SendChainState, message: AMessage): PreparedMessage {
  const sndMsgId = nextId(s);
  const bytes = encodeAgentMessage({ type: 'message', header: { sndMsgId: sndMsgId, prevMsgHash: s.lastMsgHash }, message: message });
  return prepared(crypto, sndMsgId, bytes, message.type);
}

/**
 * The same for an AgentMessage without a header ('I', 'D', 'R'): it takes a number and its hash
 * becomes the previous hash of the next message, though it carries neither itself (simplexmq
 * `mkConfirmation`, `storeConfirmation`, `storeRatchetKey`).
 */
export function prepareHeaderless(crypto: Crypto, s: SendChainState, message: AgentMessage): PreparedMessage {
  if (message.type === 'message') {
    throw new EncodeError('invalid-value', "an AgentMessage 'M' must be numbered with prepareAgentMessage");
  }
  const sndMsgId = nextId(s);
  return prepared(crypto, sndMsgId, encodeAgentMessage(message), message.type);
}

function prepared(crypto: Crypto, sndMsgId: number, bytes: Uint8Array, type: SentMessageType): PreparedMessage {
  const hash = crypto.sha256(bytes);
  return { sndMsgId: sndMsgId, bytes: bytes, next: { lastSndMsgId: sndMsgId, lastMsgHash: hash }, record: { type: type, msgHash: hash } };
}

function nextId(s: SendChainState): number {
  // The counter is an int64 upstream; here it must stay an exact JS number.
  if (!(Math.floor(s.lastSndMsgId) === s.lastSndMsgId && s.lastSndMsgId >= 0 && s.lastSndMsgId < 9007199254740991)) {
    throw new EncodeError('invalid-value', 'the send counter is not a whole number below 2^53 - 1');
  }
  return s.lastSndMsgId + 1;
}

// ---------------------------------------------------------------------------------------------
// Receiving

/**
 * The receiver's state after the peer's confirmation: external id 1 and the SHA-256 of the
 * decrypted confirmation AgentMessage (simplexmq `updateRcvMsgHash db connId 1 ...`).
 */
export function receiveChainFromConfirmation(crypto: Crypto, confirmationBytes: Uint8Array): ReceiveChainState {
  return { prevExtSndId: 1, prevRcvMsgHash: crypto.sha256(confirmationBytes) };
}

/**
 * simplexmq `checkMsgIntegrity`, condition by condition in its order. The hashes are compared in
 * constant time: they are derived from plaintext.
 */
export function checkMsgIntegrity(s: ReceiveChainState, sndMsgId: number, prevMsgHash: Uint8Array): MsgIntegrity {
  const prev = s.prevExtSndId;
  const hashOk = equalBytes(s.prevRcvMsgHash, prevMsgHash);
  if (sndMsgId === prev + 1 && hashOk) return { kind: 'ok' };
  if (sndMsgId < prev) return { kind: 'bad-id', id: sndMsgId };
  if (sndMsgId === prev) return { kind: 'duplicate' };
  if (sndMsgId > prev + 1) return { kind: 'skipped', from: prev + 1, to: sndMsgId - 1 };
  return { kind: 'bad-hash' };
}

/**
 * The state after a received 'M' message, whatever its integrity result: the store always records
 * the id and hash of the latest message (`createRcvMsg` → `updateRcvMsgHash`), so one bad message
 * does not make every later one look bad.
 */
export function recordReceived(crypto: Crypto, sndMsgId: number, agentMessageBytes: Uint8Array): ReceiveChainState {
  return { prevExtSndId: sndMsgId, prevRcvMsgHash: crypto.sha256(agentMessageBytes) };
}

// ---------------------------------------------------------------------------------------------
// Receipts (agent v >= 4)

/**
 * The A_RCVD to send after the user has seen a received A_MSG (simplexmq `sendRcpt`): the
 * message's sndMsgId and the SHA-256 of its AgentMessage bytes. Null when the connection's agent
 * version has no receipts, or when the message is not an A_MSG (upstream refuses to receipt
 * anything else). `rcptInfo` is empty for the chat app.
 */
export function createReceipt(
  crypto: Crypto,
  agentVersion: number,
  received: AgentMessage,
  receivedBytes: Uint8Array,
  rcptInfo: Uint8Array = new Uint8Array(0),
): AMessage | null {
  if (agentVersion < RECEIPTS_AGENT_VERSION) return null;
  if (received.type !== 'message' || received.message.type !== 'A_MSG') return null;
  const receipt: MessageReceipt = { agentMsgId: received.header.sndMsgId, msgHash: crypto.sha256(receivedBytes), rcptInfo: copyBytes(rcptInfo) };
  return { type: 'A_RCVD', receipts: [receipt] };
}

/**
 * Checks one receipt against the sent message it names (simplexmq `messagesRcvd` /
 * `clientReceipt`): only A_MSG may be receipted, and the hash must be the one we sent.
 */
export function checkReceipt(sent: SentMessageRecord, receipt: MessageReceipt): ReceiptStatus {
  if (sent.type !== 'A_MSG') return 'not-a-message';
  return sent.msgHash.length === HASH_LENGTH && equalBytes(sent.msgHash, receipt.msgHash) ? 'ok' : 'bad-msg-hash';
}
