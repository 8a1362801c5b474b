import assert from 'node:assert/strict';
import { toHex } from '../../../firmware/encoding/bytes';
import { DecodeError } from '../../../firmware/encoding/errors';
import { utf8Decode, utf8Encode, utf8Length } from '../../../firmware/encoding/utf8';
import { expectDecodeError, hex, prng, randomInt } from './helpers';

const nodeEncoder = new TextEncoder();
// fatal: throw on malformed input; ignoreBOM: keep a leading U+FEFF, as Haskell's decodeUtf8' does.
const nodeDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Node's verdict on bytes: the string, or null if they are not UTF-8. */
function nodeDecode(bytes: Uint8Array): string | null {
  try {
    return nodeDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/** Ours, with the same shape; any exception other than DecodeError('bad-utf8') fails the test. */
function ourDecode(bytes: Uint8Array): string | null {
  try {
    return utf8Decode(bytes);
  } catch (e) {
    assert.ok(e instanceof DecodeError && e.code === 'bad-utf8', 'unexpected ' + String(e));
    return null;
  }
}

function sameAsNode(bytes: Uint8Array): void {
  assert.equal(ourDecode(bytes), nodeDecode(bytes), 'bytes ' + toHex(bytes));
}

describe('UTF-8', () => {
  describe('encode', () => {
    it('encodes the boundaries of each sequence length', () => {
      const cases: Array<[string, string]> = [
        ['', ''],
        ['\u0000', '00'],
        ['A', '41'],
        ['\u007f', '7f'],
        ['\u0080', 'c280'],
        ['\u00e9', 'c3a9'],
        ['\u07ff', 'dfbf'],
        ['\u0800', 'e0a080'],
        ['\u20ac', 'e282ac'],
        ['\ud7ff', 'ed9fbf'],
        ['\ue000', 'ee8080'],
        ['\ufeff', 'efbbbf'],
        ['\uffff', 'efbfbf'],
        ['\ud800\udc00', 'f0908080'], // U+10000
        ['\ud834\udd1e', 'f09d849e'], // U+1D11E
        ['\udbff\udfff', 'f48fbfbf'], // U+10FFFF
      ];
      for (const [s, h] of cases) {
        assert.equal(toHex(utf8Encode(s)), h, JSON.stringify(s));
        assert.equal(utf8Length(s), h.length / 2);
        assert.equal(utf8Decode(hex(h)), s);
      }
    });

    it('writes a lone surrogate as U+FFFD, like TextEncoder', () => {
      for (const s of ['\ud800', '\udc00', 'a\ud800', '\ud800a', '\udc00\ud800', '\ud800\ud800\udc00', '\udbff', 'x\udfffy']) {
        const ours = utf8Encode(s);
        assert.deepEqual(ours, nodeEncoder.encode(s), JSON.stringify(s));
        assert.equal(utf8Length(s), ours.length);
      }
      assert.equal(toHex(utf8Encode('\ud800')), 'efbfbd');
    });

    it('agrees with TextEncoder on random strings, including unpaired surrogates', () => {
      const rng = prng(0x75f8);
      for (let i = 0; i < 3000; i++) {
        let s = '';
        const len = randomInt(rng, 40);
        for (let k = 0; k < len; k++) {
          const r = rng();
          // Mix ASCII, 2-byte, 3-byte, surrogate halves and proper pairs.
          if (r < 0.3) s += String.fromCharCode(randomInt(rng, 0x80));
          else if (r < 0.5) s += String.fromCharCode(0x80 + randomInt(rng, 0x780));
          else if (r < 0.7) s += String.fromCharCode(randomInt(rng, 0x10000));
          else if (r < 0.8) s += String.fromCharCode(0xd800 + randomInt(rng, 0x800));
          else s += String.fromCodePoint(0x10000 + randomInt(rng, 0x100000));
        }
        const ours = utf8Encode(s);
        assert.deepEqual(ours, nodeEncoder.encode(s));
        assert.equal(utf8Length(s), ours.length);
        // Decoding what we encoded gives the string back, with lone surrogates replaced.
        assert.equal(utf8Decode(ours), nodeDecoder.decode(nodeEncoder.encode(s)));
      }
    });
  });

  describe('strict decode', () => {
    it('rejects each kind of malformed sequence with bad-utf8', () => {
      const bad: Array<[string, string]> = [
        ['80', 'lone continuation byte'],
        ['bf', 'lone continuation byte'],
        ['c0af', 'overlong 2-byte (C0)'],
        ['c180', 'overlong 2-byte (C1)'],
        ['e080af', 'overlong 3-byte'],
        ['e09fbf', 'overlong 3-byte, highest'],
        ['f08082af', 'overlong 4-byte'],
        ['f08fbfbf', 'overlong 4-byte, highest'],
        ['eda080', 'surrogate U+D800'],
        ['edbfbf', 'surrogate U+DFFF'],
        ['eda080edb080', 'surrogate pair encoded as two 3-byte sequences (CESU-8)'],
        ['f4908080', 'above U+10FFFF'],
        ['f5808080', 'lead byte F5'],
        ['f8888080', '5-byte form'],
        ['fc8480808080', '6-byte form'],
        ['fe', 'FE'],
        ['ff', 'FF'],
        ['c3', 'truncated 2-byte'],
        ['e282', 'truncated 3-byte'],
        ['f09d84', 'truncated 4-byte'],
        ['c341', 'missing continuation'],
        ['e28241', 'missing second continuation'],
        ['41c3', 'truncated at the end after ASCII'],
      ];
      for (const [h, why] of bad) {
        const b = hex(h);
        assert.equal(nodeDecode(b), null, 'Node accepts ' + why);
        const err = expectDecodeError(() => utf8Decode(b), 'bad-utf8');
        assert.match(err.message, /at byte \d+/, why);
      }
      assert.match(expectDecodeError(() => utf8Decode(hex('4142e282')), 'bad-utf8').message, /at byte 2: sequence truncated/);
      assert.match(expectDecodeError(() => utf8Decode(hex('41eda080')), 'bad-utf8').message, /at byte 2/);
    });

    it('keeps a byte-order mark as U+FEFF', () => {
      assert.equal(utf8Decode(hex('efbbbf41')), '\ufeffA');
    });

    it('agrees with TextDecoder (fatal) on every 1- and 2-byte input', () => {
      const b1 = new Uint8Array(1);
      for (let a = 0; a < 256; a++) {
        b1[0] = a;
        sameAsNode(b1);
      }
      const b2 = new Uint8Array(2);
      for (let a = 0; a < 256; a++) {
        for (let b = 0; b < 256; b++) {
          b2[0] = a;
          b2[1] = b;
          sameAsNode(b2);
        }
      }
    });

    it('agrees with TextDecoder on every 3-byte sequence led by E0..EF and on 4-byte edges', () => {
      const b3 = new Uint8Array(3);
      for (let a = 0xe0; a <= 0xef; a++) {
        for (let b = 0x70; b <= 0xcf; b++) {
          for (const c of [0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0]) {
            b3[0] = a;
            b3[1] = b;
            b3[2] = c;
            sameAsNode(b3);
          }
        }
      }
      const b4 = new Uint8Array(4);
      for (let a = 0xf0; a <= 0xf7; a++) {
        for (let b = 0x70; b <= 0xcf; b++) {
          for (const c of [0x7f, 0x80, 0xbf, 0xc0]) {
            for (const d of [0x7f, 0x80, 0xbf, 0xc0]) {
              b4[0] = a;
              b4[1] = b;
              b4[2] = c;
              b4[3] = d;
              sameAsNode(b4);
            }
          }
        }
      }
    });

    it('agrees with TextDecoder on random byte strings and every prefix of valid text', () => {
      const rng = prng(0xbadf00d);
      for (let i = 0; i < 4000; i++) {
        const len = randomInt(rng, 24);
        const b = new Uint8Array(len);
        // Mostly high bytes, where the interesting cases are.
        for (let k = 0; k < len; k++) b[k] = rng() < 0.2 ? randomInt(rng, 0x80) : 0x80 + randomInt(rng, 0x80);
        sameAsNode(b);
      }
      const text = nodeEncoder.encode('a\u00e9\u20ac\ud83d\ude00z');
      for (let n = 0; n <= text.length; n++) sameAsNode(text.subarray(0, n));
      // Corrupt valid text in random places.
      for (let i = 0; i < 2000; i++) {
        const b = new Uint8Array(text);
        b[randomInt(rng, b.length)] = randomInt(rng, 256);
        sameAsNode(b);
      }
    });
  });
});
