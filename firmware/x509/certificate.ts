import type { Crypto } from '../../hal/crypto';
import { CryptoError } from '../../hal/crypto';
import { SimpleGoError } from '../../hal/errors';
import {
  type DerElement,
  TAG_BIT_STRING,
  TAG_BOOLEAN,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  TAG_SET,
  compareBytes,
  contextTag,
  decodeBitStringBytes,
  decodeBoolean,
  decodeInteger,
  decodeNamedBits,
  decodeOctetString,
  decodeOid,
  decodeSmallInteger,
  decodeString,
  decodeTime,
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  derUtf8String,
  readSingle,
  readerOf,
} from './der';

/**
 * X.509 certificates as SMP uses them (smp.md §3.4-§3.6, §4.1): parse the chain a router
 * presents, check that one certificate signed another, and build the two-certificate chain
 * a router presents (identity CA + online server certificate), plus the signed session key
 * of the server hello.
 *
 * Scope: certificates signed with Ed25519 or Ed448, the only algorithms SMP routers use. Other
 * signature algorithms parse (their OID is reported) but never verify. This module parses and
 * verifies signatures; deciding whether a chain is acceptable (pinning, dates, CA flags) is the
 * caller's job, so it can report exactly which rule failed.
 */

export type CertificateErrorCode =
  | 'bad-version' // not v1..v3, or a field the version does not allow
  | 'algorithm-mismatch' // the signed and the outer signature algorithms differ
  | 'bad-algorithm' // an AlgorithmIdentifier that breaks RFC 8410 (e.g. parameters on Ed25519)
  | 'bad-key' // a public key of the wrong size for its algorithm
  | 'bad-signature' // a signature of the wrong size for its algorithm
  | 'bad-name' // a malformed distinguished name
  | 'bad-extension' // a malformed or duplicated extension
  | 'bad-signed-key' // the server hello's signed session key is not what smp.md §4.1 describes
  | 'bad-options'; // buildCertificate / encodeSignedKey called with unusable arguments

export class CertificateError extends SimpleGoError {
  constructor(code: CertificateErrorCode, message: string) {
    super(code, message);
    this.name = 'CertificateError';
  }
}

// Algorithm names. Anything else is reported as its dotted OID.
export const ALG_ED25519 = 'ed25519';
export const ALG_ED448 = 'ed448';
export const ALG_X25519 = 'x25519';
export const ALG_X448 = 'x448';

export type SignatureAlgorithm = 'ed25519' | 'ed448';

const OID_ED25519 = '1.3.101.112';
const OID_ED448 = '1.3.101.113';
const OID_X25519 = '1.3.101.110';
const OID_X448 = '1.3.101.111';
const OID_COMMON_NAME = '2.5.4.3';
const OID_ORGANIZATION = '2.5.4.10';
const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_KEY_USAGE = '2.5.29.15';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_EXT_KEY_USAGE = '2.5.29.37';

/** extKeyUsage id-kp-serverAuth. */
export const OID_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** keyUsage bits (RFC 5280 §4.2.1.3) as masks of `Certificate.keyUsage`. */
export const KEY_USAGE_DIGITAL_SIGNATURE = 1 << 0;
export const KEY_USAGE_NON_REPUDIATION = 1 << 1;
export const KEY_USAGE_KEY_ENCIPHERMENT = 1 << 2;
export const KEY_USAGE_DATA_ENCIPHERMENT = 1 << 3;
export const KEY_USAGE_KEY_AGREEMENT = 1 << 4;
export const KEY_USAGE_KEY_CERT_SIGN = 1 << 5;
export const KEY_USAGE_CRL_SIGN = 1 << 6;

/** Raw public key sizes for the algorithms named above (RFC 8410). */
function rawKeySize(alg: string): number {
  if (alg === ALG_ED25519 || alg === ALG_X25519) return 32;
  if (alg === ALG_ED448) return 57;
  if (alg === ALG_X448) return 56;
  return -1;
}

function signatureSize(alg: string): number {
  if (alg === ALG_ED25519) return 64;
  if (alg === ALG_ED448) return 114;
  return -1;
}

