import assert from 'node:assert/strict';
import { ENTRY_SIZE, E_AUX, E_FIRST, E_KIND, E_NEXT, IndexTable, KIND_LOG, KIND_RECORD, idOf, makeKey } from '../../../firmware/store/index-table';
import { expectStoreError } from './helpers';

function entry(type: number, id: number[], marker: number): Uint8Array {
  const e = new Uint8Array(ENTRY_SIZE);
  e.set(makeKey(type, new Uint8Array(id)), 0);
  e[E_KIND] = type >= 0x80 ? KIND_LOG : KIND_RECORD;
  e[E_AUX] = type >= 0x80 ? 4 : 0;
  e[50] = marker;
  return e;
}

describe('firmware/store/index-table', () => {
  it('matches a sorted model through thousands of random inserts, replacements and removals', () => {
    const t = new IndexTable(new Uint8Array(0));
    const model = new Map<string, number>();
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    for (let step = 0; step < 4000; step++) {
      const type = [1, 2, 5, 0x81][rnd(4)];
      const id = Array.from({ length: rnd(4) }, () => rnd(3));
      const key = Buffer.from(makeKey(type, new Uint8Array(id))).toString('hex');
      if (rnd(3) === 0) {
        t.remove(makeKey(type, new Uint8Array(id)));
        model.delete(key);
      } else {
        const marker = rnd(256);
        t.put(entry(type, id, marker));
        model.set(key, marker);
      }
    }
    const keys = [...model.keys()].sort();
    assert.equal(t.count(), keys.length);
    for (let i = 0; i < keys.length; i++) {
      assert.equal(Buffer.from(t.at(i).subarray(0, 34)).toString('hex'), keys[i]);
      assert.equal(t.at(i)[50], model.get(keys[i]));
    }
    const r = t.rangeOf(2);
    for (let i = r[0]; i < r[1]; i++) assert.equal(t.at(i)[0], 2);
    assert.equal(r[1] - r[0], keys.filter((k) => k.startsWith('02')).length);
    assert.deepEqual(t.rangeOf(9), [t.rangeOf(9)[0], t.rangeOf(9)[0]]);
    // A snapshot of the table loads back as the same table.
    const copy = new IndexTable(t.raw().slice());
    assert.deepEqual(copy.raw(), t.raw());
    t.wipe();
    assert.equal(t.count(), 0);
  });

  it('ids of different lengths never collide ("ab" vs "ab\\0"), and idOf returns exactly the id', () => {
    const t = new IndexTable(new Uint8Array(0));
    t.put(entry(1, [0x61, 0x62], 1));
    t.put(entry(1, [0x61, 0x62, 0], 2));
    assert.equal(t.count(), 2);
    assert.deepEqual([...idOf(t.at(1))], [0x61, 0x62, 0]);
    assert.equal(t.find(makeKey(1, new Uint8Array([0x61]))) < 0, true);
  });

  it('a snapshot that is partial, unsorted, duplicated or malformed is refused', () => {
    const a = entry(1, [1], 0);
    const b = entry(1, [2], 0);
    expectStoreError(() => new IndexTable(new Uint8Array([...a, 0])), 'damaged', 'journal');
    expectStoreError(() => new IndexTable(new Uint8Array([...b, ...a])), 'damaged', 'journal');
    expectStoreError(() => new IndexTable(new Uint8Array([...a, ...a])), 'damaged', 'journal');
    const wrongKind = a.slice();
    wrongKind[E_KIND] = KIND_LOG;
    expectStoreError(() => new IndexTable(wrongKind), 'damaged', 'journal');
    const badLog = entry(0x81, [1], 0);
    badLog[E_FIRST + 3] = 5;
    badLog[E_NEXT + 3] = 4;
    expectStoreError(() => new IndexTable(badLog), 'damaged', 'journal');
    const longId = a.slice();
    longId[1] = 33;
    expectStoreError(() => new IndexTable(longId), 'damaged', 'journal');
  });
});
