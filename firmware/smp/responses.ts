import type { PublicKey } from '../crypto/keys';
import { decode, Decoder, Encoder, type VersionRange } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { utf8Decode, utf8Encode } from '../encoding/utf8';
import { asciiTag, tagLength, type QueueMode } from './commands';
import { ProtocolParseError, readErrorType, writeErrorType, type CommandErrorCode, type ErrorType } from './errors';
import { readCertChainPubKey, writeCertChainPubKey, type CertChainPubKey } from './handshake';
import {
  blockedEntitySMPVersion,
  clientNoticesSMPVersion,
  deletedEventSMPVersion,
  newNtfCredsSMPVersion,
  serviceCertsSMPVersion,
  shortLinksSMPVersion,
  sndAuthKeySMPVersion,
} from './transmission';
import { readDhKey, writeDhKey } from './wire-keys';

/**
 * SMP server messages (smp.md §7.3, §10; Protocol.hs `encodeProtocol` / `protocolP` for
 * `BrokerMsg`). The router encodes them; the client decodes them. Parsing follows the same tag rule
 * as commands (§6.5): an unknown tag is 'unknown-command', bad parameters 'bad-syntax'.
 *
 * Encoding downgrades what an older client cannot read exactly as the reference server does: SOK
 * becomes OK below v16, DELD becomes END below v10, ERR BLOCKED becomes ERR AUTH below v12 and
 * loses its notice below v18, and IDS carries only the fields of the client's version.
 */

// ---------------------------------------------------------------------------------------------
// Types

/** `ServerNtfCreds` in IDS (v17+). */
export interface ServerNtfCreds {
  readonly notifierId: Uint8Array;
  /** X25519. */
  readonly rcvNtfDhKey: PublicKey;
}

export type BrokerMsg =
  | {
      readonly type: 'IDS';
      readonly rcvId: Uint8Array;
      readonly sndId: Uint8Array;
      /** X25519: the server's half of rcvDhSecret (smp.md §8.2). */
      readonly rcvPublicDhKey: PublicKey;
      /** v9+ (v9..14 as the sndSecure bool). */
      readonly queueMode: QueueMode | null;
      /** v15+. */
      readonly linkId: Uint8Array | null;
      /** v16+. */
      readonly serviceId: Uint8Array | null;
      /** v17+. */
      readonly serverNtfCreds: ServerNtfCreds | null;
    }
  | { readonly type: 'LNK'; readonly senderId: Uint8Array; readonly fixedData: Uint8Array; readonly userData: Uint8Array }
  | { readonly type: 'SOK'; readonly serviceId: Uint8Array | null }
  | { readonly type: 'SOKS'; readonly count: number }
  /** `encBody` is the server-to-recipient box (message.ts has the plaintext). */
  | { readonly type: 'MSG'; readonly msgId: Uint8Array; readonly encBody: Uint8Array }
  | { readonly type: 'NID'; readonly notifierId: Uint8Array; readonly srvNtfDhKey: PublicKey }
  | { readonly type: 'NMSG'; readonly nonce: Uint8Array; readonly encMeta: Uint8Array }
  | { readonly type: 'PKEY'; readonly sessionId: Uint8Array; readonly versionRange: VersionRange; readonly certChainPubKey: CertChainPubKey }
  | { readonly type: 'RRES'; readonly encFwdResponse: Uint8Array }
  | { readonly type: 'PRES'; readonly encResponse: Uint8Array }
  | { readonly type: 'END' }
  | { readonly type: 'ENDS'; readonly count: number }
  | { readonly type: 'DELD' }
  /** Queue debug information: the JSON text, not interpreted here. */
  | { readonly type: 'INFO'; readonly info: string }
  | { readonly type: 'OK' }
  | { readonly type: 'ERR'; readonly error: ErrorType }
  | { readonly type: 'PONG' };

export type BrokerMsgType = BrokerMsg['type'];

/** The NMSG nonce is a raw 24-byte CbNonce. */
export const NMSG_NONCE_LENGTH = 24;

// ---------------------------------------------------------------------------------------------
// Encoding

const SP = 0x20;

export function encodeResponse(v: number, msg: BrokerMsg): Uint8Array {
  const e = new Encoder(msg.type === 'MSG' ? 32 + msg.encBody.length : 128);
  writeResponse(e, v, msg);
  return e.finish();
}

