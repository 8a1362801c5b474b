import { KEY_SIZES } from '../../hal/crypto';
import { Decoder, Encoder } from '../encoding/binary';
import { copyBytes } from '../encoding/bytes';
import { DecodeError } from '../encoding/errors';
import { decodePublicKeyOf, encodePublicKey } from '../crypto/keys';

/**
 * The ratchet's wire encodings (agent.md §7.5, §8.2; simplexmq Crypto/Ratchet.hs): the plain
 * message header, the encrypted header, the encrypted message, and the KEM parameters that both
 * the headers and the X3DH parameters carry.
 *
 * Two length rules coexist. From e2e version 3 the encrypted header and its ciphertext are
 * `large` (2-byte length); at version 2 they are `short` (1 byte). Readers do not need the
 * version: a header is never shorter than 32 bytes, so a first length byte below 32 can only be
 * the high byte of a 2-byte length (simplexmq `largeP`).
 *
 * Decoders throw DecodeError and copy every key they return, so results outlive the input.
 */

/** e2e version 2: X3DH through HKDF, 1-byte lengths. The oldest version we speak. */
export const E2E_VERSION_MIN = 2;
/** e2e version 3: sntrup761 KEM fields and 2-byte lengths. */
export const E2E_VERSION_PQ = 3;
/** The newest e2e version we speak (simplexmq `currentE2EEncryptVersion`). */
export const E2E_VERSION_MAX = 3;

/** Padded plain header without PQ support (simplexmq `paddedHeaderLen`). */
export const HEADER_PAD_LENGTH = 88;
/** Padded plain header once PQ support is on at v3, whether or not this header has KEM data. */
export const HEADER_PAD_LENGTH_PQ = 2310;

/** AES-GCM IVs in the ratchet are 16 bytes and used as they are (agent.md §7.1). */
export const RATCHET_IV_LENGTH = 16;
export const RATCHET_TAG_LENGTH = 16;

/** Below this, a first length byte means a 2-byte length (simplexmq `largeP`). */
const LARGE_LENGTH_MARK = 32;

const TAG_PROPOSED = 0x50; // 'P'
const TAG_ACCEPTED = 0x41; // 'A'

/**
 * KEM data in a header or in X3DH parameters. 'proposed': here is my encapsulation key.
 * 'accepted': here is a ciphertext for your key, and my next encapsulation key.
 */
export type KemParams =
  | { readonly kind: 'proposed'; readonly publicKey: Uint8Array }
  | { readonly kind: 'accepted'; readonly ciphertext: Uint8Array; readonly publicKey: Uint8Array };

/** A message header before encryption (simplexmq `MsgHeader`). */
export interface MsgHeader {
  /** The sender's maximum e2e version; it lets the receiver upgrade its current version. */
  readonly maxVersion: number;
  /** The sender's current ratchet public key, raw X448 (56 bytes). */
  readonly dhPublicKey: Uint8Array;
  /** Only at e2e version >= 3. */
  readonly kem: KemParams | null;
  /** Length of the sender's previous sending chain. */
  readonly pn: number;
  /** Number of this message in the sender's current sending chain. */
  readonly ns: number;
}

/** The encrypted header (simplexmq `EncMessageHeader`). */
export interface EncMessageHeader {
  /** The sender's current e2e version: it decides this header's format. */
  readonly version: number;
  readonly iv: Uint8Array;
  readonly tag: Uint8Array;
  /** The encrypted padded MsgHeader. */
  readonly body: Uint8Array;
}

/** A ratchet message (simplexmq `EncRatchetMessage`). */
export interface EncRatchetMessage {
  /** The encoded EncMessageHeader; the body's associated data includes these exact bytes. */
  readonly header: Uint8Array;
  readonly tag: Uint8Array;
  readonly body: Uint8Array;
}

/** The padded size of the plain header: 2310 once PQ support is on at v3, else 88. */
export function paddedHeaderLength(version: number, pqSupport: boolean): number {
  return pqSupport && version >= E2E_VERSION_PQ ? HEADER_PAD_LENGTH_PQ : HEADER_PAD_LENGTH;
}

export function encodeKemParams(e: Encoder, p: KemParams): void {
  if (p.kind === 'proposed') {
    e.u8(TAG_PROPOSED).large(p.publicKey);
  } else {
    e.u8(TAG_ACCEPTED).large(p.ciphertext).large(p.publicKey);
  }
}

/**
 * Reads 'P' large(pk) or 'A' large(ct) large(pk). The sizes are checked here (simplexmq does not),
 * because the KEM primitives take only exact sizes and a wrong one is the peer's fault.
 */
export function decodeKemParams(d: Decoder): KemParams {
  const at = d.offset;
  const tag = d.u8();
  if (tag === TAG_PROPOSED) {
    return { kind: 'proposed', publicKey: kemBytes(d, KEY_SIZES.sntrup761Public, 'sntrup761 public key') };
  }
  if (tag === TAG_ACCEPTED) {
    const ciphertext = kemBytes(d, KEY_SIZES.sntrup761Ciphertext, 'sntrup761 ciphertext');
    return { kind: 'accepted', ciphertext: ciphertext, publicKey: kemBytes(d, KEY_SIZES.sntrup761Public, 'sntrup761 public key') };
  }
  throw new DecodeError('invalid-value', "KEM parameters at byte " + at + " are neither 'P' nor 'A'");
}

