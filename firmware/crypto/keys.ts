import { DecodeError, EncodeError } from '../encoding/errors';

/**
 * Public keys on the wire: X.509 SubjectPublicKeyInfo DER (smp.md §1, simplexmq `encodePubKey` /
 * `decodePubKey`). For the four algorithms SimpleX uses the DER is a fixed 12-byte header followed
 * by the raw key, so instead of an ASN.1 parser we compare the header byte for byte. That is also
 * the strictest reading: any other DER spelling of the same key (long-form lengths, parameters,
 * unused-bits values, trailing data) is refused, and a 44-byte input cannot be both an Ed25519 and
 * an X25519 key.
 */

export type PublicKeyAlgorithm = 'ed25519' | 'x25519' | 'ed448' | 'x448';

export interface PublicKey {
  readonly alg: PublicKeyAlgorithm;
  /** The raw key: 32 bytes (Ed25519, X25519), 57 (Ed448) or 56 (X448). */
  readonly raw: Uint8Array;
}

/**
 * SEQUENCE(len) { SEQUENCE(5) { OID 1.3.101.<id> } BIT STRING(len) 0 unused bits }.
 * The OID arc 1.3.101 is RFC 8410: 110 X25519, 111 X448, 112 Ed25519, 113 Ed448.
 */
interface SpkiFormat {
  readonly alg: PublicKeyAlgorithm;
  readonly name: string;
  readonly header: Uint8Array;
  readonly rawLength: number;
}

const HEADER_LENGTH = 12;
/** Offset of the last OID byte (the RFC 8410 algorithm number) in the header. */
const OID_ID_OFFSET = 8;

function spki(alg: PublicKeyAlgorithm, name: string, oidId: number, rawLength: number): SpkiFormat {
  // Lengths: the outer SEQUENCE holds the 7-byte AlgorithmIdentifier and the BIT STRING
  // (2-byte header + 1 unused-bits byte + key); the BIT STRING holds the unused-bits byte + key.
  const header = new Uint8Array([
    0x30, 7 + 2 + 1 + rawLength, // SEQUENCE
    0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, oidId, // AlgorithmIdentifier { OID 1.3.101.oidId }
    0x03, 1 + rawLength, 0x00, // BIT STRING, 0 unused bits
  ]);
  return { alg: alg, name: name, header: header, rawLength: rawLength };
}

const FORMATS: readonly SpkiFormat[] = [
  spki('ed25519', 'Ed25519', 0x70, 32),
  spki('x25519', 'X25519', 0x6e, 32),
  spki('ed448', 'Ed448', 0x71, 57),
  spki('x448', 'X448', 0x6f, 56),
];

/** Wraps a raw public key in its SPKI DER. */
export function encodePublicKey(alg: PublicKeyAlgorithm, raw: Uint8Array): Uint8Array {
  const f = formatOf(alg);
  if (raw.length !== f.rawLength) {
    throw new EncodeError('invalid-value', f.name + ' public key must be ' + f.rawLength + ' bytes, got ' + raw.length);
  }
  const der = new Uint8Array(HEADER_LENGTH + f.rawLength);
  der.set(f.header, 0);
  der.set(raw, HEADER_LENGTH);
  return der;
}

/**
 * Reads an SPKI DER public key of any of the four algorithms. The raw key is a copy, so it stays
 * valid when the buffer it came from is reused.
 */
export function decodePublicKey(der: Uint8Array): PublicKey {
  for (let i = 0; i < FORMATS.length; i++) {
    const f = FORMATS[i];
    if (startsWith(der, f.header)) {
      const total = HEADER_LENGTH + f.rawLength;
      if (der.length < total) {
        throw new DecodeError('truncated', f.name + ' public key DER is ' + der.length + ' bytes, expected ' + total);
      }
      if (der.length > total) {
        throw new DecodeError('trailing-bytes', f.name + ' public key DER has ' + (der.length - total) + ' bytes after the key');
      }
      return { alg: f.alg, raw: new Uint8Array(der.subarray(HEADER_LENGTH)) };
    }
  }
  throw notAKey(der);
}

/** As decodePublicKey, but the key must be of algorithm `alg`; returns the raw key (a copy). */
export function decodePublicKeyOf(alg: PublicKeyAlgorithm, der: Uint8Array): Uint8Array {
  const key = decodePublicKey(der);
  if (key.alg !== alg) {
    throw new DecodeError('wrong-algorithm', 'expected an ' + formatOf(alg).name + ' public key, got ' + formatOf(key.alg).name);
  }
  return key.raw;
}

/** The DER length of a public key of this algorithm (44, 44, 69 or 68). */
export function publicKeyDerLength(alg: PublicKeyAlgorithm): number {
  return HEADER_LENGTH + formatOf(alg).rawLength;
}

/** Explains why `der` matched none of the headers, as precisely as the bytes allow. */
function notAKey(der: Uint8Array): DecodeError {
  // A strict prefix of a valid header: the input simply stopped early.
  if (der.length < HEADER_LENGTH) {
    for (let i = 0; i < FORMATS.length; i++) {
      if (startsWith(FORMATS[i].header, der)) {
        return new DecodeError('truncated', 'public key DER is ' + der.length + ' bytes, shorter than its ' + HEADER_LENGTH + '-byte header');
      }
    }
  }
  // The RFC 8410 shape with an OID we do not know (e.g. a future algorithm): say so.
  if (der.length > OID_ID_OFFSET && der[0] === 0x30 && der[2] === 0x30 && der[3] === 0x05 && der[4] === 0x06 &&
      der[5] === 0x03 && der[6] === 0x2b && der[7] === 0x65 && !isKnownId(der[OID_ID_OFFSET])) {
    return new DecodeError('unknown-algorithm', 'public key DER has algorithm OID 1.3.101.' + der[OID_ID_OFFSET] + ', not Ed25519, X25519, Ed448 or X448');
  }
  return new DecodeError('invalid-value', 'not an Ed25519, X25519, Ed448 or X448 SubjectPublicKeyInfo in the exact DER form SimpleX uses');
}

function isKnownId(id: number): boolean {
  for (let i = 0; i < FORMATS.length; i++) if (FORMATS[i].header[OID_ID_OFFSET] === id) return true;
  return false;
}

function formatOf(alg: PublicKeyAlgorithm): SpkiFormat {
  for (let i = 0; i < FORMATS.length; i++) if (FORMATS[i].alg === alg) return FORMATS[i];
  // Only reachable when a caller bypasses the type (e.g. a value read from storage).
  throw new EncodeError('invalid-value', 'unsupported public key algorithm');
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}