function writeResponse(e: Encoder, v: number, msg: BrokerMsg): void {
  switch (msg.type) {
    case 'IDS':
      writeIds(e, v, msg);
      return;
    case 'LNK':
      e.ascii('LNK').u8(SP).short(msg.senderId).large(msg.fixedData).large(msg.userData);
      return;
    case 'SOK':
      if (v >= serviceCertsSMPVersion) e.ascii('SOK').u8(SP).maybe(msg.serviceId, (x, id) => x.short(id));
      else e.ascii('OK');
      return;
    case 'SOKS':
    case 'ENDS':
      e.ascii(msg.type).u8(SP).int64(msg.count);
      return;
    case 'MSG':
      // No space between msgId and body: the body is the tail.
      e.ascii('MSG').u8(SP).short(msg.msgId).tail(msg.encBody);
      return;
    case 'NID':
      e.ascii('NID').u8(SP).short(msg.notifierId);
      writeDhKey(e, msg.srvNtfDhKey, 'NID DH key');
      return;
    case 'NMSG':
      if (msg.nonce.length !== NMSG_NONCE_LENGTH) throw new EncodeError('invalid-value', 'NMSG nonce must be 24 bytes');
      e.ascii('NMSG').u8(SP).raw(msg.nonce).short(msg.encMeta);
      return;
    case 'PKEY':
      e.ascii('PKEY').u8(SP).short(msg.sessionId).versionRange(msg.versionRange);
      writeCertChainPubKey(e, msg.certChainPubKey);
      return;
    case 'RRES':
      e.ascii('RRES').u8(SP).tail(msg.encFwdResponse);
      return;
    case 'PRES':
      e.ascii('PRES').u8(SP).tail(msg.encResponse);
      return;
    case 'DELD':
      e.ascii(v >= deletedEventSMPVersion ? 'DELD' : 'END');
      return;
    case 'INFO':
      e.ascii('INFO').u8(SP).tail(utf8Encode(msg.info));
      return;
    case 'ERR':
      e.ascii('ERR').u8(SP);
      writeErrorType(e, downgradeError(v, msg.error));
      return;
    case 'END':
    case 'OK':
    case 'PONG':
      e.ascii(msg.type);
      return;
    default:
      throw new EncodeError('invalid-value', 'unknown server message');
  }
}

type IdsMsg = Extract<BrokerMsg, { type: 'IDS' }>;

/**
 *   v17+:   IDS SP rcvId sndId srvDh maybe(queueMode) maybe(linkId) maybe(serviceId) maybe(ntfCreds)
 *   v16:    … maybe(queueMode) maybe(linkId) maybe(serviceId)
 *   v15:    … maybe(queueMode) maybe(linkId)
 *   v9-14:  … bool(sndSecure = queueMode is messaging)
 *   v6-8:   IDS SP rcvId sndId srvDh
 */
function writeIds(e: Encoder, v: number, m: IdsMsg): void {
  e.ascii('IDS').u8(SP).short(m.rcvId).short(m.sndId);
  writeDhKey(e, m.rcvPublicDhKey, 'IDS DH key');
  if (v >= shortLinksSMPVersion) {
    e.maybe(m.queueMode, (x, q) => x.u8(queueModeByte(q)));
    e.maybe(m.linkId, (x, id) => x.short(id));
    if (v >= serviceCertsSMPVersion) e.maybe(m.serviceId, (x, id) => x.short(id));
    if (v >= newNtfCredsSMPVersion) {
      e.maybe(m.serverNtfCreds, (x, n) => {
        x.short(n.notifierId);
        writeDhKey(x, n.rcvNtfDhKey, 'IDS notifier DH key');
      });
    }
  } else if (v >= sndAuthKeySMPVersion) {
    e.bool(m.queueMode === 'messaging');
  }
}

/** What the reference server sends a client of version v instead of an error it cannot read. */
function downgradeError(v: number, err: ErrorType): ErrorType {
  if (err.type !== 'BLOCKED') return err;
  if (v < blockedEntitySMPVersion) return { type: 'AUTH' };
  if (v < clientNoticesSMPVersion && err.blockInfo.notice !== null) {
    return { type: 'BLOCKED', blockInfo: { reason: err.blockInfo.reason, notice: null } };
  }
  return err;
}

function queueModeByte(q: QueueMode): number {
  if (q === 'messaging') return 0x4d; // 'M'
  if (q === 'contact') return 0x43; // 'C'
  throw new EncodeError('invalid-value', 'queue mode must be messaging or contact');
}

// ---------------------------------------------------------------------------------------------
// Decoding

const NO_PARAMS: { [tag: string]: true } = { END: true, DELD: true, OK: true, PONG: true };
const WITH_PARAMS: { [tag: string]: true } = {
  IDS: true, LNK: true, SOK: true, SOKS: true, MSG: true, NID: true, NMSG: true, PKEY: true,
  RRES: true, PRES: true, ENDS: true, INFO: true, ERR: true,
};
const MAX_TAG = 4;

