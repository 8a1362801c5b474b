/**
 * X3DH parameters and agreement: the binary confirmation form (KEM Maybe only from v3), the
 * binary and text link forms (KEM Maybe always / kem_key only when the range reaches v3), and
 * the key agreement in every KEM combination simplexmq tests (DoubleRatchetTests.hs:
 * none, propose in reply, propose + accept, propose + reject, propose again, accept without
 * proposal).
 */
import assert from 'node:assert/strict';
import { Decoder, Encoder, decode } from '../../../firmware/encoding/binary';
import { toHex } from '../../../firmware/encoding/bytes';
import {
  decodeE2EParams,
  decodeE2EParamsUri,
  e2eParamsAtVersion,
  e2eParamsUriToString,
  encodeE2EParams,
  encodeE2EParamsUri,
  generateInitiatorParams,
  generateJoinerParams,
  parseE2EParamsUri,
  replyKem,
  wipeX3dhPrivateKeys,
  x3dhInitiator,
  x3dhJoiner,
} from '../../../firmware/agent/x3dh';
import type { E2EParams, E2EParamsUri, RatchetInitParams } from '../../../firmware/agent/x3dh';
import { expectDecodeError, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';
import { BACKENDS, expectRatchetError, seeded } from './helpers';

function encodeParams(p: E2EParams): Uint8Array {
  const e = new Encoder();
  encodeE2EParams(e, p);
  return e.finish();
}

function encodeUri(p: E2EParamsUri): Uint8Array {
  const e = new Encoder();
  encodeE2EParamsUri(e, p);
  return e.finish();
}

function sameSecrets(a: RatchetInitParams, b: RatchetInitParams): void {
  assert.equal(toHex(a.ad), toHex(b.ad));
  assert.equal(toHex(a.rootKey), toHex(b.rootKey));
  assert.equal(toHex(a.sndHeaderKey), toHex(b.sndHeaderKey));
  assert.equal(toHex(a.rcvNextHeaderKey), toHex(b.rcvNextHeaderKey));
}

describe('firmware/agent/x3dh encodings', () => {
  const rng = prng(77);
  const k1 = randomBytes(rng, 56);
  const k2 = randomBytes(rng, 56);
  const pk = randomBytes(rng, 1158);
  const ct = randomBytes(rng, 1039);

  it('confirmation form: 141 bytes at v3 without KEM (142 with the Maybe in AgentConfirmation), 2343 with A, no Maybe at v2', () => {
    const none = encodeParams({ version: 3, key1: k1, key2: k2, kem: null });
    assert.equal(none.length, 141);
    assert.equal(none[140], 0x30);
    const acc = encodeParams({ version: 3, key1: k1, key2: k2, kem: { kind: 'accepted', ciphertext: ct, publicKey: pk } });
    assert.equal(acc.length, 2343);
    const prop = encodeParams({ version: 3, key1: k1, key2: k2, kem: { kind: 'proposed', publicKey: pk } });
    assert.equal(prop.length, 141 + 1 + 2 + 1158);
    // At v2 the KEM is not written even if present, and not read.
    const v2 = encodeParams({ version: 2, key1: k1, key2: k2, kem: { kind: 'proposed', publicKey: pk } });
    assert.equal(v2.length, 140);
    for (const b of [none, acc, prop, v2]) {
      const r = decode(b, decodeE2EParams);
      assert.ok(r.ok);
      assert.equal(toHex(encodeParams(r.value)), toHex(b));
    }
    const r2 = decode(v2, decodeE2EParams);
    assert.ok(r2.ok && r2.value.kem === null && r2.value.version === 2);
  });

  it('link binary form always carries the KEM Maybe', () => {
    const a: E2EParamsUri = { versionRange: { min: 2, max: 2 }, key1: k1, key2: k2, kem: null };
    const b: E2EParamsUri = { versionRange: { min: 2, max: 3 }, key1: k1, key2: k2, kem: { kind: 'proposed', publicKey: pk } };
    const ea = encodeUri(a);
    assert.equal(ea.length, 4 + 69 + 69 + 1);
    const eb = encodeUri(b);
    assert.equal(eb.length, 4 + 69 + 69 + 1 + 1 + 2 + 1158);
    for (const [p, enc] of [[a, ea], [b, eb]] as Array<[E2EParamsUri, Uint8Array]>) {
      const r = decode(enc, decodeE2EParamsUri);
      assert.ok(r.ok);
      assert.deepEqual(r.value, p);
    }
  });

  it('text form: parses the simplexmq worked example and writes it back exactly', () => {
    const v = vectorCase('connection-request-uri.json', 'invitation_worked_example');
    const p = parseE2EParamsUri(v.e2e_params);
    assert.deepEqual(p.versionRange, { min: 1, max: 1 });
    assert.equal('3042300506032b656f033900' + toHex(p.key1), v.e2e.x3dh_key1_x448_spki);
    assert.equal('3042300506032b656f033900' + toHex(p.key2), v.e2e.x3dh_key2_x448_spki);
    assert.equal(p.kem, null);
    assert.equal(e2eParamsUriToString(p), v.e2e_params);
  });

  it('text form: kem_key (1544 characters) from v3, kem_ct before it when accepted, none below v3', () => {
    const prop: E2EParamsUri = { versionRange: { min: 2, max: 3 }, key1: k1, key2: k2, kem: { kind: 'proposed', publicKey: pk } };
    const s = e2eParamsUriToString(prop);
    assert.match(s, /^v=2-3&x3dh=[A-Za-z0-9_-]+=,[A-Za-z0-9_-]+=&kem_key=[A-Za-z0-9_-]{1544}$/);
    assert.deepEqual(parseE2EParamsUri(s), prop);
    const acc: E2EParamsUri = { versionRange: { min: 3, max: 3 }, key1: k1, key2: k2, kem: { kind: 'accepted', ciphertext: ct, publicKey: pk } };
    const sa = e2eParamsUriToString(acc);
    assert.ok(sa.startsWith('v=3&x3dh='));
    assert.ok(sa.indexOf('&kem_ct=') < sa.indexOf('&kem_key='));
    assert.deepEqual(parseE2EParamsUri(sa), acc);
    const old: E2EParamsUri = { versionRange: { min: 2, max: 2 }, key1: k1, key2: k2, kem: { kind: 'proposed', publicKey: pk } };
    const so = e2eParamsUriToString(old);
    assert.equal(so.indexOf('kem_key'), -1);
    // A kem_key in a range below 3 is ignored when parsing, as simplexmq does.
    assert.equal(parseE2EParamsUri(so + '&kem_key=' + s.split('kem_key=')[1]).kem, null);
    // Parameter order and unknown parameters do not matter; escaped input is accepted.
    const reordered = 'x3dh=' + s.split('x3dh=')[1].split('&')[0] + '&zz=1&v=2-3&kem_key=' + s.split('kem_key=')[1];
    assert.deepEqual(parseE2EParamsUri(reordered), prop);
    // The same with the base64 padding percent-escaped, as a fully escaping writer would.
    const [k1b, k2b] = s.split('x3dh=')[1].split('&')[0].split(',');
    const escaped = 'v=2-3&x3dh=' + k1b.replace('=', '%3D') + '%2C' + k2b.replace('=', '%3D') + '&kem_key=' + s.split('kem_key=')[1];
    assert.deepEqual(parseE2EParamsUri(escaped), prop);
  });

  it('text form: rejects missing or malformed parts with DecodeError', () => {
    const good = e2eParamsUriToString({ versionRange: { min: 2, max: 3 }, key1: k1, key2: k2, kem: null });
    const x = good.split('x3dh=')[1];
    expectDecodeError(() => parseE2EParamsUri('x3dh=' + x), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=2-3'), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=3-2&x3dh=' + x), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=2-x&x3dh=' + x), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=70000&x3dh=' + x), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=2-3&x3dh=' + x.split(',')[0]), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=2-3&x3dh=' + x + ',' + x.split(',')[0]), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=2-3&x3dh=' + x + '&kem_key=AAAA'), 'invalid-value');
    expectDecodeError(() => parseE2EParamsUri('v=2-3&x3dh=!!,' + x.split(',')[1]), 'bad-base64');
    // An X25519 key where an X448 key belongs.
    expectDecodeError(() => parseE2EParamsUri('v=2-3&x3dh=MCowBQYDK2VuAyEAjiswwI3O_NlS8Fk3HJUW870EY2bAwmttMBsvRB9eV3o=,' + x.split(',')[1]), 'wrong-algorithm');
  });

  it('binary forms: truncation, garbage and mutation give DecodeError only (fixed seed)', () => {
    const full = encodeParams({ version: 3, key1: k1, key2: k2, kem: { kind: 'accepted', ciphertext: ct, publicKey: pk } });
    for (let n = 0; n < full.length; n += 37) {
      const r = decode(full.subarray(0, n), decodeE2EParams);
      assert.equal(r.ok, false);
    }
    const r = prng(99);
    for (let i = 0; i < 2000; i++) {
      const g = randomBytes(r, randomInt(r, 400));
      onlyDecodeErrors(() => decodeE2EParams(new Decoder(g)), 'E2EParams');
      onlyDecodeErrors(() => decodeE2EParamsUri(new Decoder(g)), 'E2EParamsUri');
      const m = full.slice(0, 200);
      m[randomInt(r, m.length)] ^= 1 + randomInt(r, 255);
      onlyDecodeErrors(() => decodeE2EParams(new Decoder(m)), 'mutated E2EParams');
      let s = '';
      for (let j = randomInt(r, 60); j > 0; j--) s += String.fromCharCode(32 + randomInt(r, 95));
      onlyDecodeErrors(() => parseE2EParamsUri(s), 'e2e text');
    }
  });

  it('replyKem: accept a proposal, propose otherwise, nothing without PQ or below v3', () => {
    const prop = { kind: 'proposed' as const, publicKey: pk };
    assert.deepEqual(replyKem(3, prop, true), { kind: 'accept', publicKey: pk });
    assert.deepEqual(replyKem(3, null, true), { kind: 'propose' });
    assert.equal(replyKem(3, prop, false), null);
    assert.equal(replyKem(2, prop, true), null);
  });
});

