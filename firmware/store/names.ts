/**
 * Where things live on the card. Everything is under one root directory (default "sg"):
 *   <root>/keyring              keyring.ts
 *   <root>/tries                keyring.ts (wrong-PIN counter)
 *   <root>/journal              journal.ts
 *   <root>/r/<c>/<name>.<slot>  a record's file (sealed-file.ts); <c> is the name's first hex
 *                               digit (16 buckets keep FAT directories short), slot 0 or 1
 *   <root>/l/<name>/<segment>   a log segment (log-segment.ts), segment number in 8 hex digits
 *
 * <name> is 20 hex digits of HMAC-SHA-256(nameKey, type ‖ idLen ‖ id(32, zero-padded) ‖ n(4)),
 * with nameKey = HKDF-SHA-512(empty, masterKey, "SimpleGo store v1 names" ‖ storeId, 32) and
 * n = 0 for records, the log's createdSeq for logs (each incarnation of a log gets a fresh
 * directory, so re-creating a log never overwrites files the committed one still uses).
 * Names reveal neither the type nor the id; what a card still shows is the number and size of
 * files and when they changed (file system metadata the store cannot hide).
 */
import type { Crypto } from '../../hal/crypto';
import { concatBytes, toHex } from '../encoding/bytes';
import { ascii, hex8, writeU32 } from './bytes';

const LABEL = ascii('SimpleGo store v1 names');
export const BUCKETS = '0123456789abcdef';

export function deriveNameKey(crypto: Crypto, masterKey: Uint8Array, storeId: Uint8Array): Uint8Array {
  return crypto.hkdfSha512(new Uint8Array(0), masterKey, concatBytes([LABEL, storeId]), 32);
}

export function fileName(crypto: Crypto, nameKey: Uint8Array, key34: Uint8Array, n: number): string {
  const input = new Uint8Array(38);
  input.set(key34, 0);
  writeU32(input, 34, n);
  return toHex(crypto.hmacSha256(nameKey, input).subarray(0, 10));
}

export class CardPaths {
  readonly root: string;
  readonly keyring: string;
  readonly tries: string;
  readonly journal: string;
  readonly records: string;
  readonly logs: string;

  constructor(root: string) {
    this.root = root;
    this.keyring = root + '/keyring';
    this.tries = root + '/tries';
    this.journal = root + '/journal';
    this.records = root + '/r';
    this.logs = root + '/l';
  }

  bucket(name: string): string {
    return this.records + '/' + name.charAt(0);
  }

  record(name: string, slot: number): string {
    return this.bucket(name) + '/' + name + '.' + slot;
  }

  logDir(name: string): string {
    return this.logs + '/' + name;
  }

  segment(name: string, segNo: number): string {
    return this.logDir(name) + '/' + hex8(segNo);
  }
}

/** The segment number of a file name in a log directory, or -1 when it is not one of ours. */
export function segmentNumberOf(fileName: string): number {
  if (fileName.length !== 8) return -1;
  let n = 0;
  for (let i = 0; i < 8; i++) {
    const d = BUCKETS.indexOf(fileName.charAt(i));
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}
