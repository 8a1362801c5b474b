import type { PublicKey } from '../crypto/keys';
import { decode, Decoder, Encoder } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { isValidBasicAuth, readProtocolServer, writeProtocolServer, type SmpServer } from './address';
import { ProtocolParseError, type CommandErrorCode } from './errors';
import {
  encryptedBlockSMPVersion,
  newNtfCredsSMPVersion,
  sendingProxySMPVersion,
  shortLinksSMPVersion,
  sndAuthKeySMPVersion,
} from './transmission';
import { readAuthKey, readDhKey, writeAuthKey, writeDhKey } from './wire-keys';

/**
 * SMP client commands (smp.md §7.1, §7.2, §10; Protocol.hs `encodeProtocol` / `protocolP` for
 * `Command`). The client encodes them; the router decodes them. Where the encoding depends on the
 * negotiated version, both directions take it.
 *
 * Decoding follows `parseProtocol` (§6.5): the tag is everything before the first space, the
 * parameters (starting with that space) must be consumed exactly. An unknown tag, including any
 * response tag, is ProtocolParseError 'unknown-command' (CMD UNKNOWN); anything else wrong is
 * 'bad-syntax' (CMD SYNTAX). Byte fields of decoded commands are views into the input.
 *
 * Canonically encoded commands re-encode to identical bytes. The only non-canonical input the
 * decoder accepts is what upstream accepts and then drops: reserved SEND flag bytes (see MsgFlags).
 */

// ---------------------------------------------------------------------------------------------
// Types

export type SubscriptionMode = 'subscribe' | 'only-create';
export type QueueMode = 'messaging' | 'contact';

/** Link data of a messaging queue (`QRMessaging (Just (senderId, (fixedData, userData)))`). */
export interface MessagingLinkData {
  /** Client-chosen: SHA3-384(corrId)[0..24] (smp.md §6.3), or the server refuses with PROHIBITED. */
  readonly senderId: Uint8Array;
  readonly fixedData: Uint8Array;
  readonly userData: Uint8Array;
}

/** Link data of a contact queue, which also names its link ID. */
export interface ContactLinkData extends MessagingLinkData {
  readonly linkId: Uint8Array;
}

/** `QueueReqData`: 'M' maybe(short(senderId) large large) | 'C' maybe(short(linkId) short(senderId) large large). */
export type QueueReqData =
  | { readonly mode: 'messaging'; readonly link: MessagingLinkData | null }
  | { readonly mode: 'contact'; readonly link: ContactLinkData | null };

/** `NewNtfCreds`: notification credentials created together with the queue (v17+). */
export interface NewNtfCreds {
  readonly notifierKey: PublicKey;
  /** X25519. */
  readonly rcvNtfDhKey: PublicKey;
}

/** `MsgFlags`: one flag today. On the wire 'T'/'F', followed by up to 7 reserved bytes that parsers skip. */
export interface MsgFlags {
  readonly notification: boolean;
}

export type Command =
  | {
      readonly type: 'NEW';
      /** The new recipient key; it also authorizes the NEW itself. */
      readonly rcvAuthKey: PublicKey;
      /** X25519, for the server-to-recipient layer (smp.md §8.2). */
      readonly rcvDhKey: PublicKey;
      /** Server password, or null. */
      readonly basicAuth: string | null;
      readonly subMode: SubscriptionMode;
      /** v9+ (v9..14 carry only its mode, as the sndSecure bool); null below v9. */
      readonly queueReqData: QueueReqData | null;
      /** v17+. */
      readonly ntfCreds: NewNtfCreds | null;
    }
  | { readonly type: 'SUB' }
  | { readonly type: 'SUBS' }
  | { readonly type: 'KEY'; readonly senderKey: PublicKey }
  | { readonly type: 'RKEY'; readonly recipientKeys: readonly PublicKey[] }
  | { readonly type: 'LSET'; readonly linkId: Uint8Array; readonly fixedData: Uint8Array; readonly userData: Uint8Array }
  | { readonly type: 'LDEL' }
  | { readonly type: 'NKEY'; readonly notifierKey: PublicKey; readonly rcvNtfDhKey: PublicKey }
  | { readonly type: 'NDEL' }
  | { readonly type: 'GET' }
  | { readonly type: 'ACK'; readonly msgId: Uint8Array }
  | { readonly type: 'OFF' }
  | { readonly type: 'DEL' }
  | { readonly type: 'QUE' }
  | { readonly type: 'SKEY'; readonly senderKey: PublicKey }
  | { readonly type: 'SEND'; readonly flags: MsgFlags; readonly body: Uint8Array }
  | { readonly type: 'PING' }
  | { readonly type: 'LKEY'; readonly senderKey: PublicKey }
  | { readonly type: 'LGET' }
  | { readonly type: 'NSUB' }
  | { readonly type: 'NSUBS' }
  | { readonly type: 'PRXY'; readonly server: SmpServer; readonly basicAuth: string | null }
  /** Entity = proxy session ID; corrId = the s2r nonce N (smp.md §10.2). */
  | { readonly type: 'PFWD'; readonly version: number; readonly ephemeralKey: PublicKey; readonly encTransmission: Uint8Array }
  /** Proxy to relay (smp.md §10.3): the p2r-encrypted FwdTransmission. */
  | { readonly type: 'RFWD'; readonly encFwdTransmission: Uint8Array };

