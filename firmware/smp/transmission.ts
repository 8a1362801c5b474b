import { SimpleGoError } from '../../hal/errors';
import { decode, Decoder, Encoder, type VersionRange } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';

/**
 * SMP blocks, batches and transmissions (smp.md §5.1, §5.2, §6; simplexmq Transport.hs and
 * Protocol.hs: `tPutBlock`, `tGetBlock`, `batchTransmissions_`, `tEncodeAuth`, `transmissionP`,
 * `encodeTransmissionForAuth`, `decodeTAuthBytes`). Pure byte formats: no I/O, no crypto. Block
 * encryption (§5.3) wraps `encodeBlockContent`'s output elsewhere.
 */

// ---------------------------------------------------------------------------------------------
// Sizes and versions

/** Every SMP read and write is exactly one block of this size (`smpBlockSize`). */
export const SMP_BLOCK_SIZE = 16384;
/** The largest content of an unencrypted block: 16384 − the 2-byte padding length. */
export const SMP_BLOCK_CONTENT_MAX = 16382;
/** The largest content of an encrypted block: 16384 − 16 (tag) − 2 (padding length). */
export const SMP_ENCRYPTED_BLOCK_CONTENT_MAX = 16366;
/**
 * The sender's budget for the `large()` items of one batch: 16384 − 19 (2 padding length, 1 count,
 * 16 encryption tag). Upstream applies it to encrypted and unencrypted blocks alike.
 */
export const SMP_BATCH_BUDGET = 16365;
/** A batch count is one byte and a batch is never empty. */
export const SMP_BATCH_MAX_COUNT = 255;

// The version constants of Transport.hs, named as upstream names them (smp.md §4.5).
export const minServerSMPRelayVersion = 6;
export const minClientSMPRelayVersion = 6;
/** Server hello carries certChainPubKey; session ID implied (not sent) but authorized; X25519 authenticators. */
export const authCmdsSMPVersion = 7;
/** PRXY/PKEY/PFWD/PRES/RFWD/RRES; SEND body limit 16064. */
export const sendingProxySMPVersion = 8;
/** SKEY; NEW and IDS carry the sndSecure bool. */
export const sndAuthKeySMPVersion = 9;
/** DELD (END below). */
export const deletedEventSMPVersion = 10;
/** Transport block encryption; SEND body limit 16048. */
export const encryptedBlockSMPVersion = 11;
/** ERR BLOCKED (AUTH below). */
export const blockedEntitySMPVersion = 12;
/** proxyServer bool in the client hello. */
export const proxyServerHandshakeSMPVersion = 14;
/** NEW QueueReqData, IDS queue mode and link ID, LSET/LDEL/LKEY/LGET/LNK. */
export const shortLinksSMPVersion = 15;
/** serviceSig byte after a non-empty authorization; IDS serviceId; SOK; service handshake. */
export const serviceCertsSMPVersion = 16;
/** NEW NewNtfCreds, IDS ServerNtfCreds; also the proxy's relay version cap. */
export const newNtfCredsSMPVersion = 17;
/** ERR BLOCKED may carry a client notice. */
export const clientNoticesSMPVersion = 18;
export const currentClientSMPRelayVersion = 18;
export const currentServerSMPRelayVersion = 18;
/** A proxy caps the versions it reports in PKEY at this, so relays cannot fingerprint clients. */
export const proxiedSMPRelayVersion = 17;

/** The range SimpleGo offers as a client (`supportedClientSMPRelayVRange`). */
export const supportedClientSMPRelayVRange: VersionRange = { min: minClientSMPRelayVersion, max: currentClientSMPRelayVersion };
/** The range a server offers with ALPN `smp/1` (`supportedServerSMPRelayVRange`). */
export const supportedServerSMPRelayVRange: VersionRange = { min: minServerSMPRelayVersion, max: currentServerSMPRelayVersion };
/** The range a server offers a client that sent no ALPN (`legacyServerSMPRelayVRange`). */
export const legacyServerSMPRelayVRange: VersionRange = { min: minServerSMPRelayVersion, max: 6 };
/** What a proxy intersects the relay's range with before reporting it in PKEY. */
export const proxiedSMPRelayVRange: VersionRange = { min: sendingProxySMPVersion, max: proxiedSMPRelayVersion };

/** Authorization sizes: the length alone tells the kind (`decodeTAuthBytes`, `cbAuthenticatorSize`). */
export const ED25519_SIGNATURE_LENGTH = 64;
export const ED448_SIGNATURE_LENGTH = 114;
export const X25519_AUTHENTICATOR_LENGTH = 80;

