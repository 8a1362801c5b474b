import type { PublicKey } from '../crypto/keys';
import { decode, Decoder, Encoder } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { readMsgFlags, type MsgFlags } from './commands';
import { readAuthKey, readDhKey, writeAuthKey, writeDhKey } from './wire-keys';

/**
 * The byte formats inside messages and proxied transmissions (smp.md §7.2, §8.2, §8.3, §10):
 * the server-to-recipient MSG plaintext, NMSG metadata, the sender's ClientMsgEnvelope and its
 * headers, and the proxy structures. No crypto here: each format is what a box encrypts, or what
 * travels next to one.
 */

/** CbNonce: 24 raw bytes, no length prefix. */
export const NONCE_LENGTH = 24;
/** The MSG plaintext is padded to this before encryption (2 + MaxRcvMessageLen 16104). */
export const RCV_MSG_PADDED_LENGTH = 16106;
/** The largest body a MSG plaintext can carry (`MaxMessageLen`). */
export const MAX_MESSAGE_LENGTH = 16088;
/** NMSG metadata is padded to this before encryption. */
export const NMSG_META_PADDED_LENGTH = 128;
/** e2e plaintext sizes of a ClientMessage (`e2eEncMessageLength`, `e2eEncConfirmationLength`). */
export const E2E_ENC_MESSAGE_LENGTH = 16000;
export const E2E_ENC_CONFIRMATION_LENGTH = 15904;
/** A proxied transmission (s2r layer) is padded to this (`paddedProxiedTLength`). */
export const PADDED_PROXIED_T_LENGTH = 16226;

// ---------------------------------------------------------------------------------------------
// MSG plaintext (§8.2): ts ‖ flags ‖ SP ‖ body, or "QUOTA" SP ts

export type RcvMsgBody =
  | { readonly type: 'message'; readonly ts: number; readonly flags: MsgFlags; readonly body: Uint8Array }
  /** The quota marker: the sender hit the quota; the recipient ACKs it like a message. */
  | { readonly type: 'quota'; readonly ts: number };

const QUOTA = 'QUOTA';
/** "QUOTA" SP int64. */
const QUOTA_LENGTH = 14;

/** `encodeRcvMsgBody`: what the server boxes for the recipient (before padding to 16106). */
export function encodeRcvMsgBody(m: RcvMsgBody): Uint8Array {
  if (m.type === 'quota') return new Encoder(14).ascii(QUOTA + ' ').systemTime(m.ts).finish();
  if (m.body.length > MAX_MESSAGE_LENGTH) {
    throw new EncodeError('too-long', 'message body of ' + m.body.length + ' bytes exceeds ' + MAX_MESSAGE_LENGTH);
  }
  return new Encoder(10 + m.body.length).systemTime(m.ts).bool(m.flags.notification).u8(0x20).tail(m.body).finish();
}

/**
 * `clientRcvMsgBodyP` over the unpadded plaintext. The quota marker "QUOTA" SP ts is tried first;
 * once it has matched, nothing may follow (attoparsec does not go back to the other branch after
 * an alternative succeeded). Otherwise: ts, flags (a Bool and any reserved bytes up to the space),
 * SP, and the body to the end.
 */
