/**
 * The journal: an append-only file of authenticated frames, the store's single commit point.
 *
 * A commit is one frame appended (and synced) to `<root>/journal`; before that nothing the commit
 * wrote is reachable, after it everything is. A power cut during the append leaves a torn tail,
 * which recovery cuts off. The first frame of a journal is a snapshot of the whole index; when the
 * commit frames after it grow past a limit, the store writes a new journal holding one fresh
 * snapshot (hal Storage writeFileAtomic: the old journal stays intact until the switch).
 *
 * Header (JOURNAL_HEADER_SIZE = 56 bytes, big-endian):
 *   0   4  magic "SGJ1"
 *   4   16 storeId (must equal the keyring's)
 *   20  32 salt (random per journal file)
 *   52  4  reserved = 0
 * Frame:
 *   0   4  length L of the rest of the frame (33 + ciphertext length)
 *   4   4  seq: +1 per frame, snapshots included (a new journal's snapshot takes the old tip + 1)
 *   8   1  kind: 1 snapshot (only as the first frame), 2 commit
 *   9   12 nonce (random)
 *   21  16 GCM tag
 *   37  .. ciphertext of: prevTag(16) ‖ body
 * key = HKDF-SHA-512(salt, masterKey, "SimpleGo store v1 journal" ‖ storeId, 32); associated
 * data = frame bytes 4..9 (seq, kind). prevTag is the tag of the previous frame (for a snapshot:
 * of the last frame of the journal it replaced, zeros for a new store), so the frames form a
 * chain of tags: a frame cannot be dropped, reordered or swapped for another without the next one
 * noticing (the newest frame is pinned only by the anchor, anchor.ts). The chain is inside the ciphertext, not in the associated data, so every frame can
 * be authenticated on its own; that is what lets recovery tell a torn tail from damage below.
 *
 * Body of a snapshot: the index entries (index-table.ts), n x 68 bytes.
 * Body of a commit: operations, n x 69 bytes: op(1) ‖ entry(68), applied in order:
 *   1 SET_RECORD     entry   insert/replace; afterwards delete the record's other slot file
 *   2 DELETE_RECORD  entry   remove (entry = the removed one); afterwards delete both slot files
 *   3 SET_LOG        entry   insert/replace
 *   4 DELETE_LOG     entry   remove (entry = the removed one); afterwards delete its segments
 *   5 SET_LOG_SWEEP  entry   as SET_LOG; afterwards delete segments outside the live range
 * The "afterwards" cleanups run after the frame is durable and again at the next unlock for
 * the last frame (they are idempotent), so superseded versions do not linger on the card (a
 * record's old ratchet state, for one, is worth deleting: forward secrecy).
 *
 * Torn tail or damage: a frame that fails to parse or authenticate is a torn tail when no valid
 * frame follows it (a power cut tears only the last append, and a torn prefix can never
 * authenticate). If a later frame does authenticate, the unreadable one is damage in the middle:
 * reported, never silently dropped. An authentic frame that does not continue the chain (replayed,
 * reordered) is damage too: no power cut can produce one.
 */
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { concatBytes, equalBytes } from '../encoding/bytes';
import { ascii, hasMagic, readU32, writeU32 } from './bytes';
import { StoreError } from './errors';
import { ENTRY_SIZE } from './index-table';

export const JOURNAL_HEADER_SIZE = 56;
export const FRAME_OVERHEAD = 37;
export const KIND_SNAPSHOT = 1;
export const KIND_COMMIT = 2;
export const OP_SIZE = 1 + ENTRY_SIZE;
export const OP_SET_RECORD = 1;
export const OP_DELETE_RECORD = 2;
export const OP_SET_LOG = 3;
export const OP_DELETE_LOG = 4;
export const OP_SET_LOG_SWEEP = 5;

/** Frames larger than this are garbage (a full index of 60,000 entries still fits). */
const MAX_FRAME = 4 * 1024 * 1024;
/** How far past the last good seq a later frame may plausibly be, when looking for one. */
const SEQ_WINDOW = 1000000;
const MAGIC = ascii('SGJ1');
const LABEL = ascii('SimpleGo store v1 journal');

export function newJournalHeader(random: Random, storeId: Uint8Array): Uint8Array {
  const h = new Uint8Array(JOURNAL_HEADER_SIZE);
  h.set(MAGIC, 0);
  h.set(storeId, 4);
  h.set(random.bytes(32), 20);
  return h;
}

/** The journal key for a journal file whose header is `file[0..56]`; checks the header. */
export function journalKey(crypto: Crypto, masterKey: Uint8Array, storeId: Uint8Array, file: Uint8Array): Uint8Array {
  if (file.length < JOURNAL_HEADER_SIZE || !hasMagic(file, 0, MAGIC)) {
    throw new StoreError('damaged', 'the journal file has no valid header', 'journal');
  }
  if (!equalBytes(file.subarray(4, 20), storeId)) {
    throw new StoreError('damaged', 'the journal belongs to another store', 'journal');
  }
  if (readU32(file, 52) !== 0) throw new StoreError('unsupported', 'the journal header uses fields this firmware does not know', 'journal');
  return crypto.hkdfSha512(file.subarray(20, 52), masterKey, concatBytes([LABEL, storeId]), 32);
}

