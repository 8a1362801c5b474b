import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import {
  DerError,
  DerReader,
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derNull,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derSmallInteger,
  derTime,
  derUtf8String,
  derEncode,
} from '../../../firmware/x509/der';
import {
  CertificateError,
  KEY_USAGE_DIGITAL_SIGNATURE,
  KEY_USAGE_KEY_AGREEMENT,
  KEY_USAGE_NON_REPUDIATION,
  OID_SERVER_AUTH,
  buildCertificate,
  encodeSignedKey,
  encodeSubjectPublicKeyInfo,
  isIssuedBy,
  keyIdentifier,
  parseCertificate,
  parseSignedKey,
  verifyCertificateSignature,
  verifySignedKey,
  type Certificate,
  type SignatureAlgorithm,
  type SubjectPublicKey,
} from '../../../firmware/x509/certificate';
import type { Crypto } from '../../../hal/crypto';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createPortableCrypto } from '../../../hal/portable/crypto';
import { createNodeRandom } from '../../../hal/node/random';
import { expectError, hex, onlyTypedErrors, prng, vectorCase } from './helpers';

const portableCrypto = createPortableCrypto(createNodeRandom());
const nodeCrypto = createNodeCrypto(createNodeRandom());
const crypto = portableCrypto;

interface TestKey {
  alg: SignatureAlgorithm;
  seed: Uint8Array;
  publicKey: SubjectPublicKey;
  sign: (m: Uint8Array) => Uint8Array;
}

function testKey(alg: SignatureAlgorithm, fill: number): TestKey {
  const seed = new Uint8Array(alg === 'ed25519' ? 32 : 57).fill(fill);
  const curve = alg === 'ed25519' ? ed25519 : ed448;
  return { alg, seed, publicKey: { alg, raw: curve.getPublicKey(seed) }, sign: (m) => curve.sign(m, seed) };
}

const DAY = 86400000;
const NOT_BEFORE = Date.UTC(2026, 0, 15, 12, 0, 0);
const NOT_AFTER = NOT_BEFORE + 999999 * DAY; // the reference's validity

function buildChain(alg: SignatureAlgorithm, caKey: TestKey, serverKey: TestKey): { ca: Uint8Array; server: Uint8Array } {
  const caId = keyIdentifier(crypto.sha256, caKey.publicKey);
  const ca = buildCertificate({
    serial: hex('01020304050607080910111213141516171819'),
    signatureAlgorithm: alg,
    issuer: { commonName: 'SMP server CA', organization: 'SimpleX' },
    subject: { commonName: 'SMP server CA', organization: 'SimpleX' },
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    publicKey: caKey.publicKey,
    isCA: true,
    subjectKeyId: caId,
    authorityKeyId: caId,
    sign: caKey.sign,
  });
  const server = buildCertificate({
    serial: hex('ff00000000000000000000000000000000000001'),
    signatureAlgorithm: alg,
    issuer: { commonName: 'SMP server CA', organization: 'SimpleX' },
    subject: { commonName: 'localhost', organization: null },
    notBefore: NOT_BEFORE,
    notAfter: NOT_AFTER,
    publicKey: serverKey.publicKey,
    isCA: false,
    subjectKeyId: keyIdentifier(crypto.sha256, serverKey.publicKey),
    authorityKeyId: caId,
    sign: caKey.sign,
  });
  return { ca, server };
}

/** The same certificate with its TBS or signature replaced (parse results are plain data). */
function withTbs(cert: Certificate, tbs: Uint8Array): Certificate {
  return { ...cert, tbs };
}

