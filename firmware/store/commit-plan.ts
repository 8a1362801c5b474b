/**
 * Planning a commit: turning a transaction's operations into (1) the files to write before the
 * commit point and (2) the journal body that makes them reachable.
 *
 * The rule that keeps every power cut harmless: nothing written here touches a file the committed
 * state uses. A record's new version goes to the slot the committed entry does not point at; a log
 * entry goes past its segment's committed length (an existing segment is only cut back to that
 * length, never below) or into a segment no committed entry reaches yet; a log created again gets
 * a new directory (names.ts). Until the journal frame lands these writes are unreachable
 * leftovers, which the next commit overwrites or cuts and collectGarbage() removes.
 *
 * Only the final state per key goes into the body, so a record put twice, or put then deleted,
 * in one transaction costs one operation (or none).
 */
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import type { Storage } from '../../hal/storage';
import { concatBytes, equalBytes, wipe } from '../encoding/bytes';
import { describeAddress, readU32, writeU32 } from './bytes';
import { StoreError } from './errors';
import { E_AUX, E_FIRST, E_KIND, E_NEXT, E_OPEN_BYTES, E_SEQ, E_TAG, ENTRY_SIZE, IndexTable, KIND_LOG, KIND_RECORD, makeKey } from './index-table';
import { OP_DELETE_LOG, OP_DELETE_RECORD, OP_SET_LOG, OP_SET_LOG_SWEEP, OP_SET_RECORD, OP_SIZE } from './journal';
import { SEGMENT_HEADER_SIZE, entryTag, isSegmentOf, sealEntry, segmentHeader, segmentKey } from './log-segment';
import type { CardPaths } from './names';
import { RECORD_LABEL, RECORD_MAGIC, recordContext, sealFile, sealedTag } from './sealed-file';
import { DEFAULT_PER_SEGMENT, TX_APPEND, TX_CREATE_LOG, TX_DELETE, TX_DELETE_LOG, TX_PUT, TX_TRUNCATE_LOG } from './transaction';
import type { StagedOp } from './transaction';

/** Highest log position: leaves room for the jump to a segment boundary when a log is emptied. */
const MAX_POSITION = 0xfffffe00;

/** What a plan needs from the unlocked store. */
export interface PlanContext {
  crypto: Crypto;
  random: Random;
  card: Storage;
  paths: CardPaths;
  masterKey: Uint8Array;
  storeId: Uint8Array;
  /** File name of (type, id) (names.ts); n = 0 for records, createdSeq for logs. */
  name(keyOrEntry: Uint8Array, n: number): string;
}

/** One key's state while the transaction is planned. */
interface Staged {
  key: Uint8Array;
  /** The committed entry (a copy), or null. */
  committed: Uint8Array | null;
  /** The entry after the operations so far, or null when deleted or absent. */
  entry: Uint8Array | null;
  /** Log: its first position moved; sweep dropped segments after the commit. */
  sweep: boolean;
  /** Log: file name of the incarnation in `entry` ('' until needed). */
  name: string;
  /** Log: entries for one segment, written before the commit. */
  seg: SegmentWrite | null;
  /** Record: the sealed new version and its path, written before the commit. */
  write: PlannedWrite | null;
}

interface SegmentWrite {
  path: string;
  dir: string;
  segNo: number;
  /** A new segment: its header goes first and the file is written atomically. */
  header: Uint8Array | null;
  /** Committed size of an existing open segment. */
  base: number;
  /** Size of that file as found: more than `base` means leftovers of an uncommitted attempt. */
  found: number;
  key: Uint8Array;
  frames: Uint8Array[];
}

interface PlannedWrite {
  path: string;
  data: Uint8Array;
}

function perSegmentOf(e: Uint8Array): number {
  return e[E_AUX];
}

function encodeOp(code: number, entry: Uint8Array): Uint8Array {
  const out = new Uint8Array(OP_SIZE);
  out[0] = code;
  out.set(entry, 1);
  return out;
}

export class CommitPlan {
  /** Positions given to appended entries, in order. */
  readonly positions: number[] = [];
  private readonly ctx: PlanContext;
  private readonly table: IndexTable;
  private readonly seq: number;
  private readonly staged: Staged[] = [];

  /** A plan for commit number `seq` on top of the committed `table` (which it does not change). */
  constructor(ctx: PlanContext, table: IndexTable, seq: number) {
    this.ctx = ctx;
    this.table = table;
    this.seq = seq;
  }