/** Parses a server message at version v. Throws ProtocolParseError only. */
export function decodeResponse(v: number, bytes: Uint8Array): BrokerMsg {
  const tagEnd = tagLength(bytes, MAX_TAG);
  const tag = tagEnd <= MAX_TAG ? asciiTag(bytes, tagEnd) : null;
  if (tag === null || !(NO_PARAMS[tag] === true || WITH_PARAMS[tag] === true)) {
    throw new ProtocolParseError('unknown-command', 'unknown server message tag');
  }
  const r = decode(bytes.subarray(tagEnd), (d) => readParams(d, v, tag));
  if (!r.ok) throw new ProtocolParseError('bad-syntax', tag + ': ' + r.error.message);
  return r.value;
}

function readParams(d: Decoder, v: number, tag: string): BrokerMsg {
  if (NO_PARAMS[tag] === true) return { type: tag } as BrokerMsg;
  d.expectAscii(' ');
  switch (tag) {
    case 'IDS':
      return readIds(d, v);
    case 'LNK':
      return { type: 'LNK', senderId: d.short(), fixedData: d.large(), userData: d.large() };
    case 'SOK':
      return { type: 'SOK', serviceId: d.maybe((x) => x.short()) };
    case 'SOKS':
      return { type: 'SOKS', count: d.int64() };
    case 'ENDS':
      return { type: 'ENDS', count: d.int64() };
    case 'MSG':
      return { type: 'MSG', msgId: d.short(), encBody: d.tail() };
    case 'NID':
      return { type: 'NID', notifierId: d.short(), srvNtfDhKey: readDhKey(d, 'NID DH key') };
    case 'NMSG':
      return { type: 'NMSG', nonce: d.raw(NMSG_NONCE_LENGTH), encMeta: d.short() };
    case 'PKEY':
      return { type: 'PKEY', sessionId: d.short(), versionRange: d.versionRange(), certChainPubKey: readCertChainPubKey(d) };
    case 'RRES':
      return { type: 'RRES', encFwdResponse: d.tail() };
    case 'PRES':
      return { type: 'PRES', encResponse: d.tail() };
    case 'INFO': {
      const at = d.offset;
      try {
        return { type: 'INFO', info: utf8Decode(d.tail()) };
      } catch (e) {
        if (e instanceof DecodeError) throw new DecodeError(e.code, 'INFO at byte ' + at + ': ' + e.message);
        throw e;
      }
    }
    case 'ERR':
      return { type: 'ERR', error: readErrorType(d) };
    default:
      throw new DecodeError('invalid-value', 'unknown server message');
  }
}

function readIds(d: Decoder, v: number): BrokerMsg {
  const rcvId = d.short();
  const sndId = d.short();
  const rcvPublicDhKey = readDhKey(d, 'IDS DH key');
  let queueMode: QueueMode | null = null;
  let linkId: Uint8Array | null = null;
  let serviceId: Uint8Array | null = null;
  let serverNtfCreds: ServerNtfCreds | null = null;
  if (v >= shortLinksSMPVersion) {
    queueMode = d.maybe(readQueueMode);
    linkId = d.maybe((x) => x.short());
    if (v >= serviceCertsSMPVersion) serviceId = d.maybe((x) => x.short());
    if (v >= newNtfCredsSMPVersion) {
      serverNtfCreds = d.maybe((x) => {
        const notifierId = x.short();
        return { notifierId: notifierId, rcvNtfDhKey: readDhKey(x, 'IDS notifier DH key') };
      });
    }
  } else if (v >= sndAuthKeySMPVersion) {
    queueMode = d.bool() ? 'messaging' : 'contact';
  }
  return { type: 'IDS', rcvId, sndId, rcvPublicDhKey, queueMode, linkId, serviceId, serverNtfCreds };
}

function readQueueMode(d: Decoder): QueueMode {
  const at = d.offset;
  const c = d.u8();
  if (c === 0x4d) return 'messaging';
  if (c === 0x43) return 'contact';
  throw new DecodeError('invalid-value', "queue mode at byte " + at + " is neither 'M' nor 'C'");
}

// ---------------------------------------------------------------------------------------------
// Entity rule on the client side (smp.md §6.4; `checkCredentials` for BrokerMsg)

/**
 * Null if the response's entity ID fits its type, else the error the client reports: IDS and ERR
 * may have any entity ID, PONG, PKEY and RRES must have none, all others must have one.
 */
export function checkResponseEntity(msg: BrokerMsg, entityId: Uint8Array): CommandErrorCode | null {
  switch (msg.type) {
    case 'IDS':
    case 'ERR':
      return null;
    case 'PONG':
    case 'PKEY':
    case 'RRES':
      return entityId.length === 0 ? null : 'HAS_AUTH';
    default:
      return entityId.length > 0 ? null : 'NO_ENTITY';
  }
}
