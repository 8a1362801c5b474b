/**
 * Command authorization checks (smp.md §1.3, §6.2; the reference's `verifyCmdAuthorization`,
 * `verifyCmdAuth` and `dummyVerifyCmd` in Server.hs).
 *
 * Timing: a wrong key, a key of the wrong type and a queue that does not exist must take the same
 * time, or a client could probe which queue ids exist. So whenever the real check cannot run, the
 * same kind of check runs against a dummy key, and its result is thrown away. The time then
 * depends only on the kind of authorization the client sent, which it knows anyway.
 */
import type { Crypto } from '../../hal/crypto';
import type { PublicKey } from '../../firmware/crypto/keys';
import { cbVerify } from '../../firmware/crypto/box';
import type { TransmissionAuth } from '../../firmware/smp/transmission';

/** Public keys of key pairs nobody keeps, one per authorization kind. */
export interface DummyKeys {
  readonly ed25519: Uint8Array;
  readonly ed448: Uint8Array;
  readonly x25519: Uint8Array;
}

export function createDummyKeys(crypto: Crypto): DummyKeys {
  return {
    ed25519: crypto.ed25519KeyPair().publicKey,
    ed448: crypto.ed448KeyPair().publicKey,
    x25519: crypto.x25519KeyPair().publicKey,
  };
}

/** What a check needs beyond the transmission. */
export interface AuthContext {
  readonly crypto: Crypto;
  readonly dummy: DummyKeys;
  /**
   * The router's X25519 hello private key of the connection the transmission arrived on: X25519
   * authenticators are boxes between it and the client's queue key (smp.md §1.3).
   */
  readonly helloPrivateKey: Uint8Array;
}

/** A signed transmission as the checks see it. */
export interface SignedTransmission {
  /** null when the transmission carried no authorization. */
  readonly auth: TransmissionAuth | null;
  /** short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ command. */
  readonly authorized: Uint8Array;
  readonly corrId: Uint8Array;
}

/**
 * True only if the authorization is a valid signature or authenticator by `key` over the
 * transmission. An authorization of another kind than the key is checked against the dummy key
 * of its own kind first, then refused.
 */
export function verifyWith(ctx: AuthContext, t: SignedTransmission, key: PublicKey): boolean {
  const auth = t.auth;
  if (auth === null) return false;
  const crypto = ctx.crypto;
  switch (auth.kind) {
    case 'ed25519':
      if (key.alg === 'ed25519') return crypto.ed25519Verify(key.raw, t.authorized, auth.bytes);
      crypto.ed25519Verify(ctx.dummy.ed25519, t.authorized, auth.bytes);
      return false;
    case 'ed448':
      if (key.alg === 'ed448') return crypto.ed448Verify(key.raw, t.authorized, auth.bytes);
      crypto.ed448Verify(ctx.dummy.ed448, t.authorized, auth.bytes);
      return false;
    case 'x25519':
      if (key.alg === 'x25519') return cbVerify(crypto, key.raw, ctx.helloPrivateKey, t.corrId, t.authorized, auth.bytes);
      cbVerify(crypto, ctx.dummy.x25519, ctx.helloPrivateKey, t.corrId, t.authorized, auth.bytes);
      return false;
  }
}

/** True if any of the keys verifies (a recipient may have several, RKEY). */
export function verifyWithAny(ctx: AuthContext, t: SignedTransmission, keys: readonly PublicKey[]): boolean {
  for (let i = 0; i < keys.length; i++) if (verifyWith(ctx, t, keys[i])) return true;
  return false;
}

/** The work of a check that cannot succeed (no queue, no key of that party): always false. */
export function dummyVerify(ctx: AuthContext, t: SignedTransmission): false {
  const auth = t.auth;
  if (auth === null) return false;
  switch (auth.kind) {
    case 'ed25519':
      ctx.crypto.ed25519Verify(ctx.dummy.ed25519, t.authorized, auth.bytes);
      break;
    case 'ed448':
      ctx.crypto.ed448Verify(ctx.dummy.ed448, t.authorized, auth.bytes);
      break;
    case 'x25519':
      cbVerify(ctx.crypto, ctx.dummy.x25519, ctx.helloPrivateKey, t.corrId, t.authorized, auth.bytes);
      break;
  }
  return false;
}
