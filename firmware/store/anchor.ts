/**
 * The optional anchor in the device's internal flash (a second hal Storage). The card can be
 * copied, edited and put back while the device is off; internal flash is much harder to reach
 * (the chip has to be read and rewritten with a programmer). Three small files, flat names
 * (Espruino's Storage has no directories and 28-character names):
 *
 *   sgsec (68 bytes)  "SGS1" ‖ storeId(16) ‖ deviceSecret(32) ‖ SHA-256(bytes 0..52)[0..16]: the
 *                     secret enters the PIN key derivation of a device-bound store (keyring.ts),
 *                     so the card alone cannot be brute-forced. Written once, at create. The
 *                     checksum matters: a flipped bit here would otherwise make every right PIN
 *                     look wrong, count towards the wipe, and erase the store.
 *   sgtry (8 bytes)   the wrong-PIN counter, same format as <root>/tries (keyring.ts).
 *   sgseq (72 bytes)  sealed file (sealed-file.ts: magic "SGA1", label "SimpleGo store v1 anchor",
 *                     context storeId) with seq = the newest journal frame known durable and
 *                     payload = that frame's tag (16 bytes). Rewritten after every commit.
 *
 * What sgseq detects: at unlock the card's journal must reach the anchored frame, with the same
 * tag. A card replaced by an older copy (whole-card rollback) or a journal cut back at a frame
 * boundary falls short, and a card whose history forked (an old copy written to afterwards)
 * carries a different tag: both are refused ('rollback'). What it cannot detect: an attacker who
 * rolls back internal flash as well (a flash dump restored with a programmer), or the newest
 * commit if the power failed between the journal append and the anchor write (the anchor then
 * trails by one frame, indistinguishable from that commit being cut off). A hardware monotonic
 * counter (eFuse) would close the first gap and is outside this engine.
 */
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import type { Storage } from '../../hal/storage';
import { equalBytes, wipe } from '../encoding/bytes';
import { ascii, hasMagic } from './bytes';
import { StoreError } from './errors';
import { DEVICE_SECRET_SIZE } from './keyring';
import { looksSealed, openFile, sealedSeq, sealFile } from './sealed-file';

export const ANCHOR_SECRET = 'sgsec';
export const ANCHOR_TRIES = 'sgtry';
export const ANCHOR_SEQ = 'sgseq';

const SECRET_MAGIC = ascii('SGS1');
const SEQ_MAGIC = ascii('SGA1');
const SEQ_LABEL = ascii('SimpleGo store v1 anchor');

const SECRET_FILE_SIZE = 4 + 16 + DEVICE_SECRET_SIZE + 16;

export function writeDeviceSecret(crypto: Crypto, anchor: Storage, storeId: Uint8Array, secret: Uint8Array): void {
  const file = new Uint8Array(SECRET_FILE_SIZE);
  file.set(SECRET_MAGIC, 0);
  file.set(storeId, 4);
  file.set(secret, 20);
  file.set(crypto.sha256(file.subarray(0, 52)).subarray(0, 16), 52);
  anchor.writeFileAtomic(ANCHOR_SECRET, file);
  wipe(file);
}

/**
 * The device secret of store `storeId`. 'anchor-missing' when internal flash holds none for this
 * store (another device, or erased flash); 'damaged' when it is there but corrupted.
 */
export function readDeviceSecret(crypto: Crypto, anchor: Storage | null, storeId: Uint8Array): Uint8Array {
  const file = anchor === null ? null : anchor.readFile(ANCHOR_SECRET);
  if (file === null || !hasMagic(file, 0, SECRET_MAGIC) || file.length < 20 || !equalBytes(file.subarray(4, 20), storeId)) {
    if (file !== null) wipe(file);
    throw new StoreError(
      'anchor-missing',
      'this store is bound to the device it was created on, and the key part kept in internal flash is missing: the card cannot be opened here',
      'anchor',
    );
  }
  if (file.length !== SECRET_FILE_SIZE || !equalBytes(crypto.sha256(file.subarray(0, 52)).subarray(0, 16), file.subarray(52))) {
    wipe(file);
    throw new StoreError('damaged', 'the key part kept in internal flash is corrupted: the store cannot be unlocked on this device', 'anchor');
  }
  const secret = new Uint8Array(file.subarray(20, 52));
  wipe(file);
  return secret;
}

/**
 * True when internal flash holds the device secret of a store other than the one whose journal
 * is `cardJournal` (the card about to be re-created). Creating a new store would overwrite that
 * secret and make the other card unreadable for good, so create() refuses unless told to.
 * A secret matching the card's own journal is a leftover of a create() cut short, or of this very
 * store, which create() may replace.
 */
export function anchorHeldByOther(anchor: Storage, cardJournal: Uint8Array | null): boolean {
  const file = anchor.readFile(ANCHOR_SECRET);
  if (file === null) return false;
  const same = cardJournal !== null && cardJournal.length >= 20 && file.length >= 20 && equalBytes(file.subarray(4, 20), cardJournal.subarray(4, 20));
  wipe(file);
  return !same;
}

export interface AnchoredFrame {
  seq: number;
  tag: Uint8Array;
}

export function writeAnchoredFrame(
  crypto: Crypto,
  random: Random,
  anchor: Storage,
  masterKey: Uint8Array,
  storeId: Uint8Array,
  frame: AnchoredFrame,
): void {
  anchor.writeFileAtomic(ANCHOR_SEQ, sealFile(crypto, random, masterKey, SEQ_MAGIC, SEQ_LABEL, storeId, frame.seq, frame.tag));
}

/** The anchored frame, or null when there is none; 'damaged' when the file does not authenticate. */
export function readAnchoredFrame(crypto: Crypto, anchor: Storage, masterKey: Uint8Array, storeId: Uint8Array): AnchoredFrame | null {
  const file = anchor.readFile(ANCHOR_SEQ);
  if (file === null) return null;
  const tag = looksSealed(file, SEQ_MAGIC) ? openFile(crypto, masterKey, SEQ_MAGIC, SEQ_LABEL, storeId, file) : null;
  if (tag === null || tag.length !== 16) {
    throw new StoreError('damaged', 'the rollback anchor in internal flash is unreadable', 'anchor');
  }
  return { seq: sealedSeq(file), tag };
}