describe('x509/certificate: build, parse, verify', () => {
  for (const alg of ['ed25519', 'ed448'] as const) {
    it(alg + ': a built chain parses back to what was asked for', () => {
      const caKey = testKey(alg, 1);
      const serverKey = testKey(alg, 2);
      const { ca, server } = buildChain(alg, caKey, serverKey);
      const c = parseCertificate(ca);
      const s = parseCertificate(server);
      assert.equal(c.signatureAlgorithm, alg);
      assert.equal(c.version, 3);
      assert.equal(toHex(c.serial), '01020304050607080910111213141516171819');
      assert.equal(toHex(s.serial), '00ff00000000000000000000000000000000000001', 'a high bit gets a 00 so the serial stays positive');
      assert.equal(c.notBefore, NOT_BEFORE);
      assert.equal(c.notAfter, NOT_AFTER);
      assert.equal(toHex(c.publicKey.raw), toHex(caKey.publicKey.raw));
      assert.equal(toHex(s.publicKey.raw), toHex(serverKey.publicKey.raw));
      assert.equal(c.isCA, true);
      assert.equal(s.isCA, false);
      assert.equal(s.keyUsage, KEY_USAGE_DIGITAL_SIGNATURE | KEY_USAGE_NON_REPUDIATION | KEY_USAGE_KEY_AGREEMENT);
      assert.deepEqual(s.extKeyUsage, [OID_SERVER_AUTH]);
      assert.equal(toHex(c.subjectKeyId!), toHex(crypto.sha256(caKey.publicKey.raw).subarray(0, 20)));
      assert.equal(toHex(s.authorityKeyId!), toHex(c.subjectKeyId!));
      assert.equal(s.subject.commonName, 'localhost');
      assert.equal(s.issuer.organization, 'SimpleX');
      assert.equal(isIssuedBy(s, c), true);
    });

    it(alg + ': signatures verify for the right issuer only (portable and node Crypto backends)', () => {
      for (const crypto of [portableCrypto, nodeCrypto]) checkVerification(crypto, alg);
    });
  }
});

function checkVerification(crypto: Crypto, alg: SignatureAlgorithm): void {
  const caKey = testKey(alg, 1);
  const { ca, server } = buildChain(alg, caKey, testKey(alg, 2));
  const otherCa = buildChain(alg, testKey(alg, 3), testKey(alg, 2)).ca;
  const c = parseCertificate(ca);
  const s = parseCertificate(server);
  const o = parseCertificate(otherCa);
  assert.equal(verifyCertificateSignature(crypto, s, c.publicKey), true);
  assert.equal(verifyCertificateSignature(crypto, c, c.publicKey), true);
  assert.equal(verifyCertificateSignature(crypto, s, o.publicKey), false, 'another CA');
  assert.equal(verifyCertificateSignature(crypto, s, s.publicKey), false, 'self');
  const tbs = new Uint8Array(s.tbs);
  tbs[40] ^= 0x01;
  assert.equal(verifyCertificateSignature(crypto, withTbs(s, tbs), c.publicKey), false, 'tampered TBS');
  const sig = new Uint8Array(s.signature);
  sig[0] ^= 0x80;
  assert.equal(verifyCertificateSignature(crypto, { ...s, signature: sig }, c.publicKey), false, 'tampered signature');
  // A key of the other algorithm, or a malformed key, is a "no", never an exception.
  const otherAlg = alg === 'ed25519' ? testKey('ed448', 1) : testKey('ed25519', 1);
  assert.equal(verifyCertificateSignature(crypto, s, otherAlg.publicKey), false);
  assert.equal(verifyCertificateSignature(crypto, s, { alg, raw: c.publicKey.raw.subarray(1) }), false);
  assert.equal(verifyCertificateSignature(crypto, s, { alg, raw: new Uint8Array(c.publicKey.raw.length).fill(0xff) }), false);
  assert.equal(verifyCertificateSignature(crypto, s, { alg: 'x25519', raw: c.publicKey.raw }), false);
}

