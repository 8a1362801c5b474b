import { KEY_SIZES } from '../../hal/crypto';
import { Decoder, Encoder } from '../encoding/binary';
import { copyBytes, equalBytes, wipe } from '../encoding/bytes';
import { DecodeError } from '../encoding/errors';
import { RatchetError } from './errors';
import { E2E_VERSION_MAX, E2E_VERSION_MIN } from './ratchet-header';

/**
 * The double ratchet's state, and SimpleGo's own binary format for it.
 *
 * The fields follow simplexmq's `Ratchet` record (Crypto/Ratchet.hs) with two differences:
 * - the accepted-KEM part keeps only the ciphertext it must repeat in headers; simplexmq also keeps
 *   the peer's key and the shared secret, which nothing reads after the ratchet step that used them,
 *   so here they are wiped instead of stored;
 * - the skipped message keys live in the state (simplexmq keeps them in a separate table), bounded
 *   by MAX_SKIPPED_KEYS in total.
 *
 * The format is not a protocol encoding: it is what the storage layer encrypts and writes. It is
 * versioned, exact (serialize → deserialize → serialize gives the same bytes) and strict: anything
 * truncated, malformed or inconsistent is refused with RatchetError('bad-state'), an unknown
 * format version with RatchetError('version').
 */

/** The most skipped message keys kept across all chains; the oldest are dropped beyond it. */
export const MAX_SKIPPED_KEYS = 1024;

/** A skipped message key record: message key (32) ‖ message IV (16). */
export const SKIPPED_KEY_LENGTH = 48;

/** Message keys skipped in one receiving chain, found by the chain's header key. */
export interface SkippedChain {
  /** The receiving header key of that chain (owned by this record). */
  readonly hk: Uint8Array;
  /** Message number (decimal) → message key ‖ IV. */
  readonly keys: { [n: string]: Uint8Array };
  /** Number of entries in `keys`. */
  count: number;
}

/**
 * One flat record. A sending chain exists when `cks` is set (then `hks` and `dhRemote` are too);
 * a receiving chain when `ckr` is set (then `hkr` is too).
 */
export interface RatchetState {
  /** The e2e version we send in (decides header formats); upgraded by the peer's headers. */
  versionCurrent: number;
  /** The maximum version we announce in headers. */
  versionMax: number;
  /** Associated data: raw(joiner key1) ‖ raw(initiator key1), 112 bytes. */
  ad: Uint8Array;
  /** DHRs: our current ratchet key pair (X448). */
  dhPrivate: Uint8Array;
  dhPublic: Uint8Array;
  /** PQRs: our current KEM key pair, or null when we have none. */
  kemPublic: Uint8Array | null;
  kemSecret: Uint8Array | null;
  /** PQRct: the ciphertext we made for the peer's key at our last ratchet step (null: we only propose). */
  kemCiphertext: Uint8Array | null;
  /** rcSupportKEM: large headers; once on it stays on. */
  supportKem: boolean;
  /** rcEnableKEM: use the KEM at the next ratchet step. */
  enableKem: boolean;
  /** rcSndKEM / rcRcvKEM: whether the current chains were made with a KEM secret. */
  sndKem: boolean;
  rcvKem: boolean;
  rootKey: Uint8Array;
  /** DHRr: the peer's current ratchet public key. */
  dhRemote: Uint8Array | null;
  cks: Uint8Array | null;
  hks: Uint8Array | null;
  ckr: Uint8Array | null;
  hkr: Uint8Array | null;
  ns: number;
  nr: number;
  pn: number;
  nhks: Uint8Array;
  nhkr: Uint8Array;
  /** A KEM pair the owner generated ahead of time for our next ratchet step. */
  nextKemPublic: Uint8Array | null;
  nextKemSecret: Uint8Array | null;
  /** Oldest first. */
  skipped: SkippedChain[];
  /** Total entries over all chains. */
  skippedCount: number;
}

/** A shallow copy: the byte arrays and the skipped chains are shared, never mutated through it. */
export function cloneState(s: RatchetState): RatchetState {
  return {
    versionCurrent: s.versionCurrent,
    versionMax: s.versionMax,
    ad: s.ad,
    dhPrivate: s.dhPrivate,
    dhPublic: s.dhPublic,
    kemPublic: s.kemPublic,
    kemSecret: s.kemSecret,
    kemCiphertext: s.kemCiphertext,
    supportKem: s.supportKem,
    enableKem: s.enableKem,
    sndKem: s.sndKem,
    rcvKem: s.rcvKem,
    rootKey: s.rootKey,
    dhRemote: s.dhRemote,
    cks: s.cks,
    hks: s.hks,
    ckr: s.ckr,
    hkr: s.hkr,
    ns: s.ns,
    nr: s.nr,
    pn: s.pn,
    nhks: s.nhks,
    nhkr: s.nhkr,
    nextKemPublic: s.nextKemPublic,
    nextKemSecret: s.nextKemSecret,
    skipped: s.skipped,
    skippedCount: s.skippedCount,
  };
}

