/**
 * The encrypted store on the SD card: everything the device must remember, behind a PIN.
 *
 * What it guarantees
 * - Confidentiality: every file is AES-256-GCM under keys derived from a random master key, which
 *   is itself wrapped under the PIN (keyring.ts). File names are keyed hashes (names.ts).
 * - Atomicity and durability: a commit (one or more operations, see transaction.ts) becomes
 *   durable at exactly one point, the append of its journal frame (journal.ts). A power cut at
 *   any instant leaves either the state before or the state after; once commit() returns, the
 *   commit survives. Everything written before the commit point goes to files nothing reaches
 *   yet: the unused slot of a record, or bytes past a log segment's committed length.
 * - Integrity: files are bound to their place (store, type, id, position) by their keys and
 *   associated data, and the index (index-table.ts) pins each record's current version and each
 *   log's newest entry. A swapped, truncated, edited or stale file is reported as 'damaged' or
 *   'rollback' naming it, and everything else keeps working.
 * - Rollback of the whole card: without an anchor it is not detectable (a consistent older copy
 *   of every file is indistinguishable from the past). With an anchor in internal flash
 *   (anchor.ts) it is refused at unlock. See anchor.ts for the limits.
 * - Memory: lock() overwrites the master key, every derived key and the index. Plaintext handed
 *   to the caller belongs to the caller.
 *
 * Records are written copy-on-write into alternating slots: the new version goes into the slot
 * the index does not point at, the commit switches the index, and the old slot is deleted. Log
 * entries are appended to the open segment past its committed length; the commit moves the
 * committed length. A journal frame lists the new index entries, so replaying the journal over
 * its snapshot rebuilds the index exactly.
 *
 * All calls are synchronous, like hal Storage: when one returns, its writes are durable.
 */
import type { Clock } from '../../hal/clock';
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { StorageError } from '../../hal/storage';
import type { Storage } from '../../hal/storage';
import { concatBytes, equalBytes, wipe } from '../encoding/bytes';
import { ANCHOR_SECRET, ANCHOR_SEQ, ANCHOR_TRIES, anchorHeldByOther, readAnchoredFrame, readDeviceSecret, writeAnchoredFrame, writeDeviceSecret } from './anchor';
import type { AnchoredFrame } from './anchor';
import { describeAddress, readU32 } from './bytes';
import { StoreError } from './errors';
import {
  E_AUX,
  E_FIRST,
  E_KIND,
  E_NEXT,
  E_OPEN_BYTES,
  E_SEQ,
  E_TAG,
  IndexTable,
  KEY_SIZE,
  KIND_LOG,
  KIND_RECORD,
  checkEntry,
  idOf,
  makeKey,
} from './index-table';
import {
  KIND_COMMIT,
  KIND_SNAPSHOT,
  OP_DELETE_LOG,
  OP_DELETE_RECORD,
  OP_SET_LOG,
  OP_SET_LOG_SWEEP,
  OP_SET_RECORD,
  OP_SIZE,
  frameTag,
  journalKey,
  newJournalHeader,
  scanJournal,
  sealFrame,
} from './journal';
import type { Frame, JournalScan } from './journal';
import {
  DEFAULT_ITERATIONS,
  DEVICE_SECRET_SIZE,
  FLAG_ANCHORED,
  FLAG_DEVICE_BOUND,
  MASTER_KEY_SIZE,
  STORE_ID_SIZE,
  buildKeyring,
  checkKeyringParams,
  decodeAttempts,
  encodeAttempts,
  lockoutDelayMs,
  parseKeyring,
  pinBytes,
  unwrapMasterKey,
} from './keyring';
import type { Keyring } from './keyring';
import { entryTag, frameOffsets, isSegmentOf, openEntry, segmentKey } from './log-segment';
import { BUCKETS, CardPaths, deriveNameKey, fileName, segmentNumberOf } from './names';
import { checkAddress } from './record-types';
import { RECORD_LABEL, RECORD_MAGIC, looksSealed, openFile, recordContext, sealedSeq, sealedTag } from './sealed-file';
import { CommitPlan } from './commit-plan';
import { Transaction } from './transaction';
import type { CommitResult, Committer, StagedOp } from './transaction';

export interface StoreDeps {
  crypto: Crypto;
  random: Random;
  clock: Clock;
  /** The SD card. */
  card: Storage;
  /**
   * Internal flash, optional. When given at create() the store keeps its rollback anchor and
   * wrong-PIN counter there too, and (unless told otherwise) binds its key to a secret kept
   * there. Such a store must be opened with the same anchor.
   */
  anchor?: Storage;
  /** Directory on the card; default "sg". */
  root?: string;
  /** Bytes of commit frames after the snapshot before the journal is compacted; default 32 KiB. */
  journalLimit?: number;
}

export interface CreateOptions {
  /** PBKDF2 iterations (keyring.ts); default DEFAULT_ITERATIONS. */
  iterations?: number;
  /** Erase the store at this many consecutive wrong PINs (0 = never, else >= 3); default 0. */
  wipeAfter?: number;
  /** Mix a secret kept in internal flash into the key; default true when there is an anchor. */
  bindToDevice?: boolean;
  /**
   * Overwrite internal flash even though it holds the key part of a store on another card (that
   * card becomes unreadable). Without it create() refuses with 'exists'.
   */
  replaceAnchor?: boolean;
}

export interface UnlockOptions {
  /** Accept a card older than the anchor (a backup restored on purpose) and re-anchor to it. */
  acceptRollback?: boolean;
  /** Open a store whose journal is damaged mid-way: keep the frames before the damage, drop the rest. */
  repair?: boolean;
}