describe('x509/certificate: OpenSSL reads what buildCertificate writes', () => {
  for (const alg of ['ed25519', 'ed448'] as const) {
    it(alg + ': node:crypto (OpenSSL) reads the built chain the same way', () => {
      const { ca, server } = buildChain(alg, testKey(alg, 1), testKey(alg, 2));
      const c = new X509Certificate(Buffer.from(ca));
      const s = new X509Certificate(Buffer.from(server));
      assert.equal(c.ca, true);
      assert.equal(s.ca, false);
      assert.equal(c.subject, 'CN=SMP server CA\nO=SimpleX');
      assert.equal(s.subject, 'CN=localhost');
      assert.equal(s.issuer, 'CN=SMP server CA\nO=SimpleX');
      assert.deepEqual(s.keyUsage, [OID_SERVER_AUTH]);
      assert.equal(s.checkIssued(c), true);
      assert.equal(c.checkIssued(c), true);
      assert.equal(s.verify(c.publicKey), true);
      assert.equal(c.verify(c.publicKey), true);
      assert.equal(s.verify(s.publicKey), false);
      assert.equal(c.fingerprint256.replace(/:/g, '').toLowerCase(), toHex(crypto.sha256(ca)));
      assert.equal(new Date(c.validFrom).getTime(), NOT_BEFORE);
      assert.equal(new Date(c.validTo).getTime(), NOT_AFTER);
      assert.equal(s.serialNumber, 'FF00000000000000000000000000000000000001');
      const spki = c.publicKey.export({ format: 'der', type: 'spki' });
      assert.equal(toHex(new Uint8Array(spki)), toHex(parseCertificate(ca).publicKeyInfo));
    });
  }
});

describe('x509/certificate: key identifiers and options', () => {
  it('keyIdentifier is the leftmost 160 bits of SHA-256 over the raw key (RFC 7093 method 1)', () => {
    const key = testKey('ed448', 9).publicKey;
    const id = keyIdentifier(crypto.sha256, key);
    assert.equal(id.length, 20);
    assert.equal(toHex(id), toHex(sha256(key.raw).subarray(0, 20)));
  });

  it('buildCertificate refuses unusable options', () => {
    const caKey = testKey('ed25519', 1);
    const base = {
      serial: hex('01'),
      signatureAlgorithm: 'ed25519' as SignatureAlgorithm,
      issuer: { commonName: 'a', organization: null },
      subject: { commonName: 'a', organization: null },
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      publicKey: caKey.publicKey,
      isCA: true,
      subjectKeyId: hex('01'),
      authorityKeyId: hex('01'),
      sign: caKey.sign,
    };
    parseCertificate(buildCertificate(base));
    expectError(() => buildCertificate({ ...base, serial: new Uint8Array(0) }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, serial: hex('0000') }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, serial: new Uint8Array(21).fill(1) }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, notAfter: NOT_BEFORE - 1000 }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, publicKey: { alg: 'x25519', raw: new Uint8Array(32) } }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, publicKey: { alg: 'ed25519', raw: new Uint8Array(31) } }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, signatureAlgorithm: 'rsa' as SignatureAlgorithm }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, sign: () => new Uint8Array(63) }), CertificateError, 'bad-options');
    expectError(() => buildCertificate({ ...base, subjectKeyId: new Uint8Array(0) }), CertificateError, 'bad-options');
  });
});

// ---------------------------------------------------------------------------------------------
// Strictness: certificates assembled field by field, one rule broken at a time.
// ---------------------------------------------------------------------------------------------

const ED25519_ALG = derSequence([derOid('1.3.101.112')]);
const NAME = derSequence([derSetOf([derSequence([derOid('2.5.4.3'), derUtf8String('x')])])]);
const VALIDITY = derSequence([derTime(NOT_BEFORE), derTime(NOT_AFTER)]);
const SPKI = derSequence([ED25519_ALG, derBitString(new Uint8Array(32).fill(9))]);

function ext(oid: string, value: Uint8Array, critical?: Uint8Array): Uint8Array {
  return critical === undefined ? derSequence([derOid(oid), derOctetString(value)]) : derSequence([derOid(oid), critical, derOctetString(value)]);
}

interface Fields {
  version?: Uint8Array | null;
  serial?: Uint8Array;
  innerAlg?: Uint8Array;
  issuer?: Uint8Array;
  validity?: Uint8Array;
  subject?: Uint8Array;
  spki?: Uint8Array;
  extra?: Uint8Array[];
  extensions?: Uint8Array[] | null;
  outerAlg?: Uint8Array;
  signature?: Uint8Array;
}