/** Every secret array of the state except the skipped keys. */
function secretsOf(s: RatchetState): Array<Uint8Array | null> {
  return [s.dhPrivate, s.kemSecret, s.rootKey, s.cks, s.hks, s.ckr, s.hkr, s.nhks, s.nhkr, s.nextKemSecret];
}

/**
 * Wipes the secrets of `from` that `keep` does not hold (by identity): after a commit, the keys
 * the new state replaced; after a failure, the keys the abandoned draft derived.
 */
export function wipeSecretsNotIn(from: RatchetState, keep: RatchetState): void {
  const a = secretsOf(from);
  const b = secretsOf(keep);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x !== null && b.indexOf(x) < 0) wipe(x);
  }
}

/** Wipes everything secret in the state, skipped keys included. */
export function wipeState(s: RatchetState): void {
  const a = secretsOf(s);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x !== null) wipe(x);
  }
  for (let c = 0; c < s.skipped.length; c++) wipeChain(s.skipped[c]);
  s.skipped = [];
  s.skippedCount = 0;
}

export function wipeChain(chain: SkippedChain): void {
  wipe(chain.hk);
  const names = Object.keys(chain.keys);
  for (let i = 0; i < names.length; i++) wipe(chain.keys[names[i]]);
}

/** Keys just derived for skipped messages n = firstN, firstN + 1, … of the chain with header key hk. */
export interface SkippedBatch {
  readonly hk: Uint8Array;
  readonly firstN: number;
  readonly keys: Uint8Array[];
}

/** Adds skipped keys to the state, then drops the oldest beyond MAX_SKIPPED_KEYS. */
export function addSkipped(s: RatchetState, batch: SkippedBatch): void {
  let chain: SkippedChain | null = null;
  for (let i = 0; i < s.skipped.length; i++) {
    if (equalBytes(s.skipped[i].hk, batch.hk)) {
      chain = s.skipped[i];
      break;
    }
  }
  if (chain === null) {
    chain = { hk: copyBytes(batch.hk), keys: {}, count: 0 };
    s.skipped.push(chain);
  }
  for (let i = 0; i < batch.keys.length; i++) {
    const name = String(batch.firstN + i);
    const old = chain.keys[name];
    if (old !== undefined) {
      // Cannot happen (a chain's numbers only grow), but never leak a key if it did.
      wipe(old);
      chain.count--;
      s.skippedCount--;
    }
    chain.keys[name] = batch.keys[i];
    chain.count++;
    s.skippedCount++;
  }
  while (s.skippedCount > MAX_SKIPPED_KEYS) evictOldest(s, s.skippedCount - MAX_SKIPPED_KEYS);
}

/**
 * Drops up to `excess` keys from the oldest chain, lowest numbers first. Signal's advice is to
 * bound what a peer can make us store; simplexmq bounds only each step (MAX_SKIP), which a device
 * cannot afford over a long conversation.
 */
function evictOldest(s: RatchetState, excess: number): void {
  const chain = s.skipped[0];
  if (chain.count <= excess) {
    s.skipped.splice(0, 1);
    s.skippedCount -= chain.count;
    wipeChain(chain);
    return;
  }
  const ns = sortedNumbers(chain);
  for (let i = 0; i < excess; i++) removeSkipped(s, chain, ns[i]);
}

/** Removes (and wipes) one skipped key; drops the chain when it empties. */
export function removeSkipped(s: RatchetState, chain: SkippedChain, n: number): void {
  const name = String(n);
  const key = chain.keys[name];
  if (key === undefined) return;
  wipe(key);
  delete chain.keys[name];
  chain.count--;
  s.skippedCount--;
  if (chain.count === 0) {
    const i = s.skipped.indexOf(chain);
    if (i >= 0) s.skipped.splice(i, 1);
    wipe(chain.hk);
  }
}

function sortedNumbers(chain: SkippedChain): number[] {
  const names = Object.keys(chain.keys);
  const ns: number[] = [];
  for (let i = 0; i < names.length; i++) ns.push(Number(names[i]));
  ns.sort(function (a: number, b: number): number {
    return a - b;
  });
  return ns;
}

// ---------------------------------------------------------------------------------------------
// Serialization

