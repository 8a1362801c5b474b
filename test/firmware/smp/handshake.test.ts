import assert from 'node:assert/strict';
import { toHex } from '../../../firmware/encoding/bytes';
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  HandshakeError,
  isVersionInRange,
  negotiateVersion,
  type CertChainPubKey,
  type ClientHello,
  type ServerHello,
} from '../../../firmware/smp/handshake';
import { decodeBlock, encodeBlock, legacyServerSMPRelayVRange, supportedClientSMPRelayVRange } from '../../../firmware/smp/transmission';
import { expectDecodeError, expectEncodeError, hex, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';
import { bytes, fakeKey, sampleX25519 } from './helpers';

const FILE = 'smp-handshake.json';

/** A chain of two stand-in certificates (the x509 module parses real ones) and the vector's signed key. */
function chainKey(): CertChainPubKey {
  return { certChain: [bytes(300, 0xc1), bytes(280, 0xc2)], signedKey: hex(vectorCase(FILE, 'signed_session_key_ed25519').signed_key_der) };
}

function expectHandshakeError(fn: () => unknown): HandshakeError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof HandshakeError, 'expected HandshakeError, got ' + String(thrown));
  assert.equal(thrown.code, 'incompatible-version');
  return thrown;
}

describe('SMP handshake messages (smp.md §4)', () => {
  describe('server hello', () => {
    it('matches the keyless vector (versionRange 6..18 ‖ short(sessionId))', () => {
      const v = vectorCase(FILE, 'server_hello_no_key');
      const h: ServerHello = { versionRange: { min: v.version_min, max: v.version_max }, sessionId: hex(v.session_id), certChainPubKey: null };
      assert.equal(toHex(encodeServerHello(h)), v.hello);
      assert.deepEqual(decodeServerHello(hex(v.hello)), h);
      // Through a block and back, ignoring the '#' filler.
      assert.deepEqual(decodeServerHello(decodeBlock(encodeBlock(hex(v.hello)))), h);
    });

    it('carries the chain and the signed key (vector bytes) when max ≥ 7', () => {
      const v = vectorCase(FILE, 'signed_session_key_ed25519');
      assert.equal(v.signed_key_der.length / 2, 122);
      const h: ServerHello = { versionRange: { min: 6, max: 18 }, sessionId: bytes(32, 0x11), certChainPubKey: chainKey() };
      const b = encodeServerHello(h);
      const expected = '00060012' + '20' + '11'.repeat(32) + '02' + '012c' + 'c1'.repeat(300) + '0118' + 'c2'.repeat(280) + '007a' + v.signed_key_der;
      assert.equal(toHex(b), expected);
      const back = decodeServerHello(b);
      assert.deepEqual(back, h);
      assert.ok(back.certChainPubKey !== null);
      assert.equal(toHex(back.certChainPubKey.signedKey), v.signed_key_der);
      assert.ok(toHex(back.certChainPubKey.signedKey).includes(v.signed_object), 'the signed object (46-byte wrapped SPKI) is inside');
      assert.ok(toHex(back.certChainPubKey.signedKey).endsWith(v.signature));
    });

    it('drops the key for a legacy 6..6 hello and never reads one there', () => {
      const h: ServerHello = { versionRange: legacyServerSMPRelayVRange, sessionId: bytes(32, 1), certChainPubKey: chainKey() };
      const b = encodeServerHello(h);
      assert.equal(toHex(b), '00060006' + '20' + '01'.repeat(32));
      // Whatever follows a v6 hello is ignored, even bytes shaped like a key.
      const withTail = hex(toHex(b) + toHex(encodeServerHello({ ...h, versionRange: { min: 6, max: 18 } })).slice(74));
      assert.equal(decodeServerHello(withTail).certChainPubKey, null);
    });

    it('ignores an unknown tail after the key (later versions extend the hello)', () => {
      const h: ServerHello = { versionRange: { min: 6, max: 19 }, sessionId: bytes(32, 1), certChainPubKey: chainKey() };
      const b = hex(toHex(encodeServerHello(h)) + '40' + 'ab'.repeat(64));
      assert.deepEqual(decodeServerHello(b), h);
    });

    it('treats bytes that are not a key as the ignored tail (upstream `optional`)', () => {
      const b = hex('00060012' + '20' + '01'.repeat(32) + '00' + 'ffff');
      assert.equal(decodeServerHello(b).certChainPubKey, null);
    });

    it('refuses truncated or invalid hellos (TEHandshake PARSE)', () => {
      expectDecodeError(() => decodeServerHello(new Uint8Array(0)), 'truncated');
      expectDecodeError(() => decodeServerHello(hex('000600')), 'truncated');
      expectDecodeError(() => decodeServerHello(hex('00060012' + '20' + '01'.repeat(31))), 'truncated');
      expectDecodeError(() => decodeServerHello(hex('00120006' + '00')), 'invalid-value');
    });
  });

  describe('client hello', () => {
    it('matches the keyless v18 vector: version ‖ short(keyHash) ‖ "F" ‖ "0"', () => {
      const v = vectorCase(FILE, 'client_hello_no_key');
      const h: ClientHello = { version: v.version, keyHash: hex(v.key_hash), authPubKey: null, proxyServer: false, clientService: null };
      assert.equal(toHex(encodeClientHello(h)), v.hello);
      assert.deepEqual(decodeClientHello(hex(v.hello)), h);
      assert.deepEqual(decodeClientHello(decodeBlock(encodeBlock(hex(v.hello)))), h);
    });

    it('a typical v18 hello with a key is 82 bytes: 0012 ‖ 20 fp ‖ 2c SPKI ‖ F ‖ 0', () => {
      const key = sampleX25519();
      const h: ClientHello = { version: 18, keyHash: bytes(32, 7), authPubKey: key, proxyServer: false, clientService: null };
      const b = encodeClientHello(h);
      assert.equal(b.length, 82);
      assert.equal(toHex(b), '0012' + '20' + '07'.repeat(32) + '2c' + vectorCase('encoding.json', 'sample_x25519_spki').der + '4630');
      assert.deepEqual(decodeClientHello(b), h);
    });

    it('applies the version gates: key from v7, proxyServer from v14, clientService from v16', () => {
      const key = sampleX25519();
      const full: ClientHello = { version: 18, keyHash: bytes(32, 7), authPubKey: key, proxyServer: true, clientService: null };
      const spki = '2c' + vectorCase('encoding.json', 'sample_x25519_spki').der;
      const fp = '20' + '07'.repeat(32);
      const expectations: Array<[number, string, ClientHello]> = [
        [6, '0006' + fp, { ...full, version: 6, authPubKey: null, proxyServer: false }],
        [7, '0007' + fp + spki, { ...full, version: 7, proxyServer: false }],
        [13, '000d' + fp + spki, { ...full, version: 13, proxyServer: false }],
        [14, '000e' + fp + spki + '54', { ...full, version: 14 }],
        [15, '000f' + fp + spki + '54', { ...full, version: 15 }],
        [16, '0010' + fp + spki + '54' + '30', { ...full, version: 16 }],
      ];
      for (const [version, bytesHex, decoded] of expectations) {
        const b = encodeClientHello({ ...full, version });
        assert.equal(toHex(b), bytesHex, 'v' + version);
        assert.deepEqual(decodeClientHello(b), decoded, 'v' + version);
      }
    });

    it('carries a service client role and chain (v16+)', () => {
      const h: ClientHello = { version: 18, keyHash: bytes(32, 7), authPubKey: null, proxyServer: false, clientService: { role: 'notifier', certChainPubKey: chainKey() } };
      const b = encodeClientHello(h);
      assert.equal(toHex(b.subarray(35, 39)), '4631' + '4e' + '02');
      assert.deepEqual(decodeClientHello(b), h);
      expectDecodeError(() => decodeClientHello(hex(toHex(b).replace(/^(.{70})46314e/, '$1463158'))), 'invalid-value');
    });

    it('reads a key-shaped field that is not an X25519 key as "no key" (then fails on the Bool)', () => {
      const ed = '2c' + vectorCase('encoding.json', 'sample_ed25519_spki').der;
      expectDecodeError(() => decodeClientHello(hex('0012' + '20' + '07'.repeat(32) + ed + '4630')), 'invalid-value');
    });

    it('ignores a tail after the known fields', () => {
      const h: ClientHello = { version: 18, keyHash: bytes(32, 7), authPubKey: null, proxyServer: false, clientService: null };
      assert.deepEqual(decodeClientHello(hex(toHex(encodeClientHello(h)) + 'deadbeef')), h);
    });

    it('refuses a hello key that is not X25519', () => {
      expectEncodeError(() => encodeClientHello({ version: 18, keyHash: bytes(32, 7), authPubKey: fakeKey('ed25519', 1), proxyServer: false, clientService: null }), 'invalid-value');
    });
  });

  describe('version negotiation', () => {
    it('takes the maximum of the intersection', () => {
      assert.deepEqual(negotiateVersion({ min: 6, max: 18 }, supportedClientSMPRelayVRange), { version: 18, range: { min: 6, max: 18 } });
      assert.deepEqual(negotiateVersion({ min: 6, max: 6 }, supportedClientSMPRelayVRange), { version: 6, range: { min: 6, max: 6 } });
      assert.deepEqual(negotiateVersion({ min: 8, max: 17 }, supportedClientSMPRelayVRange), { version: 17, range: { min: 8, max: 17 } });
      assert.deepEqual(negotiateVersion({ min: 10, max: 25 }, supportedClientSMPRelayVRange), { version: 18, range: { min: 10, max: 18 } });
    });

    it('is a typed error when the ranges do not overlap', () => {
      const e = expectHandshakeError(() => negotiateVersion({ min: 1, max: 5 }, supportedClientSMPRelayVRange));
      assert.match(e.message, /1\.\.5/);
      expectHandshakeError(() => negotiateVersion({ min: 19, max: 20 }, supportedClientSMPRelayVRange));
    });

    it('as a proxy, caps at 10 against a relay below v14', () => {
      assert.equal(negotiateVersion({ min: 6, max: 12 }, { min: 6, max: 18 }, true).version, 10);
      assert.equal(negotiateVersion({ min: 6, max: 14 }, { min: 6, max: 18 }, true).version, 14);
      assert.equal(negotiateVersion({ min: 6, max: 12 }, { min: 6, max: 18 }, false).version, 12);
    });

    it('the server checks the chosen version lies in its range', () => {
      assert.ok(isVersionInRange(18, { min: 6, max: 18 }));
      assert.ok(!isVersionInRange(19, { min: 6, max: 18 }));
      assert.ok(!isVersionInRange(5, { min: 6, max: 18 }));
    });
  });

  it('fuzz: garbage hellos give DecodeErrors only', () => {
    const rng = prng(0x4e110);
    const good = [
      encodeServerHello({ versionRange: { min: 6, max: 18 }, sessionId: bytes(32, 1), certChainPubKey: chainKey() }),
      encodeClientHello({ version: 18, keyHash: bytes(32, 7), authPubKey: sampleX25519(), proxyServer: false, clientService: { role: 'proxy', certChainPubKey: chainKey() } }),
    ];
    for (let i = 0; i < 2000; i++) {
      let input: Uint8Array;
      if (i % 3 === 0) input = randomBytes(rng, randomInt(rng, 200));
      else {
        input = new Uint8Array(good[i % 2]);
        for (let k = 0; k < 1 + randomInt(rng, 3); k++) input[randomInt(rng, input.length)] = randomInt(rng, 256);
        input = input.subarray(0, randomInt(rng, input.length + 1));
      }
      onlyDecodeErrors(() => decodeServerHello(input), 'decodeServerHello');
      onlyDecodeErrors(() => decodeClientHello(input), 'decodeClientHello');
    }
  });
});
