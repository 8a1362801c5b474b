/** Fixtures shared by the SMP wire-format tests. */
import assert from 'node:assert/strict';
import { decodePublicKey, type PublicKey, type PublicKeyAlgorithm } from '../../../firmware/crypto/keys';
import { ProtocolParseError, type ProtocolParseErrorCode } from '../../../firmware/smp/errors';
import { hex, vectorCase } from '../encoding/helpers';

/** simplexmq `samplePubKey` (Ed25519) and `sampleDhPubKey` (X25519), from encoding.json. */
export function sampleEd25519(): PublicKey {
  return decodePublicKey(hex(vectorCase('encoding.json', 'sample_ed25519_spki').der));
}

export function sampleX25519(): PublicKey {
  return decodePublicKey(hex(vectorCase('encoding.json', 'sample_x25519_spki').der));
}

/** A structurally valid key of any algorithm with a recognisable fill byte. */
export function fakeKey(alg: PublicKeyAlgorithm, fill: number): PublicKey {
  const len = alg === 'ed448' ? 57 : alg === 'x448' ? 56 : 32;
  return { alg, raw: new Uint8Array(len).fill(fill) };
}

export function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

export function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/** Runs fn and requires a ProtocolParseError with the given code. */
export function expectParseError(fn: () => unknown, code: ProtocolParseErrorCode): ProtocolParseError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== null, 'expected ProtocolParseError ' + code + ', but nothing was thrown');
  assert.ok(thrown instanceof ProtocolParseError, 'expected ProtocolParseError ' + code + ', got ' + String(thrown));
  assert.equal(thrown.code, code, 'wrong code; message: ' + thrown.message);
  assert.equal(thrown.name, 'ProtocolParseError');
  assert.ok(thrown.message.length > 0);
  return thrown;
}

/** Runs fn on garbage: it may succeed, but may only ever throw a ProtocolParseError. */
export function onlyParseErrors(fn: () => unknown, what: string): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof ProtocolParseError)) {
      assert.fail(what + ' threw ' + (e instanceof Error ? e.name + ': ' + e.message : String(e)) + ' instead of a ProtocolParseError');
    }
    return false;
  }
}