function assemble(f: Fields): Uint8Array {
  const tbs: Uint8Array[] = [];
  const version = f.version === undefined ? derExplicit(0, derSmallInteger(2)) : f.version;
  if (version !== null) tbs.push(version);
  tbs.push(f.serial ?? derSmallInteger(1), f.innerAlg ?? ED25519_ALG, f.issuer ?? NAME, f.validity ?? VALIDITY, f.subject ?? NAME, f.spki ?? SPKI);
  for (const e of f.extra ?? []) tbs.push(e);
  const extensions = f.extensions === undefined ? [ext('2.5.29.19', derSequence([derBoolean(true)]), derBoolean(true))] : f.extensions;
  if (extensions !== null) tbs.push(derExplicit(3, derSequence(extensions)));
  return derSequence([derSequence(tbs), f.outerAlg ?? ED25519_ALG, f.signature ?? derBitString(new Uint8Array(64))]);
}

describe('x509/certificate: strict parsing', () => {
  it('accepts the assembled baseline (so each failure below is the one broken rule)', () => {
    const c = parseCertificate(assemble({}));
    assert.equal(c.isCA, true);
    assert.equal(c.version, 3);
    const v1 = parseCertificate(assemble({ version: null, extensions: null }));
    assert.equal(v1.version, 1);
    assert.equal(v1.isCA, false);
    assert.equal(v1.subjectKeyId, null);
  });

  it('rejects differing inner and outer signature algorithms', () => {
    const ed448Alg = derSequence([derOid('1.3.101.113')]);
    expectError(() => parseCertificate(assemble({ outerAlg: ed448Alg, signature: derBitString(new Uint8Array(114)) })), CertificateError, 'algorithm-mismatch');
    expectError(() => parseCertificate(assemble({ innerAlg: ed448Alg })), CertificateError, 'algorithm-mismatch');
    // Same OID, different parameters: still a mismatch.
    const rsa = derSequence([derOid('1.2.840.113549.1.1.11'), derNull()]);
    const rsaNoParams = derSequence([derOid('1.2.840.113549.1.1.11')]);
    expectError(() => parseCertificate(assemble({ innerAlg: rsa, outerAlg: rsaNoParams })), CertificateError, 'algorithm-mismatch');
  });

  it('reports other signature algorithms by OID and never verifies them', () => {
    const rsa = derSequence([derOid('1.2.840.113549.1.1.11'), derNull()]);
    const c = parseCertificate(assemble({ innerAlg: rsa, outerAlg: rsa, signature: derBitString(new Uint8Array(256)) }));
    assert.equal(c.signatureAlgorithm, '1.2.840.113549.1.1.11');
    assert.equal(verifyCertificateSignature(crypto, c, { alg: 'ed25519', raw: new Uint8Array(32) }), false);
    assert.equal(verifyCertificateSignature(crypto, c, { alg: '1.2.840.113549.1.1.11', raw: new Uint8Array(32) }), false);
  });

  it('enforces RFC 8410 on algorithms, keys and signature sizes', () => {
    const withNull = derSequence([derOid('1.3.101.112'), derNull()]);
    expectError(() => parseCertificate(assemble({ innerAlg: withNull, outerAlg: withNull })), CertificateError, 'bad-algorithm');
    expectError(() => parseCertificate(assemble({ spki: derSequence([withNull, derBitString(new Uint8Array(32))]) })), CertificateError, 'bad-algorithm');
    expectError(() => parseCertificate(assemble({ spki: derSequence([ED25519_ALG, derBitString(new Uint8Array(31))]) })), CertificateError, 'bad-key');
    expectError(() => parseCertificate(assemble({ spki: derSequence([derSequence([derOid('1.3.101.113')]), derBitString(new Uint8Array(56))]) })), CertificateError, 'bad-key');
    expectError(() => parseCertificate(assemble({ signature: derBitString(new Uint8Array(63)) })), CertificateError, 'bad-signature');
    expectError(() => parseCertificate(assemble({ signature: derBitString(new Uint8Array(65)) })), CertificateError, 'bad-signature');
    const x25519 = derSequence([derOid('1.3.101.110')]);
    expectError(() => parseCertificate(assemble({ innerAlg: x25519, outerAlg: x25519 })), CertificateError, 'bad-algorithm');
    expectError(() => parseCertificate(assemble({ signature: derEncode(0x03, hex('01' + '00'.repeat(64))) })), DerError, 'bad-value');
    const x448Key = parseCertificate(assemble({ spki: derSequence([derSequence([derOid('1.3.101.111')]), derBitString(new Uint8Array(56))]) }));
    assert.equal(x448Key.publicKey.alg, 'x448');
  });

  it('enforces the version rules', () => {
    expectError(() => parseCertificate(assemble({ version: derExplicit(0, derSmallInteger(0)), extensions: null })), CertificateError, 'bad-version');
    expectError(() => parseCertificate(assemble({ version: derExplicit(0, derSmallInteger(3)) })), CertificateError, 'bad-version');
    expectError(() => parseCertificate(assemble({ version: null })), CertificateError, 'bad-version'); // v1 with extensions
    expectError(() => parseCertificate(assemble({ version: derExplicit(0, derSmallInteger(1)) })), CertificateError, 'bad-version'); // v2 with extensions
    expectError(() => parseCertificate(assemble({ version: null, extensions: null, extra: [derImplicit(1, hex('00'))] })), CertificateError, 'bad-version');
    const v2 = parseCertificate(assemble({ version: derExplicit(0, derSmallInteger(1)), extensions: null, extra: [derImplicit(1, hex('00'))] }));
    assert.equal(v2.version, 2);
    expectError(() => parseCertificate(assemble({ version: derExplicit(0, concatBytes([derSmallInteger(2), derSmallInteger(2)])) })), DerError, 'trailing-data');
  });

  it('enforces the extension rules', () => {
    const bcCa = ext('2.5.29.19', derSequence([derBoolean(true)]), derBoolean(true));
    expectError(() => parseCertificate(assemble({ extensions: [bcCa, bcCa] })), CertificateError, 'bad-extension');
    expectError(() => parseCertificate(assemble({ extensions: [] })), CertificateError, 'bad-extension');
    expectError(() => parseCertificate(assemble({ extensions: [ext('2.5.29.19', derSequence([]), derBoolean(false))] })), CertificateError, 'bad-extension');
    expectError(() => parseCertificate(assemble({ extensions: [ext('2.5.29.19', derSequence([derBoolean(false)]))] })), CertificateError, 'bad-extension');
    expectError(() => parseCertificate(assemble({ extensions: [ext('2.5.29.15', hex('030100'))] })), CertificateError, 'bad-extension');
    expectError(() => parseCertificate(assemble({ extensions: [ext('2.5.29.37', derSequence([]))] })), CertificateError, 'bad-extension');
    expectError(() => parseCertificate(assemble({ extensions: [ext('2.5.29.35', derSequence([derExplicit(1, derSequence([]))]))] })), CertificateError, 'bad-extension');
    expectError(() => parseCertificate(assemble({ extensions: [ext('2.5.29.19', concatBytes([derSequence([]), hex('00')]))] })), DerError, 'trailing-data');
    expectError(() => parseCertificate(assemble({ extensions: [ext('2.5.29.14', derSmallInteger(1))] })), DerError, 'unexpected-tag');
    const withPath = parseCertificate(assemble({ extensions: [ext('2.5.29.19', derSequence([derBoolean(true), derSmallInteger(0)]), derBoolean(true))] }));
    assert.equal(withPath.pathLength, 0);
    const unknown = parseCertificate(assemble({ extensions: [bcCa, ext('1.2.3.4', hex('05')), ext('1.2.3.5', hex('0500'), derBoolean(true))] }));
    assert.deepEqual(unknown.unhandledCriticalExtensions, ['1.2.3.5']);
    const aki = parseCertificate(assemble({ extensions: [ext('2.5.29.35', derSequence([derImplicit(0, hex('abcd')), derExplicit(1, derSequence([])), derImplicit(2, hex('01'))]))] }));
    assert.equal(toHex(aki.authorityKeyId!), 'abcd');
  });

  it('enforces the name rules', () => {
    expectError(() => parseCertificate(assemble({ issuer: derSequence([derSetOf([])]) })), CertificateError, 'bad-name');
    const unsorted = derSequence([derEncode(0x31, concatBytes([derSequence([derOid('2.5.4.10'), derUtf8String('b')]), derSequence([derOid('2.5.4.3'), derUtf8String('a')])]))]);
    expectError(() => parseCertificate(assemble({ subject: unsorted })), CertificateError, 'bad-name');
    const multi = parseCertificate(assemble({ subject: derSequence([derSetOf([derSequence([derOid('2.5.4.10'), derUtf8String('b')]), derSequence([derOid('2.5.4.3'), derUtf8String('a')])])]) }));
    assert.equal(multi.subject.commonName, 'a');
    assert.equal(multi.subject.organization, 'b');
    expectError(() => parseCertificate(assemble({ subject: derSequence([derSetOf([derSequence([derOid('2.5.4.3'), derSmallInteger(1)])])]) })), DerError, 'unexpected-tag');
    expectError(() => parseCertificate(assemble({ subject: derSequence([derSetOf([derSequence([derOid('2.5.4.3'), hex('0c01ff')])])]) })), DerError, 'bad-value');
    const empty = parseCertificate(assemble({ subject: derSequence([]) }));
    assert.equal(empty.subject.commonName, null);
  });

  it('rejects wrong tags in every structural position', () => {
    const good = assemble({});
    // Offsets of: certificate, tbs, version [0], serial, inner alg, issuer, validity, subject, spki, extensions [3], outer alg, signature.
    const offsets: number[] = [];
    const top = new DerReader(good, 't');
    const cert = top.readAny('c');
    offsets.push(0);
    const certReader = new DerReader(cert.content, 'c');
    const tbs = certReader.readAny('tbs');
    const tbsStart = cert.raw.length - cert.content.length;
    offsets.push(tbsStart);
    const tbsReader = new DerReader(tbs.content, 'tbs');
    let pos = tbsStart + (tbs.raw.length - tbs.content.length);
    while (tbsReader.hasMore()) {
      offsets.push(pos);
      pos += tbsReader.readAny('f').raw.length;
    }
    while (certReader.hasMore()) {
      offsets.push(pos);
      pos += certReader.readAny('f').raw.length;
    }
    assert.equal(offsets.length, 12);
    for (const offset of offsets) {
      for (const tag of [0x04, 0x31, 0x30, 0x02, 0xa1]) {
        if (good[offset] === tag) continue;
        const bad = new Uint8Array(good);
        bad[offset] = tag;
        assert.equal(onlyTypedErrors(() => parseCertificate(bad), 'tag ' + tag + ' at ' + offset), false, 'tag ' + tag.toString(16) + ' at ' + offset + ' must be rejected');
      }
    }
  });

  it('throws a typed error for every truncation and any appended byte of router-shaped certificates', () => {
    const ed448 = buildChain('ed448', testKey('ed448', 1), testKey('ed448', 2));
    const ed25519 = buildChain('ed25519', testKey('ed25519', 1), testKey('ed25519', 2));
    for (const der of [ed25519.ca, ed25519.server, ed448.ca, ed448.server]) {
      for (let n = 0; n < der.length; n++) {
        assert.equal(onlyTypedErrors(() => parseCertificate(der.subarray(0, n)), 'prefix ' + n), false, 'a ' + n + '-byte prefix must be rejected');
      }
      expectError(() => parseCertificate(concatBytes([der, hex('00')])), DerError, 'trailing-data');
    }
  });

  it('rejects BER spellings of a router-shaped certificate: indefinite and non-minimal lengths', () => {
    const der = buildChain('ed25519', testKey('ed25519', 1), testKey('ed25519', 2)).server;
    assert.equal(toHex(der.subarray(0, 2)), '3082', 'a two-byte outer length, as the reference certificates have');
    // Indefinite outer length with end-of-contents.
    expectError(() => parseCertificate(concatBytes([hex('3080'), der.subarray(4), hex('0000')])), DerError, 'bad-length');
    // Outer length with a leading zero byte.
    expectError(() => parseCertificate(concatBytes([hex('308300'), der.subarray(2)])), DerError, 'bad-length');
    // Every element re-encoded, one at a time, with a long-form length where short form fits.
    const reencoded = longFormVariants(der);
    assert.ok(reencoded.length > 30, 'many short-length elements (' + reencoded.length + ')');
    for (const variant of reencoded) expectError(() => parseCertificate(variant), DerError, 'bad-length');
  });

  it('meets 4000 random mutations of valid certificates with typed errors only', () => {
    const ed25519 = buildChain('ed25519', testKey('ed25519', 1), testKey('ed25519', 2));
    const ed448 = buildChain('ed448', testKey('ed448', 3), testKey('ed448', 4));
    const seeds = [ed448.ca, ed25519.server, ed25519.ca, ed448.server];
    const next = prng(0xce27);
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const base = seeds[i % seeds.length];
      let m: Uint8Array = new Uint8Array(base);
      const kind = next() % 4;
      const at = next() % m.length;
      if (kind === 0) m[at] ^= 1 << (next() % 8);
      else if (kind === 1) m[at] = next() & 0xff;
      else if (kind === 2) m = concatBytes([m.subarray(0, at), hex((next() & 0xff).toString(16).padStart(2, '0')), m.subarray(at)]);
      else m = concatBytes([m.subarray(0, at), m.subarray(at + 1 + (next() % 3))]);
      if (onlyTypedErrors(() => parseCertificate(m), 'mutation ' + i)) {
        accepted++;
        // Whatever parses must round-trip to the same bytes.
        assert.equal(toHex(parseCertificate(m).der), toHex(m));
      }
    }
    assert.ok(accepted < 4000 * 0.5, 'most mutations are rejected (' + accepted + ' accepted)');
  });
});

