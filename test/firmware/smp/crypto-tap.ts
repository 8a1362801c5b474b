/**
 * A real Crypto with a tap on its NaCl box and AES-GCM primitives, for tests that damage one
 * encryption layer of private routing and watch which party refuses it. Every box (crypto_box,
 * secretbox) goes through xsalsa20Poly1305Seal/Open, and the layers differ in the size of what they
 * seal, so a rule keyed on the plaintext length picks one layer:
 *
 *   16226  the sender-to-destination box around the forwarded transmission (s2d, encT)
 *   16314  the forwarding-to-destination box around a FwdTransmission (f2d, RFWD)
 *   16106  the destination-to-recipient box around a delivered message (d2r, MSG)
 *
 * Each armed rule damages exactly one output (one flipped bit, so the box no longer opens) and
 * records the nonce it was sealed with; failed opens are recorded with their nonce too, which
 * tells which box a router could not open.
 */
import type { Crypto } from '../../../hal/crypto';
import { copyBytes } from '../../../firmware/encoding/bytes';

/** PADDED_PROXIED_T_LENGTH: the padded forwarded transmission. */
export const S2D_PLAINTEXT = 16226;
/** short(N) 25 + version 2 + short(X25519 SPKI) 45 + encT 16242. */
export const F2D_PLAINTEXT = 16314;
/** RCV_MSG_PADDED_LENGTH. */
export const D2R_PLAINTEXT = 16106;

export interface CryptoTap {
  readonly crypto: Crypto;
  /** Damages the next box sealed over a plaintext of this length. */
  armSeal(plaintextLength: number): void;
  /** Damages the next AES-GCM output over a plaintext longer than this (the ratchet's padded body). */
  armGcm(minPlaintextLength: number): void;
  /** Nonces of the boxes damaged so far, in order. */
  readonly damagedNonces: Uint8Array[];
  /** Nonces of the boxes that did not open, in order. */
  readonly failedOpens: Uint8Array[];
  /** How many AES-GCM outputs were damaged. */
  gcmDamaged(): number;
}

function flipped(bytes: Uint8Array): Uint8Array {
  const out = copyBytes(bytes);
  // Past the 16-byte tag, inside the ciphertext: the tag no longer matches.
  out[out.length >> 1] ^= 0x01;
  return out;
}

export function tapCrypto(inner: Crypto): CryptoTap {
  let sealLength = -1;
  let gcmMin = -1;
  let gcmCount = 0;
  const damagedNonces: Uint8Array[] = [];
  const failedOpens: Uint8Array[] = [];
  // Delegates everything else to the real implementation (whatever its object shape).
  const crypto: Crypto = Object.create(inner) as Crypto;
  crypto.xsalsa20Poly1305Seal = (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array => {
    const sealed = inner.xsalsa20Poly1305Seal(key, nonce, plaintext);
    if (sealLength !== plaintext.length) return sealed;
    sealLength = -1;
    damagedNonces.push(copyBytes(nonce));
    return flipped(sealed);
  };
  crypto.xsalsa20Poly1305Open = (key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null => {
    const opened = inner.xsalsa20Poly1305Open(key, nonce, box);
    if (opened === null) failedOpens.push(copyBytes(nonce));
    return opened;
  };
  crypto.aes256GcmEncrypt = (key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array => {
    const sealed = inner.aes256GcmEncrypt(key, iv, plaintext, aad);
    if (gcmMin < 0 || plaintext.length <= gcmMin) return sealed;
    gcmMin = -1;
    gcmCount++;
    return flipped(sealed);
  };
  return {
    crypto,
    armSeal: (n: number) => {
      sealLength = n;
    },
    armGcm: (n: number) => {
      gcmMin = n;
    },
    damagedNonces,
    failedOpens,
    gcmDamaged: () => gcmCount,
  };
}