export function decodeRcvMsgBody(plaintext: Uint8Array): RcvMsgBody {
  const r = decode(plaintext, (d): RcvMsgBody => {
    if (plaintext.length >= QUOTA_LENGTH && startsWithAscii(plaintext, QUOTA + ' ')) {
      d.raw(QUOTA.length + 1);
      return { type: 'quota', ts: d.systemTime() };
    }
    const ts = d.systemTime();
    const flags = readMsgFlags(d);
    d.expectAscii(' ');
    return { type: 'message', ts: ts, flags: flags, body: d.tail() };
  });
  if (!r.ok) throw new DecodeError(r.error.code, 'message body: ' + r.error.message);
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// NMSG metadata (§7.2, `NMsgMeta`): short(msgId) ‖ ts ‖ ignored tail

export interface NMsgMeta {
  readonly msgId: Uint8Array;
  readonly ts: number;
}

export function encodeNMsgMeta(m: NMsgMeta): Uint8Array {
  return new Encoder(9 + m.msgId.length).short(m.msgId).systemTime(m.ts).finish();
}

/** The tail after ts is ignored, so later versions can extend the metadata (upstream `Tail _`). */
export function decodeNMsgMeta(plaintext: Uint8Array): NMsgMeta {
  const r = decode(plaintext, (d) => {
    const msgId = d.short();
    const ts = d.systemTime();
    d.tail();
    return { msgId: msgId, ts: ts };
  });
  if (!r.ok) throw new DecodeError(r.error.code, 'NMSG metadata: ' + r.error.message);
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// ClientMsgEnvelope (§8.3): PubHeader ‖ nonce(24) ‖ tail(encBody)
//   PubHeader = word16 smpClientVersion ‖ maybe(short(X25519 SPKI))

export interface PubHeader {
  /** The SMP *client* version (1..4), not the transport version. */
  readonly version: number;
  /** The sender's e2e key, in the first (confirmation) message only. */
  readonly e2ePubDhKey: PublicKey | null;
}

export interface ClientMsgEnvelope {
  readonly header: PubHeader;
  readonly nonce: Uint8Array;
  /** cbEncrypt(e2eDhSecret, nonce, ClientMessage padded to 16000 or 15904). */
  readonly encBody: Uint8Array;
}

export function writePubHeader(e: Encoder, h: PubHeader): void {
  e.version(h.version);
  e.maybe(h.e2ePubDhKey, (x, k) => writeDhKey(x, k, 'PubHeader e2e key'));
}

export function readPubHeader(d: Decoder): PubHeader {
  const version = d.version();
  return { version: version, e2ePubDhKey: d.maybe((x) => readDhKey(x, 'PubHeader e2e key')) };
}

export function encodeClientMsgEnvelope(m: ClientMsgEnvelope): Uint8Array {
  if (m.nonce.length !== NONCE_LENGTH) throw new EncodeError('invalid-value', 'envelope nonce must be 24 bytes');
  const e = new Encoder(80 + m.encBody.length);
  writePubHeader(e, m.header);
  return e.raw(m.nonce).tail(m.encBody).finish();
}

export function decodeClientMsgEnvelope(bytes: Uint8Array): ClientMsgEnvelope {
  const r = decode(bytes, (d) => {
    const header = readPubHeader(d);
    const nonce = d.raw(NONCE_LENGTH);
    return { header: header, nonce: nonce, encBody: d.tail() };
  });
  if (!r.ok) throw new DecodeError(r.error.code, 'message envelope: ' + r.error.message);
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// ClientMessage (§8.3): PrivHeader ‖ tail(agentBody)
//   PrivHeader = 'K' short(senderAuthKey SPKI) | '_'

export interface ClientMessage {
  /** The legacy confirmation carries the sender's key for the recipient's KEY; otherwise null ('_'). */
  readonly senderKey: PublicKey | null;
  readonly body: Uint8Array;
}

export function encodeClientMessage(m: ClientMessage): Uint8Array {
  const e = new Encoder(72 + m.body.length);
  if (m.senderKey === null) e.u8(0x5f); // '_'
  else {
    e.u8(0x4b); // 'K'
    writeAuthKey(e, m.senderKey, 'PrivHeader sender key');
  }
  return e.tail(m.body).finish();
}

export function decodeClientMessage(bytes: Uint8Array): ClientMessage {
  const r = decode(bytes, (d) => {
    const at = d.offset;
    const c = d.u8();
    let senderKey: PublicKey | null;
    if (c === 0x5f) senderKey = null;
    else if (c === 0x4b) senderKey = readAuthKey(d, 'PrivHeader sender key');
    else throw new DecodeError('invalid-value', "PrivHeader at byte " + at + " is neither 'K' nor '_'");
    return { senderKey: senderKey, body: d.tail() };
  });
  if (!r.ok) throw new DecodeError(r.error.code, 'client message: ' + r.error.message);
  return r.value;
}

// ---------------------------------------------------------------------------------------------
// Proxy structures (§10)

/**
 * What RFWD carries inside the p2r box: short(N) ‖ version ‖ short(ek X25519 SPKI) ‖ tail(encT).
 * N is the client's PFWD corrId, and the s2r nonce.
 */
export interface FwdTransmission {
  readonly corrId: Uint8Array;
  readonly version: number;
  readonly ephemeralKey: PublicKey;
  readonly encTransmission: Uint8Array;
}

export function encodeFwdTransmission(t: FwdTransmission): Uint8Array {
  const e = new Encoder(50 + t.corrId.length + t.encTransmission.length);
  e.short(t.corrId).version(t.version);
  writeDhKey(e, t.ephemeralKey, 'FwdTransmission key');
  return e.tail(t.encTransmission).finish();
}

/** A DecodeError here is what the relay answers with CMD SYNTAX (smp.md §10.3 step 2). */
export function decodeFwdTransmission(bytes: Uint8Array): FwdTransmission {
  const r = decode(bytes, (d) => {
    const corrId = d.short();
    const version = d.version();
    const ephemeralKey = readDhKey(d, 'FwdTransmission key');
    return { corrId: corrId, version: version, ephemeralKey: ephemeralKey, encTransmission: d.tail() };
  });
  if (!r.ok) throw new DecodeError(r.error.code, 'forwarded transmission: ' + r.error.message);
  return r.value;
}

/** What RRES carries inside the p2r box: short(N) ‖ tail(r2) (`FwdResponse`). */
export interface FwdResponse {
  readonly corrId: Uint8Array;
  readonly encResponse: Uint8Array;
}

export function encodeFwdResponse(r: FwdResponse): Uint8Array {
  return new Encoder(1 + r.corrId.length + r.encResponse.length).short(r.corrId).tail(r.encResponse).finish();
}

export function decodeFwdResponse(bytes: Uint8Array): FwdResponse {
  const r = decode(bytes, (d) => {
    const corrId = d.short();
    return { corrId: corrId, encResponse: d.tail() };
  });
  if (!r.ok) throw new DecodeError(r.error.code, 'forwarded response: ' + r.error.message);
  return r.value;
}

function startsWithAscii(bytes: Uint8Array, prefix: string): boolean {
  if (bytes.length < prefix.length) return false;
  for (let k = 0; k < prefix.length; k++) if (bytes[k] !== prefix.charCodeAt(k)) return false;
  return true;
}
