import { SimpleGoError } from '../../hal/errors';
import { CryptoError, KEY_SIZES } from '../../hal/crypto';
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { cbDecrypt, cbEncrypt, NONCE_LENGTH } from '../crypto/box';
import type { PublicKey } from '../crypto/keys';
import { PaddingError } from '../crypto/padding';
import { copyBytes, wipe } from '../encoding/bytes';
import { DecodeError, EncodeError } from '../encoding/errors';
import {
  decodeClientMessage,
  decodeClientMsgEnvelope,
  E2E_ENC_CONFIRMATION_LENGTH,
  E2E_ENC_MESSAGE_LENGTH,
  encodeClientMessage,
  encodeClientMsgEnvelope,
} from '../smp/message';
import type { ClientMsgEnvelope } from '../smp/message';
import { agentMessageTypeOf, decodeAgentMessage } from './agent-message';
import type { AgentMessage } from './agent-message';
import type { ConnectionRequest } from './connection-link';
import { acceptEnvelope, decodeAgentMsgEnvelope, encodeAgentMsgEnvelope } from './envelope';
import type { AcceptedAction, AgentMsgEnvelope, RejectReason } from './envelope';
import { agentMessagePadLength, connInfoPadLength } from './ratchet';
import type { Ratchet } from './ratchet';
import { E2E_VERSION_PQ, paddedHeaderLength, RATCHET_IV_LENGTH, RATCHET_TAG_LENGTH } from './ratchet-header';
import { SUPPORTED_AGENT_VRANGE, SUPPORTED_SMP_CLIENT_VRANGE } from './versions';
import type { E2EParams } from './x3dh';

/**
 * The two end-to-end layers around an agent message (agent.md §1, §6.1, §6.5; simplexmq
 * Agent.hs `secureConfirmQueue`, `storeConfirmation`, `enqueueMessageB`, `processSMP`;
 * Agent/Client.hs `agentCbEncrypt`, `agentCbEncryptOnce`, `agentCbDecrypt`):
 *
 *   seal:  AgentMessage bytes → ratchet (pad 15840 / 13618, confirmations 14832 / 11106)
 *          → AgentMsgEnvelope → ClientMessage (PrivHeader) → crypto_box (pad 16000, or 15904 when
 *          the PubHeader carries a key) → ClientMsgEnvelope, the body of an SMP SEND
 *   open:  the reverse, in two calls: `openEnvelope` (per-queue box, envelope, accept table) and
 *          then, for 'C' and 'M', `openConnInfo` / `openAgentMessage` (ratchet, AgentMessage)
 *
 * Failures: every layer reports its own AgentError code; the ratchet's own RatchetError passes
 * through unchanged, since its codes already map one to one to the agent's errors (errors.ts).
 *
 * State: sealing checks every size before it touches the ratchet, so a refused message costs
 * nothing. Opening changes nothing before the ratchet, and the ratchet's decrypt is transactional.
 * One deliberate exception, as in simplexmq: when an authentic message decrypts but is not an
 * AgentMessage of the expected kind, its message key is already spent; the error then says
 * `ratchetAdvanced`, and the owner persists the ratchet as after a success (the message could
 * not be decrypted a second time anyway). Cloning the ratchet before every decrypt to avoid this
 * would double its memory (up to ~50 KB of skipped keys) on every received message.
 */

export type AgentErrorCode =
  | 'message-too-large'
  | 'bad-envelope'
  | 'version'
  | 'bad-key'
  | 'box-failed'
  | 'bad-padding'
  | 'bad-client-message'
  | 'not-accepted'
  | 'bad-agent-message'
  | 'unexpected-agent-message';

/**
 * Why sealing or opening failed, by layer (with simplexmq's agent error each one becomes):
 * - 'message-too-large':   seal: the message does not fit the ratchet pad or the box pad (CMD LARGE)
 * - 'bad-envelope':        the ClientMsgEnvelope or its PubHeader does not parse (A_MESSAGE)
 * - 'version':             the PubHeader's SMP client version is one we do not speak (A_VERSION)
 * - 'bad-key':             the per-queue key in the PubHeader (or the recipient's) is unusable
 * - 'box-failed':          the per-queue box does not authenticate (A_CRYPTO DECRYPT_CB)
 * - 'bad-padding':         an authentic box whose padding length is impossible (A_CRYPTO)
 * - 'bad-client-message':  the ClientMessage or AgentMsgEnvelope inside does not parse (A_MESSAGE)
 * - 'not-accepted':        the queue does not accept this envelope now; see `reason` (prohibited)
 * - 'bad-agent-message':   the ratchet plaintext is not an AgentMessage (A_MESSAGE)
 * - 'unexpected-agent-message': an AgentMessage of the wrong kind for its envelope (prohibited)
 */
