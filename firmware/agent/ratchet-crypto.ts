import type { Crypto } from '../../hal/crypto';
import { concatBytes, copyBytes, wipe } from '../encoding/bytes';
import { PaddingError, pad, unpad } from '../crypto/padding';
import { RATCHET_IV_LENGTH } from './ratchet-header';

/**
 * The ratchet's key derivations and its AEAD (agent.md §7.1–§7.3; simplexmq Crypto/Ratchet.hs
 * `hkdf3`, `rootKdf`, `chainKdf`, and Crypto.hs `encryptAEAD`/`decryptAEAD`).
 *
 * Every derived value is returned as its own array, so the caller can wipe each one as soon as it
 * is no longer needed without affecting the others.
 */

/** Root keys, chain keys, header keys and message keys are all 32 bytes. */
export const RATCHET_KEY_LENGTH = 32;

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

export const INFO_X3DH = ascii('SimpleXX3DH');
const INFO_ROOT = ascii('SimpleXRootRatchet');
const INFO_CHAIN = ascii('SimpleXChainRatchet');
const EMPTY = new Uint8Array(0);

/** Three 32-byte HKDF-SHA512 outputs, in order. */
export interface Hkdf3 {
  readonly first: Uint8Array;
  readonly second: Uint8Array;
  readonly third: Uint8Array;
}

/** `hkdf3`: 96 bytes of HKDF-SHA512 split 32 / 32 / 32. */
export function hkdf3(crypto: Crypto, salt: Uint8Array, ikm: Uint8Array, info: Uint8Array): Hkdf3 {
  const out = crypto.hkdfSha512(salt, ikm, info, 3 * RATCHET_KEY_LENGTH);
  const r = {
    first: copyBytes(out, 0, 32),
    second: copyBytes(out, 32, 64),
    third: copyBytes(out, 64, 96),
  };
  wipe(out);
  return r;
}

export interface RootStep {
  readonly rootKey: Uint8Array;
  readonly chainKey: Uint8Array;
  readonly nextHeaderKey: Uint8Array;
}

/**
 * `rootKdf`: HKDF(salt = rk, ikm = X448(theirPublic, myPrivate) ‖ kemSecret, "SimpleXRootRatchet").
 * The KEM secret, when there is one, follows the DH output (agent.md §8.3 "mixing rule").
 * Throws CryptoError('weak-key') if the peer key is a low-order point.
 */
export function rootKdf(
  crypto: Crypto,
  rootKey: Uint8Array,
  theirPublic: Uint8Array,
  myPrivate: Uint8Array,
  kemSecret: Uint8Array | null,
): RootStep {
  const dh = crypto.x448(myPrivate, theirPublic);
  const ikm = kemSecret === null ? dh : concatBytes([dh, kemSecret]);
  const k = hkdf3(crypto, rootKey, ikm, INFO_ROOT);
  wipe(dh);
  wipe(ikm);
  return { rootKey: k.first, chainKey: k.second, nextHeaderKey: k.third };
}

export interface ChainStep {
  readonly chainKey: Uint8Array;
  readonly messageKey: Uint8Array;
  /** ivs[0..16]: the body IV. */
  readonly messageIv: Uint8Array;
  /** ivs[16..32]: the header IV, which also travels in the header. */
  readonly headerIv: Uint8Array;
}

/** `chainKdf`: HKDF(salt = "", ikm = ck, "SimpleXChainRatchet"); the message IV comes first (agent.md §14.4). */
export function chainKdf(crypto: Crypto, chainKey: Uint8Array): ChainStep {
  const k = hkdf3(crypto, EMPTY, chainKey, INFO_CHAIN);
  const step = {
    chainKey: k.first,
    messageKey: k.second,
    messageIv: copyBytes(k.third, 0, RATCHET_IV_LENGTH),
    headerIv: copyBytes(k.third, RATCHET_IV_LENGTH, 2 * RATCHET_IV_LENGTH),
  };
  wipe(k.third);
  return step;
}

/** Would `pad` accept a message of this length for this padded size (simplexmq `canPad`)? */
export function canPad(messageLength: number, paddedLength: number): boolean {
  return messageLength <= 65533 && paddedLength - messageLength - 2 >= 0;
}

/**
 * `encryptAEAD`: AES-256-GCM with the 16-byte IV used as given, over pad(plaintext, paddedLength).
 * Returns tag(16) ‖ ciphertext. Throws PaddingError if the plaintext does not fit.
 */
export function encryptAead(
  crypto: Crypto,
  key: Uint8Array,
  iv: Uint8Array,
  paddedLength: number,
  ad: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const padded = pad(plaintext, paddedLength);
  const sealed = crypto.aes256GcmEncrypt(key, iv, padded, ad);
  wipe(padded);
  return sealed;
}

/**
 * `decryptAEAD`: opens tag(16) ‖ ciphertext and removes the padding. Null when the tag does not
 * verify or the authenticated padding is impossible: simplexmq reports both as a decryption
 * failure of the header or the body, whichever was being opened.
 */
export function decryptAead(crypto: Crypto, key: Uint8Array, iv: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < 16) return null;
  const padded = crypto.aes256GcmDecrypt(key, iv, sealed, ad);
  if (padded === null) return null;
  try {
    // A view of `padded` (unpad does not copy); the rest of it is filler nobody else sees.
    return unpad(padded);
  } catch (e) {
    if (!(e instanceof PaddingError)) throw e;
    wipe(padded);
    return null;
  }
}
