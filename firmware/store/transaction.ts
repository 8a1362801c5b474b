/**
 * A transaction: operations collected by the caller and committed as one journal frame, so they
 * all happen or none does, across a power cut at any instant. Typical uses:
 *   store.begin().append(StoreType.History, contact, message).put(StoreType.Ratchet, conn, state).commit();
 *   store.begin().truncateLog(StoreType.Outbox, queue, sent + 1).commit();   // after the router's OK
 *
 * Arguments are checked when each call is made; payloads are not copied (the caller must not
 * change them before commit). Operations apply in order, and reads see the committed state only
 * (no read-your-own-writes inside a transaction). A transaction commits once; it becomes stale
 * when the store is locked before it commits.
 */
import { StoreError } from './errors';
import { checkAddress } from './record-types';
import { MAX_ENTRY_BYTES } from './log-segment';

export const TX_PUT = 1;
export const TX_DELETE = 2;
export const TX_CREATE_LOG = 3;
export const TX_APPEND = 4;
export const TX_TRUNCATE_LOG = 5;
export const TX_DELETE_LOG = 6;

/** Largest record payload: records are read whole into RAM on a device with ~229 KB of heap. */
export const MAX_RECORD_BYTES = 65536;
/** Default entries per log segment when a log is created implicitly by its first append. */
export const DEFAULT_PER_SEGMENT = 16;

export interface StagedOp {
  op: number;
  type: number;
  id: Uint8Array;
  /** Payload (put, append), or null. */
  data: Uint8Array | null;
  /** perSegment (create), newFirst (truncate), 0 otherwise. */
  n: number;
}

export interface CommitResult {
  /** The journal sequence number of the commit (unchanged when there was nothing to commit). */
  seq: number;
  /** Positions given to the appended entries, in the order they were appended. */
  positions: number[];
}

/** What a Transaction needs from the store. */
export interface Committer {
  commitOps(ops: StagedOp[], epoch: number): CommitResult;
  currentEpoch(): number;
}

export class Transaction {
  private readonly store: Committer;
  private readonly epoch: number;
  private ops: StagedOp[] = [];
  private done = false;

  constructor(store: Committer) {
    this.store = store;
    this.epoch = store.currentEpoch();
  }

  private add(op: number, type: number, id: Uint8Array, data: Uint8Array | null, n: number): this {
    if (this.done) throw new StoreError('bad-argument', 'this transaction has already been committed');
    // Ids are small: copying them means a caller reusing its id buffer cannot change the address.
    this.ops.push({ op, type, id: new Uint8Array(id), data, n });
    return this;
  }

  /** Creates or replaces the record (type, id). */
  put(type: number, id: Uint8Array, data: Uint8Array): this {
    checkAddress(type, id, false);
    if (!(data instanceof Uint8Array)) throw new StoreError('bad-argument', 'record data must be a Uint8Array');
    if (data.length > MAX_RECORD_BYTES) throw new StoreError('too-large', 'a record holds at most ' + MAX_RECORD_BYTES + ' bytes, got ' + data.length);
    return this.add(TX_PUT, type, id, data, 0);
  }

  /** Deletes the record (type, id); nothing happens if there is none. */
  delete(type: number, id: Uint8Array): this {
    checkAddress(type, id, false);
    return this.add(TX_DELETE, type, id, null, 0);
  }

  /**
   * Creates an empty log with `perSegment` entries per file (1..255): small for large entries
   * (an outbox of 16 KB blocks: 1-2), larger for small ones (chat history: 16-64). A log that
   * does not exist is also created by its first append, with DEFAULT_PER_SEGMENT.
   */
  createLog(type: number, id: Uint8Array, perSegment: number): this {
    checkAddress(type, id, true);
    if (typeof perSegment !== 'number' || perSegment % 1 !== 0 || perSegment < 1 || perSegment > 255) {
      throw new StoreError('bad-argument', 'entries per segment must be an integer 1..255');
    }
    return this.add(TX_CREATE_LOG, type, id, null, perSegment);
  }

  /** Appends one entry; commit() returns the position it got. */
  append(type: number, id: Uint8Array, entry: Uint8Array): this {
    checkAddress(type, id, true);
    if (!(entry instanceof Uint8Array)) throw new StoreError('bad-argument', 'a log entry must be a Uint8Array');
    if (entry.length > MAX_ENTRY_BYTES) throw new StoreError('too-large', 'a log entry holds at most ' + MAX_ENTRY_BYTES + ' bytes, got ' + entry.length);
    return this.add(TX_APPEND, type, id, entry, 0);
  }

  /**
   * Drops the entries before `newFirst` (first <= newFirst <= next). Whole segment files are
   * deleted once all their entries are dropped. Dropping everything (newFirst = next) also moves
   * `next` up to the next segment boundary, so that every file of the log can go.
   */
  truncateLog(type: number, id: Uint8Array, newFirst: number): this {
    checkAddress(type, id, true);
    if (typeof newFirst !== 'number' || newFirst % 1 !== 0 || newFirst < 0) {
      throw new StoreError('bad-argument', 'the new first position must be a non-negative integer');
    }
    return this.add(TX_TRUNCATE_LOG, type, id, null, newFirst);
  }

  /** Deletes the log and all its entries; nothing happens if there is none. */
  deleteLog(type: number, id: Uint8Array): this {
    checkAddress(type, id, true);
    return this.add(TX_DELETE_LOG, type, id, null, 0);
  }

  commit(): CommitResult {
    if (this.done) throw new StoreError('bad-argument', 'this transaction has already been committed');
    this.done = true;
    const ops = this.ops;
    this.ops = [];
    return this.store.commitOps(ops, this.epoch);
  }
}