// ---------------------------------------------------------------------------------------------
// Errors

export type TransmissionErrorCode = 'large-message';

/**
 * 'large-message': a transmission or block content does not fit a block (`TELargeMsg`). Nothing was
 * sent; the command must be rejected or made smaller.
 */
export class TransmissionError extends SimpleGoError {
  declare readonly code: TransmissionErrorCode;
  constructor(code: TransmissionErrorCode, message: string) {
    super(code, message);
    this.name = 'TransmissionError';
  }
}

// ---------------------------------------------------------------------------------------------
// Blocks (§5.1): word16 contentLen ‖ content ‖ '#' × (16382 − contentLen)

const PAD_BYTE = 0x23; // '#'

/** The unencrypted 16384-byte block around `content` (`tPutBlock` without block encryption). */
export function encodeBlock(content: Uint8Array): Uint8Array {
  if (content.length > SMP_BLOCK_CONTENT_MAX) {
    throw new TransmissionError('large-message', 'block content of ' + content.length + ' bytes exceeds the ' + SMP_BLOCK_CONTENT_MAX + '-byte limit of an unencrypted block');
  }
  const block = new Uint8Array(SMP_BLOCK_SIZE);
  block[0] = content.length >> 8;
  block[1] = content.length & 0xff;
  block.set(content, 2);
  block.fill(PAD_BYTE, 2 + content.length);
  return block;
}

/**
 * The content of an unencrypted block, as a view. Like upstream `unPad`, only the length is
 * checked, not the '#' filler: the block is the unit of transport and TLS already authenticated it.
 */
export function decodeBlock(block: Uint8Array): Uint8Array {
  if (block.length !== SMP_BLOCK_SIZE) {
    throw new DecodeError('invalid-value', 'an SMP block is ' + SMP_BLOCK_SIZE + ' bytes, got ' + block.length);
  }
  const len = (block[0] << 8) | block[1];
  if (len > SMP_BLOCK_CONTENT_MAX) {
    throw new DecodeError('truncated', 'block declares ' + len + ' content bytes, at most ' + SMP_BLOCK_CONTENT_MAX + ' fit');
  }
  return block.subarray(2, 2 + len);
}

// ---------------------------------------------------------------------------------------------
// Batches (§5.2): u8 count (1..255) ‖ large(t_1) ‖ … ‖ large(t_count), ending exactly there

export function encodeBatch(transmissions: readonly Uint8Array[]): Uint8Array {
  const n = transmissions.length;
  if (n < 1 || n > SMP_BATCH_MAX_COUNT) {
    throw new EncodeError('invalid-value', 'a batch holds 1..' + SMP_BATCH_MAX_COUNT + ' transmissions, got ' + n);
  }
  let size = 1;
  for (let i = 0; i < n; i++) size += 2 + transmissions[i].length;
  const e = new Encoder(size);
  e.u8(n);
  for (let i = 0; i < n; i++) e.large(transmissions[i]);
  return e.finish();
}

/**
 * The transmissions of one block content (views into it). A count of 0, a truncated item or any
 * byte after the last item is an error: the server answers all of these with ERR BLOCK and an empty
 * corrId (`tParse`: `parse smpP TEBadBlock`, which requires the end of input).
 */
export function decodeBatch(content: Uint8Array): Uint8Array[] {
  const r = decode(content, (d) => d.nonEmpty((x) => x.large()));
  if (!r.ok) throw new DecodeError(r.error.code, 'batch: ' + r.error.message);
  return r.value;
}

/** One block's worth of transmissions from `packTransmissions`, or one that cannot be sent. */
export type PackedBatch =
  | { readonly ok: true; readonly content: Uint8Array; readonly start: number; readonly count: number }
  | { readonly ok: false; readonly index: number; readonly error: TransmissionError };

/**
 * Splits encoded transmissions, in order, into block contents: each batch's `large()` items total
 * at most SMP_BATCH_BUDGET bytes and at most 255 items. A transmission that cannot fit even alone
 * becomes a 'large-message' entry and the others are still packed.
 *
 * The grouping is upstream's (`batchTransmissions_` is a right fold): batches are filled from the
 * END of the list, so the FIRST batch is the partial one. 300 v18 SUBs pack as 30 + 135 + 135, not
 * 135 + 135 + 30. Matching this keeps SimpleGo's traffic indistinguishable from the official client's.
 */
