/**
 * A second, independent reader (and writer) of the store's file formats, written from the
 * format comments in firmware/store/*.ts with node:crypto (OpenSSL) only. The format tests use it
 * to check the store byte for byte in both directions; the secrets test uses the keys it derives
 * to look for them on the card.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, pbkdf2Sync, randomBytes } from 'node:crypto';

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

export function hkdf(salt: Buffer, ikm: Buffer, info: Buffer, length: number): Buffer {
  return Buffer.from(hkdfSync('sha512', ikm, salt, info, length));
}

/** AES-256-GCM over tag(16) ‖ ciphertext; throws when it does not authenticate. */
export function gcmOpen(key: Buffer, iv: Buffer, tagAndCt: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(tagAndCt.subarray(0, 16));
  d.setAAD(aad);
  return Buffer.concat([d.update(tagAndCt.subarray(16)), d.final()]);
}

export function gcmSeal(key: Buffer, iv: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([c.getAuthTag(), ct]);
}

export interface IndexEntry {
  type: number;
  id: Buffer;
  key34: Buffer;
  kind: number;
  aux: number;
  seq: number;
  tag: Buffer;
  first: number;
  next: number;
  openBytes: number;
  raw: Buffer;
}

export function parseEntry(e: Buffer): IndexEntry {
  return {
    type: e[0],
    id: e.subarray(2, 2 + e[1]),
    key34: e.subarray(0, 34),
    kind: e[34],
    aux: e[35],
    seq: e.readUInt32BE(36),
    tag: e.subarray(40, 56),
    first: e.readUInt32BE(56),
    next: e.readUInt32BE(60),
    openBytes: e.readUInt32BE(64),
    raw: e,
  };
}

export interface Secrets {
  /** Every key this reader derived, with a name, to look for on the card. */
  keys: Map<string, Buffer>;
  mk: Buffer;
  storeId: Buffer;
}

/** Keyring (keyring.ts): returns the master key and store id; records the KDF intermediates. */
export function openKeyring(file: Buffer, pin: string, deviceSecret: Buffer | null, secrets: Map<string, Buffer>): Secrets {
  assert.equal(file.length, 140);
  assert.equal(file.subarray(0, 4).toString('latin1'), 'SGK1');
  assert.equal(file[4], 1, 'version');
  assert.equal(file[5], 1, 'kdf = PBKDF2-HMAC-SHA-512');
  assert.equal(file[6] & ~3, 0, 'flags');
  assert.equal(file[7], 0);
  assert.equal(file.readUInt16BE(14), 0);
  assert.deepEqual(file.subarray(124), createHash('sha256').update(file.subarray(0, 124)).digest().subarray(0, 16), 'check');
  assert.equal((file[6] & 1) === 1, deviceSecret !== null, 'device-bound flag');
  const iterations = file.readUInt32BE(8);
  const storeId = file.subarray(16, 32);
  const p = pbkdf2Sync(Buffer.from(pin, 'utf8'), file.subarray(32, 64), iterations, 64, 'sha512');
  const ikm = deviceSecret === null ? p : Buffer.concat([p, deviceSecret]);
  const kek = hkdf(Buffer.alloc(0), ikm, Buffer.concat([enc('SimpleGo store v1 key wrap'), storeId]), 32);
  const mk = gcmOpen(kek, file.subarray(64, 76), file.subarray(76, 124), file.subarray(0, 64));
  assert.equal(mk.length, 32);
  secrets.set('PBKDF2 output', p);
  secrets.set('key-wrapping key', kek);
  secrets.set('master key', mk);
  return { keys: secrets, mk, storeId: Buffer.from(storeId) };
}

export interface JournalContents {
  entries: Map<string, IndexEntry>;
  lastSeq: number;
  lastTag: Buffer;
  frames: number;
  key: Buffer;
}

/** Journal (journal.ts): replays every frame into an index keyed by key34 hex. */
export function readJournal(file: Buffer, s: Secrets): JournalContents {
  assert.equal(file.subarray(0, 4).toString('latin1'), 'SGJ1');
  assert.deepEqual(file.subarray(4, 20), s.storeId);
  assert.equal(file.readUInt32BE(52), 0);
  const key = hkdf(file.subarray(20, 52), s.mk, Buffer.concat([enc('SimpleGo store v1 journal'), s.storeId]), 32);
  s.keys.set('journal key', key);
  const entries = new Map<string, IndexEntry>();
  let pos = 56;
  let lastSeq = -1;
  let lastTag = Buffer.alloc(16);
  let frames = 0;
  while (pos < file.length) {
    const len = file.readUInt32BE(pos);
    const seq = file.readUInt32BE(pos + 4);
    const kind = file[pos + 8];
    const pt = gcmOpen(key, file.subarray(pos + 9, pos + 21), file.subarray(pos + 21, pos + 4 + len), file.subarray(pos + 4, pos + 9));
    if (frames === 0) assert.equal(kind, 1, 'the first frame is a snapshot');
    else {
      assert.equal(kind, 2, 'later frames are commits');
      assert.equal(seq, lastSeq + 1);
      assert.deepEqual(pt.subarray(0, 16), lastTag, 'prevTag chain');
    }
    const body = pt.subarray(16);
    if (kind === 1) {
      assert.equal(body.length % 68, 0);
      for (let at = 0; at < body.length; at += 68) {
        const e = parseEntry(Buffer.from(body.subarray(at, at + 68)));
        entries.set(e.key34.toString('hex'), e);
      }
    } else {
      assert.equal(body.length % 69, 0);
      for (let at = 0; at < body.length; at += 69) {
        const op = body[at];
        const e = parseEntry(Buffer.from(body.subarray(at + 1, at + 69)));
        if (op === 1 || op === 3 || op === 5) entries.set(e.key34.toString('hex'), e);
        else if (op === 2 || op === 4) entries.delete(e.key34.toString('hex'));
        else assert.fail('unknown op ' + op);
      }
    }
    lastSeq = seq;
    lastTag = Buffer.from(file.subarray(pos + 21, pos + 37));
    pos += 4 + len;
    frames++;
  }
  return { entries, lastSeq, lastTag, frames, key };
}

