/**
 * The stored ratchet state: exact round trips at every stage of a conversation (fresh joiner,
 * fresh initiator, PQ chains, skipped keys, a precomputed KEM pair), restored ratchets that carry
 * on, and refusal of truncated, garbage, inconsistent and unknown-format input.
 */
import assert from 'node:assert/strict';
import { Ratchet } from '../../../firmware/agent/ratchet';
import { MAX_SKIPPED_KEYS, STATE_FORMAT, deserializeState, serializeState } from '../../../firmware/agent/ratchet-state';
import { toHex } from '../../../firmware/encoding/bytes';
import { Encoder } from '../../../firmware/encoding/binary';
import { prng, randomBytes, randomInt } from '../encoding/helpers';
import { BACKENDS, expectRatchetError, makePair, seeded, text, utf8 } from './helpers';
import { RatchetError } from '../../../firmware/agent/errors';

const BACKEND = BACKENDS[1];

function roundTrip(r: Ratchet): Ratchet {
  const a = r.serialize();
  const restored = Ratchet.deserialize(BACKEND.make(seeded(1)), a);
  assert.equal(toHex(restored.serialize()), toHex(a), 'serialize → deserialize → serialize');
  assert.equal(toHex(serializeState(deserializeState(a))), toHex(a));
  return restored;
}

