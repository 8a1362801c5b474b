/**
 * The ratchet end to end, both roles, PQ off / on / mixed, v2 and v3, the KEM switching sequences
 * of simplexmq's DoubleRatchetTests.hs, skipped and duplicate messages, the skip bound,
 * transactional failure, garbage input, precomputed KEM key pairs, and a long randomised
 * conversation.
 */
import assert from 'node:assert/strict';
import type { Crypto, KemKeyPair } from '../../../hal/crypto';
import { RatchetError } from '../../../firmware/agent/errors';
import {
  AGENT_MSG_PAD_LENGTH,
  AGENT_MSG_PAD_LENGTH_PQ,
  CONN_INFO_PAD_LENGTH,
  CONN_INFO_PAD_LENGTH_PQ,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  Ratchet,
  agentMessagePadLength,
  connInfoPadLength,
} from '../../../firmware/agent/ratchet';
import { decodeEncMessageHeader, decodeEncRatchetMessage, decodeMsgHeader, paddedHeaderLength } from '../../../firmware/agent/ratchet-header';
import { chainKdf, decryptAead, rootKdf } from '../../../firmware/agent/ratchet-crypto';
import { deserializeState } from '../../../firmware/agent/ratchet-state';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { prng, randomBytes, randomInt } from '../encoding/helpers';
import { BACKENDS, expectRatchetError, makePair, seeded, text, utf8 } from './helpers';
import type { Pair, PairOptions } from './helpers';

const PAD = 100;

/** The length simplexmq's test computes (`fullMsgLen`) for a message just sent by `r`. */
function expectedLength(r: Ratchet, pad: number): number {
  const v3 = r.version >= 3;
  const encHeader = 2 + 16 + 16 + (v3 ? 2 : 1) + paddedHeaderLength(r.version, r.pqSupport);
  return (v3 ? 2 : 1) + encHeader + 16 + pad;
}

/** Sends and checks the length, the text, and the PQ flags both sides report. */
function exchange(from: Ratchet, to: Ratchet, body: string, pq: boolean | undefined = undefined): Uint8Array {
  const out = from.encrypt(utf8(body), PAD, pq);
  assert.equal(out.message.length, expectedLength(from, PAD), 'message length for "' + body + '"');
  assert.equal(out.pqEncrypted, from.pqSending);
  const got = to.decrypt(out.message);
  assert.equal(text(got.plaintext), body);
  assert.equal(got.pqEncrypted, to.pqReceiving);
  return out.message;
}

function frozen(r: Ratchet): string {
  return toHex(r.serialize());
}

/** Runs fn, requires a RatchetError with this code, and requires that `r` did not change. */
function rejectsUnchanged(r: Ratchet, fn: () => unknown, code: string): void {
  const before = frozen(r);
  expectRatchetError(fn, code as never);
  assert.equal(frozen(r), before, 'state changed after a ' + code + ' failure');
}

function corrupt(m: Uint8Array, index: number): Uint8Array {
  const c = m.slice();
  c[index] ^= 0x01;
  return c;
}

/**
 * The operators of DoubleRatchetTests.hs: the PQ option given to encrypt, then the checks on the
 * sender after encrypting and on the receiver after decrypting (upstream's `\#>\` and `\#>` check
 * the receiver's *sending* flag).
 */
type Op = '\\#>!' | '!#>!' | '!#>' | '!#>\\' | '\\#>\\' | '\\#>';
function op(from: Ratchet, o: Op, body: string, to: Ratchet): void {
  const pq = o === '\\#>!' || o === '!#>!' ? true : o === '!#>\\' || o === '\\#>\\' ? false : undefined;
  const senderPq = o[0] === '!';
  exchange(from, to, body, pq);
  assert.equal(from.pqSending, senderPq, '"' + body + '": sender pqSending');
  if (o === '\\#>\\' || o === '\\#>') assert.equal(to.pqSending, false, '"' + body + '": receiver pqSending');
  else assert.equal(to.pqReceiving, senderPq, '"' + body + '": receiver pqReceiving');
}

const NO_PQ: PairOptions = { initiatorPq: false, joinerPq: false };
const PQ_ACCEPTED: PairOptions = { initiatorPq: true, joinerPq: true };
const PQ_PROPOSED_BY_JOINER: PairOptions = { initiatorPq: false, joinerPq: true, initiatorSupportsPq: true };