export class AgentError extends SimpleGoError {
  declare readonly code: AgentErrorCode;
  /** For 'not-accepted': the accept table's reason; otherwise null. */
  readonly reason: RejectReason | null;
  /** True only when the ratchet already advanced past this (authentic) message: persist it. */
  readonly ratchetAdvanced: boolean;

  constructor(code: AgentErrorCode, message: string, reason: RejectReason | null = null, ratchetAdvanced: boolean = false) {
    super(code, message);
    this.name = 'AgentError';
    this.reason = reason;
    this.ratchetAdvanced = ratchetAdvanced;
  }
}

// ---------------------------------------------------------------------------------------------
// Sizes (agent.md §6.5)

/** AgentMsgEnvelope: BE16 version ‖ tag. */
const ENVELOPE_PREFIX_LENGTH = 3;
/** A ClientMsgEnvelope adds PubHeader (BE16 ‖ Maybe) ‖ nonce ‖ box tag to the padded body. */
const BOX_TAG_LENGTH = 16;

/**
 * The exact size of an EncRatchetMessage (§6.5 rows 2-4): length prefix ‖ EncMessageHeader
 * (BE16 version ‖ IV ‖ tag ‖ prefixed padded header) ‖ body tag ‖ padded body. From e2e v3 both
 * prefixes are 2 bytes, at v2 1 byte.
 */
export function encRatchetMessageLength(e2eVersion: number, pqHeader: boolean, bodyPadLength: number): number {
  const prefix = e2eVersion >= E2E_VERSION_PQ ? 2 : 1;
  const encHeader = 2 + RATCHET_IV_LENGTH + RATCHET_TAG_LENGTH + prefix + paddedHeaderLength(e2eVersion, pqHeader);
  return prefix + encHeader + RATCHET_TAG_LENGTH + bodyPadLength;
}

/** The size of a ClientMsgEnvelope around a box padded to `boxPadLength` (16043 without a key). */
export function clientMsgEnvelopeLength(boxPadLength: number, withKey: boolean): number {
  return 2 + (withKey ? 1 + 1 + 44 : 1) + NONCE_LENGTH + BOX_TAG_LENGTH + boxPadLength;
}

// ---------------------------------------------------------------------------------------------
// Sealing

/** What the sender knows about the queue it sends to (simplexmq `SndQueue`). */
export interface SendQueueKeys {
  /** Raw X25519(peer's queue e2e key, our per-queue e2e private key). */
  readonly e2eDhSecret: Uint8Array;
  /** The agreed SMP client version of the queue: the PubHeader version. */
  readonly smpClientVersion: number;
}

export interface ConfirmationOptions {
  /** The negotiated agent version: in the envelope, and it decides the pad. */
  readonly agentVersion: number;
  /** The connection's PQ support (simplexmq `pqSupport`): pads and PQ encryption. */
  readonly pqSupport: boolean;
  /** The joiner's X3DH parameters; null in the initiator's confirmation. */
  readonly e2eParams: E2EParams | null;
  /** Our per-queue e2e X25519 public key (raw), sent in the PubHeader. */
  readonly e2ePublicKey: Uint8Array;
  /** Legacy handshake only: our sender key, sent as PrivHeader 'K'. Null: '_' (fast handshake). */
  readonly senderKey: PublicKey | null;
}

export interface MessageOptions {
  /** The connection's agreed agent version: it decides the pad (the envelope carries our maximum). */
  readonly agentVersion: number;
  readonly pqSupport: boolean;
  /** Switch PQ encryption on or off from this message (simplexmq `pqEnc_`); undefined keeps it. */
  readonly pqEncryption?: boolean;
}