  add(op: StagedOp): void {
    const s = this.stage(op.type, op.id);
    if (op.op === TX_PUT) this.put(s, op.data as Uint8Array);
    else if (op.op === TX_DELETE) {
      s.entry = null;
      s.write = null;
    } else if (op.op === TX_CREATE_LOG) {
      if (s.entry === null) this.newLog(s, op.n);
      else if (perSegmentOf(s.entry) !== op.n) {
        throw new StoreError('bad-argument', describeAddress('log', op.type, op.id) + ' already exists with ' + perSegmentOf(s.entry) + ' entries per segment');
      }
    } else if (op.op === TX_APPEND) {
      if (s.entry === null) this.newLog(s, DEFAULT_PER_SEGMENT);
      this.positions.push(this.append(s, op));
    } else if (op.op === TX_TRUNCATE_LOG) {
      this.truncate(s, op);
    } else if (op.op === TX_DELETE_LOG) {
      this.flushSegment(s, false);
      s.entry = null;
      s.name = '';
    }
  }

  /** The journal body: per key, the removal of the committed entry and/or its new state. */
  body(): Uint8Array {
    const ops: Uint8Array[] = [];
    for (let i = 0; i < this.staged.length; i++) {
      const s = this.staged[i];
      const c = s.committed;
      const e = s.entry;
      const isLog = (c !== null ? c[E_KIND] : e !== null ? e[E_KIND] : 0) === KIND_LOG;
      if (!isLog) {
        if (e !== null) ops.push(encodeOp(OP_SET_RECORD, e));
        else if (c !== null) ops.push(encodeOp(OP_DELETE_RECORD, c));
        continue;
      }
      const sameIncarnation = c !== null && e !== null && readU32(c, E_SEQ) === readU32(e, E_SEQ);
      if (c !== null && !sameIncarnation) ops.push(encodeOp(OP_DELETE_LOG, c));
      if (e !== null && (c === null || !equalBytes(c, e) || s.sweep)) ops.push(encodeOp(s.sweep ? OP_SET_LOG_SWEEP : OP_SET_LOG, e));
    }
    return concatBytes(ops);
  }

  /** Writes everything planned (before the commit point). */
  writeFiles(): void {
    for (let i = 0; i < this.staged.length; i++) {
      const s = this.staged[i];
      if (s.write !== null && s.entry !== null) this.ctx.card.writeFileAtomic(s.write.path, s.write.data);
      this.flushSegment(s, true);
    }
  }

  /** Drops whatever was not written and wipes the segment keys. Safe to call more than once. */
  discard(): void {
    for (let i = 0; i < this.staged.length; i++) this.flushSegment(this.staged[i], false);
  }

  private stage(type: number, id: Uint8Array): Staged {
    const key = makeKey(type, id);
    for (let i = 0; i < this.staged.length; i++) if (equalBytes(this.staged[i].key, key)) return this.staged[i];
    const committed = this.table.get(key);
    const s: Staged = {
      key,
      committed,
      entry: committed === null ? null : new Uint8Array(committed),
      sweep: false,
      name: '',
      seg: null,
      write: null,
    };
    this.staged.push(s);
    return s;
  }

  private put(s: Staged, data: Uint8Array): void {
    const ctx = this.ctx;
    // The new version goes to the slot the committed entry does not use.
    const slot = s.committed === null ? 0 : 1 - s.committed[E_AUX];
    const file = sealFile(ctx.crypto, ctx.random, ctx.masterKey, RECORD_MAGIC, RECORD_LABEL, recordContext(ctx.storeId, s.key), this.seq, data);
    s.write = { path: ctx.paths.record(ctx.name(s.key, 0), slot), data: file };
    const e = new Uint8Array(ENTRY_SIZE);
    e.set(s.key, 0);
    e[E_KIND] = KIND_RECORD;
    e[E_AUX] = slot;
    writeU32(e, E_SEQ, this.seq);
    e.set(sealedTag(file), E_TAG);
    s.entry = e;
  }

  private newLog(s: Staged, perSegment: number): void {
    this.flushSegment(s, false);
    const e = new Uint8Array(ENTRY_SIZE);
    e.set(s.key, 0);
    e[E_KIND] = KIND_LOG;
    e[E_AUX] = perSegment;
    writeU32(e, E_SEQ, this.seq);
    s.entry = e;
    s.name = '';
    s.sweep = false;
  }