for (const backend of BACKENDS) {
  describe('firmware/agent/ratchet on the ' + backend.name + ' backend', function () {
    this.timeout(120000);
    let seed = 100;
    const pair = (o: PairOptions): Pair => makePair(backend.make(seeded(seed++)), backend.make(seeded(seed++)), o);

    describe('message flows (simplexmq runMessageTests), PQ off / accepted / proposed in reply / proposed again', () => {
      const setups: Array<[string, PairOptions, boolean]> = [
        ['PQ off', NO_PQ, false],
        ['KEM accepted in the handshake', PQ_ACCEPTED, false],
        ['KEM proposed by the joiner', PQ_PROPOSED_BY_JOINER, true],
        ['KEM proposed again in reply', { initiatorPq: true, joinerPq: true, joinerProposes: true }, true],
      ];
      for (const [name, options, agree] of setups) {
        const start = (): Pair => {
          const p = pair(options);
          // upstream initRatchetKEM: one message each way with PQ switched on.
          if (agree) {
            exchange(p.joiner, p.initiator, 'initialising ratchet', true);
            exchange(p.initiator, p.joiner, 'initialising ratchet', true);
          }
          return p;
        };

        it(name + ': encrypts and decrypts in both directions, in and out of order', () => {
          const { initiator: alice, joiner: bob } = start();
          exchange(bob, alice, 'hello alice');
          exchange(alice, bob, 'hello bob');
          const b = ['how are you, alice?', 'are you there?', 'hey?'].map((t) => bob.encrypt(utf8(t), PAD).message);
          const a = ['how are you, bob?', 'are you there?', 'hey?'].map((t) => alice.encrypt(utf8(t), PAD).message);
          assert.equal(text(alice.decrypt(b[0]).plaintext), 'how are you, alice?');
          assert.equal(text(alice.decrypt(b[1]).plaintext), 'are you there?');
          assert.equal(text(alice.decrypt(b[2]).plaintext), 'hey?');
          assert.equal(text(bob.decrypt(a[0]).plaintext), 'how are you, bob?');
          assert.equal(text(bob.decrypt(a[1]).plaintext), 'are you there?');
          assert.equal(text(bob.decrypt(a[2]).plaintext), 'hey?');
          exchange(bob, alice, "I'm here, all good");
          exchange(alice, bob, "I'm here too, same");
          if (options === PQ_ACCEPTED || agree) {
            assert.ok(alice.pqSending && alice.pqReceiving && bob.pqSending && bob.pqReceiving, 'KEM in every chain');
          } else {
            assert.ok(!alice.pqSending && !alice.pqReceiving && !bob.pqSending && !bob.pqReceiving, 'no KEM');
          }
        });

        it(name + ': skipped messages, and a duplicate is refused without changing the state', () => {
          const { initiator: alice, joiner: bob } = start();
          const m1 = bob.encrypt(utf8('hello alice'), PAD).message;
          const m2 = bob.encrypt(utf8('hello there again'), PAD).message;
          const m3 = bob.encrypt(utf8('are you there?'), PAD).message;
          assert.equal(text(alice.decrypt(m3).plaintext), 'are you there?');
          assert.equal(alice.skippedKeyCount, 2);
          rejectsUnchanged(alice, () => alice.decrypt(m3), 'duplicate');
          assert.equal(text(alice.decrypt(m2).plaintext), 'hello there again');
          assert.equal(text(alice.decrypt(m1).plaintext), 'hello alice');
          assert.equal(alice.skippedKeyCount, 0);
          // Used skipped keys are gone; in the current chain they are earlier messages.
          rejectsUnchanged(alice, () => alice.decrypt(m1), 'earlier-message');
          rejectsUnchanged(alice, () => alice.decrypt(m2), 'earlier-message');
          rejectsUnchanged(alice, () => alice.decrypt(m3), 'duplicate');
        });

        it(name + ': many messages', () => {
          const { initiator: alice, joiner: bob } = start();
          const script: Array<[Ratchet, string, Ratchet]> = [
            [bob, 'b1', alice], [bob, 'b2', alice], [bob, 'b3', alice], [bob, 'b4', alice],
            [alice, 'a5', bob], [alice, 'a6', bob], [alice, 'a7', bob], [bob, 'b8', alice],
            [alice, 'a9', bob], [alice, 'a10', bob], [bob, 'b11', alice], [bob, 'b12', alice],
            [alice, 'a14', bob], [bob, 'b15', alice], [bob, 'b16', alice],
          ];
          for (const [from, body, to] of script) exchange(from, to, body);
        });

        it(name + ': skipped messages across ratchet advances', () => {
          const { initiator: alice, joiner: bob } = start();
          const enc = (r: Ratchet, t: string): Uint8Array => r.encrypt(utf8(t), PAD).message;
          const dec = (r: Ratchet, m: Uint8Array): string => text(r.decrypt(m).plaintext);
          exchange(bob, alice, 'b1');
          const b2 = enc(bob, 'b2');
          const b3 = enc(bob, 'b3');
          const b4 = enc(bob, 'b4');
          exchange(alice, bob, 'a5');
          const b5 = enc(bob, 'b5');
          const b6 = enc(bob, 'b6');
          exchange(bob, alice, 'b7');
          const b8 = enc(bob, 'b8');
          const b9 = enc(bob, 'b9');
          exchange(alice, bob, 'a10');
          const b11 = enc(bob, 'b11');
          const b12 = enc(bob, 'b12');
          exchange(alice, bob, 'a14');
          assert.equal(dec(alice, b12), 'b12');
          assert.equal(dec(alice, b2), 'b2');
          // simplexmq: Left CERatchetHeader (the key of an older chain was used already)
          rejectsUnchanged(alice, () => alice.decrypt(b2), 'bad-header');
          exchange(alice, bob, 'a15');
          const a16 = enc(bob, 'a16');
          const a17 = enc(bob, 'a17');
          assert.equal(dec(alice, b8), 'b8');
          assert.equal(dec(alice, b3), 'b3');
          assert.equal(dec(alice, b4), 'b4');
          assert.equal(dec(alice, b5), 'b5');
          assert.equal(dec(alice, b6), 'b6');
          exchange(alice, bob, 'a18');
          assert.equal(dec(alice, a16), 'a16');
          assert.equal(dec(alice, a17), 'a17');
          assert.equal(dec(alice, b9), 'b9');
          assert.equal(dec(alice, b11), 'b11');
          assert.equal(alice.skippedKeyCount, 0);
        });
      }
    });

    describe('PQ switching (simplexmq testDisableEnableKEM / testEnableKEM and their strict forms)', () => {
      it('disables and re-enables KEM', () => {
        const { initiator: alice, joiner: bob } = pair(PQ_ACCEPTED);
        op(bob, '!#>', 'hello alice', alice);
        op(alice, '!#>', 'hello bob', bob);
        op(bob, '!#>\\', 'disabling KEM', alice);
        op(alice, '!#>', 'still disabling KEM', bob);
        op(bob, '\\#>', 'now KEM is disabled', alice);
        op(alice, '\\#>', 'KEM is disabled for both sides', bob);
        op(bob, '\\#>!', 'trying to enable KEM', alice);
        op(alice, '\\#>', "but unless alice enables it too it won't enable", bob);
        op(bob, '\\#>', 'KEM is disabled', alice);
        op(alice, '\\#>', 'KEM is disabled for both sides', bob);
        op(bob, '\\#>!', 'enabling KEM again', alice);
        op(alice, '\\#>!', 'and alice accepts it this time', bob);
        op(bob, '\\#>!', 'still enabling KEM', alice);
        op(alice, '!#>', 'now KEM is enabled', bob);
        op(bob, '!#>', 'KEM is enabled for both sides', alice);
        // Large headers stayed on throughout: support is never switched off.
        assert.ok(alice.pqSupport && bob.pqSupport);
      });

      it('disables and re-enables KEM, always setting PQEncryption', () => {
        const { initiator: alice, joiner: bob } = pair(PQ_ACCEPTED);
        op(bob, '!#>!', 'hello alice', alice);
        op(alice, '!#>!', 'hello bob', bob);
        op(bob, '!#>\\', 'disabling KEM', alice);
        op(alice, '!#>!', 'still disabling KEM', bob);
        op(bob, '\\#>\\', 'now KEM is disabled', alice);
        op(alice, '\\#>\\', 'KEM is disabled for both sides', bob);
        op(bob, '\\#>!', 'trying to enable KEM', alice);
        op(alice, '\\#>\\', "but unless alice enables it too it won't enable", bob);
        op(bob, '\\#>!', 'KEM is disabled', alice);
        op(alice, '\\#>\\', 'KEM is disabled for both sides', bob);
        op(bob, '\\#>!', 'enabling KEM again', alice);
        op(alice, '\\#>!', 'and alice accepts it this time', bob);
        op(bob, '\\#>!', 'still enabling KEM', alice);
        op(alice, '!#>!', 'now KEM is enabled', bob);
        op(bob, '!#>!', 'KEM is enabled for both sides', alice);
      });

      it('enables KEM when it was not enabled in the handshake (88-byte headers until then)', () => {
        const { initiator: alice, joiner: bob } = pair(NO_PQ);
        op(bob, '\\#>', 'hello alice', alice);
        op(alice, '\\#>', 'hello bob', bob);
        assert.ok(!alice.pqSupport && !bob.pqSupport);
        op(bob, '\\#>!', 'enabling KEM', alice);
        assert.ok(bob.pqSupport, 'PQ support switches on with the first PQ message');
        op(bob, '\\#>!', 'KEM not enabled yet', alice);
        op(alice, '\\#>!', 'accepting KEM', bob);
        op(alice, '\\#>!', 'KEM not enabled yet here too', bob);
        op(bob, '\\#>!', 'KEM is still not enabled', alice);
        op(alice, '!#>!', 'now KEM is enabled', bob);
        op(bob, '!#>!', 'now KEM is enabled for both sides', alice);
        op(alice, '!#>', 'still enabled for both sides', bob);
        op(bob, '!#>', 'still enabled for both sides 2', alice);
        op(alice, '!#>\\', 'disabling KEM', bob);
        op(bob, '!#>', 'KEM not disabled yet', alice);
        op(alice, '\\#>', 'KEM disabled', bob);
        op(bob, '\\#>', 'KEM disabled on both sides', alice);
      });

      it('enables KEM when it was not enabled in the handshake, always setting PQEncryption', () => {
        const { initiator: alice, joiner: bob } = pair(NO_PQ);
        op(bob, '\\#>\\', 'hello alice', alice);
        op(alice, '\\#>\\', 'hello bob', bob);
        op(bob, '\\#>!', 'enabling KEM', alice);
        op(bob, '\\#>!', 'KEM not enabled yet', alice);
        op(alice, '\\#>!', 'accepting KEM', bob);
        op(alice, '\\#>!', 'KEM not enabled yet here too', bob);
        op(bob, '\\#>!', 'KEM is still not enabled', alice);
        op(alice, '!#>!', 'now KEM is enabled', bob);
        op(bob, '!#>!', 'now KEM is enabled for both sides', alice);
        op(alice, '!#>!', 'still enabled for both sides', bob);
        op(bob, '!#>!', 'still enabled for both sides 2', alice);
        op(alice, '!#>\\', 'disabling KEM', bob);
        op(bob, '!#>!', 'KEM not disabled yet', alice);
        op(alice, '\\#>\\', 'KEM disabled', bob);
        op(bob, '\\#>!', 'KEM disabled on both sides', alice);
        op(alice, '\\#>\\', 'KEM still disabled 1', bob);
        op(bob, '\\#>!', 'KEM still disabled 2', alice);
        op(alice, '\\#>\\', 'KEM still disabled 3', bob);
        op(bob, '\\#>!', 'KEM still disabled 4', alice);
        op(alice, '\\#>\\', 'KEM still disabled 5', bob);
        op(bob, '\\#>!', 'KEM still disabled 6', alice);
      });
    });

    describe('mixed PQ and versions', () => {
      it('a PQ joiner and a non-PQ initiator: the non-PQ side parses P headers and PQ falls back cleanly', () => {
        const { initiator: alice, joiner: bob } = pair({ initiatorPq: false, joinerPq: true });
        assert.ok(bob.pqSupport && !alice.pqSupport);
        for (let round = 0; round < 4; round++) {
          exchange(bob, alice, 'from bob ' + round);
          exchange(alice, bob, 'from alice ' + round);
          assert.ok(!alice.pqSending && !alice.pqReceiving && !bob.pqSending && !bob.pqReceiving);
        }
        // Bob keeps large headers (support only switches on), Alice keeps small ones.
        assert.ok(bob.pqSupport && !alice.pqSupport && !bob.pqEnabled);
      });

      it('a PQ initiator and a non-PQ joiner: no KEM is agreed and the initiator stops proposing', () => {
        const { initiator: alice, joiner: bob } = pair({ initiatorPq: true, joinerPq: false });
        for (let round = 0; round < 4; round++) {
          exchange(bob, alice, 'from bob ' + round);
          exchange(alice, bob, 'from alice ' + round);
          assert.ok(!alice.pqSending && !alice.pqReceiving && !bob.pqSending && !bob.pqReceiving);
        }
        assert.ok(!alice.pqEnabled && !bob.pqSupport);
      });

      it('version 2 on both sides: 1-byte lengths, no KEM even if asked', () => {
        const { initiator: alice, joiner: bob } = pair({ initiatorPq: true, joinerPq: true, initiatorRange: { min: 2, max: 2 }, joinerRange: { min: 2, max: 2 } });
        const m = exchange(bob, alice, 'v2 hello', true);
        assert.equal(m[0], 123, 'a 1-byte EncMessageHeader length');
        assert.equal(decodeEncMessageHeader(decodeEncRatchetMessage(m).header).version, 2);
        exchange(alice, bob, 'v2 reply', true);
        exchange(bob, alice, 'v2 again', true);
        assert.equal(alice.version, 2);
        assert.ok(!alice.pqSending && !bob.pqSending && !alice.pqSupport);
      });

      it('a v3-capable joiner and a v2-only initiator stay at v2', () => {
        const { initiator: alice, joiner: bob, version } = pair({ initiatorPq: false, joinerPq: false, initiatorRange: { min: 2, max: 2 } });
        assert.equal(version, 2);
        const m1 = exchange(bob, alice, 'in v2, announcing 3');
        assert.equal(m1[0], 123);
        assert.equal(alice.version, 2, 'alice supports only 2');
        const m2 = exchange(alice, bob, 'alice stays at 2');
        assert.equal(m2[0], 123);
        assert.equal(bob.version, 2);
      });

      it('upgrades a v2 agreement to v3 when both sides reach 3', () => {
        const p = pair({ initiatorPq: false, joinerPq: false, initiatorRange: { min: 2, max: 2 }, initiatorMax: 3 });
        const alice = p.initiator;
        const bob = p.joiner;
        assert.equal(alice.version, 2);
        assert.equal(bob.version, 2);
        const m1 = exchange(bob, alice, 'v2 message announcing 3');
        assert.equal(m1[0], 123);
        assert.equal(alice.version, 3, 'alice upgraded on reading max version 3');
        const m2 = exchange(alice, bob, 'first v3 message');
        assert.equal(m2[0], 0, 'a 2-byte length: the peer reads it with the first-byte rule');
        assert.equal(bob.version, 3);
        exchange(bob, alice, 'v3 both ways');
      });
    });

    describe('bounds and failures', () => {
      it('skips at most MAX_SKIP (512) messages per step; beyond that the state is unchanged', () => {
        const { initiator: alice, joiner: bob } = pair(NO_PQ);
        exchange(bob, alice, 'start');
        const ms: Uint8Array[] = [];
        for (let i = 0; i < MAX_SKIP + 2; i++) ms.push(bob.encrypt(utf8('m' + i), 16).message);
        // Nr = 1; message Ns = 1 + 513 skips 513.
        rejectsUnchanged(alice, () => alice.decrypt(ms[MAX_SKIP + 1]), 'too-many-skipped');
        // Exactly 512 skipped is allowed.
        assert.equal(text(alice.decrypt(ms[MAX_SKIP]).plaintext), 'm' + MAX_SKIP);
        assert.equal(alice.skippedKeyCount, MAX_SKIP);
        assert.equal(text(alice.decrypt(ms[MAX_SKIP + 1]).plaintext), 'm' + (MAX_SKIP + 1));
        assert.equal(text(alice.decrypt(ms[7]).plaintext), 'm7');
      });

      it('the previous-chain skip (PN) of an advance is bounded too', () => {
        const { initiator: alice, joiner: bob } = pair(NO_PQ);
        exchange(bob, alice, 'start');
        exchange(alice, bob, 'reply');
        for (let i = 0; i < MAX_SKIP + 1; i++) bob.encrypt(utf8('lost ' + i), 16);
        exchange(alice, bob, 'alice again');
        // Bob's new chain announces PN = 513 messages, none of which Alice has.
        const next = bob.encrypt(utf8('after a gap'), 16).message;
        rejectsUnchanged(alice, () => alice.decrypt(next), 'too-many-skipped');
      });

      it('a body that fails after the header opened changes nothing (same chain, advance, skipped key)', () => {
        const { initiator: alice, joiner: bob } = pair(PQ_ACCEPTED);
        // Advance: the first message of a new chain, corrupted in the body.
        const first = bob.encrypt(utf8('first'), PAD).message;
        rejectsUnchanged(alice, () => alice.decrypt(corrupt(first, first.length - 1)), 'decrypt-failed');
        assert.equal(text(alice.decrypt(first).plaintext), 'first');
        // Same chain.
        const m2 = bob.encrypt(utf8('second'), PAD).message;
        const m3 = bob.encrypt(utf8('third'), PAD).message;
        rejectsUnchanged(alice, () => alice.decrypt(corrupt(m3, m3.length - 5)), 'decrypt-failed');
        assert.equal(text(alice.decrypt(m3).plaintext), 'third');
        // A skipped key survives a corrupted copy (simplexmq would drop it).
        rejectsUnchanged(alice, () => alice.decrypt(corrupt(m2, m2.length - 5)), 'decrypt-failed');
        assert.equal(text(alice.decrypt(m2).plaintext), 'second');
        // A corrupted header opens with no key.
        rejectsUnchanged(alice, () => alice.decrypt(corrupt(m2, 40)), 'bad-header');
      });

      it('messages for another conversation, truncated or garbage input: typed errors, state unchanged (fixed seed)', () => {
        const { initiator: alice, joiner: bob } = pair(PQ_ACCEPTED);
        const other = pair(PQ_ACCEPTED);
        exchange(bob, alice, 'hello');
        exchange(alice, bob, 'hi');
        const pending = bob.encrypt(utf8('pending'), PAD).message;
        rejectsUnchanged(alice, () => alice.decrypt(other.joiner.encrypt(utf8('x'), PAD).message), 'bad-header');
        rejectsUnchanged(alice, () => alice.decrypt(new Uint8Array(0)), 'bad-message');
        const r = prng(4242);
        const before = frozen(alice);
        const seen: { [code: string]: number } = {};
        for (let i = 0; i < 400; i++) {
          let input: Uint8Array;
          const kind = i % 4;
          if (kind === 0) input = randomBytes(r, randomInt(r, 3000));
          else if (kind === 1) input = pending.subarray(0, randomInt(r, pending.length));
          else if (kind === 2) {
            input = pending.slice();
            input[randomInt(r, input.length)] ^= 1 + randomInt(r, 255);
          } else {
            // Oversized: a valid message with bytes appended (the body is a tail, so the tag fails).
            input = new Uint8Array(pending.length + 1 + randomInt(r, 100));
            input.set(pending);
          }
          try {
            alice.decrypt(input);
            assert.fail('garbage decrypted');
          } catch (e) {
            assert.ok(e instanceof RatchetError, 'not a RatchetError: ' + String(e));
            seen[e.code] = (seen[e.code] ?? 0) + 1;
          }
        }
        assert.equal(frozen(alice), before);
        assert.ok(seen['bad-message'] && seen['bad-header'] && seen['decrypt-failed'], JSON.stringify(seen));
        assert.equal(text(alice.decrypt(pending).plaintext), 'pending');
      });

      it('refuses a message that does not fit its pad, and sending before the first receive', () => {
        const { initiator: alice, joiner: bob } = pair(NO_PQ);
        rejectsUnchanged(bob, () => bob.encrypt(new Uint8Array(99), 100), 'message-too-large');
        bob.encrypt(new Uint8Array(98), 100);
        rejectsUnchanged(alice, () => alice.encrypt(utf8('too early'), PAD), 'not-ready');
      });

      it('keeps at most MAX_SKIPPED_KEYS skipped keys, dropping the oldest', () => {
        const { initiator: alice, joiner: bob } = pair(NO_PQ);
        const chain1: Uint8Array[] = [];
        for (let i = 0; i <= MAX_SKIP; i++) chain1.push(bob.encrypt(utf8('c1 ' + i), 16).message);
        assert.equal(text(alice.decrypt(chain1[MAX_SKIP]).plaintext), 'c1 512');
        exchange(alice, bob, 'turn');
        const chain2: Uint8Array[] = [];
        for (let i = 0; i <= MAX_SKIP; i++) chain2.push(bob.encrypt(utf8('c2 ' + i), 16).message);
        assert.equal(text(alice.decrypt(chain2[MAX_SKIP]).plaintext), 'c2 512');
        assert.equal(alice.skippedKeyCount, 2 * MAX_SKIP);
        assert.equal(MAX_SKIPPED_KEYS, 2 * MAX_SKIP);
        exchange(alice, bob, 'turn again');
        const c3a = bob.encrypt(utf8('c3 0'), 16).message;
        const c3b = bob.encrypt(utf8('c3 1'), 16).message;
        assert.equal(text(alice.decrypt(c3b).plaintext), 'c3 1');
        assert.equal(alice.skippedKeyCount, MAX_SKIPPED_KEYS);
        // The oldest key (chain 1, message 0) was dropped; its neighbours were not.
        rejectsUnchanged(alice, () => alice.decrypt(chain1[0]), 'bad-header');
        assert.equal(text(alice.decrypt(chain1[1]).plaintext), 'c1 1');
        assert.equal(text(alice.decrypt(chain2[0]).plaintext), 'c2 0');
        assert.equal(text(alice.decrypt(c3a).plaintext), 'c3 0');
      });
    });

    describe('KEM mixing (agent.md §8.3), recomputed from the stored states', () => {
      it('mixes the accepted secret into the joiner\'s first root step and each side\'s DH step, DH output first', () => {
        const cA = backend.make(seeded(seed++));
        const cB = backend.make(seeded(seed++));
        const { initiator: alice, joiner: bob } = makePair(cA, cB, PQ_ACCEPTED);
        const i0 = deserializeState(alice.serialize());
        const j0 = deserializeState(bob.serialize());
        assert.ok(i0.kemSecret && i0.kemCiphertext && j0.kemSecret && j0.kemPublic && j0.kemCiphertext && j0.cks && j0.hks);
        // The ciphertext both sides recorded is the joiner's acceptance; its secret joined X3DH
        // and now the joiner's first root step: rootKdf(rk0, a2, b3, ss).
        assert.equal(toHex(i0.kemCiphertext), toHex(j0.kemCiphertext));
        const ss = cA.sntrup761Decapsulate(i0.kemSecret, i0.kemCiphertext);
        const r1 = rootKdf(cA, i0.rootKey, j0.dhPublic, i0.dhPrivate, ss);
        assert.equal(toHex(r1.rootKey), toHex(j0.rootKey));
        assert.equal(toHex(r1.chainKey), toHex(j0.cks));
        assert.equal(toHex(r1.nextHeaderKey), toHex(j0.nhks));
        assert.notEqual(toHex(rootKdf(cA, i0.rootKey, j0.dhPublic, i0.dhPrivate, null).rootKey), toHex(j0.rootKey));
        // The first header carries 'A'(the same ct, the joiner's key).
        const m = bob.encrypt(utf8('first'), PAD).message;
        const eh = decodeEncMessageHeader(decodeEncRatchetMessage(m).header);
        const plainHeader = decryptAead(cB, j0.hks, eh.iv, j0.ad, concatBytes([eh.tag, eh.body]));
        assert.ok(plainHeader);
        const kem = decodeMsgHeader(3, plainHeader).kem;
        assert.ok(kem && kem.kind === 'accepted');
        assert.equal(toHex(kem.ciphertext), toHex(j0.kemCiphertext));
        assert.equal(toHex(kem.publicKey), toHex(j0.kemPublic));
        assert.equal(eh.body.length, 2310);

        // Alice's step: receive chain from rootKdf(RK, b3, a2, ss), send chain from
        // rootKdf(RK', b3, new key, ss') where ss' is what she encapsulated to Bob's key.
        alice.decrypt(m);
        const i1 = deserializeState(alice.serialize());
        assert.ok(i1.kemCiphertext && i1.cks && i1.ckr && i1.kemSecret && i1.kemPublic);
        const ss1 = cB.sntrup761Decapsulate(j0.kemSecret, i1.kemCiphertext);
        const r2 = rootKdf(cA, r1.rootKey, j0.dhPublic, i1.dhPrivate, ss1);
        assert.equal(toHex(r2.rootKey), toHex(i1.rootKey));
        assert.equal(toHex(r2.chainKey), toHex(i1.cks));
        assert.equal(toHex(r2.nextHeaderKey), toHex(i1.nhks));
        assert.equal(toHex(chainKdf(cA, r1.chainKey).chainKey), toHex(i1.ckr));
        assert.equal(toHex(i1.hks as Uint8Array), toHex(i0.nhks));
        assert.equal(toHex(i1.hkr as Uint8Array), toHex(i0.nhkr));
        assert.equal(toHex(i1.nhkr), toHex(j0.nhks));
        assert.equal(i1.pn, 0);

        // Bob's step on Alice's reply: decapsulate ss' (receive chain), encapsulate ss'' (send chain).
        exchange(alice, bob, 'reply');
        const j1 = deserializeState(bob.serialize());
        assert.ok(j1.kemCiphertext && j1.cks);
        // Bob's receiving step is Alice's sending step seen from the other key pair.
        const rb1 = rootKdf(cB, j0.rootKey, i1.dhPublic, j0.dhPrivate, ss1);
        assert.equal(toHex(rb1.rootKey), toHex(r2.rootKey));
        assert.equal(toHex(rb1.chainKey), toHex(r2.chainKey));
        const ss2 = cA.sntrup761Decapsulate(i1.kemSecret, j1.kemCiphertext);
        const rb2 = rootKdf(cB, rb1.rootKey, i1.dhPublic, j1.dhPrivate, ss2);
        assert.equal(toHex(rb2.rootKey), toHex(j1.rootKey));
        assert.equal(toHex(rb2.chainKey), toHex(j1.cks));
        assert.equal(toHex(chainKdf(cB, rb1.chainKey).chainKey), toHex(j1.ckr as Uint8Array));
        assert.equal(j1.pn, 1, 'PN is the length of Bob\'s previous sending chain');
        // A new KEM key each step: neither side reuses its previous key pair.
        assert.notEqual(toHex(i1.kemPublic), toHex(i0.kemPublic as Uint8Array));
        assert.notEqual(toHex(j1.kemPublic as Uint8Array), toHex(j0.kemPublic));
      });
    });

    describe('precomputed KEM key pairs', () => {
      it('a supplied pair replaces key generation in the ratchet step; encrypt never generates', () => {
        let generated = 0;
        const counting = (c: Crypto): Crypto => {
          const wrapped = Object.create(c) as Crypto;
          (wrapped as { sntrup761KeyPair: () => KemKeyPair }).sntrup761KeyPair = (): KemKeyPair => {
            generated++;
            return c.sntrup761KeyPair();
          };
          return wrapped;
        };
        const pool = backend.make(seeded(seed++));
        const cA = counting(backend.make(seeded(seed++)));
        const cB = counting(backend.make(seeded(seed++)));
        const { initiator: alice, joiner: bob } = makePair(cA, cB, PQ_ACCEPTED);
        generated = 0;
        assert.ok(alice.needsKemKeyPair());
        const supplied = pool.sntrup761KeyPair();
        alice.setNextKemKeyPair(supplied);
        assert.ok(!alice.needsKemKeyPair());
        const m = bob.encrypt(utf8('step'), PAD).message;
        assert.equal(generated, 0, 'encrypt generates no KEM keys');
        // A failed decrypt does not consume the pair.
        rejectsUnchanged(alice, () => alice.decrypt(corrupt(m, m.length - 1)), 'decrypt-failed');
        assert.ok(!alice.needsKemKeyPair());
        alice.decrypt(m);
        assert.equal(generated, 0, 'the ratchet step used the supplied pair');
        assert.ok(alice.needsKemKeyPair(), 'consumed');
        // Bob encapsulates to the supplied key; Alice decapsulates with its secret: the
        // conversation goes on with KEM in every chain.
        exchange(alice, bob, 'reply');
        assert.equal(generated, 1, 'bob generated its own next pair');
        exchange(bob, alice, 'and back');
        assert.equal(generated, 2, 'alice had no supplied pair this time');
        assert.ok(alice.pqSending && alice.pqReceiving && bob.pqSending && bob.pqReceiving);
        expectRatchetError(() => alice.setNextKemKeyPair({ publicKey: new Uint8Array(10), secretKey: supplied.secretKey }), 'bad-params');
      });
    });

    it('body pad lengths of agent.md §11, and the full message sizes of §6.5', () => {
      assert.equal(agentMessagePadLength(7, true), AGENT_MSG_PAD_LENGTH_PQ);
      assert.equal(agentMessagePadLength(4, true), AGENT_MSG_PAD_LENGTH);
      assert.equal(agentMessagePadLength(7, false), 15840);
      assert.equal(connInfoPadLength(7, true), CONN_INFO_PAD_LENGTH_PQ);
      assert.equal(connInfoPadLength(7, false), CONN_INFO_PAD_LENGTH);
      assert.deepEqual([AGENT_MSG_PAD_LENGTH_PQ, CONN_INFO_PAD_LENGTH, CONN_INFO_PAD_LENGTH_PQ], [13618, 14832, 11106]);
      const plain = pair(NO_PQ);
      assert.equal(plain.joiner.encrypt(utf8('x'), AGENT_MSG_PAD_LENGTH).message.length, 15982);
      assert.equal(plain.joiner.encrypt(utf8('x'), CONN_INFO_PAD_LENGTH).message.length, 14974);
      const pq = pair(PQ_ACCEPTED);
      assert.equal(pq.joiner.encrypt(utf8('x'), AGENT_MSG_PAD_LENGTH_PQ).message.length, 15982);
      assert.equal(pq.joiner.encrypt(utf8('x'), CONN_INFO_PAD_LENGTH_PQ).message.length, 13470);
    });

  });
}

