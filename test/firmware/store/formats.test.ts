/**
 * The file formats, byte for byte, in both directions: what the store writes decodes with an
 * independent implementation of the documented layouts (independent.ts, node:crypto only), and
 * what that implementation writes, the store reads.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { StoreType } from '../../../firmware/store/record-types';
import { PIN, Rig, bytes, text } from './helpers';
import {
  fileNameOf,
  nameKeyOf,
  openAnchor,
  openKeyring,
  openRecord,
  openSegment,
  readJournal,
  recordPath,
  sealCommit,
  sealRecord,
} from './independent';

const R = StoreType.Contact;
const H = StoreType.History;

function build(anchor: boolean) {
  const rig = new Rig({ anchor, journalLimit: 700 });
  const s = rig.create();
  const records = new Map<string, string>();
  const logs = new Map<string, string[]>();
  for (let i = 0; i < 12; i++) {
    const id = 'contact-' + (i % 5);
    const value = 'value ' + i + ' '.repeat(i * 7);
    s.put(R, bytes(id), bytes(value));
    records.set(id, value);
  }
  s.delete(R, bytes('contact-3'));
  records.delete('contact-3');
  s.createLog(H, bytes('chat'), 3);
  logs.set('chat', []);
  for (let i = 0; i < 8; i++) {
    s.begin().append(H, bytes('chat'), bytes('message ' + i)).put(StoreType.Ratchet, bytes('chat'), bytes('ratchet ' + i)).commit();
    logs.get('chat')!.push('message ' + i);
  }
  s.truncateLog(H, bytes('chat'), 4);
  s.lock();
  return { rig, records, logs };
}

describe('firmware/store: file formats', () => {
  for (const anchor of [false, true]) {
    it('everything on the card decodes with an independent implementation' + (anchor ? ' (device-bound, anchored)' : ''), () => {
      const { rig, records, logs } = build(anchor);
      let deviceSecret: Buffer | null = null;
      if (anchor) {
        const sec = Buffer.from(rig.flash!.files.get('sgsec')!);
        assert.equal(sec.length, 68);
        assert.deepEqual(sec.subarray(52), createHash('sha256').update(sec.subarray(0, 52)).digest().subarray(0, 16));
        assert.equal(sec.subarray(0, 4).toString('latin1'), 'SGS1');
        deviceSecret = sec.subarray(20, 52);
      }
      const keyring = Buffer.from(rig.card.files.get('sg/keyring')!);
      const sec = openKeyring(keyring, PIN, deviceSecret, new Map());
      if (anchor) assert.deepEqual(Buffer.from(rig.flash!.files.get('sgsec')!).subarray(4, 20), sec.storeId);
      assert.equal(keyring.readUInt32BE(8), 1000);
      const j = readJournal(Buffer.from(rig.card.files.get('sg/journal')!), sec);
      assert.ok(j.frames > 1, 'a snapshot and commits after it');
      const nameKey = nameKeyOf(sec);
      // Records: exactly the live ones, each at the path its name gives, with its content.
      const seen = new Map<string, string>();
      const expectedFiles = new Set<string>();
      for (const e of j.entries.values()) {
        if (e.kind !== 1) continue;
        const path = recordPath(nameKey, e);
        expectedFiles.add(path);
        const pt = openRecord(Buffer.from(rig.card.files.get(path)!), sec, e).toString('utf8');
        if (e.type === R) seen.set(e.id.toString('utf8'), pt);
        else assert.equal(pt, 'ratchet 7');
      }
      assert.deepEqual([...seen.entries()].sort(), [...records.entries()].sort());
      assert.deepEqual(rig.recordFiles(), [...expectedFiles].sort(), 'no other record files');
      // The log: first/next and every entry, from its segment files.
      const log = [...j.entries.values()].find((e) => e.kind === 2)!;
      assert.deepEqual([log.first, log.next, log.aux], [4, 8, 3]);
      const dir = 'sg/l/' + fileNameOf(nameKey, log.key34, log.seq);
      const entries: string[] = [];
      for (let seg = 0; seg * 3 < log.next; seg++) {
        const f = rig.card.files.get(dir + '/' + seg.toString(16).padStart(8, '0'));
        if (seg * 3 + 3 <= log.first) {
          assert.equal(f, undefined, 'dropped segment ' + seg + ' is gone');
          continue;
        }
        for (const [k, pt] of openSegment(Buffer.from(f!), sec, log, seg).entries()) {
          if (seg * 3 + k >= log.first) entries.push(pt.toString('utf8'));
        }
      }
      assert.deepEqual(entries, logs.get('chat')!.slice(4));
      // The index pins the newest entry's tag: the tag of the last frame, right before its 9-byte ciphertext.
      const tail = Buffer.from(rig.card.files.get(dir + '/00000002')!);
      assert.deepEqual(log.tag, tail.subarray(tail.length - 9 - 16, tail.length - 9));
      if (anchor) {
        const a = openAnchor(Buffer.from(rig.flash!.files.get('sgseq')!), sec);
        assert.equal(a.seq, j.lastSeq);
        assert.deepEqual(a.tag, j.lastTag);
      }
    });
  }

  it('the store reads a record and a commit frame sealed by the independent implementation, and builds on them', () => {
    const { rig } = build(false);
    const sec = openKeyring(Buffer.from(rig.card.files.get('sg/keyring')!), PIN, null, new Map());
    const journal = Buffer.from(rig.card.files.get('sg/journal')!);
    const j = readJournal(journal, sec);
    const nameKey = nameKeyOf(sec);
    // A new record (type Contact, id "forged-by-test") in slot 0, committed by a hand-made frame.
    const key34 = Buffer.alloc(34);
    key34[0] = R;
    key34[1] = 14;
    Buffer.from('forged-by-test').copy(key34, 2);
    const seq = j.lastSeq + 1;
    const file = sealRecord(sec, key34, seq, Buffer.from('written by node:crypto'));
    const name = fileNameOf(nameKey, key34, 0);
    rig.card.files.set('sg/r/' + name[0] + '/' + name + '.0', new Uint8Array(file));
    const entry = Buffer.alloc(68);
    key34.copy(entry, 0);
    entry[34] = 1; // record
    entry[35] = 0; // slot
    entry.writeUInt32BE(seq, 36);
    file.subarray(40, 56).copy(entry, 40);
    const frame = sealCommit(j.key, seq, j.lastTag, Buffer.concat([Buffer.from([1]), entry]));
    rig.card.files.set('sg/journal', new Uint8Array(Buffer.concat([journal, frame])));
    const s = rig.reopen();
    assert.equal(text(s.get(R, bytes('forged-by-test'))), 'written by node:crypto');
    assert.equal(text(s.get(R, bytes('contact-0'))), 'value 10' + ' '.repeat(70));
    s.put(R, bytes('after'), bytes('chained on the hand-made frame'));
    s.lock();
    const again = readJournal(Buffer.from(rig.card.files.get('sg/journal')!), sec);
    assert.equal(again.lastSeq, seq + 1);
    assert.equal(text(rig.reopen().get(R, bytes('after'))), 'chained on the hand-made frame');
  });
});