describe('firmware/agent/ratchet-state', function () {
  this.timeout(60000);

  it('round-trips exactly at every stage, and restored ratchets continue the conversation', () => {
    const cA = BACKEND.make(seeded(501));
    const cB = BACKEND.make(seeded(502));
    let { initiator: alice, joiner: bob } = makePair(cA, cB, { initiatorPq: true, joinerPq: true });
    alice = roundTrip(alice);
    bob = roundTrip(bob);
    const b1 = bob.encrypt(utf8('one'), 100).message;
    const b2 = bob.encrypt(utf8('two'), 100).message;
    const b3 = bob.encrypt(utf8('three'), 100).message;
    bob = roundTrip(bob);
    assert.equal(text(alice.decrypt(b3).plaintext), 'three');
    alice = roundTrip(alice); // with two skipped keys
    assert.equal(alice.skippedKeyCount, 2);
    assert.equal(text(alice.decrypt(b1).plaintext), 'one');
    alice.setNextKemKeyPair(cA.sntrup761KeyPair());
    alice = roundTrip(alice); // with one skipped key and a precomputed pair
    assert.ok(!alice.needsKemKeyPair());
    const a1 = alice.encrypt(utf8('reply'), 100).message;
    alice = roundTrip(alice);
    assert.equal(text(bob.decrypt(a1).plaintext), 'reply');
    bob = roundTrip(bob);
    const b4 = bob.encrypt(utf8('four'), 100).message;
    assert.equal(text(alice.decrypt(b4).plaintext), 'four');
    assert.ok(alice.needsKemKeyPair(), 'the restored precomputed pair was used');
    alice = roundTrip(alice);
    assert.equal(text(alice.decrypt(b2).plaintext), 'two');
    assert.equal(alice.skippedKeyCount, 0);
    assert.ok(alice.pqSending && alice.pqReceiving);
    for (let i = 0; i < 3; i++) {
      const m = alice.encrypt(utf8('a' + i), 100).message;
      bob = roundTrip(bob);
      assert.equal(text(bob.decrypt(m).plaintext), 'a' + i);
      const n = bob.encrypt(utf8('b' + i), 100).message;
      alice = roundTrip(alice);
      assert.equal(text(alice.decrypt(n).plaintext), 'b' + i);
    }
  });

  it('round-trips a non-PQ ratchet and a v2 ratchet', () => {
    const p = makePair(BACKEND.make(seeded(503)), BACKEND.make(seeded(504)), { initiatorPq: false, joinerPq: false });
    roundTrip(p.initiator);
    const m = p.joiner.encrypt(utf8('x'), 50).message;
    roundTrip(p.joiner);
    assert.equal(text(roundTrip(p.initiator).decrypt(m).plaintext), 'x');
    const v2 = makePair(BACKEND.make(seeded(505)), BACKEND.make(seeded(506)), {
      initiatorPq: false, joinerPq: false, initiatorRange: { min: 2, max: 2 }, joinerRange: { min: 2, max: 2 },
    });
    assert.equal(roundTrip(v2.joiner).version, 2);
  });

  describe('refuses bad input with typed errors', () => {
    const p = makePair(BACKEND.make(seeded(507)), BACKEND.make(seeded(508)), { initiatorPq: true, joinerPq: true });
    const m1 = p.joiner.encrypt(utf8('1'), 50).message;
    p.joiner.encrypt(utf8('2'), 50);
    const m3 = p.joiner.encrypt(utf8('3'), 50).message;
    p.initiator.decrypt(m3);
    p.initiator.decrypt(m1);
    const good = p.initiator.serialize();
    const c = BACKEND.make(seeded(9));

    it('every truncation', () => {
      for (let n = 0; n < good.length; n++) expectRatchetError(() => Ratchet.deserialize(c, good.subarray(0, n)), 'bad-state');
    });

    it('trailing bytes, a bad magic byte and an unknown format version', () => {
      const longer = new Uint8Array(good.length + 1);
      longer.set(good);
      expectRatchetError(() => Ratchet.deserialize(c, longer), 'bad-state');
      const magic = good.slice();
      magic[0] = 0x53;
      expectRatchetError(() => Ratchet.deserialize(c, magic), 'bad-state');
      const format = good.slice();
      format[1] = STATE_FORMAT + 1;
      expectRatchetError(() => Ratchet.deserialize(c, format), 'version');
      format[1] = 0;
      expectRatchetError(() => Ratchet.deserialize(c, format), 'version');
    });

    it('inconsistent content: versions, booleans, Maybe tags, skipped chains', () => {
      const at = (offset: number, value: number): Uint8Array => {
        const b = good.slice();
        b[offset] = value;
        return b;
      };
      expectRatchetError(() => Ratchet.deserialize(c, at(3, 4)), 'bad-state'); // current 4
      expectRatchetError(() => Ratchet.deserialize(c, at(3, 1)), 'bad-state'); // current 1
      expectRatchetError(() => Ratchet.deserialize(c, at(5, 9)), 'bad-state'); // max 9
      // 2 + 4 + 112 + 56 + 56 = 230: the first Bool.
      expectRatchetError(() => Ratchet.deserialize(c, at(230, 0x58)), 'bad-state');
      expectRatchetError(() => Ratchet.deserialize(c, at(234, 0x32)), 'bad-state'); // the KEM Maybe
      // The skipped chain at the end: BE16 1 ‖ hk(32) ‖ BE16 1 ‖ BE32 n ‖ 48 bytes.
      const chainAt = good.length - (2 + 32 + 2 + 4 + 48);
      assert.equal(toHex(good.subarray(chainAt, chainAt + 2)), '0001');
      expectRatchetError(() => Ratchet.deserialize(c, at(chainAt + 2 + 32 + 1, 0)), 'bad-state'); // empty chain
      // Two chains with the same header key, and numbers out of order.
      const tail = good.subarray(chainAt + 2);
      const dupChains = new Encoder().raw(good.subarray(0, chainAt)).word16(2).raw(tail).raw(tail).finish();
      expectRatchetError(() => Ratchet.deserialize(c, dupChains), 'bad-state');
      const entry = tail.subarray(34);
      const unordered = new Encoder().raw(good.subarray(0, chainAt)).word16(1).raw(tail.subarray(0, 32)).word16(2).raw(entry).raw(entry).finish();
      expectRatchetError(() => Ratchet.deserialize(c, unordered), 'bad-state');
      // More skipped keys than the bound.
      const big = new Encoder().raw(good.subarray(0, chainAt)).word16(1).raw(tail.subarray(0, 32)).word16(MAX_SKIPPED_KEYS + 1);
      for (let n = 0; n <= MAX_SKIPPED_KEYS; n++) big.word32(n).raw(new Uint8Array(48));
      expectRatchetError(() => Ratchet.deserialize(c, big.finish()), 'bad-state');
    });

    it('garbage and mutations give RatchetError or a well-formed state, never anything else (fixed seed)', () => {
      const r = prng(777);
      for (let i = 0; i < 1500; i++) {
        const input = i % 2 === 0 ? randomBytes(r, randomInt(r, 400)) : good.slice();
        if (i % 2 === 1) input[randomInt(r, 300)] ^= 1 + randomInt(r, 255);
        try {
          const restored = Ratchet.deserialize(c, input);
          // A mutation inside key material is still a well-formed state: it must round-trip.
          assert.equal(toHex(restored.serialize()), toHex(input));
        } catch (e) {
          assert.ok(e instanceof RatchetError, 'not a RatchetError: ' + String(e));
          assert.ok(e.code === 'bad-state' || e.code === 'version');
        }
      }
    });
  });

  it('destroy wipes the private ratchet key', () => {
    const p = makePair(BACKEND.make(seeded(509)), BACKEND.make(seeded(510)), { initiatorPq: false, joinerPq: false });
    const before = p.joiner.serialize();
    // Layout: 'R' 01 ‖ versions(4) ‖ ad(112) ‖ DHRs private(56) at offset 118.
    assert.notEqual(toHex(before.subarray(118, 174)), '00'.repeat(56));
    p.joiner.destroy();
    const after = p.joiner.serialize();
    assert.equal(toHex(after.subarray(118, 174)), '00'.repeat(56));
    assert.equal(toHex(after.subarray(6, 118)), toHex(before.subarray(6, 118)), 'the public AD is kept');
  });
});
