/**
 * The SimpleX NaCl box layer (smp.md §1.1, §1.3).
 *
 * simplexmq has ONE box function, `cryptoBox key nonce msg`, which first derives
 * k1 = HSalsa20(key, 0^16) and then runs crypto_secretbox with k1. Used with a raw X25519 secret
 * that is exactly NaCl crypto_box (k1 is crypto_box_beforenm); used with a symmetric SbKey it is
 * NOT plain crypto_secretbox(key), because of that extra HSalsa20 step. Both uses therefore go
 * through cryptoBox here, and nothing in SimpleGo calls crypto_secretbox with a key directly.
 *
 * Output is tag(16) ‖ ciphertext. Decryption returns null when the tag does not verify (the
 * caller maps it to the protocol's error, as simplexmq maps it to CBDecryptError); a padded
 * payload that authenticates but whose length prefix is impossible throws PaddingError
 * ('bad-padding'), because only a holder of the key can produce it: a broken or hostile peer,
 * worth telling apart from line noise.
 *
 * Every function takes the Crypto backend first: firmware never imports a backend.
 */
import { CryptoError } from '../../hal/crypto';
import type { Crypto } from '../../hal/crypto';
import { equalBytes, wipe } from '../encoding/bytes';
import { pad, unpad } from './padding';

/** A NaCl nonce (CbNonce): 24 raw bytes. */
export const NONCE_LENGTH = 24;
/** Poly1305 tag, first in every box. */
export const BOX_TAG_LENGTH = 16;
/** A box key: a raw X25519 secret or a 32-byte SbKey. */
export const BOX_KEY_LENGTH = 32;
/** cbAuthenticate output: tag(16) ‖ boxed SHA-512 (64). */
export const AUTHENTICATOR_LENGTH = 80;

const ZERO16 = new Uint8Array(16);

/** The SimpleX cryptoBox: crypto_secretbox(msg, nonce, HSalsa20(key, 0^16)). */
export function cryptoBox(crypto: Crypto, key: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  const k1 = crypto.hsalsa20(key, ZERO16);
  try {
    return crypto.xsalsa20Poly1305Seal(k1, nonce, msg);
  } finally {
    wipe(k1);
  }
}