function algorithmName(oid: string): string {
  if (oid === OID_ED25519) return ALG_ED25519;
  if (oid === OID_ED448) return ALG_ED448;
  if (oid === OID_X25519) return ALG_X25519;
  if (oid === OID_X448) return ALG_X448;
  return oid;
}

function algorithmOid(alg: string): string {
  if (alg === ALG_ED25519) return OID_ED25519;
  if (alg === ALG_ED448) return OID_ED448;
  if (alg === ALG_X25519) return OID_X25519;
  if (alg === ALG_X448) return OID_X448;
  throw new CertificateError('bad-options', 'unsupported key algorithm "' + alg + '"');
}

/** A public key: `alg` is 'ed25519' | 'ed448' | 'x25519' | 'x448', or the dotted OID of anything else. */
export interface SubjectPublicKey {
  readonly alg: string;
  /** The raw key (the BIT STRING contents of the SubjectPublicKeyInfo). */
  readonly raw: Uint8Array;
}

export interface DistinguishedName {
  /** The Name's DER, to compare an issuer with the subject of the certificate above it. */
  readonly der: Uint8Array;
  /** The first commonName (2.5.4.3), or null. */
  readonly commonName: string | null;
  /** The first organizationName (2.5.4.10), or null. */
  readonly organization: string | null;
}

