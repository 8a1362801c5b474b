/**
 * Power cuts at every unit of work (every byte of every write, every delete, truncate and
 * makeDir), on the card and the internal flash alike: after each cut the device "reboots",
 * unlocks, and must find exactly the state before the operation in flight or the state after it,
 * with every operation that returned still there, and must keep working afterwards.
 *
 * The scenario writes about 4,000 units (card only) and 4,900 (with the anchor). By default each
 * byte offset of every append is cut, and each atomic write once (see cutPoints); about 1,800
 * cuts per case, 5 s each on the development machine. STORE_CRASH_EXHAUSTIVE=1 cuts at every
 * unit instead (about 30 s for the three cases).
 */
import assert from 'node:assert/strict';
import { StoreError } from '../../../firmware/store/errors';
import { StoreType } from '../../../firmware/store/record-types';
import { Store } from '../../../firmware/store/store';
import { FaultyStorage, PowerBudget } from './faulty-storage';
import type { TearMode, WriteOp } from './faulty-storage';
import { FAST, PIN, Rig, bytes, texts } from './helpers';
import { MemoryStorage } from './memory-storage';
import { StorageError } from '../../../hal/storage';

const NEW_PIN = '98765';
const R = StoreType.Contact;
const K = StoreType.Ratchet;
const H = StoreType.History;
const O = StoreType.Outbox;

type Step = (s: Store) => void;

/** The scenario: every kind of change, segment boundaries, compaction, a PIN change. */
const STEPS: Step[] = [
  (s) => s.put(R, bytes('a'), bytes('a1')),
  (s) => s.begin().createLog(H, bytes('c'), 2).put(R, bytes('b'), bytes('b1')).commit(),
  (s) => s.begin().append(H, bytes('c'), bytes('h0')).append(H, bytes('c'), bytes('h1')).append(H, bytes('c'), bytes('h2')).put(K, bytes('c'), bytes('k1')).commit(),
  (s) => s.put(R, bytes('a'), bytes('a2')),
  (s) => s.begin().delete(R, bytes('b')).append(O, bytes('q'), bytes('o0')).commit(),
  (s) => s.begin().truncateLog(H, bytes('c'), 2).append(H, bytes('c'), bytes('h3')).put(K, bytes('c'), bytes('k2')).commit(),
  (s) => s.begin().truncateLog(O, bytes('q'), 1).delete(R, bytes('a')).commit(),
  (s) => s.begin().truncateLog(H, bytes('c'), 4).append(H, bytes('c'), bytes('h4')).commit(),
  (s) => s.begin().deleteLog(H, bytes('c')).append(H, bytes('c'), bytes('new0')).put(R, bytes('a'), bytes('a3')).commit(),
  (s) => s.changePin(PIN, NEW_PIN),
  (s) => s.append(H, bytes('c'), bytes('new1')),
];

/** Everything a user could read, as one comparable string. */
function observe(s: Store): string {
  const out: string[] = [];
  for (const t of [R, K]) for (const id of s.list(t)) out.push(t + '/' + Buffer.from(id) + '=' + Buffer.from(s.get(t, id)!).toString());
  for (const t of [H, O]) {
    for (const id of s.list(t)) {
      const info = s.logInfo(t, id)!;
      out.push(t + '/' + Buffer.from(id) + '[' + info.first + ',' + info.next + ')=' + texts(s.read(t, id, info.first, info.next)).join('|'));
    }
  }
  return out.join('\n');
}

/** Unlocks with whichever PIN the keyring holds (a cut PIN change leaves either). */
function unlockAny(s: Store): void {
  try {
    s.unlock(PIN);
  } catch (e) {
    if (!(e instanceof StoreError) || e.code !== 'wrong-pin') throw e;
    s.unlock(NEW_PIN);
  }
}

interface Base {
  card: MemoryStorage;
  flash: MemoryStorage | null;
}

function makeBase(anchor: boolean): { rig: Rig; base: Base } {
  const rig = new Rig({ anchor, journalLimit: 400 });
  const s = rig.create();
  s.lock();
  return { rig, base: { card: rig.card.clone(), flash: rig.flash === null ? null : rig.flash.clone() } };
}

/** Runs the scenario with the power cut after `units`; returns the cards and how many steps returned. */
function runUntilCut(rig: Rig, base: Base, units: number, mode: TearMode): { card: MemoryStorage; flash: MemoryStorage | null; done: number; used: number; ops: WriteOp[] } {
  const card = base.card.clone();
  const flash = base.flash === null ? null : base.flash.clone();
  const budget = new PowerBudget(units);
  const s = rig.open(new FaultyStorage(card, budget, mode), flash === null ? null : new FaultyStorage(flash, budget, mode));
  let done = 0;
  try {
    unlockAny(s);
    for (const step of STEPS) {
      step(s);
      done++;
    }
  } catch (e) {
    if (!(e instanceof StorageError) || !budget.cut) throw e;
  }
  return { card, flash, done, used: budget.used, ops: budget.ops };
}

