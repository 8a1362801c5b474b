import assert from 'node:assert/strict';
import type { Crypto } from '../../../hal/crypto';
import { StoreType } from '../../../firmware/store/record-types';
import { Store } from '../../../firmware/store/store';
import { MemoryStorage } from './memory-storage';
import { FAST, PIN, Rig, bytes, expectStoreError, text } from './helpers';

const R = StoreType.Contact;

describe('firmware/store: PIN, wrong-PIN counter, delay and wipe', () => {
  it('a wrong PIN is a typed error and changes nothing; the right one then works and resets the count', () => {
    const rig = new Rig();
    const s = rig.create();
    s.put(R, bytes('a'), bytes('secret'));
    s.lock();
    const e = expectStoreError(() => s.unlock('0000'), 'wrong-pin');
    assert.equal(e.attemptsLeft, -1);
    assert.equal(e.retryAfterMs, 0);
    assert.equal(s.state(), 'locked');
    assert.equal(s.attempts().failures, 1);
    s.unlock(PIN);
    assert.equal(text(s.get(R, bytes('a'))), 'secret');
    assert.equal(s.attempts().failures, 0);
    assert.equal(rig.card.fileSize('sg/tries'), -1);
  });

  it('refuses PINs that are too short or too long before counting anything', () => {
    const rig = new Rig();
    const s = rig.create();
    s.lock();
    expectStoreError(() => s.unlock('123'), 'bad-argument');
    expectStoreError(() => s.unlock('1'.repeat(257)), 'bad-argument');
    assert.equal(s.attempts().failures, 0);
    expectStoreError(() => new Rig().open().create('12', FAST), 'bad-argument');
  });

  it('from the 4th wrong PIN the wait doubles (30 s, 60 s, ...) and even the right PIN waits', () => {
    const rig = new Rig();
    const s = rig.create();
    s.lock();
    for (let i = 1; i <= 3; i++) assert.equal(expectStoreError(() => s.unlock('0000'), 'wrong-pin').retryAfterMs, 0);
    assert.equal(expectStoreError(() => s.unlock('0000'), 'wrong-pin').retryAfterMs, 30000);
    const out = expectStoreError(() => s.unlock(PIN), 'locked-out');
    assert.equal(out.retryAfterMs, 30000);
    rig.clock.advance(29999);
    expectStoreError(() => s.unlock(PIN), 'locked-out');
    rig.clock.advance(1);
    assert.equal(expectStoreError(() => s.unlock('0000'), 'wrong-pin').retryAfterMs, 60000);
    assert.deepEqual(s.attempts(), { failures: 5, retryAfterMs: 60000, wipeAfter: 0 });
    rig.clock.advance(60000);
    s.unlock(PIN);
    assert.equal(s.attempts().failures, 0);
  });

  it('the count and the wait survive a reboot (the wait restarts at boot)', () => {
    const rig = new Rig();
    const s = rig.create();
    s.lock();
    for (let i = 0; i < 5; i++) {
      rig.clock.advance(3600000);
      expectStoreError(() => s.unlock('0000'), 'wrong-pin');
    }
    rig.clock.reboot();
    const t = rig.open();
    assert.equal(t.attempts().failures, 5);
    assert.equal(expectStoreError(() => t.unlock(PIN), 'locked-out').retryAfterMs, 60000);
    rig.clock.advance(60000);
    t.unlock(PIN);
    assert.equal(t.attempts().failures, 0);
  });

  it('the attempt is counted before the key derivation: cutting the power during the check does not undo it', () => {
    const rig = new Rig();
    rig.create().lock();
    const dying: Crypto = {
      ...rig.crypto,
      pbkdf2Sha512: () => {
        throw new Error('power lost during the KDF');
      },
    };
    const s = Store.open({ crypto: dying, random: rig.random, clock: rig.clock, card: rig.card });
    assert.throws(() => s.unlock('0000'), /power lost/);
    rig.clock.reboot();
    assert.equal(rig.open().attempts().failures, 1);
  });

  it('wipeAfter erases the store at the Nth consecutive wrong PIN, keyring first', () => {
    const rig = new Rig({ anchor: true });
    const s = rig.create({ wipeAfter: 3 });
    s.put(R, bytes('a'), bytes('secret'));
    s.append(StoreType.History, bytes('a'), bytes('hello'));
    s.lock();
    assert.equal(expectStoreError(() => s.unlock('0000'), 'wrong-pin').attemptsLeft, 2);
    assert.equal(expectStoreError(() => s.unlock('0000'), 'wrong-pin').attemptsLeft, 1);
    expectStoreError(() => s.unlock('0000'), 'wiped');
    assert.equal(s.state(), 'absent');
    assert.deepEqual(rig.cardFiles(), []);
    assert.deepEqual([...rig.flash!.files.keys()], []);
    expectStoreError(() => s.unlock(PIN), 'no-store');
    // A fresh store can be made on the same card.
    s.create(PIN, FAST);
    assert.equal(s.get(R, bytes('a')), null);
  });

  it('a right PIN in between resets the count towards the wipe', () => {
    const rig = new Rig();
    const s = rig.create({ wipeAfter: 3 });
    s.lock();
    expectStoreError(() => s.unlock('0000'), 'wrong-pin');
    expectStoreError(() => s.unlock('0000'), 'wrong-pin');
    s.unlock(PIN);
    s.lock();
    assert.equal(expectStoreError(() => s.unlock('0000'), 'wrong-pin').attemptsLeft, 2);
  });

  it('changePin re-wraps the master key only: the old PIN stops working, data and other files are untouched', () => {
    const rig = new Rig();
    const s = rig.create();
    s.put(R, bytes('a'), bytes('kept'));
    const before = new Map([...rig.card.files].map(([k, v]) => [k, Buffer.from(v).toString('hex')]));
    const oldKeyring = before.get('sg/keyring');
    s.changePin(PIN, 'correct horse battery staple', { iterations: 2000 });
    for (const [k, v] of rig.card.files) {
      if (k === 'sg/keyring') assert.notEqual(Buffer.from(v).toString('hex'), oldKeyring);
      else assert.equal(Buffer.from(v).toString('hex'), before.get(k), k + ' changed');
    }
    assert.equal(rig.card.files.get('sg/keyring')![11], 2000 & 0xff); // iterations field (big-endian at 8)
    s.lock();
    expectStoreError(() => s.unlock(PIN), 'wrong-pin');
    s.unlock('correct horse battery staple');
    assert.equal(text(s.get(R, bytes('a'))), 'kept');
  });

  it('changePin with a wrong old PIN is a counted wrong attempt and changes nothing', () => {
    const rig = new Rig();
    const s = rig.create({ wipeAfter: 3 });
    const keyring = Buffer.from(rig.card.files.get('sg/keyring')!).toString('hex');
    assert.equal(expectStoreError(() => s.changePin('0000', '5678'), 'wrong-pin').attemptsLeft, 2);
    assert.equal(Buffer.from(rig.card.files.get('sg/keyring')!).toString('hex'), keyring);
    assert.equal(s.attempts().failures, 1);
    expectStoreError(() => s.changePin('0000', '5678'), 'wrong-pin');
    expectStoreError(() => s.changePin('0000', '5678'), 'wiped');
    assert.equal(s.state(), 'absent');
    expectStoreError(() => s.get(R, bytes('a')), 'locked');
  });

  it('with an anchor the count lives in internal flash too: resetting the card copy does not help', () => {
    const rig = new Rig({ anchor: true });
    const s = rig.create();
    s.lock();
    for (let i = 0; i < 4; i++) expectStoreError(() => s.unlock('0000'), 'wrong-pin');
    rig.card.files.delete('sg/tries');
    rig.clock.reboot();
    const t = rig.open();
    assert.equal(t.attempts().failures, 4);
    expectStoreError(() => t.unlock(PIN), 'locked-out');
  });

  it('a device-bound card cannot be opened without its device, even with the right PIN', () => {
    const rig = new Rig({ anchor: true });
    const s = rig.create();
    s.put(R, bytes('a'), bytes('bound'));
    s.lock();
    // The card in another device (an empty internal flash), or in one without an anchor.
    expectStoreError(() => rig.open(rig.card, new MemoryStorage()).unlock(PIN), 'anchor-missing', 'anchor');
    expectStoreError(() => rig.open(rig.card, null).unlock(PIN), 'anchor-missing', 'anchor');
    // The card with the internal flash of another device holding another store.
    const other = new Rig({ anchor: true });
    other.create();
    expectStoreError(() => rig.open(rig.card, other.flash).unlock(PIN), 'anchor-missing');
    assert.equal(rig.open().attempts().failures, 0, 'none of that counted as a wrong PIN');
    const t = rig.reopen();
    assert.equal(text(t.get(R, bytes('a'))), 'bound');
  });

  it('an anchored store that is not device-bound opens elsewhere only by accepting the missing anchor', () => {
    const rig = new Rig({ anchor: true });
    const s = rig.create({ bindToDevice: false });
    s.put(R, bytes('a'), bytes('portable card'));
    s.lock();
    const t = rig.open(rig.card, new MemoryStorage());
    expectStoreError(() => t.unlock(PIN), 'anchor-missing');
    t.unlock(PIN, { acceptRollback: true });
    assert.equal(text(t.get(R, bytes('a'))), 'portable card');
  });

  it('create() will not overwrite the device key part of a store on another card', () => {
    const rig = new Rig({ anchor: true });
    const s = rig.create();
    s.put(R, bytes('a'), bytes('first card'));
    s.lock();
    const secondCard = new Rig({ anchor: true, flash: rig.flash });
    const t = secondCard.open();
    expectStoreError(() => t.create(PIN, FAST), 'exists', 'anchor');
    assert.equal(text(rig.reopen().get(R, bytes('a'))), 'first card', 'the first card still opens');
    t.create(PIN, { ...FAST, replaceAnchor: true });
    expectStoreError(() => rig.open().unlock(PIN), 'anchor-missing');
    // Wiping a card never takes another card's key part with it.
    const blank = new Rig({ anchor: true, flash: secondCard.flash });
    blank.open().wipe();
    assert.ok(secondCard.flash!.files.has('sgsec'));
    // Re-creating on the same card (after a wipe, or over a cut-short create) needs no option.
    const u = secondCard.open();
    u.wipe();
    u.create(PIN, FAST);
    u.lock();
    u.unlock(PIN);
  });

  it('keyring parameters are checked', () => {
    expectStoreError(() => new Rig().open().create(PIN, { iterations: 999 }), 'bad-argument');
    expectStoreError(() => new Rig().open().create(PIN, { iterations: 1000001 }), 'bad-argument');
    expectStoreError(() => new Rig().open().create(PIN, { ...FAST, wipeAfter: 2 }), 'bad-argument');
    expectStoreError(() => new Rig().open().create(PIN, { ...FAST, bindToDevice: true }), 'bad-argument');
  });
});