export interface SealedMessage {
  /** The ClientMsgEnvelope: the body of the SMP SEND. */
  readonly envelope: Uint8Array;
  /** Whether the ratchet's sending chain is PQ (simplexmq `rcSndKEM`). */
  readonly pqEncrypted: boolean;
}

/**
 * A confirmation: `agentMessage` is an encoded AgentMessage 'D' (the joiner's) or 'I' (the
 * initiator's), numbered by integrity.ts. It is ratchet-encrypted with the confirmation pad and
 * sent with our e2e key in the PubHeader, boxed to 15904.
 */
export function sealConfirmation(
  crypto: Crypto,
  random: Random,
  ratchet: Ratchet,
  queue: SendQueueKeys,
  agentMessage: Uint8Array,
  o: ConfirmationOptions,
): SealedMessage {
  const kind = agentMessageTypeOf(agentMessage);
  if (kind !== 'conn-info' && kind !== 'conn-info-reply') {
    throw new EncodeError('invalid-value', "a confirmation carries an AgentMessage 'I' or 'D'");
  }
  checkX25519(o.e2ePublicKey, 'our per-queue e2e public key');
  const pad = connInfoPadLength(o.agentVersion, o.pqSupport);
  const prefix = encodeAgentMsgEnvelope({ kind: 'confirmation', agentVersion: o.agentVersion, e2eParams: o.e2eParams, encConnInfo: new Uint8Array(0) });
  const privHeaderLength = o.senderKey === null ? 1 : 2 + 44;
  checkFits(ratchet, agentMessage, pad, o.pqSupport, privHeaderLength + prefix.length, E2E_ENC_CONFIRMATION_LENGTH);
  // simplexmq passes `Just (pqSupportToEnc pqSupport)`: the confirmation sets PQ encryption.
  const enc = ratchet.encrypt(agentMessage, pad, o.pqSupport);
  const envelope = encodeAgentMsgEnvelope({ kind: 'confirmation', agentVersion: o.agentVersion, e2eParams: o.e2eParams, encConnInfo: enc.message });
  const bytes = boxClientMessage(crypto, random, queue, { alg: 'x25519', raw: o.e2ePublicKey }, o.senderKey, envelope, E2E_ENC_CONFIRMATION_LENGTH);
  return { envelope: bytes, pqEncrypted: enc.pqEncrypted };
}

/**
 * An ordinary message: `agentMessage` is an encoded AgentMessage 'M' (integrity.ts numbers it).
 * Envelope 'M' with our maximum agent version, PrivHeader '_', no PubHeader key, boxed to 16000.
 */
export function sealMessage(
  crypto: Crypto,
  random: Random,
  ratchet: Ratchet,
  queue: SendQueueKeys,
  agentMessage: Uint8Array,
  o: MessageOptions,
): SealedMessage {
  if (agentMessageTypeOf(agentMessage) !== 'message') {
    throw new EncodeError('invalid-value', "a message envelope carries an AgentMessage 'M'");
  }
  const pad = agentMessagePadLength(o.agentVersion, o.pqSupport);
  const pqEnc = o.pqEncryption === undefined ? ratchet.pqEnabled : o.pqEncryption;
  checkFits(ratchet, agentMessage, pad, pqEnc, 1 + ENVELOPE_PREFIX_LENGTH, E2E_ENC_MESSAGE_LENGTH);
  const enc = ratchet.encrypt(agentMessage, pad, o.pqEncryption);
  const envelope = encodeAgentMsgEnvelope({ kind: 'message', agentVersion: SUPPORTED_AGENT_VRANGE.max, encAgentMessage: enc.message });
  return { envelope: boxClientMessage(crypto, random, queue, null, null, envelope, E2E_ENC_MESSAGE_LENGTH), pqEncrypted: enc.pqEncrypted };
}

/**
 * A ratchet re-synchronisation key (simplexmq `enqueueRatchetKey`): envelope 'R' with our maximum
 * agent version, our new X3DH parameters and `info`, the encoded AgentMessage 'R' (numbered by
 * integrity.ts). No ratchet; boxed to 16000.
 */