/** 'R' then the format number: a stored blob says what it is before anything else is read. */
const STATE_MAGIC = 0x52;
/** Version 1 of this format. */
export const STATE_FORMAT = 1;

const X448 = KEY_SIZES.x448;
const KEY = 32;
const AD_LENGTH = 2 * KEY_SIZES.x448;

/** The state in SimpleGo's format, version 1 (see the layout in `readState`). */
export function serializeState(s: RatchetState): Uint8Array {
  const e = new Encoder(1024 + s.skippedCount * (4 + SKIPPED_KEY_LENGTH) + (s.kemSecret !== null ? 4000 : 0));
  e.u8(STATE_MAGIC).u8(STATE_FORMAT);
  e.version(s.versionCurrent).version(s.versionMax);
  e.raw(s.ad).raw(s.dhPrivate).raw(s.dhPublic);
  e.bool(s.supportKem).bool(s.enableKem).bool(s.sndKem).bool(s.rcvKem);
  if (present(e, s.kemPublic !== null && s.kemSecret !== null)) {
    e.raw(s.kemPublic as Uint8Array).raw(s.kemSecret as Uint8Array);
    if (present(e, s.kemCiphertext !== null)) e.raw(s.kemCiphertext as Uint8Array);
  }
  e.raw(s.rootKey);
  if (present(e, s.cks !== null)) e.raw(s.dhRemote as Uint8Array).raw(s.cks as Uint8Array).raw(s.hks as Uint8Array);
  if (present(e, s.ckr !== null)) e.raw(s.ckr as Uint8Array).raw(s.hkr as Uint8Array);
  e.word32(s.ns).word32(s.nr).word32(s.pn);
  e.raw(s.nhks).raw(s.nhkr);
  if (present(e, s.nextKemPublic !== null && s.nextKemSecret !== null)) {
    e.raw(s.nextKemPublic as Uint8Array).raw(s.nextKemSecret as Uint8Array);
  }
  e.word16(s.skipped.length);
  for (let c = 0; c < s.skipped.length; c++) {
    const chain = s.skipped[c];
    const ns = sortedNumbers(chain);
    e.raw(chain.hk).word16(ns.length);
    for (let i = 0; i < ns.length; i++) e.word32(ns[i]).raw(chain.keys[String(ns[i])]);
  }
  return e.finish();
}

/** Reads a stored state; every byte array in the result is a copy. */
export function deserializeState(bytes: Uint8Array): RatchetState {
  if (bytes.length >= 2 && bytes[0] === STATE_MAGIC && bytes[1] !== STATE_FORMAT) {
    throw new RatchetError('version', 'stored ratchet state has format ' + bytes[1] + '; this build reads format ' + STATE_FORMAT);
  }
  const d = new Decoder(bytes);
  let s: RatchetState;
  try {
    s = readState(d);
    d.end();
  } catch (e) {
    if (e instanceof DecodeError) throw new RatchetError('bad-state', 'stored ratchet state is unreadable: ' + e.message);
    throw e;
  }
  return s;
}

/**
 * Layout, version 1 (fixed sizes are raw, without length prefixes):
 *   'R' 01 ‖ BE16 current ‖ BE16 max ‖ ad(112) ‖ DHRs private(56) ‖ public(56)
 *   ‖ Bool supportKem, enableKem, sndKem, rcvKem
 *   ‖ Maybe (PQRs public(1158) ‖ secret(1763) ‖ Maybe ct(1039))
 *   ‖ RK(32) ‖ Maybe (DHRr(56) ‖ CKs(32) ‖ HKs(32)) ‖ Maybe (CKr(32) ‖ HKr(32))
 *   ‖ BE32 Ns ‖ BE32 Nr ‖ BE32 PN ‖ NHKs(32) ‖ NHKr(32)
 *   ‖ Maybe (next KEM public(1158) ‖ secret(1763))
 *   ‖ BE16 chains ‖ per chain: HK(32) ‖ BE16 count ‖ count × (BE32 n ‖ mk(32) ‖ iv(16)), n ascending
 */
