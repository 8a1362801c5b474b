import assert from 'node:assert/strict';
import { SimpleGoError } from '../../../hal/errors';
import { DerError } from '../../../firmware/x509/der';
import { CertificateError } from '../../../firmware/x509/certificate';

export { hex, vectorCase } from '../../vectors';

/** xorshift32: a deterministic generator, so a failing fuzz case can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export function randomBytes(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = next() & 0xff;
  return out;
}

/** Runs `f`; returns true if it returned, false if it threw a DerError or CertificateError; fails on anything else. */
export function onlyTypedErrors(f: () => unknown, context: string): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (e instanceof DerError || e instanceof CertificateError) {
      assert.ok(e instanceof SimpleGoError);
      assert.equal(typeof e.code, 'string');
      assert.ok(e.message.length > 0, 'typed errors carry a message');
      return false;
    }
    assert.fail(context + ': threw an untyped ' + String(e) + (e instanceof Error ? '\n' + e.stack : ''));
  }
}

/** Asserts that `f` throws `cls` with `code`. */
export function expectError(f: () => unknown, cls: typeof DerError | typeof CertificateError, code: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof cls, 'expected ' + cls.name + ', got ' + String(e));
    assert.equal((e as SimpleGoError).code, code, (e as Error).message);
    return true;
  });
}
