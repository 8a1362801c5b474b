/**
 * The router's identity (smp.md §3.4, §3.5): an identity ("offline") CA certificate, an online
 * server certificate signed by it, and their keys. Created once, in the store directory, and
 * reused on every later start, so the fingerprint in the router's address never changes;
 * deleting the store is the only way to get a new identity.
 *
 * Files (PEM, as `smp-server init` writes them, so openssl can read them): ca.crt, ca.key,
 * server.crt, server.key, and `fingerprint` (base64url of SHA-256 over the CA certificate DER).
 * `fingerprint` is written last: a directory without it holds at most a half-created identity
 * nobody has seen, which is created afresh. With it, every file must be present and consistent,
 * or the router refuses to start: an identity must never change silently.
 */
import type { Crypto } from '../../hal/crypto';
import type { Random } from '../../hal/random';
import type { Storage } from '../../hal/storage';
import { decodeBase64Url, encodeBase64Url } from '../../firmware/encoding/base64';
import { equalBytes } from '../../firmware/encoding/bytes';
import { DecodeError } from '../../firmware/encoding/errors';
import { DerError } from '../../firmware/x509/der';
import {
  buildCertificate,
  CertificateError,
  isIssuedBy,
  keyIdentifier,
  parseCertificate,
  verifyCertificateSignature,
  type Certificate,
  type SignatureAlgorithm,
} from '../../firmware/x509/certificate';
import { RouterError } from './errors';

export interface RouterIdentity {
  readonly algorithm: SignatureAlgorithm;
  /** [server.crt, ca.crt] DER, as presented in TLS and in the server hello. */
  readonly chain: readonly Uint8Array[];
  /** SHA-256 of the CA certificate DER: the fingerprint in the address. */
  readonly keyHash: Uint8Array;
  /** For node:tls: the online key (PKCS#8 PEM) and the chain (PEM, leaf first). */
  readonly tlsKeyPem: string;
  readonly tlsCertPem: string;
  /** Signs with the online (server certificate) key: the per-connection session keys. */
  sign(data: Uint8Array): Uint8Array;
}

const FILES = { caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'server.crt', serverKey: 'server.key', fingerprint: 'fingerprint' };

/** 999999 days, as the reference's certificates (smp.md §3.4). */
const VALIDITY_MS = 999999 * 86400000;

/** RFC 8410 §7 PKCS#8 for a raw seed: version 0, the algorithm, OCTET STRING { OCTET STRING seed }. */
const PKCS8_PREFIX: { [alg: string]: Uint8Array } = {
  ed25519: fromHexLiteral('302e020100300506032b657004220420'),
  ed448: fromHexLiteral('3047020100300506032b6571043b0439'),
};
const SEED_LENGTH: { [alg: string]: number } = { ed25519: 32, ed448: 57 };

export interface IdentityOptions {
  /** Used only when a new identity is created. */
  readonly algorithm: SignatureAlgorithm;
  /** The server certificate's common name when a new identity is created (smp.md §3.4: fqdn or IP). */
  readonly commonName: string;
  /** Wall clock, ms: the certificates' notBefore. */
  readonly now: number;
}

/** Loads the identity from `storage`, creating it first if the store has none. */
export function loadOrCreateIdentity(storage: Storage, crypto: Crypto, random: Random, options: IdentityOptions): RouterIdentity {
  if (storage.readFile(FILES.fingerprint) === null) createIdentity(storage, crypto, random, options);
  return loadIdentity(storage, crypto);
}

function createIdentity(storage: Storage, crypto: Crypto, random: Random, options: IdentityOptions): void {
  const alg = options.algorithm;
  if (alg !== 'ed25519' && alg !== 'ed448') throw new RouterError('bad-option', 'the identity algorithm must be ed25519 or ed448');
  const caPair = alg === 'ed25519' ? crypto.ed25519KeyPair() : crypto.ed448KeyPair();
  const serverPair = alg === 'ed25519' ? crypto.ed25519KeyPair() : crypto.ed448KeyPair();
  const sign = (seed: Uint8Array) => (tbs: Uint8Array) => (alg === 'ed25519' ? crypto.ed25519Sign(seed, tbs) : crypto.ed448Sign(seed, tbs));
  const caKey = { alg: alg, raw: caPair.publicKey };
  const serverKey = { alg: alg, raw: serverPair.publicKey };
  const caKeyId = keyIdentifier(crypto.sha256, caKey);
  const caName = { commonName: 'SMP server CA', organization: 'SimpleX' };
  const caDer = buildCertificate({
    serial: randomSerial(random),
    signatureAlgorithm: alg,
    issuer: caName,
    subject: caName,
    notBefore: options.now,
    notAfter: options.now + VALIDITY_MS,
    publicKey: caKey,
    isCA: true,
    subjectKeyId: caKeyId,
    authorityKeyId: caKeyId,
    sign: sign(caPair.privateKey),
  });
  const serverDer = buildCertificate({
    serial: randomSerial(random),
    signatureAlgorithm: alg,
    issuer: caName,
    subject: { commonName: options.commonName, organization: null },
    notBefore: options.now,
    notAfter: options.now + VALIDITY_MS,
    publicKey: serverKey,
    isCA: false,
    subjectKeyId: keyIdentifier(crypto.sha256, serverKey),
    authorityKeyId: caKeyId,
    sign: sign(caPair.privateKey),
  });
  writeText(storage, FILES.caKey, privateKeyPem(alg, caPair.privateKey));
  writeText(storage, FILES.caCert, pem('CERTIFICATE', caDer));
  writeText(storage, FILES.serverKey, privateKeyPem(alg, serverPair.privateKey));
  writeText(storage, FILES.serverCert, pem('CERTIFICATE', serverDer));
  // Last: its presence says the four files above are complete.
  writeText(storage, FILES.fingerprint, encodeBase64Url(crypto.sha256(caDer)) + '\n');
}

