/**
 * What a stolen card and a locked device give away: the card holds none of the plaintext, the
 * PIN or any key (found by deriving every key independently and searching every file for it), and
 * lock() leaves no key or decrypted store data in the buffers the store got from the crypto backend.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Crypto } from '../../../hal/crypto';
import { createNodeStorage } from '../../../hal/node/storage';
import { StoreType } from '../../../firmware/store/record-types';
import { Store } from '../../../firmware/store/store';
import { PIN, Rig, bytes } from './helpers';
import { nameKeyOf, openKeyring, openRecord, openSegment, readJournal, recordPath, fileNameOf } from './independent';

const R = StoreType.Contact;
const H = StoreType.History;
const NEW_PIN = 'tr0ub4dor&3';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

describe('firmware/store: secrets stay secret', () => {
  it('a grep of the card finds no plaintext, no PIN, and none of the keys', () => {
    const cardDir = mkdtempSync(path.join(tmpdir(), 'simplego-card-'));
    const flashDir = mkdtempSync(path.join(tmpdir(), 'simplego-flash-'));
    try {
      const rig = new Rig();
      const deps = { crypto: rig.crypto, random: rig.random, clock: rig.clock, card: createNodeStorage(cardDir), anchor: createNodeStorage(flashDir), journalLimit: 2000 };
      const s = Store.open(deps);
      s.create(PIN, { iterations: 1000 });
      const markers: string[] = [];
      for (let i = 0; i < 20; i++) {
        const m = 'PLAINTEXT-MARKER-record-' + i;
        markers.push(m);
        s.put(R, bytes('alice-' + (i % 4)), bytes(m));
      }
      s.createLog(H, bytes('alice-0'), 4);
      for (let i = 0; i < 15; i++) {
        const m = 'PLAINTEXT-MARKER-message-' + i;
        markers.push(m);
        s.begin().append(H, bytes('alice-0'), bytes(m)).put(StoreType.Ratchet, bytes('alice-0'), bytes('RATCHET-MARKER-' + i)).commit();
        markers.push('RATCHET-MARKER-' + i);
      }
      s.truncateLog(H, bytes('alice-0'), 6);
      s.changePin(PIN, NEW_PIN);
      s.lock();

      // Every key, derived independently from the documented formats.
      const secrets = new Map<string, Buffer>();
      const deviceSecret = readFileSync(path.join(flashDir, 'sgsec')).subarray(20, 52);
      secrets.set('device secret', deviceSecret);
      const sec = openKeyring(readFileSync(path.join(cardDir, 'sg', 'keyring')), NEW_PIN, deviceSecret, secrets);
      const j = readJournal(readFileSync(path.join(cardDir, 'sg', 'journal')), sec);
      const nameKey = nameKeyOf(sec);
      for (const e of j.entries.values()) {
        if (e.kind === 1) openRecord(readFileSync(path.join(cardDir, recordPath(nameKey, e))), sec, e);
        else {
          const dir = path.join(cardDir, 'sg', 'l', fileNameOf(nameKey, e.key34, e.seq));
          for (const f of readdirSync(dir)) openSegment(readFileSync(path.join(dir, f)), sec, e, parseInt(f, 16));
        }
      }
      assert.ok(secrets.size >= 10, 'derived ' + secrets.size + ' keys');

      const needles: [string, Buffer][] = [...secrets.entries()];
      for (const m of markers) needles.push(['plaintext ' + m, Buffer.from(m)]);
      // Shorter probes too: a partial leak of a marker or a key must not hide behind a mismatch elsewhere.
      for (const [n, k] of [...secrets.entries()]) needles.push([n + ' (first 8 bytes)', k.subarray(0, 8)]);
      needles.push(['marker prefix', Buffer.from('MARKER')]);
      needles.push(['old PIN', Buffer.from(PIN)], ['new PIN', Buffer.from(NEW_PIN)], ['an id', Buffer.from('alice')]);
      const files = filesUnder(cardDir);
      assert.ok(files.length >= 10, files.length + ' files');
      for (const f of files) {
        const content = readFileSync(f);
        assert.ok(!path.relative(cardDir, f).includes('alice'), 'file names carry no ids');
        for (const [what, needle] of needles) {
          // (A 4-byte needle matches random bytes by chance with probability ~1e-6 per 10 KB.)
          assert.equal(content.indexOf(needle), -1, path.relative(cardDir, f) + ' contains ' + what);
        }
      }
    } finally {
      rmSync(cardDir, { recursive: true, force: true });
      rmSync(flashDir, { recursive: true, force: true });
    }
  });

  it('lock() zeroes every key and every decrypted buffer the store kept', () => {
    const rig = new Rig({ anchor: true, journalLimit: 800 });
    // The real backend, observed: every buffer it hands the store is remembered.
    const outputs: { what: string; buf: Uint8Array }[] = [];
    const c = rig.crypto;
    const watched: Crypto = {
      ...c,
      hkdfSha512: (salt, ikm, info, n) => {
        const b = c.hkdfSha512(salt, ikm, info, n);
        outputs.push({ what: 'HKDF output', buf: b });
        return b;
      },
      pbkdf2Sha512: (p, s, i, n) => {
        const b = c.pbkdf2Sha512(p, s, i, n);
        outputs.push({ what: 'PBKDF2 output', buf: b });
        return b;
      },
      aes256GcmDecrypt: (k, iv, ct, aad) => {
        const b = c.aes256GcmDecrypt(k, iv, ct, aad);
        if (b !== null) outputs.push({ what: 'decrypted ' + b.length + ' bytes', buf: b });
        return b;
      },
    };
    const deps = { crypto: watched, random: rig.random, clock: rig.clock, card: rig.card, anchor: rig.flash!, journalLimit: 800 };
    const s = Store.open(deps);
    s.create(PIN, { iterations: 1000 });
    s.lock();
    s.unlock(PIN);
    const handedOut = new Set<Uint8Array>();
    for (let i = 0; i < 30; i++) {
      s.begin().append(H, bytes('c'), bytes('message ' + i)).put(StoreType.Ratchet, bytes('c'), bytes('ratchet ' + i)).commit();
      handedOut.add(s.get(StoreType.Ratchet, bytes('c'))!);
      for (const b of s.read(H, bytes('c'), 0, i + 1)) handedOut.add(b);
    }
    s.changePin(PIN, NEW_PIN);
    s.lock();
    s.unlock(NEW_PIN); // recovery replays the journal: snapshot and commit frames
    handedOut.add(s.get(StoreType.Ratchet, bytes('c'))!);
    for (const b of s.read(H, bytes('c'), 0, 30)) handedOut.add(b);
    assert.ok(outputs.some((o) => o.what === 'decrypted 32 bytes'), 'the master key came through here');
    s.lock();
    let checked = 0;
    for (const o of outputs) {
      if (handedOut.has(o.buf)) continue;
      checked++;
      assert.ok(o.buf.every((x) => x === 0), o.what + ' survived lock(): ' + Buffer.from(o.buf).toString('hex').slice(0, 32));
    }
    assert.ok(checked > 100, 'checked ' + checked + ' buffers');
  });
});