export function sealRatchetKey(crypto: Crypto, random: Random, queue: SendQueueKeys, e2eParams: E2EParams, info: Uint8Array): Uint8Array {
  if (agentMessageTypeOf(info) !== 'ratchet-info') throw new EncodeError('invalid-value', "a ratchet key envelope carries an AgentMessage 'R'");
  const envelope = encodeAgentMsgEnvelope({ kind: 'ratchet-key', agentVersion: SUPPORTED_AGENT_VRANGE.max, e2eParams: e2eParams, info: info });
  if (1 + envelope.length + 2 > E2E_ENC_MESSAGE_LENGTH) throw tooLarge(1 + envelope.length, E2E_ENC_MESSAGE_LENGTH);
  return boxClientMessage(crypto, random, queue, null, null, envelope, E2E_ENC_MESSAGE_LENGTH);
}

/** The address owner's queue, as its contact link states it. */
export interface InvitationRecipient {
  /** The address queue's e2e X25519 public key (raw), from the contact link. */
  readonly dhPublicKey: Uint8Array;
  /** The agreed SMP client version of the address queue. */
  readonly smpClientVersion: number;
}

/**
 * A contact request to an address (simplexmq `sendInvitation`, `agentCbEncryptOnce`): envelope
 * 'I' with our own one-time invitation and the chat `x.contact` JSON, boxed once to 15904 with a
 * fresh ephemeral X25519 key whose public half goes in the PubHeader. No ratchet.
 */
