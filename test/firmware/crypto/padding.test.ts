import assert from 'node:assert/strict';
import { MAX_PADDED_MESSAGE, PaddingError, pad, unpad } from '../../../firmware/crypto/padding';
import { toHex } from '../../../firmware/encoding/bytes';
import { SimpleGoError } from '../../../hal/errors';
import { hex, loadVectors, prng, randomBytes, randomInt } from '../encoding/helpers';

function expectPaddingError(fn: () => unknown, code: 'message-too-large' | 'bad-padding'): PaddingError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof PaddingError, 'expected PaddingError ' + code + ', got ' + String(thrown));
  assert.ok(thrown instanceof SimpleGoError);
  assert.equal(thrown.code, code);
  assert.equal(thrown.name, 'PaddingError');
  return thrown;
}

describe('SimpleX padding', () => {
  it('reproduces padding.json in both directions', () => {
    const file = loadVectors('padding.json');
    assert.ok(file.cases.length >= 1);
    for (const c of file.cases as Array<{ name: string; message: string; padded_len: number; padded: string }>) {
      const padded = pad(hex(c.message), c.padded_len);
      assert.equal(toHex(padded), c.padded, c.name);
      assert.equal(padded.length, c.padded_len);
      assert.equal(toHex(unpad(hex(c.padded))), c.message);
    }
    assert.equal(toHex(pad(new TextEncoder().encode('hello'), 16)), '000568656c6c6f232323232323232323');
  });

  it('pads an empty message, including into the minimum 2 bytes', () => {
    assert.equal(toHex(pad(new Uint8Array(0), 2)), '0000');
    assert.equal(toHex(pad(new Uint8Array(0), 5)), '0000232323');
    assert.equal(unpad(hex('0000')).length, 0);
    assert.equal(unpad(hex('0000232323')).length, 0);
  });

  it('fits a message that exactly fills the padded size, and refuses one byte more', () => {
    const m = new Uint8Array(14).fill(0x61);
    const exact = pad(m, 16);
    assert.equal(toHex(exact), '000e' + '61'.repeat(14));
    assert.deepEqual(unpad(exact), m);
    const err = expectPaddingError(() => pad(new Uint8Array(15), 16), 'message-too-large');
    assert.match(err.message, /15 bytes .* 16/);
    expectPaddingError(() => pad(new Uint8Array(0), 1), 'message-too-large');
    expectPaddingError(() => pad(new Uint8Array(0), 0), 'message-too-large');
  });

  it('accepts 65533 bytes (the word16 limit) and refuses 65534', () => {
    assert.equal(MAX_PADDED_MESSAGE, 65533);
    const m = new Uint8Array(65533).fill(0x42);
    const p = pad(m, 65535);
    assert.equal(p.length, 65535);
    assert.deepEqual([p[0], p[1]], [0xff, 0xfd]);
    assert.deepEqual(unpad(p), m);
    const bigger = pad(m, 70000);
    assert.equal(bigger.length, 70000);
    assert.equal(bigger[69999], 0x23);
    assert.deepEqual(unpad(bigger), m);
    expectPaddingError(() => pad(new Uint8Array(65534), 65536), 'message-too-large');
    expectPaddingError(() => pad(new Uint8Array(65534), 70000), 'message-too-large');
  });

  it('refuses a padded size that is not a whole number of bytes >= 2', () => {
    for (const bad of [16.5, -1, 0, 1, NaN, Infinity]) {
      assert.throws(() => pad(new Uint8Array(0), bad), (e: unknown) => e instanceof PaddingError, 'accepted ' + bad);
    }
  });

  it('unpad refuses truncated input and lengths beyond the buffer', () => {
    expectPaddingError(() => unpad(new Uint8Array(0)), 'bad-padding');
    expectPaddingError(() => unpad(hex('00')), 'bad-padding');
    expectPaddingError(() => unpad(hex('0001')), 'bad-padding');
    const err = expectPaddingError(() => unpad(hex('0005686564')), 'bad-padding');
    assert.match(err.message, /5 exceeds the 3 bytes/);
    expectPaddingError(() => unpad(hex('ffff' + '23'.repeat(100))), 'bad-padding');
    // Every truncation of a padded message that cuts into the message itself.
    const padded = pad(new TextEncoder().encode('hello'), 16);
    for (let n = 0; n < 7; n++) expectPaddingError(() => unpad(padded.subarray(0, n)), 'bad-padding');
    // Cutting only filler is accepted, as in simplexmq (the filler is not checked).
    for (let n = 7; n <= 16; n++) assert.equal(toHex(unpad(padded.subarray(0, n))), '68656c6c6f');
  });

  it('unpad ignores the filler bytes, as simplexmq unPad does', () => {
    assert.equal(toHex(unpad(hex('0002abcd00ff7a'))), 'abcd');
  });

  it('round-trips random messages, and garbage only ever gives PaddingError', () => {
    const rng = prng(0x9ad);
    for (let i = 0; i < 3000; i++) {
      const m = randomBytes(rng, randomInt(rng, 300));
      const size = m.length + 2 + randomInt(rng, 50);
      const p = pad(m, size);
      assert.equal(p.length, size);
      assert.deepEqual(unpad(p), m);
      assert.ok(p.subarray(2 + m.length).every((b) => b === 0x23));
      const junk = randomBytes(rng, randomInt(rng, 40));
      try {
        const out = unpad(junk);
        assert.equal(out.length, (junk[0] << 8) | junk[1]);
        assert.ok(out.length <= junk.length - 2);
      } catch (e) {
        assert.ok(e instanceof PaddingError && e.code === 'bad-padding', String(e));
      }
    }
  });
});