export function nameKeyOf(s: Secrets): Buffer {
  const k = hkdf(Buffer.alloc(0), s.mk, Buffer.concat([enc('SimpleGo store v1 names'), s.storeId]), 32);
  s.keys.set('name key', k);
  return k;
}

export function fileNameOf(nameKey: Buffer, key34: Buffer, n: number): string {
  return createHmac('sha256', nameKey).update(Buffer.concat([key34, u32(n)])).digest().subarray(0, 10).toString('hex');
}

export function recordPath(nameKey: Buffer, e: IndexEntry): string {
  const name = fileNameOf(nameKey, e.key34, 0);
  return 'sg/r/' + name[0] + '/' + name + '.' + e.aux;
}

/** Record file (sealed-file.ts, magic SGR1): the plaintext; checks seq and the pinned tag. */
export function openRecord(file: Buffer, s: Secrets, e: IndexEntry): Buffer {
  assert.equal(file.subarray(0, 4).toString('latin1'), 'SGR1');
  assert.equal(file.readUInt32BE(4), e.seq);
  assert.deepEqual(file.subarray(40, 56), e.tag, 'the index pins the tag');
  const kiv = hkdf(file.subarray(8, 40), s.mk, Buffer.concat([enc('SimpleGo store v1 record'), s.storeId, e.key34]), 44);
  s.keys.set('record key ' + e.key34.toString('hex') + '/' + e.seq, kiv);
  return gcmOpen(kiv.subarray(0, 32), kiv.subarray(32, 44), file.subarray(40), file.subarray(0, 40));
}

/** A record file as the store would write it, sealed by this implementation. */
export function sealRecord(s: Secrets, key34: Buffer, seq: number, plaintext: Buffer): Buffer {
  const header = Buffer.concat([enc('SGR1'), u32(seq), randomBytes(32)]);
  const kiv = hkdf(header.subarray(8, 40), s.mk, Buffer.concat([enc('SimpleGo store v1 record'), s.storeId, key34]), 44);
  return Buffer.concat([header, gcmSeal(kiv.subarray(0, 32), kiv.subarray(32, 44), plaintext, header)]);
}

/** A commit frame sealed by this implementation. */
export function sealCommit(journalKey: Buffer, seq: number, prevTag: Buffer, ops: Buffer): Buffer {
  const head = Buffer.concat([u32(seq), Buffer.from([2])]);
  const nonce = randomBytes(12);
  const sealed = gcmSeal(journalKey, nonce, Buffer.concat([prevTag, ops]), head);
  return Buffer.concat([u32(4 + 1 + 12 + sealed.length), head, nonce, sealed]);
}

/** Log segment (log-segment.ts): the entries of one segment file, in order. */
export function openSegment(file: Buffer, s: Secrets, e: IndexEntry, segNo: number): Buffer[] {
  assert.equal(file.subarray(0, 4).toString('latin1'), 'SGL1');
  assert.equal(file.readUInt32BE(4), segNo);
  const key = hkdf(file.subarray(8, 40), s.mk, Buffer.concat([enc('SimpleGo store v1 log'), s.storeId, e.key34, u32(e.seq), u32(segNo)]), 32);
  s.keys.set('segment key ' + e.key34.toString('hex') + '/' + segNo, key);
  const out: Buffer[] = [];
  let prevTag = file.subarray(40, 56);
  let pos = 56;
  let position = segNo * e.aux;
  while (pos < file.length) {
    const len = file.readUInt32BE(pos);
    out.push(gcmOpen(key, file.subarray(pos + 4, pos + 16), file.subarray(pos + 16, pos + 4 + len), Buffer.concat([u32(position), prevTag])));
    prevTag = file.subarray(pos + 16, pos + 32);
    pos += 4 + len;
    position++;
  }
  return out;
}

/** Anchor seq file (anchor.ts, sealed-file.ts with magic SGA1): seq and tag. */
export function openAnchor(file: Buffer, s: Secrets): { seq: number; tag: Buffer } {
  assert.equal(file.length, 72);
  assert.equal(file.subarray(0, 4).toString('latin1'), 'SGA1');
  const kiv = hkdf(file.subarray(8, 40), s.mk, Buffer.concat([enc('SimpleGo store v1 anchor'), s.storeId]), 44);
  return { seq: file.readUInt32BE(4), tag: gcmOpen(kiv.subarray(0, 32), kiv.subarray(32, 44), file.subarray(40), file.subarray(0, 40)) };
}