export function sealInvitation(
  crypto: Crypto,
  random: Random,
  recipient: InvitationRecipient,
  agentVersion: number,
  connReq: ConnectionRequest,
  connInfo: Uint8Array,
): Uint8Array {
  checkX25519(recipient.dhPublicKey, "the address queue's e2e key");
  const envelope = encodeAgentMsgEnvelope({ kind: 'invitation', agentVersion: agentVersion, connReq: connReq, connInfo: connInfo });
  if (1 + envelope.length + 2 > E2E_ENC_CONFIRMATION_LENGTH) throw tooLarge(1 + envelope.length, E2E_ENC_CONFIRMATION_LENGTH);
  const ephemeral = crypto.x25519KeyPair();
  let secret: Uint8Array;
  try {
    secret = crypto.x25519(ephemeral.privateKey, recipient.dhPublicKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new AgentError('bad-key', "the address queue's e2e key is unusable (" + e.code + ')');
    throw e;
  } finally {
    wipe(ephemeral.privateKey);
  }
  try {
    const q: SendQueueKeys = { e2eDhSecret: secret, smpClientVersion: recipient.smpClientVersion };
    return boxClientMessage(crypto, random, q, { alg: 'x25519', raw: ephemeral.publicKey }, null, envelope, E2E_ENC_CONFIRMATION_LENGTH);
  } finally {
    wipe(secret);
  }
}

/**
 * Checks, before the ratchet is touched, that the message fits the ratchet pad and that the
 * resulting ClientMessage (`overhead` bytes plus the EncRatchetMessage) fits the box pad. The
 * header pad is the one the ratchet will use: large once PQ support is on, or switched on now.
 */
function checkFits(ratchet: Ratchet, agentMessage: Uint8Array, pad: number, pqEnc: boolean, overhead: number, boxPad: number): void {
  if (agentMessage.length + 2 > pad) {
    throw new AgentError('message-too-large', 'agent message of ' + agentMessage.length + ' bytes does not fit the ratchet pad of ' + pad);
  }
  const v = ratchet.version;
  const pqHeader = ratchet.pqSupport || (v >= E2E_VERSION_PQ && pqEnc);
  const clientMessage = overhead + encRatchetMessageLength(v, pqHeader, pad);
  if (clientMessage + 2 > boxPad) throw tooLarge(clientMessage, boxPad);
}

function tooLarge(clientMessage: number, boxPad: number): AgentError {
  return new AgentError('message-too-large', 'the client message would be ' + clientMessage + ' bytes, more than the ' + (boxPad - 2) + ' the ' + boxPad + '-byte box pad holds');
}

/** PrivHeader ‖ envelope, boxed with a fresh random nonce, in a ClientMsgEnvelope. */
function boxClientMessage(
  crypto: Crypto,
  random: Random,
  queue: SendQueueKeys,
  e2ePubKey: PublicKey | null,
  senderKey: PublicKey | null,
  envelope: Uint8Array,
  boxPad: number,
): Uint8Array {
  const clientMessage = encodeClientMessage({ senderKey: senderKey, body: envelope });
  const nonce = random.bytes(NONCE_LENGTH);
  const encBody = cbEncrypt(crypto, queue.e2eDhSecret, nonce, clientMessage, boxPad);
  const m: ClientMsgEnvelope = { header: { version: queue.smpClientVersion, e2ePubDhKey: e2ePubKey }, nonce: nonce, encBody: encBody };
  return encodeClientMsgEnvelope(m);
}

function checkX25519(raw: Uint8Array, what: string): void {
  if (raw.length !== KEY_SIZES.x25519) throw new EncodeError('invalid-value', what + ' must be a raw 32-byte X25519 key');
}

// ---------------------------------------------------------------------------------------------
// Opening

/** What the recipient knows about its queue (simplexmq `RcvQueue`). */
export interface ReceiveQueueKeys {
  /** The per-queue e2e secret stored after the first confirmation; null before. */
  readonly e2eDhSecret: Uint8Array | null;
  /** Our per-queue e2e X25519 private key (the public half is in our link or reply queue). */
  readonly e2ePrivateKey: Uint8Array;
  /** The queue was created sender-securable (`q=m`). */
  readonly senderCanSecure: boolean;
  /** The queue's agreed SMP client version; an older PubHeader version is still accepted. */
  readonly smpClientVersion: number;
}

export interface OpenedEnvelope {
  /** The PubHeader's SMP client version. */
  readonly smpClientVersion: number;
  /** The sender's per-queue e2e key from the PubHeader (raw X25519), or null. */
  readonly e2ePublicKey: Uint8Array | null;
  /** PrivHeader 'K': the sender's queue auth key (legacy handshake), or null for '_'. */
  readonly senderKey: PublicKey | null;
  readonly envelope: AgentMsgEnvelope;
  /** What the accept table says to do with it. */
  readonly action: AcceptedAction;
  /**
   * The secret that opened the box: the stored one, or, for a first confirmation, the one just
   * agreed with the PubHeader key, which the owner stores for the queue. A copy; wipe when done.
   */
  readonly e2eDhSecret: Uint8Array;
}

/**
 * Opens the per-queue layer of a received ClientMsgEnvelope (the body of an SMP MSG after the
 * server layer) and applies the accept table. Throws AgentError only.
 */
export function openEnvelope(crypto: Crypto, bytes: Uint8Array, q: ReceiveQueueKeys): OpenedEnvelope {
  let cm: ClientMsgEnvelope;
  try {
    cm = decodeClientMsgEnvelope(bytes);
  } catch (e) {
    if (e instanceof DecodeError) throw new AgentError('bad-envelope', 'received message: ' + e.message);
    throw e;
  }
  const v = cm.header.version;
  // simplexmq: `phVer isCompatible clientVRange || phVer <= agreedClientVersion`.
  if (!(v >= SUPPORTED_SMP_CLIENT_VRANGE.min && v <= SUPPORTED_SMP_CLIENT_VRANGE.max) && v > q.smpClientVersion) {
    throw new AgentError('version', 'received message uses SMP client version ' + v + '; SimpleGo speaks ' + SUPPORTED_SMP_CLIENT_VRANGE.min + '..' + SUPPORTED_SMP_CLIENT_VRANGE.max);
  }
  const headerKey = cm.header.e2ePubDhKey;
  const hasSecret = q.e2eDhSecret !== null;
  if (!hasSecret && headerKey === null) {
    throw new AgentError('not-accepted', 'received message cannot be opened: the queue has no e2e secret yet and the message carries no key', 'no-keys');
  }
  const secret = q.e2eDhSecret !== null ? copyBytes(q.e2eDhSecret) : agreeQueueSecret(crypto, q.e2ePrivateKey, (headerKey as PublicKey).raw);
  try {
    const opened = openBox(crypto, secret, cm);
    const decision = acceptEnvelope({
      hasE2eSecret: hasSecret,
      hasE2eKey: headerKey !== null,
      privHeader: opened.senderKey === null ? '_' : 'K',
      kind: opened.envelope.kind,
      senderCanSecure: q.senderCanSecure,
    });
    if (!decision.accepted) {
      throw new AgentError('not-accepted', "received '" + opened.envelope.kind + "' envelope is not accepted on this queue now (" + decision.reason + ')', decision.reason);
    }
    return {
      smpClientVersion: v,
      e2ePublicKey: headerKey !== null ? headerKey.raw : null,
      senderKey: opened.senderKey,
      envelope: opened.envelope,
      action: decision.action,
      e2eDhSecret: secret,
    };
  } catch (e) {
    wipe(secret);
    throw e;
  }
}

interface OpenedBox {
  readonly senderKey: PublicKey | null;
  readonly envelope: AgentMsgEnvelope;
}

function openBox(crypto: Crypto, secret: Uint8Array, cm: ClientMsgEnvelope): OpenedBox {
  let plain: Uint8Array | null;
  try {
    plain = cbDecrypt(crypto, secret, cm.nonce, cm.encBody);
  } catch (e) {
    if (e instanceof PaddingError) throw new AgentError('bad-padding', 'received message: ' + e.message);
    throw e;
  }
  if (plain === null) throw new AgentError('box-failed', 'received message does not authenticate with the per-queue key');
  try {
    const clientMessage = decodeClientMessage(plain);
    return { senderKey: clientMessage.senderKey, envelope: decodeAgentMsgEnvelope(clientMessage.body) };
  } catch (e) {
    if (e instanceof DecodeError) throw new AgentError('bad-client-message', 'received message: ' + e.message);
    throw e;
  } finally {
    // The plaintext may hold connection info ('I'); the envelope decoder kept its own copies.
    wipe(plain);
  }
}

function agreeQueueSecret(crypto: Crypto, ownPrivate: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  try {
    return crypto.x25519(ownPrivate, peerPublic);
  } catch (e) {
    if (e instanceof CryptoError) throw new AgentError('bad-key', "the sender's per-queue e2e key is unusable (" + e.code + ')');
    throw e;
  }
}

/** A decrypted AgentMessage: its exact bytes (integrity.ts hashes them) and the parsed value. */
export interface OpenedAgentMessage {
  readonly bytes: Uint8Array;
  readonly message: AgentMessage;
  /** Whether the ratchet's receiving chain is PQ (simplexmq `rcRcvKEM`). */
  readonly pqEncrypted: boolean;
}

/**
 * Ratchet-decrypts a confirmation's `encConnInfo`; it must be an AgentConnInfo 'I' or an
 * AgentConnInfoReply 'D' (simplexmq `smpConfirmation`). RatchetError passes through.
 */
export function openConnInfo(ratchet: Ratchet, encConnInfo: Uint8Array): OpenedAgentMessage {
  const r = openRatchet(ratchet, encConnInfo);
  if (r.message.type !== 'conn-info' && r.message.type !== 'conn-info-reply') {
    wipe(r.bytes);
    throw new AgentError('unexpected-agent-message', "a confirmation carried an AgentMessage '" + r.message.type + "', not connection info", null, true);
  }
  return r;
}

/**
 * Ratchet-decrypts an 'M' envelope's message; it must be an AgentMessage 'M' (simplexmq
 * `agentClientMsg`). RatchetError passes through.
 */
export function openAgentMessage(ratchet: Ratchet, encAgentMessage: Uint8Array): OpenedAgentMessage {
  const r = openRatchet(ratchet, encAgentMessage);
  if (r.message.type !== 'message') {
    wipe(r.bytes);
    throw new AgentError('unexpected-agent-message', "a message envelope carried an AgentMessage '" + r.message.type + "'", null, true);
  }
  return r;
}

function openRatchet(ratchet: Ratchet, encrypted: Uint8Array): OpenedAgentMessage {
  const d = ratchet.decrypt(encrypted);
  let message: AgentMessage;
  try {
    message = decodeAgentMessage(d.plaintext);
  } catch (e) {
    if (e instanceof DecodeError) {
      wipe(d.plaintext);
      throw new AgentError('bad-agent-message', 'decrypted ' + e.message, null, true);
    }
    throw e;
  }
  return { bytes: d.plaintext, message: message, pqEncrypted: d.pqEncrypted };
}