export type CommandType = Command['type'];

/**
 * The largest SEND body a server accepts at version v (`maxMessageLength`). A larger body is
 * refused with ERR LARGE_MSG; the encoder refuses it first.
 */
export function maxMessageLength(v: number): number {
  if (v >= encryptedBlockSMPVersion) return 16048;
  if (v >= sendingProxySMPVersion) return 16064;
  return 16088;
}

// ---------------------------------------------------------------------------------------------
// Encoding

const SP = 0x20;

export function encodeCommand(v: number, cmd: Command): Uint8Array {
  const e = new Encoder(cmd.type === 'SEND' ? 16 + cmd.body.length : 128);
  writeCommand(e, v, cmd);
  return e.finish();
}

function writeCommand(e: Encoder, v: number, cmd: Command): void {
  switch (cmd.type) {
    case 'NEW':
      writeNew(e, v, cmd);
      return;
    case 'KEY':
    case 'SKEY':
    case 'LKEY':
      e.ascii(cmd.type).u8(SP);
      writeAuthKey(e, cmd.senderKey, cmd.type + ' sender key');
      return;
    case 'RKEY':
      e.ascii('RKEY').u8(SP);
      e.nonEmpty(cmd.recipientKeys, (x, k) => writeAuthKey(x, k, 'RKEY recipient key'));
      return;
    case 'LSET':
      e.ascii('LSET').u8(SP).short(cmd.linkId).large(cmd.fixedData).large(cmd.userData);
      return;
    case 'NKEY':
      e.ascii('NKEY').u8(SP);
      writeAuthKey(e, cmd.notifierKey, 'NKEY notifier key');
      writeDhKey(e, cmd.rcvNtfDhKey, 'NKEY DH key');
      return;
    case 'ACK':
      e.ascii('ACK').u8(SP).short(cmd.msgId);
      return;
    case 'SEND': {
      const limit = maxMessageLength(v);
      if (cmd.body.length > limit) {
        throw new EncodeError('too-long', 'SEND body of ' + cmd.body.length + ' bytes exceeds the ' + limit + '-byte limit of SMP v' + v);
      }
      e.ascii('SEND').u8(SP).bool(cmd.flags.notification).u8(SP).tail(cmd.body);
      return;
    }
    case 'PRXY':
      e.ascii('PRXY').u8(SP);
      writeProtocolServer(e, cmd.server);
      e.maybe(cmd.basicAuth, (x, a) => x.short(basicAuthBytes(a)));
      return;
    case 'PFWD':
      e.ascii('PFWD').u8(SP).version(cmd.version);
      writeDhKey(e, cmd.ephemeralKey, 'PFWD key');
      e.tail(cmd.encTransmission);
      return;
    case 'RFWD':
      e.ascii('RFWD').u8(SP).tail(cmd.encFwdTransmission);
      return;
    case 'SUB':
    case 'SUBS':
    case 'LDEL':
    case 'NDEL':
    case 'GET':
    case 'OFF':
    case 'DEL':
    case 'QUE':
    case 'PING':
    case 'LGET':
    case 'NSUB':
    case 'NSUBS':
      e.ascii(cmd.type);
      return;
    default:
      throw new EncodeError('invalid-value', 'unknown command');
  }
}