  private append(s: Staged, op: StagedOp): number {
    const e = s.entry as Uint8Array;
    const pos = readU32(e, E_NEXT);
    const item = describeAddress('log', op.type, op.id);
    if (pos >= MAX_POSITION) throw new StoreError('full', item + ' has reached its last position; truncate or delete it', item);
    const per = perSegmentOf(e);
    const segNo = Math.floor(pos / per);
    if (s.name === '') s.name = this.ctx.name(s.key, readU32(e, E_SEQ));
    if (s.seg === null || s.seg.segNo !== segNo) {
      this.flushSegment(s, true); // the previous segment filled up in this transaction
      s.seg = this.openSegment(s, e, segNo, item);
    }
    const w = s.seg;
    const frame = sealEntry(this.ctx.crypto, this.ctx.random, w.key, pos, e.subarray(E_TAG, E_TAG + 16), op.data as Uint8Array);
    w.frames.push(frame);
    e.set(entryTag(frame, 0), E_TAG);
    writeU32(e, E_NEXT, pos + 1);
    const bytes = readU32(e, E_OPEN_BYTES);
    // A full segment closes: the next append starts a new one.
    writeU32(e, E_OPEN_BYTES, (pos + 1) % per === 0 ? 0 : (bytes === 0 ? SEGMENT_HEADER_SIZE : bytes) + frame.length);
    return pos;
  }

  private truncate(s: Staged, op: StagedOp): void {
    const e = s.entry;
    if (e === null) throw new StoreError('bad-argument', describeAddress('log', op.type, op.id) + ' does not exist');
    const first = readU32(e, E_FIRST);
    const next = readU32(e, E_NEXT);
    if (op.n < first || op.n > next) {
      throw new StoreError('bad-argument', 'cannot truncate ' + describeAddress('log', op.type, op.id) + ' [' + first + ', ' + next + ') to start at ' + op.n);
    }
    if (op.n === first && first === next) return;
    let newFirst = op.n;
    if (op.n === next) {
      // Emptied: jump to the next segment boundary so that the open segment can go too. Entries
      // planned for it in this transaction are dropped with it.
      const per = perSegmentOf(e);
      if (next % per !== 0) newFirst = (Math.floor(next / per) + 1) * per;
      writeU32(e, E_NEXT, newFirst);
      writeU32(e, E_OPEN_BYTES, 0);
      this.flushSegment(s, false);
    }
    writeU32(e, E_FIRST, newFirst);
    s.sweep = true;
  }

  private openSegment(s: Staged, e: Uint8Array, segNo: number, item: string): SegmentWrite {
    const ctx = this.ctx;
    const createdSeq = readU32(e, E_SEQ);
    const path = ctx.paths.segment(s.name, segNo);
    const dir = ctx.paths.logDir(s.name);
    const committed = readU32(e, E_OPEN_BYTES);
    if (committed === 0) {
      const header = segmentHeader(ctx.random, segNo, e.subarray(E_TAG, E_TAG + 16));
      const key = segmentKey(ctx.crypto, ctx.masterKey, ctx.storeId, s.key, createdSeq, header);
      return { path, dir, segNo, header, base: 0, found: 0, key, frames: [] };
    }
    const file = ctx.card.readFile(path);
    if (file === null || file.length < committed || !isSegmentOf(file, segNo)) {
      throw new StoreError(
        'damaged',
        item + ': segment ' + segNo + ' is ' + (file === null ? 'missing' : 'shorter than committed or not a segment') +
          '; truncate the log to its end to start a new segment',
        item,
      );
    }
    const key = segmentKey(ctx.crypto, ctx.masterKey, ctx.storeId, s.key, createdSeq, file);
    return { path, dir, segNo, header: null, base: committed, found: file.length, key, frames: [] };
  }

  /** Writes (when `write`) or drops the entries planned for the staged log's segment. */
  private flushSegment(s: Staged, write: boolean): void {
    const w = s.seg;
    if (w === null) return;
    s.seg = null;
    try {
      if (write && w.frames.length > 0) {
        const card = this.ctx.card;
        if (w.header !== null) {
          card.makeDir(w.dir);
          // Atomic: a leftover file under this name (an uncommitted earlier attempt) is replaced whole.
          card.writeFileAtomic(w.path, concatBytes([w.header].concat(w.frames)));
        } else {
          if (w.found > w.base) card.truncateFile(w.path, w.base); // leftovers of an uncommitted attempt
          card.appendFile(w.path, w.frames.length === 1 ? w.frames[0] : concatBytes(w.frames));
        }
      }
    } finally {
      wipe(w.key);
    }
  }
}
