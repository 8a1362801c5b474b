import assert from 'node:assert/strict';
import type { Crypto } from '../../../hal/crypto';
import { StoreError } from '../../../firmware/store/errors';
import {
  FLAG_ANCHORED,
  FLAG_DEVICE_BOUND,
  KEYRING_SIZE,
  MAX_ITERATIONS,
  MIN_ITERATIONS,
  buildKeyring,
  calibrateIterations,
  decodeAttempts,
  encodeAttempts,
  lockoutDelayMs,
  parseKeyring,
  pinBytes,
  unwrapMasterKey,
} from '../../../firmware/store/keyring';
import { ManualClock } from './manual-clock';
import { Rig, expectStoreError } from './helpers';

const rig = new Rig();
const c = rig.crypto;
const mk = new Uint8Array(32).fill(7);
const storeId = new Uint8Array(16).fill(9);
const secret = new Uint8Array(32).fill(3);

function build(flags: number, pin: string, withSecret: boolean): Uint8Array {
  return buildKeyring(c, rig.random, { flags, iterations: 1000, wipeAfter: 5, storeId }, pinBytes(pin), withSecret ? secret : null, mk);
}

describe('firmware/store/keyring', () => {
  it('wraps and unwraps the master key; a wrong PIN or device secret gives null', () => {
    const k = parseKeyring(c, build(FLAG_ANCHORED, '2468', false));
    assert.deepEqual([k.flags, k.iterations, k.wipeAfter], [FLAG_ANCHORED, 1000, 5]);
    assert.deepEqual(k.storeId, storeId);
    assert.deepEqual(unwrapMasterKey(c, k, pinBytes('2468'), null), mk);
    assert.equal(unwrapMasterKey(c, k, pinBytes('2469'), null), null);
    const bound = parseKeyring(c, build(FLAG_DEVICE_BOUND, '2468', true));
    assert.deepEqual(unwrapMasterKey(c, bound, pinBytes('2468'), secret), mk);
    assert.equal(unwrapMasterKey(c, bound, pinBytes('2468'), new Uint8Array(32)), null);
    assert.throws(() => unwrapMasterKey(c, bound, pinBytes('2468'), null));
  });

  it('every wrap draws a fresh salt and nonce: two keyrings for the same key and PIN differ', () => {
    const a = build(0, '2468', false);
    const b = build(0, '2468', false);
    assert.notDeepEqual(a.subarray(32, 76), b.subarray(32, 76));
  });

  it('refuses truncated, extended and garbage keyrings with a typed error', () => {
    const good = build(0, '2468', false);
    for (let n = 0; n < KEYRING_SIZE; n++) expectStoreError(() => parseKeyring(c, good.subarray(0, n)), 'damaged', 'keyring');
    expectStoreError(() => parseKeyring(c, new Uint8Array([...good, 0])), 'damaged', 'keyring');
    for (let i = 0; i < 50; i++) {
      const g = rig.random.bytes(KEYRING_SIZE);
      g.set([0x53, 0x47, 0x4b, 0x31], 0);
      expectStoreError(() => parseKeyring(c, g), 'damaged', 'keyring');
    }
  });

  it('the wrong-PIN wait: none for three, then 30 s doubling to an hour', () => {
    const got = [];
    for (let n = 0; n <= 13; n++) got.push(lockoutDelayMs(n) / 1000);
    assert.deepEqual(got, [0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    assert.equal(lockoutDelayMs(0xffffffff), 3600000);
  });

  it('the attempts file round-trips; anything unreadable counts as zero', () => {
    assert.equal(decodeAttempts(encodeAttempts(0xfffffffe)), 0xfffffffe);
    assert.equal(decodeAttempts(encodeAttempts(3)), 3);
    for (const bad of [null, new Uint8Array(0), new Uint8Array(8), encodeAttempts(3).subarray(0, 7), new Uint8Array([...encodeAttempts(3), 0])]) {
      assert.equal(decodeAttempts(bad), 0);
    }
  });

  it('PINs are UTF-8, 4 to 256 bytes', () => {
    assert.deepEqual([...pinBytes('pässwörd')], [...Buffer.from('pässwörd', 'utf8')]);
    assert.equal(pinBytes('ab€').length, 5);
    expectStoreError(() => pinBytes('abc'), 'bad-argument');
    expectStoreError(() => pinBytes('é'.repeat(129)), 'bad-argument');
    expectStoreError(() => pinBytes(1234 as unknown as string), 'bad-argument');
  });

  it('calibrateIterations scales a measured probe to the target, within the bounds', () => {
    // A device where one iteration costs 250 us: the clock moves as the KDF runs.
    const clock = new ManualClock();
    const slow = (usPerIteration: number): Crypto => ({
      ...c,
      pbkdf2Sha512: (p, s, i, n) => {
        clock.advance((i * usPerIteration) / 1000);
        return c.pbkdf2Sha512(p, s, 1, n);
      },
    });
    assert.equal(calibrateIterations(slow(250), clock, 2000), 8000);
    assert.equal(calibrateIterations(slow(100), clock, 2500), 25000);
    assert.equal(calibrateIterations(slow(0.001), clock, 2000), MAX_ITERATIONS);
    assert.equal(calibrateIterations(slow(100000), clock, 2000), MIN_ITERATIONS);
  });

  it('errors are StoreErrors carrying no key material', () => {
    try {
      parseKeyring(c, new Uint8Array(3));
      assert.fail();
    } catch (e) {
      assert.ok(e instanceof StoreError);
      assert.equal(e.name, 'StoreError');
      assert.ok(!e.message.includes('07070707'));
    }
  });
});