type NewCommand = Extract<Command, { type: 'NEW' }>;

/**
 *   v17+:   NEW SP rcvAuthKey rcvDhKey maybe(basicAuth) subMode maybe(QueueReqData) maybe(NewNtfCreds)
 *   v15-16: NEW SP rcvAuthKey rcvDhKey maybe(basicAuth) subMode maybe(QueueReqData)
 *   v9-14:  NEW SP rcvAuthKey rcvDhKey maybe(basicAuth) subMode bool(sndSecure = mode is messaging)
 *   v6-8:   NEW SP rcvAuthKey rcvDhKey ['A' short(basicAuth)] subMode
 * Upstream silently drops what a version cannot carry; a client asking for it would then get a
 * different queue than it asked for, so fields the version cannot carry are an EncodeError here.
 */
function writeNew(e: Encoder, v: number, cmd: NewCommand): void {
  const q = cmd.queueReqData;
  if (cmd.ntfCreds !== null && v < newNtfCredsSMPVersion) {
    throw new EncodeError('invalid-value', 'NEW notifier credentials need SMP v' + newNtfCredsSMPVersion + ', negotiated v' + v);
  }
  if (q !== null && q.link !== null && v < shortLinksSMPVersion) {
    throw new EncodeError('invalid-value', 'NEW link data needs SMP v' + shortLinksSMPVersion + ', negotiated v' + v);
  }
  if (q !== null && v < sndAuthKeySMPVersion) {
    throw new EncodeError('invalid-value', 'NEW queue mode needs SMP v' + sndAuthKeySMPVersion + ', negotiated v' + v);
  }
  e.ascii('NEW').u8(SP);
  writeAuthKey(e, cmd.rcvAuthKey, 'NEW recipient key');
  writeDhKey(e, cmd.rcvDhKey, 'NEW DH key');
  if (v >= sndAuthKeySMPVersion) {
    e.maybe(cmd.basicAuth, (x, a) => x.short(basicAuthBytes(a)));
  } else if (cmd.basicAuth !== null) {
    e.u8(0x41).short(basicAuthBytes(cmd.basicAuth)); // 'A'
  }
  if (cmd.subMode === 'subscribe') e.u8(0x53); // 'S'
  else if (cmd.subMode === 'only-create') e.u8(0x43); // 'C'
  else throw new EncodeError('invalid-value', 'NEW subscription mode must be subscribe or only-create');
  if (v >= shortLinksSMPVersion) {
    e.maybe(q, writeQueueReqData);
    if (v >= newNtfCredsSMPVersion) {
      e.maybe(cmd.ntfCreds, (x, n) => {
        writeAuthKey(x, n.notifierKey, 'NEW notifier key');
        writeDhKey(x, n.rcvNtfDhKey, 'NEW notifier DH key');
      });
    }
  } else if (v >= sndAuthKeySMPVersion) {
    e.bool(q !== null && q.mode === 'messaging'); // `senderCanSecure`
  }
}