export interface UnlockReport {
  /** Bytes of a torn journal tail (a commit cut short by a power cut) that recovery removed. */
  tornBytes: number;
  /** True when options.repair cut the journal at damage; commits after it are lost. */
  repaired: boolean;
  /** The anchored seq when options.acceptRollback accepted an older card, else -1. */
  acceptedRollbackFrom: number;
}

export interface ChangePinOptions {
  /** New PBKDF2 iteration count; default: keep the current one. */
  iterations?: number;
  /** New wipe threshold; default: keep the current one. */
  wipeAfter?: number;
}

export interface LogInfo {
  /** First readable position. */
  first: number;
  /** Position the next append gets; entries are [first, next). */
  next: number;
  perSegment: number;
}

export interface AttemptStatus {
  /** Consecutive wrong PINs so far. */
  failures: number;
  /** Milliseconds before the next attempt is accepted (0: now). */
  retryAfterMs: number;
  /** Wrong PINs that erase the store (0: never). */
  wipeAfter: number;
}

export type StoreState = 'absent' | 'locked' | 'unlocked';

const DEFAULT_JOURNAL_LIMIT = 32768;
const MAX_SEQ = 0xfffffffe;

function isStorageError(e: unknown): boolean {
  return e instanceof StorageError;
}

function perSegmentOf(e: Uint8Array): number {
  return e[E_AUX];
}

export class Store implements Committer {
  private readonly crypto: Crypto;
  private readonly random: Random;
  private readonly clock: Clock;
  private readonly card: Storage;
  private readonly anchor: Storage | null;
  private readonly paths: CardPaths;
  private readonly journalLimit: number;

  /** monotonic() before which no PIN attempt is accepted. */
  private notBefore = 0;
  /** Increased by lock(), so transactions begun before it are refused. */
  private epoch = 0;

  // Unlocked state: all null/zero while locked.
  private mk: Uint8Array | null = null;
  private storeId: Uint8Array = new Uint8Array(STORE_ID_SIZE);
  private flags = 0;
  private journalKey: Uint8Array | null = null;
  private nameKey: Uint8Array | null = null;
  private table: IndexTable | null = null;
  private tipSeq = 0;
  private tipTag: Uint8Array = new Uint8Array(16);
  private journalSize = 0;
  private snapshotEnd = 0;
  /** Body of a committed frame whose cleanup has not finished (retried before the next write). */
  private pendingCleanup: Uint8Array | null = null;
  private anchorStale = false;
  /** A failed journal append could not be undone: nothing more is written until re-unlock. */
  private broken = false;

  private constructor(deps: StoreDeps) {
    this.crypto = deps.crypto;
    this.random = deps.random;
    this.clock = deps.clock;
    this.card = deps.card;
    this.anchor = deps.anchor === undefined ? null : deps.anchor;
    this.paths = new CardPaths(deps.root === undefined ? 'sg' : deps.root);
    this.journalLimit = deps.journalLimit === undefined ? DEFAULT_JOURNAL_LIMIT : deps.journalLimit;
  }

  /**
   * The store on this card (which may not exist yet: see state()). Reads the wrong-PIN counter,
   * so a reboot does not shorten a lock-out: the wait starts again from now.
   */
  static open(deps: StoreDeps): Store {
    const store = new Store(deps);
    const failures = store.readFailures();
    if (failures > 0) store.notBefore = store.clock.monotonic() + lockoutDelayMs(failures);
    return store;
  }

  state(): StoreState {
    if (this.mk !== null) return 'unlocked';
    return this.card.fileSize(this.paths.keyring) >= 0 ? 'locked' : 'absent';
  }

  /** Wrong-PIN bookkeeping, for the lock screen. */
  attempts(): AttemptStatus {
    const bytes = this.card.readFile(this.paths.keyring);
    let wipeAfter = 0;
    if (bytes !== null) {
      try {
        wipeAfter = parseKeyring(this.crypto, bytes).wipeAfter;
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
      }
    }
    const wait = this.notBefore - this.clock.monotonic();
    return { failures: this.readFailures(), retryAfterMs: wait > 0 ? Math.ceil(wait) : 0, wipeAfter };
  }

  // ------------------------------------------------------------------------------------------
  // Lifecycle

  /** Creates a new, empty store protected by `pin` and leaves it unlocked. */
  create(pin: string, options: CreateOptions = {}): void {
    if (this.mk !== null || this.card.fileSize(this.paths.keyring) >= 0) {
      throw new StoreError('exists', 'there is already a store on this card; wipe it first to create a new one');
    }
    const iterations = options.iterations === undefined ? DEFAULT_ITERATIONS : options.iterations;
    const wipeAfter = options.wipeAfter === undefined ? 0 : options.wipeAfter;
    checkKeyringParams(iterations, wipeAfter);
    const bind = options.bindToDevice === undefined ? this.anchor !== null : options.bindToDevice;
    if (bind && this.anchor === null) throw new StoreError('bad-argument', 'binding to the device needs the internal-flash anchor');
    if (this.anchor !== null && options.replaceAnchor !== true && anchorHeldByOther(this.anchor, this.card.readFile(this.paths.journal))) {
      throw new StoreError(
        'exists',
        'this device holds the key part of a store on another card; a new store would make that card unreadable. Wipe that store first, or create with replaceAnchor',
        'anchor',
      );
    }
    const pinData = pinBytes(pin);

    // Leftovers of an earlier store or of a create() cut short must not mix with the new one.
    this.removeFiles();
    this.card.makeDir(this.paths.root);
    for (let i = 0; i < BUCKETS.length; i++) this.card.makeDir(this.paths.bucket(BUCKETS.charAt(i)));
    this.card.makeDir(this.paths.logs);

    const mk = this.random.bytes(MASTER_KEY_SIZE);
    const storeId = this.random.bytes(STORE_ID_SIZE);
    const flags = (bind ? FLAG_DEVICE_BOUND : 0) | (this.anchor !== null ? FLAG_ANCHORED : 0);
    const secret: Uint8Array | null = bind ? this.random.bytes(DEVICE_SECRET_SIZE) : null;
    try {
      this.mk = mk;
      this.storeId = storeId;
      this.flags = flags;
      this.nameKey = deriveNameKey(this.crypto, mk, storeId);
      this.table = new IndexTable(new Uint8Array(0));
      this.tipSeq = 0;
      this.tipTag = new Uint8Array(16);
      // The journal first: its header names the store, which tells a later create() that a device
      // secret with this id is a leftover of this card, not the key part of another one.
      this.compact(); // a snapshot of the empty index (and the first anchor)
      if (secret !== null) writeDeviceSecret(this.crypto, this.anchor as Storage, storeId, secret);
      // The keyring goes last: until it exists there is no store, and create() can simply run again.
      const keyring = buildKeyring(this.crypto, this.random, { flags, iterations, wipeAfter, storeId }, pinData, secret, mk);
      this.card.writeFileAtomic(this.paths.keyring, keyring);
      this.writeFailures(0);
      this.notBefore = 0;
    } catch (e) {
      this.clearUnlocked();
      throw e;
    } finally {
      wipe(pinData);
      if (secret !== null) wipe(secret);
    }
  }

