import type { Crypto } from '../../hal/crypto';
import { sbDecrypt, sbEncrypt } from '../crypto/box';
import { PaddingError } from '../crypto/padding';
import { wipe } from '../encoding/bytes';
import { asciiBytes } from './address';
import { SMP_BLOCK_SIZE } from './transmission';

/**
 * Transport block encryption (smp.md §5.3, SMP v >= 11 with a client hello key, not on
 * proxy-relay links). Each direction has its own HKDF chain; every block advances it exactly
 * once, whether or not the block then opens, so both ends stay in step after a bad block.
 */

/** The secretbox plaintext length: 16384 minus the 16-byte Poly1305 tag. */
export const SMP_ENCRYPTED_BLOCK_PADDED = SMP_BLOCK_SIZE - 16;

const CHAIN_INIT_INFO = asciiBytes('SimpleXSbChainInit');
const CHAIN_STEP_INFO = asciiBytes('SimpleXSbChain');
const EMPTY = new Uint8Array(0);

export type BlockCipherRole = 'client' | 'server';

/** One direction's chain: the current chain key, replaced on every step. */
export interface SbChain {
  chainKey: Uint8Array;
}

export interface BlockCipher {
  send: SbChain;
  receive: SbChain;
}

/**
 * The two chains from the hello X25519 secret and the session id (tls-unique). The server sends
 * on the first half and receives on the second; the client swaps them (`sbcInit`, Transport.hs).
 */
export function initBlockCipher(crypto: Crypto, sessionId: Uint8Array, dhSecret: Uint8Array, role: BlockCipherRole): BlockCipher {
  const keys = crypto.hkdfSha512(sessionId, dhSecret, CHAIN_INIT_INFO, 64);
  const ck1 = new Uint8Array(keys.subarray(0, 32));
  const ck2 = new Uint8Array(keys.subarray(32, 64));
  wipe(keys);
  return role === 'server' ? { send: { chainKey: ck1 }, receive: { chainKey: ck2 } } : { send: { chainKey: ck2 }, receive: { chainKey: ck1 } };
}

/** Advances the chain and returns this step's 32-byte key followed by its 24-byte nonce. */
function chainStep(crypto: Crypto, chain: SbChain): Uint8Array {
  const out = crypto.hkdfSha512(EMPTY, chain.chainKey, CHAIN_STEP_INFO, 88);
  wipe(chain.chainKey);
  chain.chainKey = new Uint8Array(out.subarray(0, 32));
  const keyAndNonce = new Uint8Array(out.subarray(32, 88));
  wipe(out);
  return keyAndNonce;
}

/** Encrypts block content (at most 16366 bytes) into one 16384-byte block. */
export function encryptBlock(crypto: Crypto, chain: SbChain, content: Uint8Array): Uint8Array {
  const kn = chainStep(crypto, chain);
  try {
    return sbEncrypt(crypto, kn.subarray(0, 32), kn.subarray(32, 56), content, SMP_ENCRYPTED_BLOCK_PADDED);
  } finally {
    wipe(kn);
  }
}

/**
 * Opens one 16384-byte block; null when authentication or the padding fails. The chain has
 * advanced either way (the reference server answers ERR BLOCK and carries on with the next key).
 */
export function decryptBlock(crypto: Crypto, chain: SbChain, block: Uint8Array): Uint8Array | null {
  const kn = chainStep(crypto, chain);
  try {
    if (block.length !== SMP_BLOCK_SIZE) return null;
    return sbDecrypt(crypto, kn.subarray(0, 32), kn.subarray(32, 56), block);
  } catch (e) {
    // An authentic box with a bad length prefix: only a broken or hostile peer sends that.
    if (e instanceof PaddingError) return null;
    throw e;
  } finally {
    wipe(kn);
  }
}

/** Drops both chain keys, e.g. when the connection closes. */
export function wipeBlockCipher(cipher: BlockCipher): void {
  wipe(cipher.send.chainKey);
  wipe(cipher.receive.chainKey);
}