/** One sealed frame. `body` is copied once, behind prevTag, into the plaintext. */
export function sealFrame(
  crypto: Crypto,
  random: Random,
  key: Uint8Array,
  seq: number,
  kind: number,
  prevTag: Uint8Array,
  body: Uint8Array,
): Uint8Array {
  const plaintext = new Uint8Array(16 + body.length);
  plaintext.set(prevTag, 0);
  plaintext.set(body, 16);
  const head = new Uint8Array(21);
  writeU32(head, 0, 33 + plaintext.length);
  writeU32(head, 4, seq);
  head[8] = kind;
  head.set(random.bytes(12), 9);
  const sealed = crypto.aes256GcmEncrypt(key, head.subarray(9, 21), plaintext, head.subarray(4, 9));
  plaintext.fill(0); // index entries are metadata worth keeping off the heap
  const frame = new Uint8Array(21 + sealed.length);
  frame.set(head, 0);
  frame.set(sealed, 21);
  return frame;
}

/** The tag of a frame built by sealFrame (a view). */
export function frameTag(frame: Uint8Array): Uint8Array {
  return frame.subarray(21, 37);
}

export interface Frame {
  seq: number;
  kind: number;
  /** Tag of this frame (a view into the file). */
  tag: Uint8Array;
  /** prevTag ‖ body, decrypted; the visitor may keep or wipe it. */
  plaintext: Uint8Array;
  start: number;
  end: number;
}

export interface JournalScan {
  /** Offset where the valid frames end (the file size when nothing is torn or damaged). */
  validEnd: number;
  /** End of the snapshot frame. */
  snapshotEnd: number;
  lastSeq: number;
  lastTag: Uint8Array;
  /** seq and prevTag of the snapshot: where this journal joins the history before it. */
  baseSeq: number;
  basePrevTag: Uint8Array;
  /** Set when an unreadable frame is followed by valid ones, or the chain is broken. */
  damage: string | null;
}

/** Decrypts the frame at `pos`, or returns null when it is incomplete, malformed or forged. */
function openFrame(crypto: Crypto, key: Uint8Array, file: Uint8Array, pos: number): Frame | null {
  if (pos + FRAME_OVERHEAD > file.length) return null;
  const len = readU32(file, pos);
  const end = pos + 4 + len;
  const kind = file[pos + 8];
  // The smallest frame carries just prevTag: 33 bytes of fields and 16 of ciphertext.
  if (len < 33 + 16 || len > MAX_FRAME || end > file.length) return null;
  if (kind !== KIND_SNAPSHOT && kind !== KIND_COMMIT) return null;
  const plaintext = crypto.aes256GcmDecrypt(key, file.subarray(pos + 9, pos + 21), file.subarray(pos + 21, end), file.subarray(pos + 4, pos + 9));
  if (plaintext === null) return null;
  return { seq: readU32(file, pos + 4), kind, tag: file.subarray(pos + 21, pos + 37), plaintext, start: pos, end };
}

/**
 * Looks for any authentic frame starting after `from` with a seq above `lastSeq`. Only runs
 * when a frame failed; after a real torn append the region is at most one frame long.
 */
function laterFrameExists(crypto: Crypto, key: Uint8Array, file: Uint8Array, from: number, lastSeq: number): boolean {
  for (let p = from; p + FRAME_OVERHEAD + 16 <= file.length; p++) {
    const seq = readU32(file, p + 4);
    if (seq <= lastSeq || seq > lastSeq + SEQ_WINDOW || file[p + 8] !== KIND_COMMIT) continue;
    const f = openFrame(crypto, key, file, p);
    if (f !== null) {
      f.plaintext.fill(0);
      return true;
    }
  }
  return false;
}

/**
 * Walks the journal, handing each valid frame to `visit` in order. Stops at a torn tail or at
 * damage (see JournalScan.damage); a damaged or missing snapshot throws 'damaged', since then
 * nothing is known at all.
 */
export function scanJournal(crypto: Crypto, key: Uint8Array, file: Uint8Array, visit: (f: Frame) => void): JournalScan {
  const first = openFrame(crypto, key, file, JOURNAL_HEADER_SIZE);
  if (first === null || first.kind !== KIND_SNAPSHOT) {
    throw new StoreError('damaged', 'the journal snapshot is unreadable: the store index is lost', 'journal');
  }
  const scan: JournalScan = {
    validEnd: first.end,
    snapshotEnd: first.end,
    lastSeq: first.seq,
    lastTag: first.tag,
    baseSeq: first.seq,
    basePrevTag: new Uint8Array(first.plaintext.subarray(0, 16)),
    damage: null,
  };
  visit(first);
  let pos = first.end;
  while (pos < file.length) {
    const f = openFrame(crypto, key, file, pos);
    if (f === null) {
      if (laterFrameExists(crypto, key, file, pos + 1, scan.lastSeq)) {
        scan.damage = 'journal frame ' + (scan.lastSeq + 1) + ' is unreadable but later frames are intact';
      }
      break;
    }
    if (f.kind !== KIND_COMMIT || f.seq !== scan.lastSeq + 1 || !equalBytes(f.plaintext.subarray(0, 16), scan.lastTag)) {
      f.plaintext.fill(0);
      scan.damage = 'journal frame ' + f.seq + ' does not continue the chain after frame ' + scan.lastSeq;
      break;
    }
    visit(f);
    scan.lastSeq = f.seq;
    scan.lastTag = f.tag;
    scan.validEnd = f.end;
    pos = f.end;
  }
  return scan;
}
