import { SimpleGoError } from '../../hal/errors';
import { decodePublicKeyOf, encodePublicKey, type PublicKey } from '../crypto/keys';
import { Decoder, Encoder, type VersionRange } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { authCmdsSMPVersion, deletedEventSMPVersion, proxyServerHandshakeSMPVersion, serviceCertsSMPVersion } from './transmission';

/**
 * The SMP hello messages (smp.md §4.1, §4.3; Transport.hs `SMPServerHandshake`,
 * `SMPClientHandshake`, `CertChainPubKey`). Each travels alone in an unencrypted block (not
 * batched). Byte formats only: the certificate chain and the signed session key are carried as
 * DER bytes and verified elsewhere (firmware/x509), and tls-unique is compared by the caller.
 *
 * Both parsers ignore bytes after the last field they know (`getHandshake` uses `parseOnly`
 * without end-of-input), so later versions can extend the hellos.
 */

export type HandshakeErrorCode = 'incompatible-version';

/** The two sides share no SMP version (upstream `TEVersion`). */
export class HandshakeError extends SimpleGoError {
  declare readonly code: HandshakeErrorCode;
  constructor(code: HandshakeErrorCode, message: string) {
    super(code, message);
    this.name = 'HandshakeError';
  }
}

/**
 * The server's certificate chain and its per-connection X25519 key signed by the chain's leaf key:
 * `nonempty(large(certDER)) ‖ large(signedKeyDER)`. Also the last field of PKEY (§10.1) and, for
 * service clients, of the client hello.
 */
export interface CertChainPubKey {
  /** The chain as in TLS, leaf first: [server.crt, ca.crt, …]. DER, unparsed. */
  readonly certChain: readonly Uint8Array[];
  /** The X.509 SignedExact of the X25519 SubjectPublicKeyInfo (smp.md §4.1). DER, unverified. */
  readonly signedKey: Uint8Array;
}

export function writeCertChainPubKey(e: Encoder, c: CertChainPubKey): void {
  e.nonEmpty(c.certChain, (x, cert) => x.large(cert));
  e.large(c.signedKey);
}

/**
 * Reads the structure only (byte fields are views). Upstream also parses each certificate and the
 * signed object as X.509 here; the x509 module does that when it verifies them.
 */
export function readCertChainPubKey(d: Decoder): CertChainPubKey {
  const certChain = d.nonEmpty((x) => x.large());
  const signedKey = d.large();
  return { certChain: certChain, signedKey: signedKey };
}

// ---------------------------------------------------------------------------------------------
// Server hello: versionRange ‖ short(sessionId) ‖ [certChainPubKey, iff max ≥ 7] ‖ ignored tail

export interface ServerHello {
  /** 6..18 when the client sent ALPN smp/1, 6..6 when it sent none. */
  readonly versionRange: VersionRange;
  /** The server's tls-unique; the client must check it equals its own. */
  readonly sessionId: Uint8Array;
  /** Present iff the range's max is ≥ 7 (a server then always sends it). */
  readonly certChainPubKey: CertChainPubKey | null;
}

/**
 * As upstream (`encodeAuthEncryptCmds`), the key is written only when the range's max is ≥ 7: for a
 * legacy 6..6 hello it is dropped, since such a client could not read it.
 */
export function encodeServerHello(h: ServerHello): Uint8Array {
  const e = new Encoder(64);
  e.versionRange(h.versionRange).short(h.sessionId);
  if (h.versionRange.max >= authCmdsSMPVersion && h.certChainPubKey !== null) writeCertChainPubKey(e, h.certChainPubKey);
  return e.finish();
}

/**
 * Parses the block content of a server hello. A DecodeError means upstream's `TEHandshake PARSE`.
 * The key is optional even when max ≥ 7 (upstream `optional`): if what follows the session ID does
 * not have its shape, it is taken for the ignored tail and `certChainPubKey` is null. A client that
 * requires the key (SimpleGo does, for block encryption) must check.
 */
export function decodeServerHello(content: Uint8Array): ServerHello {
  return parseHello(content, 'server hello', (d) => {
    const versionRange = d.versionRange();
    const sessionId = d.short();
    let certChainPubKey: CertChainPubKey | null = null;
    if (versionRange.max >= authCmdsSMPVersion) {
      certChainPubKey = tryRead(content, d, readCertChainPubKey);
    }
    return { versionRange: versionRange, sessionId: sessionId, certChainPubKey: certChainPubKey };
  });
}

// ---------------------------------------------------------------------------------------------
// Client hello: version ‖ short(keyHash) ‖ [short(X25519 SPKI), v ≥ 7, optional]
//               ‖ [bool proxyServer, v ≥ 14] ‖ [maybe(clientService), v ≥ 16] ‖ ignored tail

export type ServiceRole = 'messaging' | 'notifier' | 'proxy';

/** A high-volume service client's credentials (v16+); ordinary clients send none. */
export interface ClientHelloService {
  /** 'M', 'N' or 'P' on the wire (`SMPServiceRole`). */
  readonly role: ServiceRole;
  readonly certChainPubKey: CertChainPubKey;
}

export interface ClientHello {
  /** The version chosen from the server's range. */
  readonly version: number;
  /** The fingerprint from the server address; the server drops the connection if it is not its own. */
  readonly keyHash: Uint8Array;
  /** The client's X25519 hello key (block encryption, proxy session secret), or null. */
  readonly authPubKey: PublicKey | null;
  /** True only for an SMP proxy connecting to a relay: it disables block encryption. */
  readonly proxyServer: boolean;
  readonly clientService: ClientHelloService | null;
}

