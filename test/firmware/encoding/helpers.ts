/** Shared by the encoding and crypto-key tests: vectors, a seeded PRNG, error assertions. */
import assert from 'node:assert/strict';
import { readVectorFile, type VectorFile } from '../../vectors';
import { DecodeError, EncodeError, type DecodeErrorCode, type EncodeErrorCode } from '../../../firmware/encoding/errors';

export { VECTORS_DIR, hex, vectorCase, type VectorFile } from '../../vectors';

export function loadVectors(file: string): VectorFile {
  return readVectorFile<VectorFile>(file);
}

/** mulberry32: small, fast and deterministic, so fuzz failures reproduce. Not for keys. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rng: () => number, maxExclusive: number): number {
  return Math.floor(rng() * maxExclusive);
}

export function randomBytes(rng: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = randomInt(rng, 256);
  return b;
}

/** Runs fn and requires a DecodeError (the exact class) with the given code. */
export function expectDecodeError(fn: () => unknown, code: DecodeErrorCode): DecodeError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== null, 'expected DecodeError ' + code + ', but nothing was thrown');
  assert.ok(thrown instanceof DecodeError, 'expected DecodeError ' + code + ', got ' + String(thrown));
  assert.equal(thrown.code, code, 'wrong code; message: ' + thrown.message);
  assert.equal(thrown.name, 'DecodeError');
  assert.ok(thrown.message.length > 0);
  return thrown;
}

export function expectEncodeError(fn: () => unknown, code: EncodeErrorCode): EncodeError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown !== null, 'expected EncodeError ' + code + ', but nothing was thrown');
  assert.ok(thrown instanceof EncodeError, 'expected EncodeError ' + code + ', got ' + String(thrown));
  assert.equal(thrown.code, code, 'wrong code; message: ' + thrown.message);
  return thrown;
}

/** Runs fn on garbage: it may return anything, but may only ever throw a DecodeError. */
export function onlyDecodeErrors(fn: () => unknown, what: string): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof DecodeError)) {
      assert.fail(what + ' threw ' + (e instanceof Error ? e.name + ': ' + e.message : String(e)) + ' instead of a DecodeError');
    }
    return false;
  }
}
