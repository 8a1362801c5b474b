/**
 * Sealed files: one AES-256-GCM ciphertext per file, under a key used for that file only.
 * Records are stored this way (magic "SGR1"), and so is the rollback anchor in internal flash
 * (magic "SGA1").
 *
 * Layout (big-endian):
 *   0   4  magic
 *   4   4  seq: the journal commit that wrote this version (bound as associated data)
 *   8   32 salt (random, new for every write)
 *   40  16 GCM tag
 *   56  .. ciphertext (same length as the plaintext)
 * key ‖ iv = HKDF-SHA-512(salt, masterKey, info = label ‖ context, 44): a 32-byte key and a
 * 12-byte IV; associated data = bytes 0..40.
 *
 * Nonce policy: every write draws a new 256-bit salt, so every write has its own key and IV.
 * Nothing is derived from positions, slots or counters, so no key/IV pair ever repeats: not after
 * a delete, not when a slot is reused, not when an old card image is restored and written again
 * (the C device's flaw, reference-device.md §6.2/§9).
 *
 * The context binds the file to its place: for records the store id and the record's (type, id),
 * so a file copied onto another record, or from another store, fails authentication. Which
 * VERSION is current is not the file's business: the store's index pins each record's tag and
 * seq (store.ts), so an older genuine copy is recognised as a rollback.
 */
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { concatBytes, wipe } from '../encoding/bytes';
import { ascii, hasMagic, readU32, writeU32 } from './bytes';

export const SEALED_HEADER_SIZE = 40;
export const RECORD_MAGIC = ascii('SGR1');
export const RECORD_LABEL = ascii('SimpleGo store v1 record');
export const SEALED_OVERHEAD = 56;
const TAG_AT = 40;

function keyAndIv(crypto: Crypto, masterKey: Uint8Array, salt: Uint8Array, label: Uint8Array, context: Uint8Array): Uint8Array {
  return crypto.hkdfSha512(salt, masterKey, concatBytes([label, context]), 44);
}

/** A new sealed file holding `payload`. The payload is not copied besides the encryption itself. */
export function sealFile(
  crypto: Crypto,
  random: Random,
  masterKey: Uint8Array,
  magic: Uint8Array,
  label: Uint8Array,
  context: Uint8Array,
  seq: number,
  payload: Uint8Array,
): Uint8Array {
  const header = new Uint8Array(SEALED_HEADER_SIZE);
  header.set(magic, 0);
  writeU32(header, 4, seq);
  header.set(random.bytes(32), 8);
  const kiv = keyAndIv(crypto, masterKey, header.subarray(8, 40), label, context);
  const sealed = crypto.aes256GcmEncrypt(kiv.subarray(0, 32), kiv.subarray(32, 44), payload, header);
  wipe(kiv);
  const out = new Uint8Array(SEALED_HEADER_SIZE + sealed.length);
  out.set(header, 0);
  out.set(sealed, SEALED_HEADER_SIZE);
  return out;
}

/** True when `file` is long enough and carries `magic`; says nothing about authenticity. */
export function looksSealed(file: Uint8Array, magic: Uint8Array): boolean {
  return file.length >= SEALED_OVERHEAD && hasMagic(file, 0, magic);
}

/** The seq field (check looksSealed first). */
export function sealedSeq(file: Uint8Array): number {
  return readU32(file, 4);
}

/** The GCM tag, a view into `file` (check looksSealed first). */
export function sealedTag(file: Uint8Array): Uint8Array {
  return file.subarray(TAG_AT, TAG_AT + 16);
}

/** The payload, or null when the file does not authenticate under this key and context. */
export function openFile(
  crypto: Crypto,
  masterKey: Uint8Array,
  magic: Uint8Array,
  label: Uint8Array,
  context: Uint8Array,
  file: Uint8Array,
): Uint8Array | null {
  if (!looksSealed(file, magic)) return null;
  const kiv = keyAndIv(crypto, masterKey, file.subarray(8, 40), label, context);
  const payload = crypto.aes256GcmDecrypt(kiv.subarray(0, 32), kiv.subarray(32, 44), file.subarray(TAG_AT), file.subarray(0, SEALED_HEADER_SIZE));
  wipe(kiv);
  return payload;
}

/** The context of a record's file: storeId ‖ type ‖ idLen ‖ id(32, zero-padded). */
export function recordContext(storeId: Uint8Array, key34: Uint8Array): Uint8Array {
  return concatBytes([storeId, key34.subarray(0, 34)]);
}