for (const backend of BACKENDS) {
  describe('firmware/agent/x3dh agreement on the ' + backend.name + ' backend', () => {
    const cA = backend.make(seeded(11));
    const cB = backend.make(seeded(12));

    it('no KEM: both sides agree, no KEM state', () => {
      const a = generateInitiatorParams(cA, 3, false);
      assert.equal(a.params.kem, null);
      const b = generateJoinerParams(cB, 3, null);
      const j = x3dhJoiner(cB, b.keys, a.params);
      const i = x3dhInitiator(cA, a.keys, b.params);
      sameSecrets(i, j);
      assert.equal(j.kemAccepted, null);
      assert.equal(i.kemKeyPair, null);
    });

    it('proposal in reply: no secret yet, the joiner keeps its key pair', () => {
      const a = generateInitiatorParams(cA, 3, false);
      const b = generateJoinerParams(cB, 3, replyKem(3, a.params.kem, true));
      assert.equal(b.params.kem?.kind, 'proposed');
      const j = x3dhJoiner(cB, b.keys, a.params);
      const i = x3dhInitiator(cA, a.keys, b.params);
      sameSecrets(i, j);
      assert.equal(j.kemAccepted, null);
      assert.ok(j.kemKeyPair);
      assert.equal(i.kemKeyPair, null);
    });

    it('proposal accepted: the KEM secret enters X3DH on both sides', () => {
      const a = generateInitiatorParams(cA, 3, true);
      assert.equal(a.params.kem?.kind, 'proposed');
      const b = generateJoinerParams(cB, 3, replyKem(3, a.params.kem, true));
      assert.equal(b.params.kem?.kind, 'accepted');
      const j = x3dhJoiner(cB, b.keys, a.params);
      const i = x3dhInitiator(cA, a.keys, b.params);
      sameSecrets(i, j);
      assert.ok(i.kemAccepted && j.kemAccepted);
      assert.equal(toHex(i.kemAccepted.sharedSecret), toHex(j.kemAccepted.sharedSecret));
      assert.equal(toHex(i.kemAccepted.ciphertext), toHex(j.kemAccepted.ciphertext));
      assert.notEqual(toHex(i.kemAccepted.peerPublicKey), toHex(j.kemAccepted.peerPublicKey));
      // The secret changes the keys: the same DH keys without it agree on something else.
      const plain = x3dhJoiner(cB, { key1: b.keys.key1, key2: b.keys.key2, kem: null }, a.params);
      assert.notEqual(toHex(plain.rootKey), toHex(j.rootKey));
    });

    it('proposal rejected, and proposal answered by a proposal: no secret, the initiator drops its pair', () => {
      const a = generateInitiatorParams(cA, 3, true);
      for (const reply of [null, { kind: 'propose' as const }]) {
        const b = generateJoinerParams(cB, 3, reply);
        const j = x3dhJoiner(cB, b.keys, a.params);
        const i = x3dhInitiator(cA, a.keys, b.params);
        sameSecrets(i, j);
        assert.equal(i.kemAccepted, null);
        assert.equal(i.kemKeyPair, null);
      }
    });

    it('acceptance without a proposal is a KEM state error on both sides', () => {
      const a = generateInitiatorParams(cA, 3, false);
      const stray = cB.sntrup761KeyPair();
      const b = generateJoinerParams(cB, 3, { kind: 'accept', publicKey: stray.publicKey });
      expectRatchetError(() => x3dhJoiner(cB, b.keys, a.params), 'kem-state');
      expectRatchetError(() => x3dhInitiator(cA, a.keys, b.params), 'kem-state');
      // Initiator parameters that carry a ciphertext are not a link's.
      const bad: E2EParams = { version: 3, key1: a.params.key1, key2: a.params.key2, kem: b.params.kem };
      expectRatchetError(() => x3dhJoiner(cB, generateJoinerParams(cB, 3, null).keys, bad), 'kem-state');
    });

    it('below v3 no KEM is generated or used', () => {
      const a = generateInitiatorParams(cA, 2, true);
      assert.equal(a.params.kem, null);
      assert.equal(a.keys.kem, null);
      const b = generateJoinerParams(cB, 2, { kind: 'propose' });
      assert.equal(b.params.kem, null);
      sameSecrets(x3dhJoiner(cB, b.keys, a.params), x3dhInitiator(cA, a.keys, b.params));
    });

    it('uses a precomputed KEM pair instead of generating one', () => {
      const pair = cA.sntrup761KeyPair();
      const a = generateInitiatorParams(cA, 3, true, pair);
      assert.equal(a.params.kem?.kind === 'proposed' && toHex(a.params.kem.publicKey), toHex(pair.publicKey));
      expectRatchetError(() => generateInitiatorParams(cA, 3, true, { publicKey: new Uint8Array(3), secretKey: pair.secretKey }), 'bad-params');
    });

    it('refuses unsupported versions and low-order keys', () => {
      expectRatchetError(() => generateInitiatorParams(cA, 1, false), 'version');
      expectRatchetError(() => generateJoinerParams(cB, 4, null), 'version');
      const a = generateInitiatorParams(cA, 3, false);
      const b = generateJoinerParams(cB, 3, null);
      const zero: E2EParams = { version: 3, key1: new Uint8Array(56), key2: a.params.key2, kem: null };
      expectRatchetError(() => x3dhJoiner(cB, b.keys, zero), 'bad-params');
      expectRatchetError(() => x3dhInitiator(cA, a.keys, { version: 1, key1: b.params.key1, key2: b.params.key2, kem: null }), 'version');
    });

    it('e2eParamsAtVersion and wipeX3dhPrivateKeys', () => {
      const a = generateInitiatorParams(cA, 3, true);
      const uri: E2EParamsUri = { versionRange: { min: 2, max: 3 }, key1: a.params.key1, key2: a.params.key2, kem: a.params.kem };
      assert.equal(e2eParamsAtVersion(uri, 2).version, 2);
      wipeX3dhPrivateKeys(a.keys);
      assert.equal(toHex(a.keys.key1.privateKey), '00'.repeat(56));
      assert.ok(a.keys.kem && a.keys.kem.keyPair.secretKey.every((x) => x === 0));
    });
  });
}