function readState(d: Decoder): RatchetState {
  if (d.u8() !== STATE_MAGIC) throw new DecodeError('invalid-value', 'not a ratchet state (bad magic byte)');
  d.u8(); // the format, checked by the caller
  const versionCurrent = d.version();
  const versionMax = d.version();
  if (!(E2E_VERSION_MIN <= versionCurrent && versionCurrent <= versionMax && versionMax <= E2E_VERSION_MAX)) {
    throw new DecodeError('invalid-value', 'e2e versions ' + versionCurrent + '/' + versionMax + ' are outside ' + E2E_VERSION_MIN + '..' + E2E_VERSION_MAX);
  }
  const ad = copy(d, AD_LENGTH);
  const dhPrivate = copy(d, X448);
  const dhPublic = copy(d, X448);
  const supportKem = d.bool();
  const enableKem = d.bool();
  const sndKem = d.bool();
  const rcvKem = d.bool();
  let kemPublic: Uint8Array | null = null;
  let kemSecret: Uint8Array | null = null;
  let kemCiphertext: Uint8Array | null = null;
  if (isPresent(d)) {
    kemPublic = copy(d, KEY_SIZES.sntrup761Public);
    kemSecret = copy(d, KEY_SIZES.sntrup761Secret);
    if (isPresent(d)) kemCiphertext = copy(d, KEY_SIZES.sntrup761Ciphertext);
  }
  const rootKey = copy(d, KEY);
  let dhRemote: Uint8Array | null = null;
  let cks: Uint8Array | null = null;
  let hks: Uint8Array | null = null;
  if (isPresent(d)) {
    dhRemote = copy(d, X448);
    cks = copy(d, KEY);
    hks = copy(d, KEY);
  }
  let ckr: Uint8Array | null = null;
  let hkr: Uint8Array | null = null;
  if (isPresent(d)) {
    ckr = copy(d, KEY);
    hkr = copy(d, KEY);
  }
  const ns = d.word32();
  const nr = d.word32();
  const pn = d.word32();
  const nhks = copy(d, KEY);
  const nhkr = copy(d, KEY);
  let nextKemPublic: Uint8Array | null = null;
  let nextKemSecret: Uint8Array | null = null;
  if (isPresent(d)) {
    nextKemPublic = copy(d, KEY_SIZES.sntrup761Public);
    nextKemSecret = copy(d, KEY_SIZES.sntrup761Secret);
  }
  const skipped: SkippedChain[] = [];
  let skippedCount = 0;
  const chains = d.word16();
  for (let c = 0; c < chains; c++) {
    const at = d.offset;
    const hk = copy(d, KEY);
    for (let j = 0; j < skipped.length; j++) {
      if (equalBytes(skipped[j].hk, hk)) throw new DecodeError('invalid-value', 'skipped-key chain at byte ' + at + ' repeats a header key');
    }
    const count = d.word16();
    if (count === 0) throw new DecodeError('invalid-value', 'skipped-key chain at byte ' + at + ' is empty');
    skippedCount += count;
    if (skippedCount > MAX_SKIPPED_KEYS) {
      throw new DecodeError('invalid-value', 'more than ' + MAX_SKIPPED_KEYS + ' skipped message keys');
    }
    const chain: SkippedChain = { hk: hk, keys: {}, count: count };
    let prev = -1;
    for (let i = 0; i < count; i++) {
      const n = d.word32();
      if (n <= prev) throw new DecodeError('invalid-value', 'skipped message numbers at byte ' + at + ' are not ascending');
      prev = n;
      chain.keys[String(n)] = copy(d, SKIPPED_KEY_LENGTH);
    }
    skipped.push(chain);
  }
  return {
    versionCurrent: versionCurrent,
    versionMax: versionMax,
    ad: ad,
    dhPrivate: dhPrivate,
    dhPublic: dhPublic,
    kemPublic: kemPublic,
    kemSecret: kemSecret,
    kemCiphertext: kemCiphertext,
    supportKem: supportKem,
    enableKem: enableKem,
    sndKem: sndKem,
    rcvKem: rcvKem,
    rootKey: rootKey,
    dhRemote: dhRemote,
    cks: cks,
    hks: hks,
    ckr: ckr,
    hkr: hkr,
    ns: ns,
    nr: nr,
    pn: pn,
    nhks: nhks,
    nhkr: nhkr,
    nextKemPublic: nextKemPublic,
    nextKemSecret: nextKemSecret,
    skipped: skipped,
    skippedCount: skippedCount,
  };
}

/** A `Maybe` tag ('1' present, '0' absent) followed by fields written inline by the caller. */
function present(e: Encoder, isThere: boolean): boolean {
  e.u8(isThere ? 0x31 : 0x30);
  return isThere;
}

function isPresent(d: Decoder): boolean {
  const at = d.offset;
  const tag = d.u8();
  if (tag === 0x31) return true;
  if (tag === 0x30) return false;
  throw new DecodeError('invalid-value', "Maybe tag at byte " + at + " is neither '0' nor '1'");
}

function copy(d: Decoder, n: number): Uint8Array {
  return copyBytes(d.raw(n));
}