export function packTransmissions(transmissions: readonly Uint8Array[]): PackedBatch[] {
  const reversed: PackedBatch[] = [];
  let size = 0; // bytes of the batch being built, which covers indices [first, first + count)
  let count = 0;
  let first = transmissions.length;
  for (let i = transmissions.length - 1; i >= 0; i--) {
    const itemSize = 2 + transmissions[i].length;
    if (size + itemSize <= SMP_BATCH_BUDGET && count < SMP_BATCH_MAX_COUNT) {
      size += itemSize;
      count++;
      first = i;
    } else {
      if (count > 0) reversed.push(packedBatch(transmissions, first, count));
      if (itemSize <= SMP_BATCH_BUDGET) {
        size = itemSize;
        count = 1;
        first = i;
      } else {
        reversed.push({
          ok: false,
          index: i,
          error: new TransmissionError('large-message', 'transmission ' + i + ' is ' + transmissions[i].length + ' bytes; a block holds at most ' + (SMP_BATCH_BUDGET - 2)),
        });
        size = 0;
        count = 0;
        first = i;
      }
    }
  }
  if (count > 0) reversed.push(packedBatch(transmissions, first, count));
  const out: PackedBatch[] = [];
  for (let k = reversed.length - 1; k >= 0; k--) out.push(reversed[k]);
  return out;
}

function packedBatch(transmissions: readonly Uint8Array[], start: number, count: number): PackedBatch {
  const items: Uint8Array[] = [];
  for (let k = 0; k < count; k++) items.push(transmissions[start + k]);
  return { ok: true, content: encodeBatch(items), start: start, count: count };
}

// ---------------------------------------------------------------------------------------------
// Transmissions (§6.1)
//
//   v6:      short(auth) ‖ short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ command
//   v7..15:  short(auth) ‖ short(corrId) ‖ short(entityId) ‖ command
//   v16+:    short(auth) ‖ ['0' | '1' short(serviceSig)] ‖ short(corrId) ‖ short(entityId) ‖ command
//            (the serviceSig field exists only after a NON-empty authorization)
//
// The layout follows the negotiated version (`smpTHandle_`: implySessId = v ≥ 7, serviceAuth = v ≥ 16).

/** The per-connection facts a transmission's layout and authorization depend on. */
export interface TransmissionParams {
  /** The negotiated SMP version. */
  readonly version: number;
  /** tls-unique of the connection: sent in v6 transmissions, prefixed to the authorized bytes from v7. */
  readonly sessionId: Uint8Array;
}

export interface Transmission {
  /** Empty when the command is not authorized; otherwise 64, 114 or 80 bytes. */
  readonly authorization: Uint8Array;
  /**
   * v16+ only, and only with a non-empty authorization: a service client's Ed25519 signature. An
   * ordinary client leaves it null, which is written as '0'.
   */
  readonly serviceSig?: Uint8Array | null;
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  /** The encoded command or response (commands.ts / responses.ts). */
  readonly command: Uint8Array;
}

/**
 * The bytes an authorization covers: short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ command
 * (`encodeTransmissionForAuth`). From v7 the session ID is not sent but still covered; in v6 it is
 * sent, and these are exactly the bytes after the authorization. The serviceSig field never is.
 */
export function authorizedBytes(sessionId: Uint8Array, corrId: Uint8Array, entityId: Uint8Array, command: Uint8Array): Uint8Array {
  return new Encoder(3 + sessionId.length + corrId.length + entityId.length + command.length)
    .short(sessionId)
    .short(corrId)
    .short(entityId)
    .raw(command)
    .finish();
}

/** One transmission in the layout of `params.version` (`tEncode` after `encodeTransmission`). */
export function encodeTransmission(params: TransmissionParams, t: Transmission): Uint8Array {
  checkAuthorizationLength(t.authorization);
  const v = params.version;
  const serviceSig = t.serviceSig === undefined ? null : t.serviceSig;
  const serviceField = v >= serviceCertsSMPVersion && t.authorization.length > 0;
  if (serviceSig !== null) {
    if (!serviceField) {
      throw new EncodeError('invalid-value', 'a service signature needs SMP v' + serviceCertsSMPVersion + '+ and a non-empty authorization');
    }
    if (serviceSig.length !== ED25519_SIGNATURE_LENGTH) {
      throw new EncodeError('invalid-value', 'a service signature is an Ed25519 signature of 64 bytes, got ' + serviceSig.length);
    }
  }
  const e = new Encoder(6 + t.authorization.length + params.sessionId.length + t.corrId.length + t.entityId.length + t.command.length + 66);
  e.short(t.authorization);
  if (serviceField) e.maybe(serviceSig, (x, s) => x.short(s));
  if (v < authCmdsSMPVersion) e.short(params.sessionId);
  return e.short(t.corrId).short(t.entityId).raw(t.command).finish();
}