/** Opens a cryptoBox; null when the tag does not verify or the box is shorter than a tag. */
export function cryptoBoxOpen(crypto: Crypto, key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null {
  const k1 = crypto.hsalsa20(key, ZERO16);
  try {
    return crypto.xsalsa20Poly1305Open(k1, nonce, box);
  } finally {
    wipe(k1);
  }
}

/**
 * cbEncrypt: box `msg` padded to `padLen` with a raw X25519 shared secret. Equals NaCl
 * crypto_box, so the output is always padLen + 16 bytes whatever the message length.
 * Throws PaddingError('message-too-large') if the message does not fit.
 */
export function cbEncrypt(crypto: Crypto, dhSecret: Uint8Array, nonce: Uint8Array, msg: Uint8Array, padLen: number): Uint8Array {
  const padded = pad(msg, padLen);
  try {
    return cryptoBox(crypto, dhSecret, nonce, padded);
  } finally {
    wipe(padded);
  }
}

/**
 * cbDecrypt: opens and unpads. Returns null on authentication failure; throws
 * PaddingError('bad-padding') if an authentic plaintext has an impossible length prefix.
 * The result is a view into the decrypted buffer (no copy).
 */
export function cbDecrypt(crypto: Crypto, dhSecret: Uint8Array, nonce: Uint8Array, packet: Uint8Array): Uint8Array | null {
  const padded = cryptoBoxOpen(crypto, dhSecret, nonce, packet);
  return padded === null ? null : unpad(padded);
}

/** cbEncryptNoPad: the box without the padding layer (authenticators, proxy layers). */
export function cbEncryptNoPad(crypto: Crypto, dhSecret: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  return cryptoBox(crypto, dhSecret, nonce, msg);
}

export function cbDecryptNoPad(crypto: Crypto, dhSecret: Uint8Array, nonce: Uint8Array, packet: Uint8Array): Uint8Array | null {
  return cryptoBoxOpen(crypto, dhSecret, nonce, packet);
}

/**
 * sbEncrypt: the same box keyed with a symmetric SbKey (an HKDF output: transport block
 * encryption, short-link data). Kept as its own name because the key is of a different kind.
 */
export function sbEncrypt(crypto: Crypto, sbKey: Uint8Array, nonce: Uint8Array, msg: Uint8Array, padLen: number): Uint8Array {
  return cbEncrypt(crypto, sbKey, nonce, msg, padLen);
}

/** sbDecrypt: null on authentication failure, PaddingError('bad-padding') as cbDecrypt. */
export function sbDecrypt(crypto: Crypto, sbKey: Uint8Array, nonce: Uint8Array, packet: Uint8Array): Uint8Array | null {
  return cbDecrypt(crypto, sbKey, nonce, packet);
}

export function sbEncryptNoPad(crypto: Crypto, sbKey: Uint8Array, nonce: Uint8Array, msg: Uint8Array): Uint8Array {
  return cryptoBox(crypto, sbKey, nonce, msg);
}

export function sbDecryptNoPad(crypto: Crypto, sbKey: Uint8Array, nonce: Uint8Array, packet: Uint8Array): Uint8Array | null {
  return cryptoBoxOpen(crypto, sbKey, nonce, packet);
}

/**
 * cbNonce: a corrId or msgId used as a nonce. Longer input is truncated to 24 bytes, shorter
 * input is zero-padded on the right (simplexmq `cbNonce`). Always returns a fresh array.
 */
export function cbNonce(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(NONCE_LENGTH);
  out.set(bytes.length > NONCE_LENGTH ? bytes.subarray(0, NONCE_LENGTH) : bytes, 0);
  return out;
}

/** reverseNonce: the 24 bytes in reverse order (proxied responses, smp.md §10). */
export function reverseNonce(nonce: Uint8Array): Uint8Array {
  if (nonce.length !== NONCE_LENGTH) {
    throw new CryptoError('bad-length', 'nonce must be ' + NONCE_LENGTH + ' bytes, got ' + nonce.length);
  }
  const out = new Uint8Array(NONCE_LENGTH);
  for (let i = 0; i < NONCE_LENGTH; i++) out[i] = nonce[NONCE_LENGTH - 1 - i];
  return out;
}

/**
 * cbAuthenticate: the 80-byte X25519 command authenticator (smp.md §1.3, §6.2):
 * cryptoBox(X25519(clientPriv, serverPub), cbNonce(corrId), SHA-512(authorized)).
 * Throws CryptoError('weak-key') if the server key is a low-order point.
 */
export function cbAuthenticate(
  crypto: Crypto,
  serverX25519Pub: Uint8Array,
  clientX25519Priv: Uint8Array,
  corrId: Uint8Array,
  authorized: Uint8Array,
): Uint8Array {
  const dh = crypto.x25519(clientX25519Priv, serverX25519Pub);
  try {
    return cryptoBox(crypto, dh, cbNonce(corrId), crypto.sha512(authorized));
  } finally {
    wipe(dh);
  }
}

/**
 * cbVerify: the receiving side of cbAuthenticate (the DH is symmetric, so it takes the other
 * party's public key and one's own private key). False for a wrong-length or forged
 * authenticator and for a low-order peer key; the hash is compared in constant time.
 */
export function cbVerify(
  crypto: Crypto,
  peerX25519Pub: Uint8Array,
  ownX25519Priv: Uint8Array,
  corrId: Uint8Array,
  authorized: Uint8Array,
  authenticator: Uint8Array,
): boolean {
  if (authenticator.length !== AUTHENTICATOR_LENGTH) return false;
  let dh: Uint8Array;
  try {
    dh = crypto.x25519(ownX25519Priv, peerX25519Pub);
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'weak-key') return false;
    throw e;
  }
  try {
    const opened = cryptoBoxOpen(crypto, dh, cbNonce(corrId), authenticator);
    return opened !== null && equalBytes(opened, crypto.sha512(authorized));
  } finally {
    wipe(dh);
  }
}