/**
 * Fields the chosen version cannot carry are left out, as upstream does (`encodeAuthEncryptCmds`,
 * `ifHasProxy`, `ifHasService`): the key below v7, proxyServer below v14, clientService below v16.
 */
export function encodeClientHello(h: ClientHello): Uint8Array {
  const v = h.version;
  const e = new Encoder(96);
  e.version(v).short(h.keyHash);
  if (v >= authCmdsSMPVersion && h.authPubKey !== null) {
    if (h.authPubKey.alg !== 'x25519') throw new EncodeError('invalid-value', 'the client hello key must be X25519');
    e.short(encodePublicKey('x25519', h.authPubKey.raw));
  }
  if (v >= proxyServerHandshakeSMPVersion) e.bool(h.proxyServer);
  if (v >= serviceCertsSMPVersion) {
    e.maybe(h.clientService, (x, s) => {
      x.u8(serviceRoleByte(s.role));
      writeCertChainPubKey(x, s.certChainPubKey);
    });
  }
  return e.finish();
}

/** Parses the block content of a client hello (a DecodeError is `TEHandshake PARSE`). */
export function decodeClientHello(content: Uint8Array): ClientHello {
  return parseHello(content, 'client hello', (d) => {
    const version = d.version();
    const keyHash = d.short();
    // `optional smpP`: when the next bytes are not a short X25519 SPKI, there is no key and the
    // parser goes on from the same place (a keyless v18 hello continues with 'F' '0').
    const authPubKey = version >= authCmdsSMPVersion ? tryRead(content, d, readX25519Key) : null;
    const proxyServer = version >= proxyServerHandshakeSMPVersion ? d.bool() : false;
    const clientService = version >= serviceCertsSMPVersion ? d.maybe(readClientService) : null;
    return { version: version, keyHash: keyHash, authPubKey: authPubKey, proxyServer: proxyServer, clientService: clientService };
  });
}

function readX25519Key(d: Decoder): PublicKey {
  return { alg: 'x25519', raw: decodePublicKeyOf('x25519', d.short()) };
}

function readClientService(d: Decoder): ClientHelloService {
  const at = d.offset;
  const b = d.u8();
  let role: ServiceRole;
  if (b === 0x4d) role = 'messaging'; // 'M'
  else if (b === 0x4e) role = 'notifier'; // 'N'
  else if (b === 0x50) role = 'proxy'; // 'P'
  else throw new DecodeError('invalid-value', "service role at byte " + at + " is not 'M', 'N' or 'P'");
  return { role: role, certChainPubKey: readCertChainPubKey(d) };
}

function serviceRoleByte(role: ServiceRole): number {
  if (role === 'messaging') return 0x4d;
  if (role === 'notifier') return 0x4e;
  if (role === 'proxy') return 0x50;
  throw new EncodeError('invalid-value', 'unknown service role');
}

// ---------------------------------------------------------------------------------------------
// Version negotiation (smp.md §4.2)

export interface NegotiatedVersion {
  /** The highest common version: the one the client hello names. */
  readonly version: number;
  /** The intersection of both ranges. */
  readonly range: VersionRange;
}

/**
 * The client side of `smpClientHandshake`: intersect the server's range with ours and take the
 * maximum. With `proxyServer`, a relay whose max is below 14 gets the client's max capped at 10,
 * which keeps block encryption off between proxy and relay, as upstream does.
 */
export function negotiateVersion(serverRange: VersionRange, clientRange: VersionRange, proxyServer: boolean = false): NegotiatedVersion {
  let clientMax = clientRange.max;
  if (proxyServer && serverRange.max < proxyServerHandshakeSMPVersion) {
    clientMax = clientRange.min > deletedEventSMPVersion ? clientRange.min : deletedEventSMPVersion;
  }
  const min = serverRange.min > clientRange.min ? serverRange.min : clientRange.min;
  const max = serverRange.max < clientMax ? serverRange.max : clientMax;
  if (min > max) {
    throw new HandshakeError('incompatible-version', 'no common SMP version: the server supports ' + serverRange.min + '..' + serverRange.max +
      ', this client ' + clientRange.min + '..' + clientMax);
  }
  return { version: max, range: { min: min, max: max } };
}

/** The server side: the version a client hello names must lie in the range the server offered. */
export function isVersionInRange(version: number, range: VersionRange): boolean {
  return version >= range.min && version <= range.max;
}

// ---------------------------------------------------------------------------------------------

/** Runs `fn` without requiring the end of input, and labels any DecodeError. */
function parseHello<T>(content: Uint8Array, what: string, fn: (d: Decoder) => T): T {
  try {
    return fn(new Decoder(content));
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.code, what + ': ' + e.message);
    throw e;
  }
}

/**
 * Attoparsec's `optional p`: reads with `read` from the current position; on a DecodeError nothing
 * is consumed and the result is null. Decoder cannot rewind, so the attempt runs on a second
 * decoder over the rest of `content` and the first skips what it consumed.
 */
function tryRead<T>(content: Uint8Array, d: Decoder, read: (x: Decoder) => T): T | null {
  const attempt = new Decoder(content.subarray(d.offset));
  let value: T;
  try {
    value = read(attempt);
  } catch (e) {
    if (e instanceof DecodeError) return null;
    throw e;
  }
  d.raw(attempt.offset);
  return value;
}