  /**
   * Unlocks with `pin` and recovers from whatever a power cut left: a torn journal tail is cut
   * off, the last commit's cleanup is redone, the anchor is checked and brought up to date.
   */
  unlock(pin: string, options: UnlockOptions = {}): UnlockReport {
    if (this.mk !== null) throw new StoreError('bad-argument', 'the store is already unlocked');
    const keyring = this.readKeyring();
    const pinData = pinBytes(pin);
    let mk: Uint8Array;
    try {
      mk = this.verifyPin(keyring, pinData);
    } finally {
      wipe(pinData);
    }
    try {
      return this.recover(mk, keyring, options);
    } catch (e) {
      this.clearUnlocked();
      throw e;
    }
  }

  /** Forgets every key and the index. Transactions begun before are refused afterwards. */
  lock(): void {
    this.clearUnlocked();
    this.epoch++;
  }

  /** Re-wraps the master key under `newPin` (nothing else is re-encrypted). Needs the store unlocked. */
  changePin(oldPin: string, newPin: string, options: ChangePinOptions = {}): void {
    const mk = this.requireUnlocked();
    const keyring = this.readKeyring();
    const iterations = options.iterations === undefined ? keyring.iterations : options.iterations;
    const wipeAfter = options.wipeAfter === undefined ? keyring.wipeAfter : options.wipeAfter;
    checkKeyringParams(iterations, wipeAfter);
    const newData = pinBytes(newPin);
    const oldData = pinBytes(oldPin);
    let check: Uint8Array;
    try {
      // The old PIN is checked like an unlock: counted, delayed, and able to trigger the wipe.
      check = this.verifyPin(keyring, oldData);
    } catch (e) {
      wipe(newData);
      if (e instanceof StoreError && e.code === 'wiped') this.lock();
      throw e;
    } finally {
      wipe(oldData);
    }
    const same = equalBytes(check, mk);
    wipe(check);
    if (!same) {
      wipe(newData);
      throw new StoreError('damaged', 'the keyring on the card no longer matches the unlocked store', 'keyring');
    }
    const secret = (keyring.flags & FLAG_DEVICE_BOUND) !== 0 ? readDeviceSecret(this.crypto, this.anchor, keyring.storeId) : null;
    const bytes = buildKeyring(this.crypto, this.random, { flags: keyring.flags, iterations, wipeAfter, storeId: keyring.storeId }, newData, secret, mk);
    wipe(newData);
    if (secret !== null) wipe(secret);
    this.card.writeFileAtomic(this.paths.keyring, bytes);
  }

  /**
   * Erases the store: the keyring first (without it nothing else can be decrypted), then the
   * device secret and anchor (only if they are this card's store's), then every other file.
   * Flash and SD cards remap sectors, so deleted bytes may survive physically; what makes them
   * useless is losing the keyring and, for a device-bound store, the secret in internal flash.
   */
  wipe(): void {
    // Decided before anything is deleted: internal flash may serve a store on another card.
    const ownsAnchor = this.anchor !== null && this.cardOwnsAnchor();
    this.clearUnlocked();
    this.epoch++;
    this.card.deleteFile(this.paths.keyring);
    if (this.anchor !== null && ownsAnchor) {
      this.anchor.deleteFile(ANCHOR_SECRET);
      this.anchor.deleteFile(ANCHOR_SEQ);
      this.anchor.deleteFile(ANCHOR_TRIES);
    }
    this.removeFiles();
    this.card.deleteFile(this.paths.tries);
    this.notBefore = 0;
  }

  // ------------------------------------------------------------------------------------------
  // Records