function loadIdentity(storage: Storage, crypto: Crypto): RouterIdentity {
  const caDer = readPem(storage, FILES.caCert, 'CERTIFICATE');
  const serverDer = readPem(storage, FILES.serverCert, 'CERTIFICATE');
  const ca = parseCert(caDer, FILES.caCert);
  const server = parseCert(serverDer, FILES.serverCert);
  const alg = server.publicKey.alg;
  if ((alg !== 'ed25519' && alg !== 'ed448') || ca.publicKey.alg !== alg) {
    throw identityError('the certificates must both carry Ed25519 or both Ed448 keys');
  }
  const caSeed = readPrivateKey(storage, FILES.caKey, alg);
  const serverSeed = readPrivateKey(storage, FILES.serverKey, alg);
  const publicOf = (seed: Uint8Array) => (alg === 'ed25519' ? crypto.ed25519PublicKey(seed) : crypto.ed448PublicKey(seed));
  if (!equalBytes(publicOf(caSeed), ca.publicKey.raw)) throw identityError(FILES.caKey + ' is not the key of ' + FILES.caCert);
  if (!equalBytes(publicOf(serverSeed), server.publicKey.raw)) throw identityError(FILES.serverKey + ' is not the key of ' + FILES.serverCert);
  if (!ca.isCA || !isIssuedBy(server, ca) || !verifyCertificateSignature(crypto, server, ca.publicKey)) {
    throw identityError(FILES.serverCert + ' is not issued and signed by ' + FILES.caCert);
  }
  const keyHash = crypto.sha256(caDer);
  let recorded: Uint8Array;
  try {
    recorded = decodeBase64Url(readText(storage, FILES.fingerprint).trim(), 'required');
  } catch (e) {
    if (e instanceof DecodeError) throw identityError(FILES.fingerprint + ' is not a base64url fingerprint');
    throw e;
  }
  if (!equalBytes(recorded, keyHash)) throw identityError(FILES.fingerprint + ' does not match ' + FILES.caCert);
  const serverKeyPem = privateKeyPem(alg, serverSeed);
  return {
    algorithm: alg,
    chain: [serverDer, caDer],
    keyHash: keyHash,
    tlsKeyPem: serverKeyPem,
    tlsCertPem: pem('CERTIFICATE', serverDer) + pem('CERTIFICATE', caDer),
    sign: (data: Uint8Array) => (alg === 'ed25519' ? crypto.ed25519Sign(serverSeed, data) : crypto.ed448Sign(serverSeed, data)),
  };
}

// ---------------------------------------------------------------------------------------------
// PEM and PKCS#8

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.length).toString('base64');
  let body = '';
  for (let i = 0; i < b64.length; i += 64) body += b64.substring(i, i + 64) + '\n';
  return '-----BEGIN ' + label + '-----\n' + body + '-----END ' + label + '-----\n';
}

function privateKeyPem(alg: SignatureAlgorithm, seed: Uint8Array): string {
  const prefix = PKCS8_PREFIX[alg];
  const der = new Uint8Array(prefix.length + seed.length);
  der.set(prefix, 0);
  der.set(seed, prefix.length);
  return pem('PRIVATE KEY', der);
}

/** The DER of the one PEM block with this label that makes up the whole file. */
function readPem(storage: Storage, file: string, label: string): Uint8Array {
  const text = readText(storage, file).trim();
  const begin = '-----BEGIN ' + label + '-----';
  const end = '-----END ' + label + '-----';
  if (text.indexOf(begin) !== 0 || text.lastIndexOf(end) !== text.length - end.length || text.indexOf(begin, 1) >= 0) {
    throw identityError(file + ' is not a single PEM ' + label);
  }
  const body = text.substring(begin.length, text.length - end.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw identityError(file + ' has a malformed PEM body');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** The raw seed of a PKCS#8 Ed25519/Ed448 key in exactly the form privateKeyPem writes. */
function readPrivateKey(storage: Storage, file: string, alg: SignatureAlgorithm): Uint8Array {
  const der = readPem(storage, file, 'PRIVATE KEY');
  const prefix = PKCS8_PREFIX[alg];
  if (der.length !== prefix.length + SEED_LENGTH[alg] || !equalBytes(der.subarray(0, prefix.length), prefix)) {
    throw identityError(file + ' is not an unencrypted ' + alg + ' PKCS#8 private key');
  }
  return new Uint8Array(der.subarray(prefix.length));
}

function parseCert(der: Uint8Array, file: string): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    if (e instanceof DerError || e instanceof CertificateError) throw identityError(file + ' is not a valid certificate: ' + e.message);
    throw e;
  }
}

function readText(storage: Storage, file: string): string {
  const data = storage.readFile(file);
  if (data === null) throw identityError(file + ' is missing');
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString('latin1');
}

function writeText(storage: Storage, file: string, text: string): void {
  storage.writeFileAtomic(file, new Uint8Array(Buffer.from(text, 'latin1')));
}

/** 16 random bytes with the top bit clear (a positive INTEGER) and never zero. */
function randomSerial(random: Random): Uint8Array {
  const serial = random.bytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  return serial;
}

function identityError(detail: string): RouterError {
  return new RouterError('identity', 'the router identity in the store cannot be used: ' + detail + ' (delete the store directory to create a new identity)');
}

function fromHexLiteral(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
