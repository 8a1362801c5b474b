/**
 * Log segments: the files behind an append-only log (message history, outbox).
 *
 * A log's positions are split into segments of `perSegment` entries (fixed when the log is
 * created, 1..255): position p lives in segment floor(p / perSegment), which keeps every file
 * small enough to read whole (hal Storage has no ranged reads) and lets old history be dropped
 * a file at a time. Entries are appended in place (appendFile), before the journal commit that
 * makes them reachable; a power cut leaves bytes past the committed length, which the next
 * append cuts off first.
 *
 * File `<root>/l/<name>/<segment number as 8 hex digits>` (names.ts), big-endian:
 * Header (SEGMENT_HEADER_SIZE = 56):
 *   0   4  magic "SGL1"
 *   4   4  segment number
 *   8   32 salt (random per segment file)
 *   40  16 prevTag: tag of the entry just before this segment's first one (zeros if none)
 * Entry frame (one per position, in order):
 *   0   4  length L of the rest of the frame = 28 + entry length
 *   4   12 nonce (random)
 *   16  16 GCM tag
 *   32  .. ciphertext
 * key = HKDF-SHA-512(salt, masterKey, "SimpleGo store v1 log" ‖ storeId ‖ type ‖ idLen ‖
 *       id(32, zero-padded) ‖ createdSeq(4) ‖ segment number(4), 32)
 * associated data = position(4) ‖ prevTag(16), where prevTag is the tag of the previous entry
 * (the previous frame, or the header's prevTag for a segment's first entry).
 *
 * What this buys: the key ties a segment to one log, one incarnation of it (a log deleted and
 * created again gets a new createdSeq) and one segment number; the position in the associated
 * data stops frames from moving; the tag chain pins each entry to the one before, and the
 * store's index pins the newest entry's tag. So an entry cannot be swapped, reordered, dropped
 * or replaced by a stale copy (for instance a frame a power cut left uncommitted) unnoticed.
 * Nonces are random: a position can be written twice (after a torn append), never with one IV.
 */
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import { concatBytes } from '../encoding/bytes';
import { ascii, hasMagic, readU32, writeU32 } from './bytes';

export const SEGMENT_HEADER_SIZE = 56;
export const ENTRY_OVERHEAD = 32;
export const MAX_ENTRY_BYTES = 65536;
const MAGIC = ascii('SGL1');
const LABEL = ascii('SimpleGo store v1 log');

export function segmentHeader(random: Random, segNo: number, prevTag: Uint8Array): Uint8Array {
  const h = new Uint8Array(SEGMENT_HEADER_SIZE);
  h.set(MAGIC, 0);
  writeU32(h, 4, segNo);
  h.set(random.bytes(32), 8);
  h.set(prevTag, 40);
  return h;
}

/** The key of the segment whose header is `header` (first 56 bytes of the file). */
export function segmentKey(
  crypto: Crypto,
  masterKey: Uint8Array,
  storeId: Uint8Array,
  key34: Uint8Array,
  createdSeq: number,
  header: Uint8Array,
): Uint8Array {
  const tail = new Uint8Array(8);
  writeU32(tail, 0, createdSeq);
  writeU32(tail, 4, readU32(header, 4));
  return crypto.hkdfSha512(header.subarray(8, 40), masterKey, concatBytes([LABEL, storeId, key34, tail]), 32);
}

function aad(position: number, prevTag: Uint8Array): Uint8Array {
  const a = new Uint8Array(20);
  writeU32(a, 0, position);
  a.set(prevTag, 4);
  return a;
}

/** One entry frame. */
export function sealEntry(crypto: Crypto, random: Random, key: Uint8Array, position: number, prevTag: Uint8Array, entry: Uint8Array): Uint8Array {
  const nonce = random.bytes(12);
  const sealed = crypto.aes256GcmEncrypt(key, nonce, entry, aad(position, prevTag));
  const frame = new Uint8Array(16 + sealed.length);
  writeU32(frame, 0, 28 + entry.length);
  frame.set(nonce, 4);
  frame.set(sealed, 16);
  return frame;
}

/** Tag of the frame at `offset` (a view). */
export function entryTag(file: Uint8Array, offset: number): Uint8Array {
  return file.subarray(offset + 16, offset + 32);
}

/** True when the file starts with a segment header for `segNo`. */
export function isSegmentOf(file: Uint8Array, segNo: number): boolean {
  return file.length >= SEGMENT_HEADER_SIZE && hasMagic(file, 0, MAGIC) && readU32(file, 4) === segNo;
}

/**
 * Offsets of the complete frames in a segment, at most `limit` of them. Stops quietly at an
 * incomplete or impossible frame: bytes past the committed length are expected after a power
 * cut, and whether the frames the caller needs are present is the caller's check.
 */
export function frameOffsets(file: Uint8Array, limit: number): number[] {
  const out: number[] = [];
  let pos = SEGMENT_HEADER_SIZE;
  while (out.length < limit && pos + ENTRY_OVERHEAD <= file.length) {
    const len = readU32(file, pos);
    if (len < 28 || len > 28 + MAX_ENTRY_BYTES || pos + 4 + len > file.length) break;
    out.push(pos);
    pos += 4 + len;
  }
  return out;
}

/** The end of the frame at `offset`. */
export function frameEnd(file: Uint8Array, offset: number): number {
  return offset + 4 + readU32(file, offset);
}

/** The entry at `offset`, or null when it does not authenticate as `position` after `prevTag`. */
export function openEntry(
  crypto: Crypto,
  key: Uint8Array,
  file: Uint8Array,
  offset: number,
  position: number,
  prevTag: Uint8Array,
): Uint8Array | null {
  const end = frameEnd(file, offset);
  return crypto.aes256GcmDecrypt(key, file.subarray(offset + 4, offset + 16), file.subarray(offset + 16, end), aad(position, prevTag));
}
