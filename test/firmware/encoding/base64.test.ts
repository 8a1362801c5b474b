import assert from 'node:assert/strict';
import {
  decodeBase64,
  decodeBase64AnyAlphabet,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  encodeBase64UrlNoPad,
  type Base64Alphabet,
  type Base64Padding,
} from '../../../firmware/encoding/base64';
import { toHex } from '../../../firmware/encoding/bytes';
import { DecodeError } from '../../../firmware/encoding/errors';
import { expectDecodeError, hex, loadVectors, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from './helpers';

const ascii = (s: string) => new TextEncoder().encode(s);
const unpad = (s: string) => s.replace(/=+$/, '');

/** The decoded bytes, or null after a DecodeError; any other exception fails the test. */
function tryDecode(s: string, alphabet: Base64Alphabet): Uint8Array | null {
  let out: Uint8Array | null = null;
  onlyDecodeErrors(() => {
    out = decodeBase64(s, alphabet);
  }, 'decodeBase64');
  return out;
}

describe('base64', () => {
  it('reproduces the RFC 4648 §10 test vectors in both directions', () => {
    const rfc: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, b64] of rfc) {
      assert.equal(encodeBase64(ascii(plain)), b64);
      assert.equal(encodeBase64Url(ascii(plain)), b64);
      assert.equal(encodeBase64UrlNoPad(ascii(plain)), unpad(b64));
      assert.equal(encodeBase64(ascii(plain), 'standard', false), unpad(b64));
      for (const alphabet of ['standard', 'url'] as Base64Alphabet[]) {
        assert.deepEqual(decodeBase64(b64, alphabet), ascii(plain));
        assert.deepEqual(decodeBase64(unpad(b64), alphabet), ascii(plain));
        assert.deepEqual(decodeBase64(b64, alphabet, 'required'), ascii(plain));
        assert.deepEqual(decodeBase64(unpad(b64), alphabet, 'forbidden'), ascii(plain));
      }
    }
  });

  it('agrees with Node Buffer on random data of every length 0..99, both alphabets', () => {
    const rng = prng(0xb64);
    for (let len = 0; len < 100; len++) {
      for (let rep = 0; rep < 20; rep++) {
        const b = randomBytes(rng, len);
        const std = Buffer.from(b).toString('base64');
        const url = Buffer.from(b).toString('base64url'); // Node writes base64url unpadded
        const urlPadded = url + '='.repeat((4 - (url.length % 4)) % 4);
        assert.equal(encodeBase64(b), std);
        assert.equal(encodeBase64UrlNoPad(b), url);
        assert.equal(encodeBase64Url(b), urlPadded);
        assert.deepEqual(decodeBase64(std), b);
        assert.deepEqual(decodeBase64Url(url), b);
        assert.deepEqual(decodeBase64Url(urlPadded), b);
        assert.deepEqual(decodeBase64AnyAlphabet(std), b);
        assert.deepEqual(decodeBase64AnyAlphabet(urlPadded), b);
      }
    }
  });

  it('decodes the sample SPKI keys (standard alphabet) from encoding.json', () => {
    for (const name of ['sample_ed25519_spki', 'sample_x25519_spki']) {
      const v = vectorCase('encoding.json', name);
      assert.equal(toHex(decodeBase64(v.base64)), v.der);
      assert.equal(toHex(decodeBase64(v.base64, 'standard', 'required')), v.der);
      assert.equal(encodeBase64(hex(v.der)), v.base64);
    }
  });

  it('decodes both spellings of each server fingerprint to the same 32 bytes and re-encodes the padded URL form', () => {
    const file = loadVectors('cert-fingerprints.json');
    assert.equal(file.cases.length, 3);
    for (const c of file.cases as Array<{ [k: string]: string }>) {
      const bytes = decodeBase64Url(c.fingerprint_b64url);
      assert.equal(bytes.length, 32);
      assert.equal(toHex(bytes), c.fingerprint, c.name);
      assert.equal(encodeBase64Url(bytes), c.fingerprint_b64url);
      assert.deepEqual(decodeBase64AnyAlphabet(c.fingerprint_b64url), bytes);
      assert.deepEqual(decodeBase64Url(unpad(c.fingerprint_b64url)), bytes);
      // Truncations: a length ≡ 1 (mod 4) is always refused; the others decode only if their last
      // character happens to be canonical, and then to a prefix (43 characters: the unpadded form).
      for (let n = 0; n < c.fingerprint_b64url.length; n++) {
        const cut = c.fingerprint_b64url.slice(0, n);
        const out = tryDecode(cut, 'url');
        if (n % 4 === 1) assert.equal(out, null, 'accepted a ' + n + '-character cut');
        if (out !== null) assert.deepEqual(out, bytes.subarray(0, out.length));
      }
      if (c.fingerprint_b64_standard !== undefined) {
        assert.deepEqual(decodeBase64(c.fingerprint_b64_standard), bytes);
        assert.deepEqual(decodeBase64AnyAlphabet(c.fingerprint_b64_standard), bytes);
        assert.equal(encodeBase64(bytes), c.fingerprint_b64_standard);
        // Each alphabet refuses the other's characters.
        expectDecodeError(() => decodeBase64Url(c.fingerprint_b64_standard), 'bad-base64');
        expectDecodeError(() => decodeBase64(c.fingerprint_b64url), 'bad-base64');
      }
    }
  });

  it('decodes the link vector values: key hash, sender ID, keys and the unpadded short-link fragment', () => {
    const v = vectorCase('connection-request-uri.json', 'invitation_worked_example');
    assert.equal(toHex(decodeBase64Url(v.queue.key_hash_b64url)), v.queue.key_hash);
    assert.equal(toHex(decodeBase64Url(v.queue.sender_id_b64url)), v.queue.sender_id);
    assert.equal(encodeBase64Url(hex(v.queue.key_hash)), v.queue.key_hash_b64url);
    assert.equal(toHex(decodeBase64Url(v.queue.dh_b64url)), v.queue.dh_x25519_spki);
    assert.equal(toHex(decodeBase64Url(v.e2e.x3dh_key1_b64url)), v.e2e.x3dh_key1_x448_spki);
    assert.equal(encodeBase64Url(hex(v.e2e.x3dh_key2_x448_spki)), v.e2e.x3dh_key2_b64url);

    const s = vectorCase('connection-request-uri.json', 'short_invitation_link_fragment');
    const [id, key] = (s.fragment as string).split('/');
    assert.equal(toHex(decodeBase64Url(id, 'forbidden')), s.link_id);
    assert.equal(toHex(decodeBase64Url(key, 'forbidden')), s.link_key);
    assert.equal(encodeBase64UrlNoPad(hex(s.link_id)) + '/' + encodeBase64UrlNoPad(hex(s.link_key)), s.fragment);
    // The 32-byte key is 43 characters, one short of a quantum: padded it would need '='.
    expectDecodeError(() => decodeBase64Url(key, 'required'), 'bad-base64');
  });

  describe('strictness', () => {
    const rejects = (s: string, alphabet: Base64Alphabet = 'url', padding: Base64Padding = 'optional') =>
      expectDecodeError(() => decodeBase64(s, alphabet, padding), 'bad-base64');

    it('rejects characters outside the alphabet, naming the offset', () => {
      for (const s of ['Zm9v!mFy', 'Zm9 vYmFy', 'Zm9v\nYmFy', 'Zm9v\u00e9mFy', 'Zm9v\u0000mFy', 'Zm.v', 'Zm9v\u4e2dmFy']) {
        rejects(s, 'url');
        rejects(s, 'standard');
      }
      rejects('ab+/', 'url');
      rejects('ab-_', 'standard');
      assert.match(rejects('Zm9v!mFy').message, /at character 4/);
    });

    it("rejects misplaced, partial and excess '=' padding", () => {
      for (const s of ['=', '==', '===', '====', 'Zg=', 'Zg===', 'Zg=a', '=Zg=', 'Z=g=', 'Zm8==', 'Zm9v=', 'Zm9v====', 'Zm=9vYmFy', 'Zm9v=Zm9v']) {
        rejects(s);
        rejects(s, 'standard');
      }
    });

    it('rejects impossible lengths (one character left over)', () => {
      for (const s of ['Z', 'Zm9vY', 'Zm9vYmFyZ', 'Z===']) rejects(s);
    });

    it('rejects non-canonical trailing bits: exactly one spelling per byte string', () => {
      const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // Every 1-byte value with every 16 variants of the low bits of the second character.
      for (let b = 0; b < 256; b++) {
        const canonical = encodeBase64Url(new Uint8Array([b]));
        const hi = chars.indexOf(canonical[1]) & 0x30;
        for (let low = 0; low < 16; low++) {
          const s = canonical[0] + chars[hi | low];
          if (low === 0) {
            assert.deepEqual(decodeBase64Url(s), new Uint8Array([b]));
            assert.deepEqual(decodeBase64Url(s + '=='), new Uint8Array([b]));
          } else {
            assert.match(rejects(s).message, /non-canonical/);
            rejects(s + '==');
          }
        }
      }
      // 2-byte values: the last character carries 2 spare bits.
      const rng = prng(2);
      for (let i = 0; i < 500; i++) {
        const canonical = encodeBase64UrlNoPad(randomBytes(rng, 2));
        const v = chars.indexOf(canonical[2]);
        for (let low = 1; low < 4; low++) rejects(canonical.slice(0, 2) + chars[v | low] + '=');
      }
      rejects('Zh==', 'standard');
      rejects('Zm9=', 'standard');
    });

    it("enforces 'required' and 'forbidden' padding when asked", () => {
      rejects('Zg', 'url', 'required');
      rejects('Zm8', 'standard', 'required');
      rejects('Zg==', 'url', 'forbidden');
      rejects('Zm8=', 'url', 'forbidden');
      assert.deepEqual(decodeBase64('Zm9v', 'url', 'required'), ascii('foo'));
      assert.deepEqual(decodeBase64('Zm9v', 'url', 'forbidden'), ascii('foo'));
    });

    it('refuses a string mixing both alphabets when either is accepted', () => {
      expectDecodeError(() => decodeBase64AnyAlphabet('ab+_'), 'bad-base64');
      expectDecodeError(() => decodeBase64AnyAlphabet('-b/d'), 'bad-base64');
      assert.deepEqual(decodeBase64AnyAlphabet('+/+/'), new Uint8Array([0xfb, 0xff, 0xbf]));
      assert.deepEqual(decodeBase64AnyAlphabet('-_-_'), new Uint8Array([0xfb, 0xff, 0xbf]));
    });

    it('accepts a string only if it is the canonical spelling of what it decodes to (fuzz)', () => {
      const rng = prng(0x64f);
      const pool = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.= \n';
      let accepted = 0;
      for (let i = 0; i < 5000; i++) {
        let s = '';
        const len = randomInt(rng, 14);
        for (let k = 0; k < len; k++) s += pool[randomInt(rng, pool.length)];
        for (const alphabet of ['url', 'standard'] as Base64Alphabet[]) {
          const out = tryDecode(s, alphabet);
          if (out === null) continue;
          accepted++;
          const padded = s.endsWith('=') || (s.length % 4 === 0);
          assert.equal(encodeBase64(out, alphabet, padded), s, 'accepted a non-canonical spelling');
          assert.deepEqual(new Uint8Array(Buffer.from(s, alphabet === 'url' ? 'base64url' : 'base64')), out);
        }
        onlyDecodeErrors(() => decodeBase64AnyAlphabet(s), 'decodeBase64AnyAlphabet');
      }
      assert.ok(accepted > 200, 'fuzz should also hit valid strings (' + accepted + ')');
    });

    it('throws only DecodeError on arbitrary UTF-16 input', () => {
      const rng = prng(99);
      for (let i = 0; i < 2000; i++) {
        let s = '';
        const len = randomInt(rng, 12);
        for (let k = 0; k < len; k++) s += String.fromCharCode(randomInt(rng, 0x10000));
        for (const padding of ['optional', 'required', 'forbidden'] as Base64Padding[]) {
          try {
            decodeBase64(s, 'url', padding);
          } catch (e) {
            assert.ok(e instanceof DecodeError && e.code === 'bad-base64');
          }
        }
      }
    });
  });
});
