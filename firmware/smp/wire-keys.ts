import { decodePublicKey, encodePublicKey, type PublicKey } from '../crypto/keys';
import type { Decoder, Encoder } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';

/**
 * Public keys inside SMP messages: always `short(SPKI DER)` (smp.md §1). Which algorithms a field
 * admits is part of its type upstream, so a key of another algorithm fails the parse exactly where
 * simplexmq's would:
 * - an *auth* key (`C.APublicAuthKey`: recipient, sender and notifier keys) is Ed25519, Ed448 or
 *   X25519 (the last for authenticators, smp.md §1.3); X448 is not an auth algorithm;
 * - a *DH* key (`C.PublicKeyX25519`: queue DH keys, hello keys, proxy keys) is X25519 only.
 */

export function isAuthKey(key: PublicKey): boolean {
  return key.alg === 'ed25519' || key.alg === 'ed448' || key.alg === 'x25519';
}

export function writeAuthKey(e: Encoder, key: PublicKey, field: string): void {
  if (!isAuthKey(key)) throw new EncodeError('invalid-value', field + ' must be an Ed25519, Ed448 or X25519 key');
  e.short(encodePublicKey(key.alg, key.raw));
}

export function writeDhKey(e: Encoder, key: PublicKey, field: string): void {
  if (key.alg !== 'x25519') throw new EncodeError('invalid-value', field + ' must be an X25519 key');
  e.short(encodePublicKey(key.alg, key.raw));
}

export function readAuthKey(d: Decoder, field: string): PublicKey {
  const at = d.offset;
  const key = readKey(d, field);
  if (!isAuthKey(key)) throw new DecodeError('wrong-algorithm', field + ' at byte ' + at + ' is an X448 key, which cannot authorize commands');
  return key;
}

export function readDhKey(d: Decoder, field: string): PublicKey {
  const at = d.offset;
  const key = readKey(d, field);
  if (key.alg !== 'x25519') throw new DecodeError('wrong-algorithm', field + ' at byte ' + at + ' must be an X25519 key');
  return key;
}

function readKey(d: Decoder, field: string): PublicKey {
  const at = d.offset;
  const der = d.short();
  try {
    return decodePublicKey(der);
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.code, field + ' at byte ' + at + ': ' + e.message);
    throw e;
  }
}