  /** The record's bytes (a fresh array the caller owns), or null when there is no such record. */
  get(type: number, id: Uint8Array): Uint8Array | null {
    checkAddress(type, id, false);
    const table = this.readyToRead();
    const key = makeKey(type, id);
    const e = table.get(key);
    if (e === null) return null;
    const item = describeAddress('record', type, id);
    const file = this.card.readFile(this.paths.record(this.name(key, 0), e[E_AUX]));
    if (file === null) throw new StoreError('damaged', item + ': its file is missing from the card', item);
    if (!looksSealed(file, RECORD_MAGIC)) throw new StoreError('damaged', item + ': its file is not a record file', item);
    const context = recordContext(this.storeId, key);
    const indexSeq = readU32(e, E_SEQ);
    if (!equalBytes(sealedTag(file), e.subarray(E_TAG, E_TAG + 16)) || sealedSeq(file) !== indexSeq) {
      // Not the version the index recorded. Tell a genuine other version from garbage.
      const other = openFile(this.crypto, this.mkOrThrow(), RECORD_MAGIC, RECORD_LABEL, context, file);
      if (other === null) throw new StoreError('damaged', item + ': its file fails authentication', item);
      wipe(other);
      throw new StoreError(
        'rollback',
        item + (sealedSeq(file) < indexSeq
          ? ': the card holds an older version than the store committed (file replaced by an old copy)'
          : ': the card holds a version the store index does not know (the journal was rolled back)'),
        item,
      );
    }
    const payload = openFile(this.crypto, this.mkOrThrow(), RECORD_MAGIC, RECORD_LABEL, context, file);
    if (payload === null) throw new StoreError('damaged', item + ': its file fails authentication', item);
    return payload;
  }

  has(type: number, id: Uint8Array): boolean {
    checkAddress(type, id, false);
    return this.readyToRead().find(makeKey(type, id)) >= 0;
  }

  /** Ids of the records (or logs) of `type`, ordered by id length, then bytes. */
  list(type: number): Uint8Array[] {
    if (typeof type !== 'number' || type < 1 || type > 0xfe) throw new StoreError('bad-argument', 'store type must be 0x01..0xfe');
    const table = this.readyToRead();
    const range = table.rangeOf(type);
    const out: Uint8Array[] = [];
    for (let i = range[0]; i < range[1]; i++) out.push(idOf(table.at(i)));
    return out;
  }

  put(type: number, id: Uint8Array, data: Uint8Array): void {
    this.begin().put(type, id, data).commit();
  }

  delete(type: number, id: Uint8Array): void {
    this.begin().delete(type, id).commit();
  }

  // ------------------------------------------------------------------------------------------
  // Logs

  logInfo(type: number, id: Uint8Array): LogInfo | null {
    checkAddress(type, id, true);
    const e = this.readyToRead().get(makeKey(type, id));
    if (e === null) return null;
    return { first: readU32(e, E_FIRST), next: readU32(e, E_NEXT), perSegment: perSegmentOf(e) };
  }

  createLog(type: number, id: Uint8Array, perSegment: number): void {
    this.begin().createLog(type, id, perSegment).commit();
  }

  /** Appends one entry and returns its position. */
  append(type: number, id: Uint8Array, entry: Uint8Array): number {
    return this.begin().append(type, id, entry).commit().positions[0];
  }

  truncateLog(type: number, id: Uint8Array, newFirst: number): void {
    this.begin().truncateLog(type, id, newFirst).commit();
  }

  deleteLog(type: number, id: Uint8Array): void {
    this.begin().deleteLog(type, id).commit();
  }

