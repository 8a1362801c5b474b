/**
 * Router-style certificate chains for the TLS tests, built with firmware/x509/certificate.ts
 * (the module the SMP router will use) and signed with noble, plus the PEM/PKCS#8 wrapping
 * node:tls needs for the server side.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import { buildCertificate, keyIdentifier, type SignatureAlgorithm } from '../../../firmware/x509/certificate';

/** PKCS#8 PrivateKeyInfo prefixes (RFC 8410 §7): version 0, the algorithm, OCTET STRING { OCTET STRING seed }. */
const PKCS8_PREFIX: { [alg: string]: string } = {
  ed25519: '302e020100300506032b657004220420',
  ed448: '3047020100300506032b6571043b0439',
};

export function pem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString('base64').match(/.{1,64}/g) ?? [];
  return '-----BEGIN ' + label + '-----\n' + lines.join('\n') + '\n-----END ' + label + '-----\n';
}

export function privateKeyPem(alg: SignatureAlgorithm, seed: Uint8Array): string {
  return pem('PRIVATE KEY', Buffer.concat([Buffer.from(PKCS8_PREFIX[alg], 'hex'), seed]));
}

export interface TestChain {
  alg: SignatureAlgorithm;
  /** [server, CA] DER, as a router sends them. */
  leaf: Uint8Array;
  ca: Uint8Array;
  /** The server certificate's private key, PKCS#8 PEM. */
  keyPem: string;
}

interface Signer {
  seed: Uint8Array;
  raw: Uint8Array;
  sign: (m: Uint8Array) => Uint8Array;
}

function signer(alg: SignatureAlgorithm, seed: Uint8Array): Signer {
  const curve = alg === 'ed25519' ? ed25519 : ed448;
  return { seed, raw: curve.getPublicKey(seed), sign: (m) => curve.sign(m, seed) };
}

let serialCounter = 1;

/** A fresh [server, CA] chain; `label` distinguishes unrelated chains in one test. */
export function makeChain(alg: SignatureAlgorithm, label = 'SMP server CA'): TestChain {
  const size = alg === 'ed25519' ? 32 : 57;
  const ca = signer(alg, randomSeed(size));
  const server = signer(alg, randomSeed(size));
  const now = Date.now();
  const caKey = { alg, raw: ca.raw };
  const caId = keyIdentifier(sha256, caKey);
  const caDer = buildCertificate({
    serial: new Uint8Array([0x10, serialCounter++]),
    signatureAlgorithm: alg,
    issuer: { commonName: label, organization: 'SimpleX' },
    subject: { commonName: label, organization: 'SimpleX' },
    notBefore: now - 60000,
    notAfter: now + 999999 * 86400000,
    publicKey: caKey,
    isCA: true,
    subjectKeyId: caId,
    authorityKeyId: caId,
    sign: ca.sign,
  });
  const serverKey = { alg, raw: server.raw };
  const leafDer = buildCertificate({
    serial: new Uint8Array([0x20, serialCounter++]),
    signatureAlgorithm: alg,
    issuer: { commonName: label, organization: 'SimpleX' },
    subject: { commonName: 'localhost', organization: null },
    notBefore: now - 60000,
    notAfter: now + 999999 * 86400000,
    publicKey: serverKey,
    isCA: false,
    subjectKeyId: keyIdentifier(sha256, serverKey),
    authorityKeyId: caId,
    sign: ca.sign,
  });
  return { alg, leaf: leafDer, ca: caDer, keyPem: privateKeyPem(alg, server.seed) };
}

function randomSeed(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}