describe('firmware/agent/ratchet: a long randomised conversation (node backend, PQ on)', function () {
  this.timeout(300000);

  it('exchanges 400 messages with random interleaving, reordering, replays and restarts; each decrypts once', () => {
    const backend = BACKENDS[1];
    const cA = backend.make(seeded(9001));
    const cB = backend.make(seeded(9002));
    const p = makePair(cA, cB, PQ_ACCEPTED);
    const sides: Ratchet[] = [p.joiner, p.initiator];
    const cryptos: Crypto[] = [cB, cA];
    const r = prng(31337);
    // in flight per direction: 0 = joiner → initiator, 1 = initiator → joiner
    const inFlight: Array<Array<{ m: Uint8Array; body: string }>> = [[], []];
    const delivered: Array<Array<{ m: Uint8Array; body: string }>> = [[], []];
    let sent = 0;
    let received = 0;
    let replays = 0;
    const TOTAL = 400;
    while (received < TOTAL) {
      const action = randomInt(r, 10);
      if (sent < TOTAL && action < 4) {
        // The initiator cannot send before its first receive.
        let from = randomInt(r, 2);
        if (!sides[from].canEncrypt()) from = 0;
        if (inFlight[from].length >= 20) continue;
        const body = 'message ' + sent + ' from ' + (from === 0 ? 'joiner' : 'initiator');
        const pq = randomInt(r, 20) === 0 ? true : undefined;
        inFlight[from].push({ m: sides[from].encrypt(utf8(body), 64 + randomInt(r, 64), pq).message, body: body });
        sent++;
      } else if (action < 9) {
        const dir = inFlight[0].length > 0 && (inFlight[1].length === 0 || randomInt(r, 2) === 0) ? 0 : 1;
        if (inFlight[dir].length === 0) continue;
        // Mostly in order, sometimes any of the pending ones.
        const i = randomInt(r, 3) === 0 ? randomInt(r, inFlight[dir].length) : 0;
        const item = inFlight[dir].splice(i, 1)[0];
        const to = sides[1 - dir];
        assert.equal(text(to.decrypt(item.m).plaintext), item.body);
        delivered[dir].push(item);
        received++;
      } else if (action === 9) {
        const dir = randomInt(r, 2);
        if (delivered[dir].length > 0) {
          const item = delivered[dir][randomInt(r, delivered[dir].length)];
          const to = sides[1 - dir];
          const before = toHex(to.serialize());
          assert.throws(() => to.decrypt(item.m), (e: unknown) => e instanceof RatchetError && ['duplicate', 'earlier-message', 'bad-header'].indexOf(e.code) >= 0);
          assert.equal(toHex(to.serialize()), before);
          replays++;
        } else {
          // A restart: both sides are restored from storage.
          for (let s = 0; s < 2; s++) sides[s] = Ratchet.deserialize(cryptos[s], sides[s].serialize());
        }
      }
    }
    assert.equal(sent, TOTAL);
    assert.equal(inFlight[0].length + inFlight[1].length, 0);
    assert.ok(replays > 10);
    assert.equal(sides[0].skippedKeyCount + sides[1].skippedKeyCount, 0);
    assert.ok(sides[0].pqSending && sides[0].pqReceiving && sides[1].pqSending && sides[1].pqReceiving);
  });
});