function writeQueueReqData(e: Encoder, q: QueueReqData): void {
  if (q.mode === 'messaging') {
    e.u8(0x4d); // 'M'
    e.maybe(q.link, (x, l) => x.short(l.senderId).large(l.fixedData).large(l.userData));
  } else if (q.mode === 'contact') {
    e.u8(0x43); // 'C'
    e.maybe(q.link, (x, l) => x.short(l.linkId).short(l.senderId).large(l.fixedData).large(l.userData));
  } else {
    throw new EncodeError('invalid-value', 'queue mode must be messaging or contact');
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Tags a command may have; each decodes its parameters with the reader named here. */
const NO_PARAMS: { [tag: string]: true } = {
  SUB: true, SUBS: true, LDEL: true, NDEL: true, GET: true, OFF: true, DEL: true, QUE: true,
  PING: true, LGET: true, NSUB: true, NSUBS: true,
};
const WITH_PARAMS: { [tag: string]: true } = {
  NEW: true, KEY: true, RKEY: true, LSET: true, NKEY: true, ACK: true, SKEY: true, SEND: true,
  LKEY: true, PRXY: true, PFWD: true, RFWD: true,
};
/** The longest command tag; anything longer is unknown without being read. */
const MAX_TAG = 5;

/**
 * Parses a command at version v (`parseProtocol`). Throws ProtocolParseError only.
 * Does not check the credential rules: see checkCredentials.
 */
export function decodeCommand(v: number, bytes: Uint8Array): Command {
  const tagEnd = tagLength(bytes, MAX_TAG);
  const tag = tagEnd <= MAX_TAG ? asciiTag(bytes, tagEnd) : null;
  if (tag === null || !(NO_PARAMS[tag] === true || WITH_PARAMS[tag] === true)) {
    throw new ProtocolParseError('unknown-command', 'unknown command tag');
  }
  const params = bytes.subarray(tagEnd);
  const r = decode(params, (d) => readParams(d, v, tag));
  if (!r.ok) throw new ProtocolParseError('bad-syntax', tag + ': ' + r.error.message);
  return r.value;
}

function readParams(d: Decoder, v: number, tag: string): Command {
  if (NO_PARAMS[tag] === true) return { type: tag } as Command; // the end-of-input check refuses "SUB "
  d.expectAscii(' ');
  switch (tag) {
    case 'NEW':
      return readNew(d, v);
    case 'KEY':
      return { type: 'KEY', senderKey: readAuthKey(d, 'sender key') };
    case 'SKEY':
      return { type: 'SKEY', senderKey: readAuthKey(d, 'sender key') };
    case 'LKEY':
      return { type: 'LKEY', senderKey: readAuthKey(d, 'sender key') };
    case 'RKEY':
      return { type: 'RKEY', recipientKeys: d.nonEmpty((x) => readAuthKey(x, 'recipient key')) };
    case 'LSET':
      return { type: 'LSET', linkId: d.short(), fixedData: d.large(), userData: d.large() };
    case 'NKEY':
      return { type: 'NKEY', notifierKey: readAuthKey(d, 'notifier key'), rcvNtfDhKey: readDhKey(d, 'notifier DH key') };
    case 'ACK':
      return { type: 'ACK', msgId: d.short() };
    case 'SEND': {
      const flags = readMsgFlags(d);
      d.expectAscii(' ');
      return { type: 'SEND', flags: flags, body: d.tail() };
    }
    case 'PRXY':
      return { type: 'PRXY', server: readProtocolServer(d), basicAuth: d.maybe(readBasicAuth) };
    case 'PFWD':
      return { type: 'PFWD', version: d.version(), ephemeralKey: readDhKey(d, 'PFWD key'), encTransmission: d.tail() };
    case 'RFWD':
      return { type: 'RFWD', encFwdTransmission: d.tail() };
    default:
      throw new DecodeError('invalid-value', 'unknown command');
  }
}

function readNew(d: Decoder, v: number): Command {
  const rcvAuthKey = readAuthKey(d, 'recipient key');
  const rcvDhKey = readDhKey(d, 'DH key');
  let basicAuth: string | null = null;
  if (v >= sndAuthKeySMPVersion) {
    basicAuth = d.maybe(readBasicAuth);
  } else if (d.peek() === 0x41) {
    // `optional ('A' *> smpP)`: the subscription mode is never 'A', so a leading 'A' is the password.
    d.u8();
    basicAuth = readBasicAuth(d);
  }
  const subMode = readSubMode(d);
  let queueReqData: QueueReqData | null = null;
  let ntfCreds: NewNtfCreds | null = null;
  if (v >= shortLinksSMPVersion) {
    queueReqData = d.maybe(readQueueReqData);
    if (v >= newNtfCredsSMPVersion) {
      ntfCreds = d.maybe((x) => ({ notifierKey: readAuthKey(x, 'notifier key'), rcvNtfDhKey: readDhKey(x, 'notifier DH key') }));
    }
  } else if (v >= sndAuthKeySMPVersion) {
    queueReqData = { mode: d.bool() ? 'messaging' : 'contact', link: null };
  }
  return { type: 'NEW', rcvAuthKey, rcvDhKey, basicAuth, subMode, queueReqData, ntfCreds };
}

function readSubMode(d: Decoder): SubscriptionMode {
  const at = d.offset;
  const c = d.u8();
  if (c === 0x53) return 'subscribe'; // 'S'
  if (c === 0x43) return 'only-create'; // 'C'
  throw new DecodeError('invalid-value', "subscription mode at byte " + at + " is neither 'S' nor 'C'");
}

function readQueueReqData(d: Decoder): QueueReqData {
  const at = d.offset;
  const c = d.u8();
  if (c === 0x4d) {
    return { mode: 'messaging', link: d.maybe((x) => ({ senderId: x.short(), fixedData: x.large(), userData: x.large() })) };
  }
  if (c === 0x43) {
    return {
      mode: 'contact',
      link: d.maybe((x) => {
        const linkId = x.short();
        return { linkId: linkId, senderId: x.short(), fixedData: x.large(), userData: x.large() };
      }),
    };
  }
  throw new DecodeError('invalid-value', "queue mode at byte " + at + " is neither 'M' nor 'C'");
}

/**
 * `MsgFlags` smpP: a Bool, then every byte up to the next space is skipped (`A.takeTill (== ' ')`).
 * Those reserved bytes (room for 7 more flags) are dropped, as upstream drops them.
 */
export function readMsgFlags(d: Decoder): MsgFlags {
  const notification = d.bool();
  while (d.remaining > 0 && d.peek() !== SP) d.u8();
  return { notification: notification };
}

function readBasicAuth(d: Decoder): string {
  const at = d.offset;
  const bytes = d.short();
  let s = '';
  for (let k = 0; k < bytes.length; k++) s += String.fromCharCode(bytes[k]);
  // `basicAuth <$?> smpP`: the same character rules as in the address.
  if (!isValidBasicAuth(s)) throw new DecodeError('invalid-value', 'server password at byte ' + at + ' has a character that is not allowed');
  return s;
}

function basicAuthBytes(a: string): Uint8Array {
  if (!isValidBasicAuth(a)) throw new EncodeError('invalid-value', 'server password has a character that is not allowed');
  const out = new Uint8Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a.charCodeAt(k);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Credential rules (smp.md §6.4; `checkCredentials`)

/**
 * What the server answers when a command's authorization or entity ID is missing or not allowed,
 * or null when they fit. `hasAuth` is whether the transmission carried a non-empty authorization.
 */
export function checkCredentials(cmd: Command, hasAuth: boolean, entityId: Uint8Array): CommandErrorCode | null {
  const hasEntity = entityId.length > 0;
  switch (cmd.type) {
    case 'NEW':
      if (!hasAuth) return 'NO_AUTH';
      return hasEntity ? 'HAS_AUTH' : null;
    case 'SEND':
      return hasEntity ? null : 'NO_ENTITY';
    case 'LGET':
    case 'PFWD':
      if (!hasEntity) return 'NO_ENTITY';
      return hasAuth ? 'HAS_AUTH' : null;
    case 'PING':
    case 'PRXY':
    case 'RFWD':
      return !hasAuth && !hasEntity ? null : 'HAS_AUTH';
    default:
      return hasAuth && hasEntity ? null : 'NO_AUTH';
  }
}

// ---------------------------------------------------------------------------------------------
// Tags (shared with responses.ts)

/**
 * Length of the tag: the bytes before the first space, or all of them. Scanning stops after
 * `limit` + 1 bytes, since a longer tag is unknown whatever it says.
 */
export function tagLength(bytes: Uint8Array, limit: number): number {
  let n = 0;
  while (n < bytes.length && n <= limit && bytes[n] !== SP) n++;
  return n;
}

/**
 * The first n bytes as a tag, or null if they cannot be one. Tags are A-Z and '_' only, so the
 * result can index the plain-object tag tables without meeting Object.prototype names.
 */
export function asciiTag(bytes: Uint8Array, n: number): string | null {
  let s = '';
  for (let k = 0; k < n; k++) {
    const c = bytes[k];
    if (!((c >= 0x41 && c <= 0x5a) || c === 0x5f)) return null; // A-Z and '_'
    s += String.fromCharCode(c);
  }
  return s;
}