/** A transmission as parsed, before its authorization is interpreted (upstream `RawTransmission`). */
export interface RawTransmission {
  /** As sent: empty, or the signature / authenticator bytes (see decodeTransmissionAuth). */
  readonly authorization: Uint8Array;
  /** The service signature (v16+, after a non-empty authorization), or null for '0' or earlier versions. */
  readonly serviceSig: Uint8Array | null;
  /**
   * What the authorization covers: short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ command.
   * Empty when the authorization is: there is nothing to verify, and building it would copy every
   * pushed 16 KB MSG for nothing.
   */
  readonly authorized: Uint8Array;
  /**
   * v6 only: the session ID as sent. The receiver must compare it with its own and answer a
   * mismatch with ERR SESSION. Null from v7, where the session ID is implied.
   */
  readonly sessionId: Uint8Array | null;
  readonly corrId: Uint8Array;
  readonly entityId: Uint8Array;
  readonly command: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/**
 * Parses one transmission of a batch (`transmissionP`). Byte fields are views into `bytes`, except
 * a non-empty `authorized` from v7, which is a new array. A DecodeError here is answered with ERR BLOCK and an
 * empty corrId (`tDecodeServer`: `Left _ -> tError "" PEBlock`).
 *
 * The authorization length is NOT checked here, because the server answers a bad length with BLOCK
 * *carrying the corrId*: call decodeTransmissionAuth on the result.
 */
export function parseTransmission(params: TransmissionParams, bytes: Uint8Array): RawTransmission {
  const v = params.version;
  const r = decode(bytes, (d: Decoder): RawTransmission => {
    const authorization = d.short();
    let serviceSig: Uint8Array | null = null;
    if (v >= serviceCertsSMPVersion && authorization.length > 0) {
      serviceSig = d.maybe((x) => {
        const at = x.offset;
        const sig = x.short();
        if (sig.length !== ED25519_SIGNATURE_LENGTH) {
          throw new DecodeError('invalid-value', 'service signature at byte ' + at + ' must be 64 bytes (Ed25519), got ' + sig.length);
        }
        return sig;
      });
    }
    const signedStart = d.offset;
    const sessionId = v < authCmdsSMPVersion ? d.short() : null;
    const corrId = d.short();
    const entityId = d.short();
    const command = d.tail();
    const sent = bytes.subarray(signedStart);
    let authorized: Uint8Array = EMPTY;
    if (authorization.length > 0) {
      authorized = sessionId !== null ? sent : new Encoder(1 + params.sessionId.length + sent.length).short(params.sessionId).raw(sent).finish();
    }
    return { authorization, serviceSig, authorized, sessionId, corrId, entityId, command };
  });
  if (!r.ok) throw new DecodeError(r.error.code, 'transmission: ' + r.error.message);
  return r.value;
}

export type TransmissionAuthKind = 'ed25519' | 'ed448' | 'x25519';

/** A non-empty authorization, classified by its length. */
export interface TransmissionAuth {
  /** Ed25519 or Ed448 signature, or ('x25519') an 80-byte crypto_box authenticator. */
  readonly kind: TransmissionAuthKind;
  readonly bytes: Uint8Array;
}

/**
 * Classifies an authorization by length (`decodeTAuthBytes`): 0 → none (null), 64 → Ed25519,
 * 114 → Ed448, 80 → X25519 authenticator. Any other length is a DecodeError, which the server
 * answers with ERR BLOCK and the transmission's corrId.
 */
export function decodeTransmissionAuth(authorization: Uint8Array): TransmissionAuth | null {
  switch (authorization.length) {
    case 0:
      return null;
    case ED25519_SIGNATURE_LENGTH:
      return { kind: 'ed25519', bytes: authorization };
    case ED448_SIGNATURE_LENGTH:
      return { kind: 'ed448', bytes: authorization };
    case X25519_AUTHENTICATOR_LENGTH:
      return { kind: 'x25519', bytes: authorization };
    default:
      throw new DecodeError('invalid-value', 'authorization of ' + authorization.length + ' bytes is neither empty nor 64 (Ed25519), 114 (Ed448) or 80 (X25519 authenticator)');
  }
}

function checkAuthorizationLength(authorization: Uint8Array): void {
  const n = authorization.length;
  if (n !== 0 && n !== ED25519_SIGNATURE_LENGTH && n !== ED448_SIGNATURE_LENGTH && n !== X25519_AUTHENTICATOR_LENGTH) {
    throw new EncodeError('invalid-value', 'authorization must be empty or 64, 114 or 80 bytes, got ' + n);
  }
}