  /**
   * Entries [from, to) of the log (first <= from <= to <= next), as fresh arrays. Every entry
   * returned is authenticated, and so is its place: each one's associated data holds the tag of
   * the one before, and the last one is checked against its successor (or, for the newest entry,
   * the index). A consequence worth knowing: an entry whose successor is damaged cannot be
   * vouched for either, and is reported damaged with it.
   */
  read(type: number, id: Uint8Array, from: number, to: number): Uint8Array[] {
    checkAddress(type, id, true);
    const table = this.readyToRead();
    const key = makeKey(type, id);
    const e = table.get(key);
    const first = e === null ? 0 : readU32(e, E_FIRST);
    const next = e === null ? 0 : readU32(e, E_NEXT);
    if (typeof from !== 'number' || typeof to !== 'number' || from % 1 !== 0 || to % 1 !== 0 || from < first || to < from || to > next) {
      throw new StoreError('bad-argument', 'read range [' + from + ', ' + to + ') is outside the log [' + first + ', ' + next + ')');
    }
    const out: Uint8Array[] = [];
    if (e === null || from === to) return out;
    const per = perSegmentOf(e);
    const name = this.name(key, readU32(e, E_SEQ));
    const item = describeAddress('log', type, id);
    let pos = from;
    let loaded: Uint8Array | null = null;
    let loadedSeg = -1;
    while (pos < to) {
      const segNo = Math.floor(pos / per);
      const file = loadedSeg === segNo && loaded !== null ? loaded : this.readSegment(name, segNo, item);
      const segFirst = segNo * per;
      const offsets = frameOffsets(file, per);
      const end = to < segFirst + per ? to : segFirst + per;
      const segKey = segmentKey(this.crypto, this.mkOrThrow(), this.storeId, key, readU32(e, E_SEQ), file);
      try {
        for (let p = pos; p < end; p++) {
          const k = p - segFirst;
          if (k >= offsets.length) throw new StoreError('damaged', item + ': entry ' + p + ' is missing (segment ' + segNo + ' is cut short)', item);
          const prev = k === 0 ? file.subarray(40, 56) : entryTag(file, offsets[k - 1]);
          const entry = openEntry(this.crypto, segKey, file, offsets[k], p, prev);
          if (entry === null) throw new StoreError('damaged', item + ': entry ' + p + ' fails authentication', item);
          out.push(entry);
        }
      } catch (err) {
        for (let i = 0; i < out.length; i++) wipe(out[i]);
        throw err;
      } finally {
        wipe(segKey);
      }
      // Each entry returned pins the tag of the one before it (its associated data); the last one
      // is pinned here by the index (the newest entry) or by its successor.
      const last = end - 1;
      const lastTag = entryTag(file, offsets[last - segFirst]);
      let problem: StoreError | null = null;
      if (last === next - 1) {
        if (!equalBytes(lastTag, e.subarray(E_TAG, E_TAG + 16))) {
          problem = new StoreError('rollback', item + ': the newest entry on the card is not the one the store committed', item);
        }
      } else if (last < segFirst + per - 1) {
        const k = last + 1 - segFirst;
        if (!this.entryContinues(key, readU32(e, E_SEQ), file, offsets, k, last + 1, lastTag)) {
          problem = new StoreError('damaged', item + ': entry ' + (last + 1) + ' does not continue from entry ' + last + ' (one of them was altered or replaced)', item);
        }
      } else {
        loaded = this.readSegment(name, segNo + 1, item);
        loadedSeg = segNo + 1;
        if (!equalBytes(loaded.subarray(40, 56), lastTag) || !this.entryContinues(key, readU32(e, E_SEQ), loaded, frameOffsets(loaded, 1), 0, last + 1, lastTag)) {
          problem = new StoreError('damaged', item + ': segment ' + (segNo + 1) + ' does not continue from entry ' + last + ' (one of them was altered or replaced)', item);
        }
      }
      if (problem !== null) {
        for (let i = 0; i < out.length; i++) wipe(out[i]);
        throw problem;
      }
      pos = end;
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Transactions

  begin(): Transaction {
    this.requireUnlocked();
    return new Transaction(this);
  }

  currentEpoch(): number {
    return this.epoch;
  }

  /** Runs a transaction (transaction.ts); see the header for the order of writes. */
  commitOps(ops: StagedOp[], epoch: number): CommitResult {
    if (epoch !== this.epoch) throw new StoreError('locked', 'the store was locked after this transaction began; start a new one');
    const table = this.readyToWrite();
    if (this.tipSeq >= MAX_SEQ) throw new StoreError('full', 'the commit counter is exhausted; copy the data to a new store');
    const seq = this.tipSeq + 1;
    const plan = new CommitPlan(
      { crypto: this.crypto, random: this.random, card: this.card, paths: this.paths, masterKey: this.mkOrThrow(), storeId: this.storeId, name: (k, n) => this.name(k, n) },
      table,
      seq,
    );
    let body: Uint8Array;
    try {
      for (let i = 0; i < ops.length; i++) plan.add(ops[i]);
      body = plan.body();
      // Before the commit point: files nothing reachable points at yet.
      if (body.length > 0) plan.writeFiles();
    } finally {
      plan.discard();
    }
    const positions = plan.positions;
    if (body.length === 0) return { seq: this.tipSeq, positions };

    // The commit point.
    const frame = sealFrame(this.crypto, this.random, this.journalKeyOrThrow(), seq, KIND_COMMIT, this.tipTag, body);
    try {
      this.card.appendFile(this.paths.journal, frame);
    } catch (e) {
      // A half-written frame must not stay in front of the next one: cut it, or stop writing.
      try {
        this.card.truncateFile(this.paths.journal, this.journalSize);
      } catch (e2) {
        this.broken = true;
      }
      wipe(body);
      throw e;
    }
    this.applyBody(table, body, 0);
    this.tipSeq = seq;
    this.tipTag = new Uint8Array(frameTag(frame));
    this.journalSize += frame.length;

    // After the commit point: nothing here may make commit() look failed.
    this.refreshAnchor();
    try {
      this.cleanup(body);
      wipe(body);
    } catch (e) {
      if (!isStorageError(e)) throw e;
      this.pendingCleanup = body;
    }
    if (this.pendingCleanup === null && this.journalSize - this.snapshotEnd > this.journalLimit) {
      try {
        this.compact();
      } catch (e) {
        if (!isStorageError(e)) throw e;
      }
    }
    return { seq, positions };
  }

  /**
   * Deletes what no committed state refers to: record versions and log segments a failed or
   * cut-short commit left behind, and entries appended past a segment's committed length.
   * Returns how many files it removed. Cheap enough to run when idle.
   */
  collectGarbage(): number {
    const table = this.readyToWrite();
    const liveRecords: { [file: string]: boolean } = {};
    const liveLogs: { [dir: string]: number } = {};
    for (let i = 0; i < table.count(); i++) {
      const e = table.at(i);
      if (e[E_KIND] === KIND_RECORD) liveRecords[this.name(e, 0) + '.' + e[E_AUX]] = true;
      else liveLogs[this.name(e, readU32(e, E_SEQ))] = i + 1;
    }
    let removed = 0;
    for (let b = 0; b < BUCKETS.length; b++) {
      const dir = this.paths.bucket(BUCKETS.charAt(b));
      const names = this.card.listDir(dir);
      for (let i = 0; i < names.length; i++) {
        if (liveRecords[names[i]] === true) continue;
        this.card.deleteFile(dir + '/' + names[i]);
        removed++;
      }
    }
    const dirs = this.card.listDir(this.paths.logs);
    for (let i = 0; i < dirs.length; i++) {
      const at = liveLogs[dirs[i]];
      const e = typeof at === 'number' ? table.at(at - 1) : null;
      removed += this.sweepLog(dirs[i], e);
      // Entries an uncommitted append left past the open segment's committed length.
      const open = e === null ? 0 : readU32(e, E_OPEN_BYTES);
      if (e !== null && open > 0) {
        const path = this.paths.segment(dirs[i], Math.floor(readU32(e, E_NEXT) / perSegmentOf(e)));
        if (this.card.fileSize(path) > open) this.card.truncateFile(path, open);
      }
    }
    return removed;
  }

  // ------------------------------------------------------------------------------------------
  // Unlocking and recovery

  private readKeyring(): Keyring {
    const bytes = this.card.readFile(this.paths.keyring);
    if (bytes === null) throw new StoreError('no-store', 'there is no store on this card; create one');
    return parseKeyring(this.crypto, bytes);
  }

  /**
   * The PIN check shared by unlock and changePin: lock-out, the counter written BEFORE the
   * key derivation (cutting the power when the answer is wrong must not undo the count), the
   * growing delay, and the wipe.
   */
  private verifyPin(keyring: Keyring, pin: Uint8Array): Uint8Array {
    const wait = this.notBefore - this.clock.monotonic();
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      throw new StoreError('locked-out', 'too many wrong PINs: try again in ' + s + ' s', '', Math.ceil(wait));
    }
    const secret = (keyring.flags & FLAG_DEVICE_BOUND) !== 0 ? readDeviceSecret(this.crypto, this.anchor, keyring.storeId) : null;
    const failures = this.readFailures() + 1;
    this.writeFailures(failures);
    const mk = unwrapMasterKey(this.crypto, keyring, pin, secret);
    if (secret !== null) wipe(secret);
    if (mk !== null) {
      this.writeFailures(0);
      this.notBefore = 0;
      return mk;
    }
    if (keyring.wipeAfter !== 0 && failures >= keyring.wipeAfter) {
      this.wipe();
      throw new StoreError('wiped', 'wrong PIN ' + failures + ' times in a row: the store has been erased');
    }
    const delay = lockoutDelayMs(failures);
    this.notBefore = this.clock.monotonic() + delay;
    const left = keyring.wipeAfter === 0 ? -1 : keyring.wipeAfter - failures;
    throw new StoreError(
      'wrong-pin',
      'wrong PIN' + (left >= 0 ? ' (' + left + ' attempts left before the store is erased)' : '') +
        (delay > 0 ? '; the next attempt is possible in ' + delay / 1000 + ' s' : '; check it and try again'),
      '',
      delay,
      left,
    );
  }

  private recover(mk: Uint8Array, keyring: Keyring, options: UnlockOptions): UnlockReport {
    this.mk = mk;
    this.storeId = new Uint8Array(keyring.storeId);
    this.flags = keyring.flags;
    this.nameKey = deriveNameKey(this.crypto, mk, this.storeId);
    const report: UnlockReport = { tornBytes: 0, repaired: false, acceptedRollbackFrom: -1 };

    const anchored = (this.flags & FLAG_ANCHORED) !== 0;
    let anchoredFrame: AnchoredFrame | null = null;
    let anchorProblem = '';
    if (anchored) {
      if (this.anchor === null) {
        throw new StoreError('anchor-missing', 'this store keeps a rollback anchor in internal flash, and none was given', 'anchor');
      }
      try {
        anchoredFrame = readAnchoredFrame(this.crypto, this.anchor, mk, this.storeId);
      } catch (e) {
        if (!(e instanceof StoreError) || !(options.acceptRollback === true || options.repair === true)) throw e;
      }
      if (anchoredFrame === null) anchorProblem = 'the rollback anchor in internal flash is missing';
    }

    const file = this.card.readFile(this.paths.journal);
    if (file === null) throw new StoreError('damaged', 'the journal is missing from the card', 'journal');
    this.journalKey = journalKey(this.crypto, mk, this.storeId, file);
    // Filled in by the visitor (an object, so the compiler sees the updates).
    const seen: { last: Uint8Array | null; anchorMatched: boolean } = { last: null, anchorMatched: false };
    const self = this;
    try {
      const scan = scanJournal(this.crypto, this.journalKey, file, function (f: Frame): void {
        if (anchoredFrame !== null && f.seq === anchoredFrame.seq) seen.anchorMatched = equalBytes(f.tag, anchoredFrame.tag);
        // scanJournal has checked the chain already; this copy of the previous tag is not needed.
        f.plaintext.fill(0, 0, 16);
        if (f.kind === KIND_SNAPSHOT) {
          self.table = new IndexTable(f.plaintext.subarray(16));
          return;
        }
        self.applyBody(self.table as IndexTable, f.plaintext, 16);
        if (seen.last !== null) wipe(seen.last);
        seen.last = f.plaintext;
      });
      if (scan.damage !== null) {
        if (options.repair !== true) throw new StoreError('damaged', scan.damage + '; unlock with repair to keep the commits before it', 'journal');
        report.repaired = true;
      }
      if (scan.validEnd < file.length) {
        this.card.truncateFile(this.paths.journal, scan.validEnd);
        if (!report.repaired) report.tornBytes = file.length - scan.validEnd;
      }
      this.tipSeq = scan.lastSeq;
      this.tipTag = new Uint8Array(scan.lastTag);
      this.journalSize = scan.validEnd;
      this.snapshotEnd = scan.snapshotEnd;
      if (anchored) {
        if (anchorProblem === '' && anchoredFrame !== null) anchorProblem = this.anchorVerdict(anchoredFrame, scan, seen.anchorMatched);
        if (anchorProblem !== '') {
          if (options.acceptRollback !== true && options.repair !== true) {
            throw new StoreError(
              anchoredFrame === null ? 'anchor-missing' : 'rollback',
              anchorProblem + '; unlock with acceptRollback to use this card anyway',
              anchoredFrame === null ? 'anchor' : 'card',
            );
          }
          report.acceptedRollbackFrom = anchoredFrame === null ? -1 : anchoredFrame.seq;
          // Continue above everything either side has seen, so sequence numbers never repeat.
          if (anchoredFrame !== null && anchoredFrame.seq > this.tipSeq) this.tipSeq = anchoredFrame.seq;
          this.compact();
        } else if ((anchoredFrame as AnchoredFrame).seq < this.tipSeq) {
          this.refreshAnchor(); // the last commit landed, its anchor write did not
        }
      }
      const last = seen.last;
      seen.last = null;
      if (last !== null) {
        try {
          this.cleanup(last.subarray(16));
          wipe(last);
        } catch (e) {
          if (!isStorageError(e)) throw e;
          this.pendingCleanup = last.subarray(16);
        }
      }
    } finally {
      if (seen.last !== null) wipe(seen.last);
      if (anchoredFrame !== null) wipe(anchoredFrame.tag);
    }
    return report;
  }

  /** '' when the journal reaches the anchored frame with the same tag; else what is wrong. */
  private anchorVerdict(a: AnchoredFrame, scan: JournalScan, matched: boolean): string {
    if (a.seq > scan.lastSeq) {
      return 'the card is older than this device has seen (journal at frame ' + scan.lastSeq + ', anchor at ' + a.seq + ')';
    }
    if (a.seq >= scan.baseSeq && !matched) return 'the card history differs from the one this device recorded (frame ' + a.seq + ')';
    if (a.seq === scan.baseSeq - 1 && !equalBytes(a.tag, scan.basePrevTag)) return 'the card history differs from the one this device recorded';
    // An anchor further behind than this journal reaches (anchor writes failed for a while) cannot
    // be compared; the card is ahead of it, which is not a rollback.
    return '';
  }

  private clearUnlocked(): void {
    if (this.mk !== null) wipe(this.mk);
    if (this.journalKey !== null) wipe(this.journalKey);
    if (this.nameKey !== null) wipe(this.nameKey);
    if (this.table !== null) this.table.wipe();
    if (this.pendingCleanup !== null) wipe(this.pendingCleanup);
    this.mk = null;
    this.journalKey = null;
    this.nameKey = null;
    this.table = null;
    this.pendingCleanup = null;
    this.anchorStale = false;
    this.broken = false;
    this.tipSeq = 0;
    this.journalSize = 0;
    this.snapshotEnd = 0;
  }

  private readFailures(): number {
    const card = decodeAttempts(this.card.readFile(this.paths.tries));
    const flash = this.anchor === null ? 0 : decodeAttempts(this.anchor.readFile(ANCHOR_TRIES));
    return card > flash ? card : flash;
  }

  private writeFailures(n: number): void {
    if (n === 0) {
      this.card.deleteFile(this.paths.tries);
      if (this.anchor !== null) this.anchor.deleteFile(ANCHOR_TRIES);
      return;
    }
    const bytes = encodeAttempts(n);
    // Internal flash first: it is the copy an attacker with the card in a reader cannot reset.
    if (this.anchor !== null) this.anchor.writeFileAtomic(ANCHOR_TRIES, bytes);
    this.card.writeFileAtomic(this.paths.tries, bytes);
  }

  /**
   * True when the anchor files in internal flash belong to the store on this card: the card names
   * a store (keyring, or journal header) and the device secret, if there is one, is that store's.
   */
  private cardOwnsAnchor(): boolean {
    let storeId: Uint8Array | null = null;
    const keyring = this.card.readFile(this.paths.keyring);
    if (keyring !== null) {
      try {
        storeId = parseKeyring(this.crypto, keyring).storeId;
      } catch (e) {
        if (!(e instanceof StoreError)) throw e;
      }
    }
    if (storeId === null) {
      const journal = this.card.readFile(this.paths.journal);
      if (journal !== null && journal.length >= 20) storeId = journal.subarray(4, 20);
    }
    if (storeId === null) return false;
    const secret = (this.anchor as Storage).readFile(ANCHOR_SECRET);
    if (secret === null) return true;
    const mine = secret.length >= 20 && equalBytes(secret.subarray(4, 20), storeId);
    wipe(secret);
    return mine;
  }

  /** Every file of the store on the card except keyring and tries (create and wipe). */
  private removeFiles(): void {
    this.card.deleteFile(this.paths.journal);
    for (let b = 0; b < BUCKETS.length; b++) {
      const dir = this.paths.bucket(BUCKETS.charAt(b));
      const names = this.card.listDir(dir);
      for (let i = 0; i < names.length; i++) this.card.deleteFile(dir + '/' + names[i]);
    }
    const dirs = this.card.listDir(this.paths.logs);
    for (let i = 0; i < dirs.length; i++) {
      const files = this.card.listDir(this.paths.logDir(dirs[i]));
      for (let j = 0; j < files.length; j++) this.card.deleteFile(this.paths.logDir(dirs[i]) + '/' + files[j]);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Journal

  /** Applies a commit body (n x 69 bytes from `offset`) to the index. */
  private applyBody(table: IndexTable, body: Uint8Array, offset: number): void {
    if ((body.length - offset) % OP_SIZE !== 0) throw new StoreError('damaged', 'a journal frame holds a partial operation', 'journal');
    for (let at = offset; at < body.length; at += OP_SIZE) {
      const op = body[at];
      const entry = body.subarray(at + 1, at + OP_SIZE);
      if (!checkEntry(entry, 0)) throw new StoreError('damaged', 'a journal frame holds a malformed index entry', 'journal');
      const isLog = entry[E_KIND] === KIND_LOG;
      if (op === OP_SET_RECORD && !isLog) table.put(entry);
      else if ((op === OP_SET_LOG || op === OP_SET_LOG_SWEEP) && isLog) table.put(entry);
      else if ((op === OP_DELETE_RECORD && !isLog) || (op === OP_DELETE_LOG && isLog)) table.remove(entry);
      else throw new StoreError('damaged', 'a journal frame holds an unknown operation', 'journal');
    }
  }

  /** Deletes what a committed body made unreachable. Idempotent: safe to repeat after a power cut. */
  private cleanup(body: Uint8Array): void {
    for (let at = 0; at < body.length; at += OP_SIZE) {
      const op = body[at];
      const entry = body.subarray(at + 1, at + OP_SIZE);
      if (op === OP_SET_RECORD) {
        this.card.deleteFile(this.paths.record(this.name(entry, 0), 1 - entry[E_AUX]));
      } else if (op === OP_DELETE_RECORD) {
        const name = this.name(entry, 0);
        this.card.deleteFile(this.paths.record(name, 0));
        this.card.deleteFile(this.paths.record(name, 1));
      } else if (op === OP_DELETE_LOG) {
        this.sweepLog(this.name(entry, readU32(entry, E_SEQ)), null);
      } else if (op === OP_SET_LOG_SWEEP) {
        this.sweepLog(this.name(entry, readU32(entry, E_SEQ)), entry);
      }
    }
    this.pendingCleanup = null;
  }

  /** Deletes the segments of log directory `dirName` outside the live range of `e` (all when null). */
  private sweepLog(dirName: string, e: Uint8Array | null): number {
    const dir = this.paths.logDir(dirName);
    const files = this.card.listDir(dir);
    let from = 0;
    let to = -1;
    if (e !== null) {
      const per = perSegmentOf(e);
      const first = readU32(e, E_FIRST);
      const next = readU32(e, E_NEXT);
      from = Math.floor(first / per);
      to = readU32(e, E_OPEN_BYTES) > 0 ? Math.floor(next / per) : next > first ? Math.floor((next - 1) / per) : -1;
    }
    let removed = 0;
    for (let i = 0; i < files.length; i++) {
      const n = segmentNumberOf(files[i]);
      if (n >= from && n <= to) continue;
      this.card.deleteFile(dir + '/' + files[i]);
      removed++;
    }
    return removed;
  }

  /** Starts a new journal holding one snapshot of the index (one atomic file write). */
  private compact(): void {
    const table = this.table as IndexTable;
    const mk = this.mkOrThrow();
    const header = newJournalHeader(this.random, this.storeId);
    const key = journalKey(this.crypto, mk, this.storeId, header);
    const seq = this.tipSeq + 1;
    const frame = sealFrame(this.crypto, this.random, key, seq, KIND_SNAPSHOT, this.tipTag, table.raw());
    const file = concatBytes([header, frame]);
    try {
      this.card.writeFileAtomic(this.paths.journal, file);
    } catch (e) {
      wipe(key);
      throw e;
    }
    if (this.journalKey !== null) wipe(this.journalKey);
    this.journalKey = key;
    this.tipSeq = seq;
    this.tipTag = new Uint8Array(frameTag(frame));
    this.journalSize = file.length;
    this.snapshotEnd = file.length;
    this.refreshAnchor();
  }

  /** Records the tip in internal flash; a failure only leaves the anchor behind (safe). */
  private refreshAnchor(): void {
    if (this.anchor === null || (this.flags & FLAG_ANCHORED) === 0) return;
    try {
      writeAnchoredFrame(this.crypto, this.random, this.anchor, this.mkOrThrow(), this.storeId, { seq: this.tipSeq, tag: this.tipTag });
      this.anchorStale = false;
    } catch (e) {
      if (!isStorageError(e)) throw e;
      this.anchorStale = true;
    }
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  private requireUnlocked(): Uint8Array {
    if (this.mk === null) throw new StoreError('locked', 'the store is locked: unlock it with the PIN first');
    return this.mk;
  }

  private mkOrThrow(): Uint8Array {
    return this.requireUnlocked();
  }

  private journalKeyOrThrow(): Uint8Array {
    this.requireUnlocked();
    return this.journalKey as Uint8Array;
  }

  private readyToRead(): IndexTable {
    this.requireUnlocked();
    return this.table as IndexTable;
  }

  private readyToWrite(): IndexTable {
    const table = this.readyToRead();
    if (this.broken) throw new StoreError('needs-recovery', 'an earlier write failed half-way; lock and unlock the store to recover');
    if (this.pendingCleanup !== null) {
      const body = this.pendingCleanup;
      this.cleanup(body);
      wipe(body);
    }
    if (this.anchorStale) this.refreshAnchor();
    return table;
  }

  private name(keyOrEntry: Uint8Array, n: number): string {
    return fileName(this.crypto, this.nameKey as Uint8Array, keyOrEntry.subarray(0, KEY_SIZE), n);
  }

  private readSegment(name: string, segNo: number, item: string): Uint8Array {
    const file = this.card.readFile(this.paths.segment(name, segNo));
    if (file === null) throw new StoreError('damaged', item + ': segment ' + segNo + ' is missing from the card', item);
    if (!isSegmentOf(file, segNo)) throw new StoreError('damaged', item + ': segment ' + segNo + ' is not a log segment', item);
    return file;
  }

  /** True when frame `k` of `file` exists and authenticates as `position` following `prevTag`. */
  private entryContinues(key: Uint8Array, createdSeq: number, file: Uint8Array, offsets: number[], k: number, position: number, prevTag: Uint8Array): boolean {
    if (k >= offsets.length) return false;
    const segKey = segmentKey(this.crypto, this.mkOrThrow(), this.storeId, key, createdSeq, file);
    const entry = openEntry(this.crypto, segKey, file, offsets[k], position, prevTag);
    wipe(segKey);
    if (entry === null) return false;
    wipe(entry);
    return true;
  }
}

// Re-exported so callers need one import for the whole API.
export { StoreError } from './errors';
export { StoreType } from './record-types';
export { Transaction } from './transaction';
export type { CommitResult } from './transaction';
export { calibrateIterations, DEFAULT_ITERATIONS, MIN_ITERATIONS, MAX_ITERATIONS } from './keyring';
