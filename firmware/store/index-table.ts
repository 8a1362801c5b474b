/**
 * The store's index: one fixed-size entry per record and per log, kept sorted in a single
 * Uint8Array. It is what makes rollback of individual files detectable (each record's current
 * tag and seq, each log's length and newest tag are pinned here) and it is what journal
 * snapshots store verbatim, so loading it at unlock is one decryption, not a JavaScript loop
 * per entry.
 *
 * Why flat bytes rather than an object keyed by string: on Espruino an object with a few hundred
 * string keys costs tens of kilobytes of JsVars; 68 bytes per entry in one typed array does not,
 * and lookups are a binary search whose comparisons usually stop at the first byte or two.
 *
 * Entry layout (ENTRY_SIZE = 68, big-endian):
 *   0   1  type (registry code, record-types.ts)
 *   1   1  id length (0..32)
 *   2   32 id, zero-padded                      -- bytes 0..34 are the sort key
 *   34  1  kind: 1 record, 2 log
 *   35  1  record: slot of the current file (0|1); log: entries per segment (1..255)
 *   36  4  record: seq of the commit that wrote the current version; log: seq that created it
 *   40  16 record: GCM tag of the current file; log: tag of the newest entry (zeros before any)
 *   56  4  log: first readable position (0 for records)
 *   60  4  log: next position to append (0 for records)
 *   64  4  log: committed bytes of segment floor(next / perSegment), 0 when not started
 */
import { StoreError } from './errors';
import { isLogType, MAX_ID_BYTES } from './record-types';
import { readU32, writeU32 } from './bytes';

export const ENTRY_SIZE = 68;
export const KEY_SIZE = 34;
export const KIND_RECORD = 1;
export const KIND_LOG = 2;

export const E_KIND = 34;
export const E_AUX = 35;
export const E_SEQ = 36;
export const E_TAG = 40;
export const E_FIRST = 56;
export const E_NEXT = 60;
export const E_OPEN_BYTES = 64;

/** The 34-byte sort key of (type, id). */
export function makeKey(type: number, id: Uint8Array): Uint8Array {
  const key = new Uint8Array(KEY_SIZE);
  key[0] = type;
  key[1] = id.length;
  key.set(id, 2);
  return key;
}

/** The id of an entry or key, as a fresh array. */
export function idOf(keyOrEntry: Uint8Array): Uint8Array {
  return new Uint8Array(keyOrEntry.subarray(2, 2 + keyOrEntry[1]));
}

function compareKeys(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number): number {
  for (let i = 0; i < KEY_SIZE; i++) {
    const d = a[aAt + i] - b[bAt + i];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Structural checks of an entry read from the journal. The journal is authenticated, so these
 * only catch bugs, never attacks; they are cheap (no loop over the id).
 */
export function checkEntry(e: Uint8Array, at: number): boolean {
  const type = e[at];
  const idLen = e[at + 1];
  const kind = e[at + E_KIND];
  if (type === 0 || type === 0xff || idLen > MAX_ID_BYTES) return false;
  if (kind !== (isLogType(type) ? KIND_LOG : KIND_RECORD)) return false;
  if (kind === KIND_RECORD) return e[at + E_AUX] <= 1;
  return e[at + E_AUX] >= 1 && readU32(e, at + E_FIRST) <= readU32(e, at + E_NEXT);
}

export class IndexTable {
  private data: Uint8Array;
  private n: number;

  /**
   * Takes ownership of `entries` (a snapshot's plaintext: sorted entries back to back); it is
   * wiped with the table. Throws 'damaged' when the entries are not well-formed and sorted.
   */
  constructor(entries: Uint8Array) {
    if (entries.length % ENTRY_SIZE !== 0) throw new StoreError('damaged', 'the journal snapshot has a partial index entry', 'journal');
    this.data = entries;
    this.n = entries.length / ENTRY_SIZE;
    for (let i = 0; i < this.n; i++) {
      const at = i * ENTRY_SIZE;
      if (!checkEntry(entries, at) || (i > 0 && compareKeys(entries, at - ENTRY_SIZE, entries, at) >= 0)) {
        throw new StoreError('damaged', 'the journal snapshot holds a malformed or unsorted index entry', 'journal');
      }
    }
  }

  count(): number {
    return this.n;
  }

  /** Position of `key`, or -(insertion point) - 1 when absent. */
  find(key: Uint8Array): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareKeys(this.data, mid * ENTRY_SIZE, key, 0);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -lo - 1;
  }

  /** A view of entry `i` (valid until the next change to the table). */
  at(i: number): Uint8Array {
    return this.data.subarray(i * ENTRY_SIZE, (i + 1) * ENTRY_SIZE);
  }

  /** A copy of the entry for `key`, or null. */
  get(key: Uint8Array): Uint8Array | null {
    const i = this.find(key);
    return i < 0 ? null : new Uint8Array(this.at(i));
  }

  /** Inserts or replaces the entry with the same key. */
  put(entry: Uint8Array): void {
    const i = this.find(entry);
    if (i >= 0) {
      this.data.set(entry, i * ENTRY_SIZE);
      return;
    }
    const pos = -i - 1;
    if ((this.n + 1) * ENTRY_SIZE > this.data.length) {
      const grown = new Uint8Array((this.n < 8 ? 16 : this.n * 2) * ENTRY_SIZE);
      grown.set(this.data.subarray(0, this.n * ENTRY_SIZE), 0);
      this.data.fill(0);
      this.data = grown;
    }
    // Typed-array set copies as if through a temporary, so the overlapping shift is safe.
    this.data.set(this.data.subarray(pos * ENTRY_SIZE, this.n * ENTRY_SIZE), (pos + 1) * ENTRY_SIZE);
    this.data.set(entry, pos * ENTRY_SIZE);
    this.n++;
  }

  /** Removes the entry for `key`, if present. */
  remove(key: Uint8Array): void {
    const i = this.find(key);
    if (i < 0) return;
    this.data.set(this.data.subarray((i + 1) * ENTRY_SIZE, this.n * ENTRY_SIZE), i * ENTRY_SIZE);
    this.n--;
    this.data.fill(0, this.n * ENTRY_SIZE, (this.n + 1) * ENTRY_SIZE);
  }

  /** [start, end) of the entries of `type`. */
  rangeOf(type: number): number[] {
    const key = new Uint8Array(KEY_SIZE);
    key[0] = type;
    const lo = this.find(key);
    const start = lo < 0 ? -lo - 1 : lo;
    let end = start;
    while (end < this.n && this.data[end * ENTRY_SIZE] === type) end++;
    return [start, end];
  }

  /** The entries back to back (a view): the body of a snapshot. */
  raw(): Uint8Array {
    return this.data.subarray(0, this.n * ENTRY_SIZE);
  }

  /** Overwrites every byte; the table is empty afterwards. */
  wipe(): void {
    this.data.fill(0);
    this.n = 0;
  }
}

export function entrySeq(e: Uint8Array): number {
  return readU32(e, E_SEQ);
}

export function setEntrySeq(e: Uint8Array, seq: number): void {
  writeU32(e, E_SEQ, seq);
}