/** For each element with a short-form length, a copy of `der` where that one length is written long-form (81 xx). */
function longFormVariants(der: Uint8Array): Uint8Array[] {
  interface Node {
    tag: number;
    content: Uint8Array;
    children: Node[] | null;
  }
  function parse(bytes: Uint8Array): Node[] {
    const out: Node[] = [];
    const r = new DerReader(bytes, 'tree');
    while (r.hasMore()) {
      const e = r.readAny('node');
      // Constructed, and OCTET STRING / BIT STRING holding DER (extension values, keys) stay opaque: safer.
      out.push({ tag: e.tag, content: e.content, children: (e.tag & 0x20) !== 0 ? parse(e.content) : null });
    }
    return out;
  }
  function encode(nodes: Node[], target: number, counter: { n: number }): Uint8Array {
    const parts: Uint8Array[] = [];
    for (const node of nodes) {
      const index = counter.n++;
      const content = node.children === null ? node.content : encode(node.children, target, counter);
      if (index === target && content.length < 128) parts.push(concatBytes([new Uint8Array([node.tag, 0x81, content.length]), content]));
      else parts.push(derEncode(node.tag, content));
    }
    return concatBytes(parts);
  }
  const tree = parse(der);
  const total = { n: 0 };
  assert.equal(toHex(encode(tree, -1, total)), toHex(der), 're-encoding is the identity');
  const variants: Uint8Array[] = [];
  for (let target = 0; target < total.n; target++) {
    const v = encode(tree, target, { n: 0 });
    if (v.length !== der.length) variants.push(v);
  }
  return variants;
}

