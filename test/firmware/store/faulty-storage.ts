/**
 * Power cuts on demand: a hal Storage over MemoryStorage that stops the world after a given
 * number of "units" of work. Every byte a write carries is one unit, and so is each truncate,
 * delete and makeDir, so cutting at unit k for every k visits every byte offset of every write.
 * The operation in progress at the cut takes the effect the hal Storage contract allows:
 * - writeFileAtomic: the old content (the switch comes after the last byte);
 * - appendFile: the first bytes that made it ('prefix'), or, as FAT can leave it when the
 *   directory entry was updated before the data, that prefix followed by zeros up to the full
 *   length ('zero-fill');
 * - truncate/delete/makeDir: not done.
 * After the cut every call fails with StorageError('io'), as the code on a dead device would never
 * run again. Several FaultyStorages (card and internal flash) can share one budget.
 */
import { StorageError } from '../../../hal/storage';
import type { Storage } from '../../../hal/storage';
import { MemoryStorage } from './memory-storage';

export type TearMode = 'prefix' | 'zero-fill';

/** One write-side call as the budget saw it: where its units start, how many, and whether it can tear. */
export interface WriteOp {
  start: number;
  units: number;
  tearable: boolean;
}

export class PowerBudget {
  /** Units left before the cut; Infinity for none. */
  remaining: number;
  used = 0;
  cut = false;
  /** Every write-side call, in order (appends are the only ones that can tear). */
  readonly ops: WriteOp[] = [];
  constructor(units: number) {
    this.remaining = units;
  }
  /** Takes up to `n` units; returns how many were granted before the cut (n when no cut). */
  take(n: number, tearable: boolean = false): number {
    if (this.cut) throw new StorageError('io', 'power cut (test)');
    this.ops.push({ start: this.used, units: n, tearable });
    if (n <= this.remaining) {
      this.remaining -= n;
      this.used += n;
      return n;
    }
    const granted = this.remaining;
    this.used += granted;
    this.remaining = 0;
    this.cut = true;
    return granted;
  }
}

export class FaultyStorage implements Storage {
  constructor(
    readonly inner: MemoryStorage,
    readonly budget: PowerBudget,
    readonly mode: TearMode = 'prefix',
  ) {}

  private alive(): void {
    if (this.budget.cut) throw new StorageError('io', 'power cut (test)');
  }

  private dead(): never {
    throw new StorageError('io', 'power cut (test)');
  }

  readFile(p: string): Uint8Array | null {
    this.alive();
    return this.inner.readFile(p);
  }

  writeFileAtomic(p: string, data: Uint8Array): void {
    this.alive();
    // Count the bytes, plus one unit for the switch itself.
    if (this.budget.take(data.length + 1) < data.length + 1) this.dead();
    this.inner.writeFileAtomic(p, data);
  }

  appendFile(p: string, data: Uint8Array): void {
    this.alive();
    const granted = this.budget.take(data.length, true);
    if (granted === data.length) {
      this.inner.appendFile(p, data);
      return;
    }
    // Even with nothing written the file exists (the backend creates it before writing).
    const torn = new Uint8Array(this.mode === 'zero-fill' ? data.length : granted);
    torn.set(data.subarray(0, granted), 0);
    this.inner.appendFile(p, torn);
    this.dead();
  }

  truncateFile(p: string, size: number): void {
    this.alive();
    if (this.budget.take(1) < 1) this.dead();
    this.inner.truncateFile(p, size);
  }

  deleteFile(p: string): void {
    this.alive();
    if (this.budget.take(1) < 1) this.dead();
    this.inner.deleteFile(p);
  }

  fileSize(p: string): number {
    this.alive();
    return this.inner.fileSize(p);
  }

  listDir(dir: string): string[] {
    this.alive();
    return this.inner.listDir(dir);
  }

  makeDir(dir: string): void {
    this.alive();
    if (this.budget.take(1) < 1) this.dead();
    this.inner.makeDir(dir);
  }
}
