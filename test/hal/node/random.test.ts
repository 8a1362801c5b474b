import assert from 'node:assert/strict';
import { CryptoError } from '../../../hal/crypto';
import { createNodeRandom } from '../../../hal/node/random';

describe('hal/node/random', () => {
  const random = createNodeRandom();

  it('returns exactly n bytes as a plain Uint8Array that owns its memory', () => {
    for (const n of [0, 1, 16, 32, 57, 1000, 65536]) {
      const b = random.bytes(n);
      assert.equal(b.length, n);
      assert.equal(Object.getPrototypeOf(b), Uint8Array.prototype, 'not a Buffer');
      assert.equal(b.byteOffset, 0);
      assert.equal(b.buffer.byteLength, n, 'not a view into a shared pool');
    }
  });

  it('never repeats itself', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(Buffer.from(random.bytes(16)).toString('hex'));
    assert.equal(seen.size, 1000);
  });

  it('looks uniform: every byte value and every bit about equally often', () => {
    const b = random.bytes(65536);
    const counts = new Array<number>(256).fill(0);
    const bits = new Array<number>(8).fill(0);
    for (const x of b) {
      counts[x]++;
      for (let k = 0; k < 8; k++) bits[k] += (x >> k) & 1;
    }
    // 256 per value on average; these bounds are > 8 standard deviations wide.
    for (let v = 0; v < 256; v++) assert.ok(counts[v] > 120 && counts[v] < 400, 'value ' + v + ': ' + counts[v]);
    for (let k = 0; k < 8; k++) assert.ok(Math.abs(bits[k] - 32768) < 1500, 'bit ' + k + ': ' + bits[k]);
    let chi2 = 0;
    for (let v = 0; v < 256; v++) chi2 += (counts[v] - 256) ** 2 / 256;
    assert.ok(chi2 < 400, 'chi-square ' + chi2 + ' (255 degrees of freedom)');
  });

  it('rejects counts outside 0..65536 with CryptoError bad-length', () => {
    for (const n of [-1, 65537, 1.5, NaN, Infinity]) {
      assert.throws(() => random.bytes(n), (e: unknown) => e instanceof CryptoError && e.code === 'bad-length', String(n));
    }
  });
});