/** A parsed certificate. Every byte array is a fresh copy: the input may be reused. */
export interface Certificate {
  /** The whole certificate DER, as given (its SHA-256 is the SMP fingerprint, smp.md §3.5). */
  readonly der: Uint8Array;
  /** The TBSCertificate DER: the bytes the signature covers. */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3 (the INTEGER in the certificate plus one). */
  readonly version: number;
  /** The serial number's INTEGER contents (two's complement, minimal). */
  readonly serial: Uint8Array;
  /** 'ed25519', 'ed448', or the dotted OID of another algorithm. */
  readonly signatureAlgorithm: string;
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  /** Validity bounds, milliseconds since the Unix epoch. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** The SubjectPublicKeyInfo DER. */
  readonly publicKeyInfo: Uint8Array;
  readonly publicKey: SubjectPublicKey;
  /** basicConstraints cA; false when the extension is absent. */
  readonly isCA: boolean;
  /** basicConstraints pathLenConstraint, or -1 when absent. */
  readonly pathLength: number;
  /** keyUsage as a mask of KEY_USAGE_* bits, or -1 when the extension is absent. */
  readonly keyUsage: number;
  /** extKeyUsage purposes as dotted OIDs, or null when the extension is absent. */
  readonly extKeyUsage: string[] | null;
  readonly subjectKeyId: Uint8Array | null;
  /** The keyIdentifier of authorityKeyIdentifier, or null. */
  readonly authorityKeyId: Uint8Array | null;
  /**
   * OIDs of critical extensions this module does not interpret. RFC 5280 §4.2 says a
   * certificate with one must be rejected by path validation; the caller decides.
   */
  readonly unhandledCriticalExtensions: string[];
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

/**
 * AlgorithmIdentifier. For the RFC 8410 algorithms the parameters MUST be absent; for any other
 * algorithm one parameters element is allowed and ignored.
 */
function parseAlgorithmIdentifier(element: DerElement, what: string): string {
  const r = readerOf(element, what);
  const alg = algorithmName(decodeOid(r.read(TAG_OID, what + ' OID'), what + ' OID'));
  if (r.hasMore()) {
    if (rawKeySize(alg) > 0) throw new CertificateError('bad-algorithm', what + ': ' + alg + ' must not carry parameters (RFC 8410)');
    r.readAny(what + ' parameters');
  }
  r.finish();
  return alg;
}

function parseSubjectPublicKeyInfo(element: DerElement, what: string): SubjectPublicKey {
  const r = readerOf(element, what);
  const alg = parseAlgorithmIdentifier(r.read(TAG_SEQUENCE, what + ' algorithm'), what + ' algorithm');
  const raw = decodeBitStringBytes(r.read(TAG_BIT_STRING, what + ' key'), what + ' key');
  r.finish();
  const size = rawKeySize(alg);
  if (size > 0 && raw.length !== size) {
    throw new CertificateError('bad-key', what + ': ' + alg + ' key must be ' + size + ' bytes, found ' + raw.length);
  }
  return { alg, raw: copy(raw) };
}

function parseName(element: DerElement, what: string): DistinguishedName {
  const r = readerOf(element, what);
  let commonName: string | null = null;
  let organization: string | null = null;
  while (r.hasMore()) {
    const rdn = r.read(TAG_SET, what + ' RDN');
    const rr = readerOf(rdn, what + ' RDN');
    if (!rr.hasMore()) throw new CertificateError('bad-name', what + ': an RDN must hold at least one attribute');
    let previous: Uint8Array | null = null;
    while (rr.hasMore()) {
      const atv = rr.read(TAG_SEQUENCE, what + ' attribute');
      // DER sorts the members of a SET OF by their encodings.
      if (previous !== null && compareBytes(previous, atv.raw) > 0) throw new CertificateError('bad-name', what + ': RDN attributes are not in DER order');
      previous = atv.raw;
      const ar = readerOf(atv, what + ' attribute');
      const type = decodeOid(ar.read(TAG_OID, what + ' attribute type'), what + ' attribute type');
      const value = ar.readAny(what + ' attribute value');
      ar.finish();
      if (type === OID_COMMON_NAME) {
        const text = decodeString(value, what + ' commonName');
        if (commonName === null) commonName = text;
      } else if (type === OID_ORGANIZATION) {
        const text = decodeString(value, what + ' organizationName');
        if (organization === null) organization = text;
      }
    }
  }
  return { der: copy(element.raw), commonName, organization };
}

interface Extensions {
  isCA: boolean;
  pathLength: number;
  keyUsage: number;
  extKeyUsage: string[] | null;
  subjectKeyId: Uint8Array | null;
  authorityKeyId: Uint8Array | null;
  unhandledCritical: string[];
}

function parseExtensions(element: DerElement): Extensions {
  const out: Extensions = {
    isCA: false,
    pathLength: -1,
    keyUsage: -1,
    extKeyUsage: null,
    subjectKeyId: null,
    authorityKeyId: null,
    unhandledCritical: [],
  };
  const outer = readerOf(element, 'extensions');
  const list = outer.read(TAG_SEQUENCE, 'extensions');
  outer.finish();
  const r = readerOf(list, 'extensions');
  if (!r.hasMore()) throw new CertificateError('bad-extension', 'extensions: present but empty (RFC 5280 requires at least one)');
  const seen: string[] = [];
  while (r.hasMore()) {
    const ext = readerOf(r.read(TAG_SEQUENCE, 'extension'), 'extension');
    const oid = decodeOid(ext.read(TAG_OID, 'extension id'), 'extension id');
    if (seen.indexOf(oid) >= 0) throw new CertificateError('bad-extension', 'extension ' + oid + ' appears twice');
    seen.push(oid);
    let critical = false;
    const criticalElement = ext.readOptional(TAG_BOOLEAN, 'extension critical flag');
    if (criticalElement !== null) {
      critical = decodeBoolean(criticalElement, 'extension critical flag');
      // critical is DEFAULT FALSE, and DER omits default values.
      if (!critical) throw new CertificateError('bad-extension', 'extension ' + oid + ' encodes critical=FALSE, which DER omits');
    }
    const value = decodeOctetString(ext.read(TAG_OCTET_STRING, 'extension value'), 'extension value');
    ext.finish();
    if (oid === OID_BASIC_CONSTRAINTS) {
      const bc = readSingle(value, TAG_SEQUENCE, 'basicConstraints');
      const br = readerOf(bc, 'basicConstraints');
      const caElement = br.readOptional(TAG_BOOLEAN, 'basicConstraints cA');
      if (caElement !== null) {
        out.isCA = decodeBoolean(caElement, 'basicConstraints cA');
        if (!out.isCA) throw new CertificateError('bad-extension', 'basicConstraints encodes cA=FALSE, which DER omits');
      }
      const pathElement = br.readOptional(TAG_INTEGER, 'basicConstraints pathLenConstraint');
      if (pathElement !== null) out.pathLength = decodeSmallInteger(pathElement, 'basicConstraints pathLenConstraint');
      br.finish();
    } else if (oid === OID_KEY_USAGE) {
      out.keyUsage = decodeNamedBits(readSingle(value, TAG_BIT_STRING, 'keyUsage'), 'keyUsage');
      if (out.keyUsage === 0) throw new CertificateError('bad-extension', 'keyUsage asserts no usage at all');
    } else if (oid === OID_EXT_KEY_USAGE) {
      const eku = readerOf(readSingle(value, TAG_SEQUENCE, 'extKeyUsage'), 'extKeyUsage');
      const purposes: string[] = [];
      while (eku.hasMore()) purposes.push(decodeOid(eku.read(TAG_OID, 'extKeyUsage purpose'), 'extKeyUsage purpose'));
      if (purposes.length === 0) throw new CertificateError('bad-extension', 'extKeyUsage lists no purpose');
      out.extKeyUsage = purposes;
    } else if (oid === OID_SUBJECT_KEY_ID) {
      out.subjectKeyId = copy(decodeOctetString(readSingle(value, TAG_OCTET_STRING, 'subjectKeyIdentifier'), 'subjectKeyIdentifier'));
    } else if (oid === OID_AUTHORITY_KEY_ID) {
      const ar = readerOf(readSingle(value, TAG_SEQUENCE, 'authorityKeyIdentifier'), 'authorityKeyIdentifier');
      const keyId = ar.readOptional(contextTag(0, false), 'authorityKeyIdentifier keyIdentifier');
      if (keyId !== null) out.authorityKeyId = copy(keyId.content);
      // [1] authorityCertIssuer and [2] authorityCertSerialNumber: structure-checked, not used.
      const issuer = ar.readOptional(contextTag(1, true), 'authorityKeyIdentifier authorityCertIssuer');
      const serial = ar.readOptional(contextTag(2, false), 'authorityKeyIdentifier authorityCertSerialNumber');
      if ((issuer === null) !== (serial === null)) {
        throw new CertificateError('bad-extension', 'authorityKeyIdentifier must carry both or neither of issuer and serial');
      }
      ar.finish();
    } else if (critical) {
      out.unhandledCritical.push(oid);
    }
  }
  return out;
}

/**
 * Parses one DER certificate strictly. Throws DerError for malformed DER and CertificateError
 * for well-formed DER that is not a valid certificate; never anything else.
 */
export function parseCertificate(der: Uint8Array): Certificate {
  const cert = readSingle(der, TAG_SEQUENCE, 'certificate');
  const cr = readerOf(cert, 'certificate');
  const tbsElement = cr.read(TAG_SEQUENCE, 'certificate tbsCertificate');
  const outerAlgElement = cr.read(TAG_SEQUENCE, 'certificate signatureAlgorithm');
  const signature = decodeBitStringBytes(cr.read(TAG_BIT_STRING, 'certificate signature'), 'certificate signature');
  cr.finish();

  const t = readerOf(tbsElement, 'tbsCertificate');
  let version = 1;
  const versionElement = t.readOptional(contextTag(0, true), 'tbsCertificate version');
  if (versionElement !== null) {
    const v = decodeSmallInteger(readSingle(versionElement.content, TAG_INTEGER, 'tbsCertificate version'), 'tbsCertificate version');
    // v1 is the DEFAULT, so DER never writes it explicitly.
    if (v === 0) throw new CertificateError('bad-version', 'version v1 is written out explicitly, which DER forbids');
    if (v > 2) throw new CertificateError('bad-version', 'unknown certificate version ' + (v + 1));
    version = v + 1;
  }
  const serial = decodeInteger(t.read(TAG_INTEGER, 'tbsCertificate serialNumber'), 'tbsCertificate serialNumber');
  const innerAlgElement = t.read(TAG_SEQUENCE, 'tbsCertificate signature');
  parseAlgorithmIdentifier(innerAlgElement, 'tbsCertificate signature');
  const issuer = parseName(t.read(TAG_SEQUENCE, 'tbsCertificate issuer'), 'issuer');
  const validity = readerOf(t.read(TAG_SEQUENCE, 'tbsCertificate validity'), 'validity');
  const notBefore = decodeTime(validity.readAny('validity notBefore'), 'validity notBefore');
  const notAfter = decodeTime(validity.readAny('validity notAfter'), 'validity notAfter');
  validity.finish();
  const subject = parseName(t.read(TAG_SEQUENCE, 'tbsCertificate subject'), 'subject');
  const spkiElement = t.read(TAG_SEQUENCE, 'tbsCertificate subjectPublicKeyInfo');
  const publicKey = parseSubjectPublicKeyInfo(spkiElement, 'subjectPublicKeyInfo');
  const issuerUid = t.readOptional(contextTag(1, false), 'tbsCertificate issuerUniqueID');
  const subjectUid = t.readOptional(contextTag(2, false), 'tbsCertificate subjectUniqueID');
  if ((issuerUid !== null || subjectUid !== null) && version < 2) {
    throw new CertificateError('bad-version', 'unique identifiers need certificate version 2 or 3');
  }
  const extensionsElement = t.readOptional(contextTag(3, true), 'tbsCertificate extensions');
  t.finish();

  let ext: Extensions;
  if (extensionsElement !== null) {
    if (version < 3) throw new CertificateError('bad-version', 'extensions need certificate version 3');
    ext = parseExtensions(extensionsElement);
  } else {
    ext = { isCA: false, pathLength: -1, keyUsage: -1, extKeyUsage: null, subjectKeyId: null, authorityKeyId: null, unhandledCritical: [] };
  }

  // RFC 5280 §4.1.1.2: the signed and unsigned algorithm fields must be identical. Comparing the
  // DER bytes (not just the OID) also catches differing parameters.
  const signatureAlgorithm = parseAlgorithmIdentifier(outerAlgElement, 'signatureAlgorithm');
  if (compareBytes(innerAlgElement.raw, outerAlgElement.raw) !== 0) {
    throw new CertificateError('algorithm-mismatch', 'the signature algorithm inside the certificate differs from the one outside');
  }
  if (signatureAlgorithm === ALG_X25519 || signatureAlgorithm === ALG_X448) {
    throw new CertificateError('bad-algorithm', signatureAlgorithm + ' is a key-agreement algorithm and cannot sign');
  }
  const sigSize = signatureSize(signatureAlgorithm);
  if (sigSize > 0 && signature.length !== sigSize) {
    throw new CertificateError('bad-signature', signatureAlgorithm + ' signature must be ' + sigSize + ' bytes, found ' + signature.length);
  }

  return {
    der: copy(cert.raw),
    tbs: copy(tbsElement.raw),
    version,
    serial: copy(serial),
    signatureAlgorithm,
    signature: copy(signature),
    issuer,
    subject,
    notBefore,
    notAfter,
    publicKeyInfo: copy(spkiElement.raw),
    publicKey,
    isCA: ext.isCA,
    pathLength: ext.pathLength,
    keyUsage: ext.keyUsage,
    extKeyUsage: ext.extKeyUsage,
    subjectKeyId: ext.subjectKeyId,
    authorityKeyId: ext.authorityKeyId,
    unhandledCriticalExtensions: ext.unhandledCritical,
  };
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/**
 * EdDSA verification that answers false (never throws) for anything that cannot be a valid
 * signature by this key: a key of another algorithm, wrong sizes, or a key the backend refuses.
 * The inputs come from the network, so a refusal is an attacker's doing, not a programming error.
 */
function verifyEdDsa(crypto: Crypto, alg: string, key: SubjectPublicKey, message: Uint8Array, signature: Uint8Array): boolean {
  if (key.alg !== alg) return false;
  if (key.raw.length !== rawKeySize(alg) || signature.length !== signatureSize(alg)) return false;
  try {
    if (alg === ALG_ED25519) return crypto.ed25519Verify(key.raw, message, signature);
    if (alg === ALG_ED448) return crypto.ed448Verify(key.raw, message, signature);
  } catch (e) {
    if (e instanceof CryptoError) return false;
    throw e;
  }
  return false;
}

/** True if `cert` carries a valid Ed25519/Ed448 signature by `issuerPublicKey`; false otherwise. */
export function verifyCertificateSignature(crypto: Crypto, cert: Certificate, issuerPublicKey: SubjectPublicKey): boolean {
  return verifyEdDsa(crypto, cert.signatureAlgorithm, issuerPublicKey, cert.tbs, cert.signature);
}

/**
 * Whether `issuer` names itself as the issuer of `cert`: the issuer Name equals the issuer's
 * subject byte for byte, and the key identifiers agree when both are present. This is the
 * chaining check only; the signature is verifyCertificateSignature's job.
 */
export function isIssuedBy(cert: Certificate, issuer: Certificate): boolean {
  if (compareBytes(cert.issuer.der, issuer.subject.der) !== 0) return false;
  if (cert.authorityKeyId !== null && issuer.subjectKeyId !== null) {
    return compareBytes(cert.authorityKeyId, issuer.subjectKeyId) === 0;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Building
// ---------------------------------------------------------------------------------------------

export interface NameOptions {
  commonName: string;
  /** organizationName, or null to leave it out (the reference's online certificate has none). */
  organization: string | null;
}

export interface CertificateOptions {
  /** Unsigned big-endian serial number, 1..20 bytes, not zero (RFC 5280 §4.1.2.2). */
  serial: Uint8Array;
  signatureAlgorithm: SignatureAlgorithm;
  issuer: NameOptions;
  subject: NameOptions;
  /** Milliseconds since the Unix epoch; truncated to whole seconds. */
  notBefore: number;
  notAfter: number;
  /** The subject's Ed25519 or Ed448 key. */
  publicKey: SubjectPublicKey;
  /**
   * true: the identity ("offline") certificate: basicConstraints critical CA:TRUE.
   * false: the online server certificate: basicConstraints CA:FALSE, keyUsage digitalSignature,
   * nonRepudiation, keyAgreement and extKeyUsage serverAuth.
   * The extension sets and their order mirror the reference router's openssl configuration
   * (simplexmq Server/CLI.hs, smp.md §3.4), so the TBS bytes match its certificates exactly.
   */
  isCA: boolean;
  /** subjectKeyIdentifier; keyIdentifier() gives the recommended value. */
  subjectKeyId: Uint8Array;
  /** authorityKeyIdentifier keyIdentifier: the issuer's subjectKeyId (the same bytes for a self-signed CA). */
  authorityKeyId: Uint8Array;
  /** Signs the TBSCertificate DER with the issuer's private key (pure EdDSA). */
  sign: (tbs: Uint8Array) => Uint8Array;
}

/**
 * A key identifier per RFC 7093 §2 method 1: the leftmost 160 bits of SHA-256 over the raw key
 * (the subjectPublicKey BIT STRING contents). The reference uses openssl's "hash" (SHA-1 over the
 * same bytes, RFC 5280 §4.2.1.2 method 1), but the Crypto interface has no SHA-1 and nothing
 * depends on the method: identifiers only have to be unique per key and consistent between SKI and AKI.
 */
export function keyIdentifier(sha256: (data: Uint8Array) => Uint8Array, publicKey: SubjectPublicKey): Uint8Array {
  return new Uint8Array(sha256(publicKey.raw).subarray(0, 20));
}

function encodeName(name: NameOptions): Uint8Array {
  const rdns: Uint8Array[] = [];
  rdns.push(derSetOf([derSequence([derOid(OID_COMMON_NAME), derUtf8String(name.commonName)])]));
  if (name.organization !== null) {
    rdns.push(derSetOf([derSequence([derOid(OID_ORGANIZATION), derUtf8String(name.organization)])]));
  }
  return derSequence(rdns);
}

function encodeAlgorithmIdentifier(alg: string): Uint8Array {
  return derSequence([derOid(algorithmOid(alg))]);
}

/** SubjectPublicKeyInfo DER for an RFC 8410 key (Ed25519, Ed448, X25519, X448). */
export function encodeSubjectPublicKeyInfo(key: SubjectPublicKey): Uint8Array {
  const size = rawKeySize(key.alg);
  if (size < 0) throw new CertificateError('bad-options', 'unsupported key algorithm "' + key.alg + '"');
  if (key.raw.length !== size) throw new CertificateError('bad-options', key.alg + ' key must be ' + size + ' bytes, got ' + key.raw.length);
  return derSequence([encodeAlgorithmIdentifier(key.alg), derBitString(key.raw)]);
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? derSequence([derOid(oid), derBoolean(true), derOctetString(value)])
    : derSequence([derOid(oid), derOctetString(value)]);
}

function checkKeyId(id: Uint8Array, what: string): void {
  if (id.length < 1 || id.length > 64) throw new CertificateError('bad-options', what + ' must be 1..64 bytes');
}

/** Builds and signs an X.509 v3 certificate (see CertificateOptions for the two profiles). */
export function buildCertificate(options: CertificateOptions): Uint8Array {
  const alg = options.signatureAlgorithm;
  if (alg !== ALG_ED25519 && alg !== ALG_ED448) throw new CertificateError('bad-options', 'signature algorithm must be ed25519 or ed448');
  if (options.publicKey.alg !== ALG_ED25519 && options.publicKey.alg !== ALG_ED448) {
    throw new CertificateError('bad-options', 'the subject key must be Ed25519 or Ed448');
  }
  const serial = options.serial;
  let nonZero = false;
  for (let i = 0; i < serial.length; i++) if (serial[i] !== 0) nonZero = true;
  if (serial.length < 1 || serial.length > 20 || !nonZero) throw new CertificateError('bad-options', 'serial must be 1..20 bytes and not zero');
  if (!(options.notBefore <= options.notAfter)) throw new CertificateError('bad-options', 'notBefore must not be after notAfter');
  checkKeyId(options.subjectKeyId, 'subjectKeyId');
  checkKeyId(options.authorityKeyId, 'authorityKeyId');

  const ski = extension(OID_SUBJECT_KEY_ID, false, derOctetString(options.subjectKeyId));
  const aki = extension(OID_AUTHORITY_KEY_ID, false, derSequence([derImplicit(0, options.authorityKeyId)]));
  let extensions: Uint8Array[];
  if (options.isCA) {
    extensions = [ski, aki, extension(OID_BASIC_CONSTRAINTS, true, derSequence([derBoolean(true)]))];
  } else {
    extensions = [
      extension(OID_BASIC_CONSTRAINTS, false, derSequence([])),
      extension(OID_KEY_USAGE, false, derNamedBits(KEY_USAGE_DIGITAL_SIGNATURE | KEY_USAGE_NON_REPUDIATION | KEY_USAGE_KEY_AGREEMENT)),
      extension(OID_EXT_KEY_USAGE, false, derSequence([derOid(OID_SERVER_AUTH)])),
      ski,
      aki,
    ];
  }

  const tbs = derSequence([
    derExplicit(0, derSmallInteger(2)),
    derUnsignedInteger(serial),
    encodeAlgorithmIdentifier(alg),
    encodeName(options.issuer),
    derSequence([derTime(options.notBefore), derTime(options.notAfter)]),
    encodeName(options.subject),
    encodeSubjectPublicKeyInfo(options.publicKey),
    derExplicit(3, derSequence(extensions)),
  ]);
  const signature = options.sign(tbs);
  if (!(signature instanceof Uint8Array) || signature.length !== signatureSize(alg)) {
    throw new CertificateError('bad-options', 'sign() must return a ' + signatureSize(alg) + '-byte ' + alg + ' signature');
  }
  return derSequence([tbs, encodeAlgorithmIdentifier(alg), derBitString(signature)]);
}

// ---------------------------------------------------------------------------------------------
// The server hello's signed session key (smp.md §4.1)
// ---------------------------------------------------------------------------------------------

export interface SignedKey {
  /** The signed object exactly as received (the bytes the signature covers). */
  readonly signed: Uint8Array;
  readonly algorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
  /** The server's per-connection X25519 public key, 32 raw bytes. */
  readonly publicKey: Uint8Array;
}

/**
 * Parses `SEQUENCE { signedObject, AlgorithmIdentifier, BIT STRING signature }` where the signed
 * object is either the X25519 SubjectPublicKeyInfo itself (44 bytes) or that SPKI inside one more
 * SEQUENCE (46 bytes, what crypton-x509 emits). smp.md §4.1 asks for both: the exact bytes
 * from a live router are unconfirmed. Verify `signed` with verifySignedKey.
 */
export function parseSignedKey(der: Uint8Array): SignedKey {
  const outer = readerOf(readSingle(der, TAG_SEQUENCE, 'signed session key'), 'signed session key');
  const signedElement = outer.read(TAG_SEQUENCE, 'signed session key object');
  const algElement = outer.read(TAG_SEQUENCE, 'signed session key algorithm');
  const signature = decodeBitStringBytes(outer.read(TAG_BIT_STRING, 'signed session key signature'), 'signed session key signature');
  outer.finish();

  const alg = parseAlgorithmIdentifier(algElement, 'signed session key algorithm');
  if (alg !== ALG_ED25519 && alg !== ALG_ED448) {
    throw new CertificateError('bad-signed-key', 'session key must be signed with Ed25519 or Ed448, not ' + alg);
  }
  if (signature.length !== signatureSize(alg)) {
    throw new CertificateError('bad-signature', alg + ' signature must be ' + signatureSize(alg) + ' bytes, found ' + signature.length);
  }

  // Bare SPKI: its first child is the AlgorithmIdentifier, which starts with an OID.
  // Wrapped: its only child is the SPKI, whose first child is a SEQUENCE.
  const inner = readerOf(signedElement, 'signed session key object');
  const first = inner.read(TAG_SEQUENCE, 'signed session key object');
  let spki: DerElement;
  if (first.content.length > 0 && first.content[0] === TAG_OID) {
    spki = signedElement;
  } else {
    inner.finish();
    spki = first;
  }
  const key = parseSubjectPublicKeyInfo(spki, 'signed session key');
  if (key.alg !== ALG_X25519) throw new CertificateError('bad-signed-key', 'the session key must be X25519, not ' + key.alg);
  return { signed: copy(signedElement.raw), algorithm: alg, signature: copy(signature), publicKey: key.raw };
}

/** True if the session key's signature verifies with `signerKey` (the TLS leaf certificate's key). */
export function verifySignedKey(crypto: Crypto, signedKey: SignedKey, signerKey: SubjectPublicKey): boolean {
  return verifyEdDsa(crypto, signedKey.algorithm, signerKey, signedKey.signed, signedKey.signature);
}

/**
 * Encodes a signed X25519 session key the way the reference router does: the signed object is
 * the SPKI wrapped in a SEQUENCE (46 bytes), signed by `sign` (the online certificate's key).
 */
export function encodeSignedKey(x25519PublicKey: Uint8Array, algorithm: SignatureAlgorithm, sign: (signed: Uint8Array) => Uint8Array): Uint8Array {
  if (algorithm !== ALG_ED25519 && algorithm !== ALG_ED448) throw new CertificateError('bad-options', 'signature algorithm must be ed25519 or ed448');
  const signed = derSequence([encodeSubjectPublicKeyInfo({ alg: ALG_X25519, raw: x25519PublicKey })]);
  const signature = sign(signed);
  if (!(signature instanceof Uint8Array) || signature.length !== signatureSize(algorithm)) {
    throw new CertificateError('bad-options', 'sign() must return a ' + signatureSize(algorithm) + '-byte ' + algorithm + ' signature');
  }
  return derSequence([signed, encodeAlgorithmIdentifier(algorithm), derBitString(signature)]);
}
