import assert from 'node:assert/strict';
import type { Crypto } from '../../../hal/crypto';
import type { Random } from '../../../hal/random';
import type { Storage } from '../../../hal/storage';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createNodeRandom } from '../../../hal/node/random';
import { createPortableCrypto } from '../../../hal/portable/crypto';
import { StoreError } from '../../../firmware/store/errors';
import type { StoreErrorCode } from '../../../firmware/store/errors';
import { MIN_ITERATIONS } from '../../../firmware/store/keyring';
import { Store } from '../../../firmware/store/store';
import type { CreateOptions } from '../../../firmware/store/store';
import { ManualClock } from './manual-clock';
import { MemoryStorage } from './memory-storage';

export const PIN = '1234';
/** The smallest KDF count the store accepts: tests unlock thousands of times. */
export const FAST: CreateOptions = { iterations: MIN_ITERATIONS };

export function bytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}

export function text(b: Uint8Array | null): string | null {
  return b === null ? null : Buffer.from(b).toString('utf8');
}

export function texts(bs: Uint8Array[]): string[] {
  return bs.map((b) => Buffer.from(b).toString('utf8'));
}

/** Everything a Store needs, on memory cards the test can inspect and corrupt. */
export class Rig {
  readonly card: MemoryStorage;
  readonly flash: MemoryStorage | null;
  readonly clock = new ManualClock();
  readonly random: Random = createNodeRandom();
  readonly crypto: Crypto;
  journalLimit: number | undefined;

  constructor(options: { anchor?: boolean; portable?: boolean; journalLimit?: number; card?: MemoryStorage; flash?: MemoryStorage | null } = {}) {
    this.card = options.card ?? new MemoryStorage();
    this.flash = options.flash !== undefined ? options.flash : options.anchor === true ? new MemoryStorage() : null;
    this.crypto = options.portable === true ? createPortableCrypto(this.random) : createNodeCrypto(this.random);
    this.journalLimit = options.journalLimit;
  }

  open(card: Storage = this.card, flash: Storage | null = this.flash): Store {
    return Store.open({
      crypto: this.crypto,
      random: this.random,
      clock: this.clock,
      card,
      anchor: flash === null ? undefined : flash,
      journalLimit: this.journalLimit,
    });
  }

  /** A new store, unlocked. */
  create(options: CreateOptions = {}): Store {
    const s = this.open();
    s.create(PIN, { ...FAST, ...options });
    return s;
  }

  /** Reopens the card as after a reboot, and unlocks. */
  reopen(pin: string = PIN): Store {
    this.clock.reboot();
    const s = this.open();
    s.unlock(pin);
    return s;
  }

  /** Paths of every file on the card, sorted. */
  cardFiles(): string[] {
    return [...this.card.files.keys()].sort();
  }

  recordFiles(): string[] {
    return this.cardFiles().filter((p) => p.startsWith('sg/r/'));
  }

  segmentFiles(): string[] {
    return this.cardFiles().filter((p) => p.startsWith('sg/l/'));
  }
}

export function expectStoreError(fn: () => unknown, code: StoreErrorCode, itemIncludes?: string): StoreError {
  let caught: unknown = null;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof StoreError, 'expected StoreError(' + code + '), got ' + String(caught));
  assert.equal(caught.code, code, caught.message);
  if (itemIncludes !== undefined) assert.ok(caught.item.includes(itemIncludes), 'item ' + JSON.stringify(caught.item) + ' should mention ' + itemIncludes);
  assert.ok(caught.message.length > 10, 'the message should say what to do');
  return caught;
}

/** Flips one bit of a file on a memory card. */
export function flipByte(card: MemoryStorage, path: string, index: number, mask = 1): void {
  const f = card.files.get(path);
  assert.ok(f !== undefined, 'no file ' + path);
  const i = index < 0 ? f.length + index : index;
  f[i] ^= mask;
}

/** Paths a call created or changed on the card (sorted). */
export function changedBy(card: MemoryStorage, fn: () => void): string[] {
  const before = new Map([...card.files].map(([k, v]) => [k, Buffer.from(v).toString('hex')]));
  fn();
  const out: string[] = [];
  for (const [k, v] of card.files) if (before.get(k) !== Buffer.from(v).toString('hex')) out.push(k);
  return out.sort();
}

/** A copy of one file's bytes. */
export function fileCopy(card: MemoryStorage, path: string): Uint8Array {
  const f = card.files.get(path);
  assert.ok(f !== undefined, 'no file ' + path);
  return f.slice();
}