describe('x509/certificate: signed session key (smp.md §4.1)', () => {
  const v = vectorCase('smp-handshake.json', 'signed_session_key_ed25519');
  const seed = hex(v.ed25519_seed as string);
  const signerKey: SubjectPublicKey = { alg: 'ed25519', raw: ed25519.getPublicKey(seed) };

  it('parses the vector: 46-byte wrapped signed object, Ed25519 signature, X25519 key', () => {
    const parsed = parseSignedKey(hex(v.signed_key_der as string));
    assert.equal(toHex(parsed.signed), v.signed_object);
    assert.equal(parsed.signed.length, 46);
    assert.equal(parsed.algorithm, 'ed25519');
    assert.equal(toHex(parsed.signature), v.signature);
    assert.equal(toHex(parsed.publicKey), v.x25519_public);
    assert.equal(verifySignedKey(crypto, parsed, signerKey), true);
    assert.equal(verifySignedKey(crypto, parsed, testKey('ed25519', 5).publicKey), false);
    assert.equal(verifySignedKey(crypto, { ...parsed, publicKey: new Uint8Array(32), signed: hex(v.signed_object as string).fill(0, 45) }, signerKey), false);
  });

  it('encodes the vector byte for byte (122 bytes)', () => {
    const der = encodeSignedKey(hex(v.x25519_public as string), 'ed25519', (m) => ed25519.sign(m, seed));
    assert.equal(toHex(der), v.signed_key_der);
    assert.equal(der.length, 122);
  });

  it('round-trips with Ed448 (173 bytes) and verifies with the leaf key', () => {
    const key = testKey('ed448', 4);
    const x = new Uint8Array(32).fill(0x42);
    const der = encodeSignedKey(x, 'ed448', key.sign);
    assert.equal(der.length, 173);
    const parsed = parseSignedKey(der);
    assert.equal(parsed.algorithm, 'ed448');
    assert.equal(toHex(parsed.publicKey), toHex(x));
    assert.equal(verifySignedKey(crypto, parsed, key.publicKey), true);
    assert.equal(verifySignedKey(crypto, parsed, signerKey), false);
  });

  it('also accepts the 44-byte bare SPKI as the signed object', () => {
    const spki = encodeSubjectPublicKeyInfo({ alg: 'x25519', raw: hex(v.x25519_public as string) });
    assert.equal(spki.length, 44);
    const der = derSequence([spki, ED25519_ALG, derBitString(ed25519.sign(spki, seed))]);
    const parsed = parseSignedKey(der);
    assert.equal(toHex(parsed.signed), toHex(spki));
    assert.equal(toHex(parsed.publicKey), v.x25519_public);
    assert.equal(verifySignedKey(crypto, parsed, signerKey), true);
  });

  it('rejects everything else with typed errors', () => {
    const good = hex(v.signed_key_der as string);
    const sig = derBitString(new Uint8Array(64));
    const x448 = derSequence([encodeSubjectPublicKeyInfo({ alg: 'x448', raw: new Uint8Array(56) })]);
    expectError(() => parseSignedKey(derSequence([x448, ED25519_ALG, sig])), CertificateError, 'bad-signed-key');
    const ed = derSequence([encodeSubjectPublicKeyInfo({ alg: 'ed25519', raw: new Uint8Array(32) })]);
    expectError(() => parseSignedKey(derSequence([ed, ED25519_ALG, sig])), CertificateError, 'bad-signed-key');
    const wrapped = derSequence([encodeSubjectPublicKeyInfo({ alg: 'x25519', raw: new Uint8Array(32) })]);
    expectError(() => parseSignedKey(derSequence([wrapped, derSequence([derOid('1.3.101.110')]), sig])), CertificateError, 'bad-signed-key');
    expectError(() => parseSignedKey(derSequence([wrapped, ED25519_ALG, derBitString(new Uint8Array(114))])), CertificateError, 'bad-signature');
    const doubleWrapped = derSequence([encodeSubjectPublicKeyInfo({ alg: 'x25519', raw: new Uint8Array(32) }), derNull()]);
    expectError(() => parseSignedKey(derSequence([doubleWrapped, ED25519_ALG, sig])), DerError, 'trailing-data');
    expectError(() => parseSignedKey(derSequence([wrapped, ED25519_ALG])), DerError, 'truncated');
    expectError(() => parseSignedKey(derSequence([wrapped, ED25519_ALG, sig, derNull()])), DerError, 'trailing-data');
    expectError(() => parseSignedKey(concatBytes([good, hex('00')])), DerError, 'trailing-data');
    for (let n = 0; n < good.length; n++) {
      assert.equal(onlyTypedErrors(() => parseSignedKey(good.subarray(0, n)), 'prefix ' + n), false);
    }
    const next = prng(0x5ed);
    for (let i = 0; i < 2000; i++) {
      const m = new Uint8Array(good);
      m[next() % m.length] ^= 1 << (next() % 8);
      if (onlyTypedErrors(() => parseSignedKey(m), 'mutation ' + i)) {
        // A bit flip that still parses must not still verify.
        assert.equal(verifySignedKey(crypto, parseSignedKey(m), signerKey), false);
      }
    }
    expectError(() => encodeSignedKey(new Uint8Array(31), 'ed25519', () => new Uint8Array(64)), CertificateError, 'bad-options');
    expectError(() => encodeSignedKey(new Uint8Array(32), 'ed25519', () => new Uint8Array(114)), CertificateError, 'bad-options');
  });
});