function kemBytes(d: Decoder, size: number, what: string): Uint8Array {
  const at = d.offset;
  const bytes = d.large();
  if (bytes.length !== size) {
    throw new DecodeError('invalid-value', what + ' at byte ' + at + ' is ' + bytes.length + ' bytes, expected ' + size);
  }
  return copyBytes(bytes);
}

/** `bs(X448 SPKI)`: the form of every X448 key in headers and X3DH parameters. */
export function encodeX448Key(e: Encoder, raw: Uint8Array): void {
  e.short(encodePublicKey('x448', raw));
}

/** Reads `bs(X448 SPKI)` and returns the raw key (a copy); any other algorithm is refused. */
export function decodeX448Key(d: Decoder): Uint8Array {
  return decodePublicKeyOf('x448', d.short());
}

/**
 * `encodeMsgHeader`: `version` is the sender's current e2e version, which decides whether the
 * KEM field is present; the header itself carries the maximum version.
 */
export function encodeMsgHeader(version: number, h: MsgHeader): Uint8Array {
  const e = new Encoder(h.kem === null ? 80 : 2282);
  e.version(h.maxVersion);
  encodeX448Key(e, h.dhPublicKey);
  if (version >= E2E_VERSION_PQ) e.maybe(h.kem, encodeKemParams);
  e.word32(h.pn).word32(h.ns);
  return e.finish();
}

/**
 * `msgHeaderP` for the version in the enclosing EncMessageHeader. A v2 header has no KEM field.
 * Bytes after Ns are ignored, as simplexmq parses the header without requiring its end
 * (`parseE'`): the padded size leaves room for fields a later version may add.
 */
export function decodeMsgHeader(version: number, bytes: Uint8Array): MsgHeader {
  const d = new Decoder(bytes);
  const maxVersion = d.version();
  const dhPublicKey = decodeX448Key(d);
  const kem = version >= E2E_VERSION_PQ ? d.maybe(decodeKemParams) : null;
  const pn = d.word32();
  const ns = d.word32();
  return { maxVersion: maxVersion, dhPublicKey: dhPublicKey, kem: kem, pn: pn, ns: ns };
}

/** `encodeLarge`: 2-byte length from v3, 1-byte before. */
function encodeVersionedBytes(e: Encoder, version: number, bytes: Uint8Array): void {
  if (version >= E2E_VERSION_PQ) e.large(bytes);
  else e.short(bytes);
}

/** `largeP`: a 2-byte length if the first byte is below 32, else a 1-byte length. */
function decodeVersionedBytes(d: Decoder): Uint8Array {
  const first = d.peek();
  if (first >= 0 && first < LARGE_LENGTH_MARK) return d.large();
  return d.short();
}

export function encodeEncMessageHeader(h: EncMessageHeader): Uint8Array {
  const e = new Encoder(2 + RATCHET_IV_LENGTH + RATCHET_TAG_LENGTH + 2 + h.body.length);
  e.version(h.version).raw(h.iv).raw(h.tag);
  encodeVersionedBytes(e, h.version, h.body);
  return e.finish();
}

/** The whole input must be one EncMessageHeader (simplexmq parses it with `parseAll`). */
export function decodeEncMessageHeader(bytes: Uint8Array): EncMessageHeader {
  const d = new Decoder(bytes);
  const version = d.version();
  const iv = d.raw(RATCHET_IV_LENGTH);
  const tag = d.raw(RATCHET_TAG_LENGTH);
  const body = decodeVersionedBytes(d);
  d.end();
  return { version: version, iv: iv, tag: tag, body: body };
}

/** `encodeEncRatchetMessage`: the header length form follows the sender's current version. */
export function encodeEncRatchetMessage(version: number, m: EncRatchetMessage): Uint8Array {
  const e = new Encoder(2 + m.header.length + RATCHET_TAG_LENGTH + m.body.length);
  encodeVersionedBytes(e, version, m.header);
  e.raw(m.tag).tail(m.body);
  return e.finish();
}

/** A received EncRatchetMessage; `sealedBody` is tag ‖ body as one view, the AEAD's input form. */
export interface DecodedEncRatchetMessage extends EncRatchetMessage {
  readonly sealedBody: Uint8Array;
}

/** Views into `bytes` (no copies, which matters for 16 KB messages on the device). */
export function decodeEncRatchetMessage(bytes: Uint8Array): DecodedEncRatchetMessage {
  const d = new Decoder(bytes);
  const header = decodeVersionedBytes(d);
  const sealedBody = bytes.subarray(d.offset);
  const tag = d.raw(RATCHET_TAG_LENGTH);
  const body = d.tail();
  return { header: header, tag: tag, body: body, sealedBody: sealedBody };
}