function harness(anchor: boolean, mode: TearMode): void {
  const { rig, base } = makeBase(anchor);
  // The reference run: no cut; the state after each step.
  const states: string[] = [];
  {
    const card = base.card.clone();
    const flash = base.flash === null ? null : base.flash.clone();
    const s = rig.open(card, flash);
    unlockAny(s);
    states.push(observe(s));
    for (const step of STEPS) {
      step(s);
      states.push(observe(s));
    }
  }
  const dry = runUntilCut(rig, base, Infinity, mode);
  const total = dry.used;
  assert.ok(total > 1000, 'the scenario writes ' + total + ' units');
  const cuts = cutPoints(dry.ops, total);
  let outcomes = 0;
  let runs = 0;
  for (const cut of cuts) {
    runs++;
    const r = runUntilCut(rig, base, cut, mode);
    // Reboot on the card as the cut left it.
    rig.clock.reboot();
    const s = rig.open(r.card, r.flash);
    let seen: string;
    try {
      unlockAny(s);
      seen = observe(s);
    } catch (e) {
      assert.fail('cut at unit ' + cut + ' of ' + total + ' (' + r.done + ' steps done): recovery failed: ' + String(e));
    }
    const before = states[r.done];
    const after = states[Math.min(r.done + 1, STEPS.length)];
    assert.ok(
      seen === before || seen === after,
      'cut at unit ' + cut + ' (' + r.done + ' steps done): state is neither before nor after step ' + (r.done + 1) + ':\n' + seen + '\n--- before:\n' + before + '\n--- after:\n' + after,
    );
    if (seen === after) outcomes++;
    // The recovered store keeps working, and nothing is left that a later commit trips over.
    // (Checked after every tenth cut: it costs two more unlocks.)
    if (runs % 10 !== 0 && cut !== total) {
      s.lock();
      continue;
    }
    s.begin().append(H, bytes('c'), bytes('probe')).put(R, bytes('p'), bytes('probe')).commit();
    s.collectGarbage();
    const check = observe(s);
    s.lock();
    rig.clock.reboot();
    const t = rig.open(r.card, r.flash);
    unlockAny(t);
    assert.equal(observe(t), check, 'cut at unit ' + cut + ': state after the probe commit did not survive a reopen');
    t.lock();
  }
  assert.ok(outcomes > 0 && outcomes < cuts.length, 'both outcomes occur');
}

/**
 * The units to cut at. EXHAUSTIVE=1 (env STORE_CRASH_EXHAUSTIVE) takes every unit. By default,
 * every byte of every append (each leaves a different torn tail) and the first unit of every
 * other call: inside a writeFileAtomic every offset leaves the same card (the old file, by the
 * Storage contract FaultyStorage implements), so its first unit stands for all of them.
 */
function cutPoints(ops: WriteOp[], total: number): number[] {
  const out: number[] = [];
  if (process.env.STORE_CRASH_EXHAUSTIVE === '1') {
    for (let u = 0; u <= total; u++) out.push(u);
    return out;
  }
  for (const op of ops) {
    if (op.tearable) for (let u = 0; u < op.units; u++) out.push(op.start + u);
    else out.push(op.start);
  }
  out.push(total);
  return out;
}

describe('firmware/store: a power cut at every byte of every write', function () {
  this.timeout(120000);

  it('card only: torn appends keep the bytes that made it', () => {
    harness(false, 'prefix');
  });

  it('card only: torn appends leave zeros where the data never arrived (FAT extended the file first)', () => {
    harness(false, 'zero-fill');
  });

  it('card and internal-flash anchor share the power: rollback detection never misfires', () => {
    harness(true, 'prefix');
  });

  it('"store the message and advance the ratchet" is all or nothing, read back after the reboot', () => {
    const { rig, base } = makeBase(false);
    const commit = (s: Store): void => {
      s.begin().append(H, bytes('c'), bytes('message')).put(K, bytes('c'), bytes('ratchet after')).commit();
    };
    // Reference: the units the unlock and the transaction take.
    const dry = new PowerBudget(Infinity);
    const d = rig.open(new FaultyStorage(base.card.clone(), dry));
    d.unlock(PIN);
    d.put(K, bytes('c'), bytes('ratchet before'));
    const start = dry.used;
    commit(d);
    const end = dry.used;
    const seen = new Set<string>();
    for (let cut = start; cut <= end; cut++) {
      const card = base.card.clone();
      const budget = new PowerBudget(Infinity);
      const s = rig.open(new FaultyStorage(card, budget));
      s.unlock(PIN);
      s.put(K, bytes('c'), bytes('ratchet before'));
      budget.remaining = cut - budget.used;
      try {
        commit(s);
      } catch (e) {
        if (!(e instanceof StorageError)) throw e;
      }
      rig.clock.reboot();
      const t = rig.open(card);
      t.unlock(PIN);
      const ratchet = Buffer.from(t.get(K, bytes('c'))!).toString();
      const info = t.logInfo(H, bytes('c'));
      const messages = info === null ? [] : texts(t.read(H, bytes('c'), info.first, info.next));
      const state = ratchet + ' / ' + messages.join(',');
      assert.ok(state === 'ratchet before / ' || state === 'ratchet after / message', 'cut at ' + cut + ': ' + state);
      seen.add(state);
    }
    assert.equal(seen.size, 2, 'both outcomes occur');
  });

  it('create() cut anywhere leaves no store or a complete one', () => {
    const rig = new Rig({ anchor: true });
    const dry = new PowerBudget(Infinity);
    rig.open(new FaultyStorage(new MemoryStorage(), dry), new FaultyStorage(new MemoryStorage(), dry)).create(PIN, FAST);
    for (let cut = 0; cut <= dry.used; cut++) {
      const card = new MemoryStorage();
      const flash = new MemoryStorage();
      const budget = new PowerBudget(cut);
      try {
        rig.open(new FaultyStorage(card, budget), new FaultyStorage(flash, budget)).create(PIN, FAST);
      } catch (e) {
        if (!(e instanceof StorageError)) throw e;
      }
      const s = rig.open(card, flash);
      if (s.state() === 'absent') {
        s.create(PIN, FAST); // a cut create() can simply run again
      } else {
        s.unlock(PIN);
      }
      s.put(R, bytes('x'), bytes('y'));
      s.lock();
      s.unlock(PIN);
      assert.equal(Buffer.from(s.get(R, bytes('x'))!).toString(), 'y');
    }
  });
});
