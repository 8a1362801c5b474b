import { CryptoError, KEY_SIZES } from '../../hal/crypto';
import type { Crypto, KemKeyPair, KeyPair } from '../../hal/crypto';
import { Decoder, Encoder } from '../encoding/binary';
import type { VersionRange } from '../encoding/binary';
import { decodeBase64Url, encodeBase64Url } from '../encoding/base64';
import { concatBytes, wipe } from '../encoding/bytes';
import { DecodeError } from '../encoding/errors';
import { parseQuery, queryParam, renderQueryUnescapedValues } from '../encoding/url';
import type { QueryPair } from '../encoding/url';
import { decodePublicKeyOf, encodePublicKey } from '../crypto/keys';
import { RatchetError } from './errors';
import { INFO_X3DH, hkdf3 } from './ratchet-crypto';
import {
  E2E_VERSION_MAX,
  E2E_VERSION_MIN,
  E2E_VERSION_PQ,
  decodeKemParams,
  decodeX448Key,
  encodeKemParams,
  encodeX448Key,
} from './ratchet-header';
import type { KemParams } from './ratchet-header';

/**
 * The X3DH step that starts a SimpleX double ratchet, with the optional sntrup761 KEM
 * (agent.md §4.3, §4.5, §6.3, §7.2, §8.2; simplexmq Crypto/Ratchet.hs `generateE2EParams`,
 * `pqX3dhSnd`, `pqX3dhRcv`, `replyKEM_`, and the E2ERatchetParams encodings).
 *
 * Roles. The **initiator** creates the link and publishes two X448 keys (and maybe a KEM key);
 * simplexmq calls it the receiving side. The **joiner** answers in its confirmation with its own
 * two keys and either accepts the KEM key (a ciphertext plus its own next key) or proposes one.
 * The joiner then encrypts first.
 */

/** The joiner's 56-byte public key first, then the initiator's (agent.md §14.2). */
export const ASSOCIATED_DATA_LENGTH = 112;

/** `E2ERatchetParams`: one agreed e2e version, as in a confirmation. Keys are raw X448. */
export interface E2EParams {
  readonly version: number;
  readonly key1: Uint8Array;
  readonly key2: Uint8Array;
  /** Sent only at e2e version >= 3. */
  readonly kem: KemParams | null;
}

/** `E2ERatchetParamsUri`: the same with the sender's version range, as in a link. */
export interface E2EParamsUri {
  readonly versionRange: VersionRange;
  readonly key1: Uint8Array;
  readonly key2: Uint8Array;
  readonly kem: KemParams | null;
}

/** The private KEM material behind a proposal or an acceptance (simplexmq `PrivRKEMParams`). */
export type KemPrivate =
  | { readonly kind: 'proposed'; readonly keyPair: KemKeyPair }
  | {
      readonly kind: 'accepted';
      readonly ciphertext: Uint8Array;
      readonly sharedSecret: Uint8Array;
      readonly keyPair: KemKeyPair;
    };

/** What one side keeps from its X3DH parameters until the peer's reply arrives. */
export interface X3dhPrivateKeys {
  readonly key1: KeyPair;
  readonly key2: KeyPair;
  readonly kem: KemPrivate | null;
}

export interface X3dhParams {
  readonly keys: X3dhPrivateKeys;
  readonly params: E2EParams;
}

/** How the joiner answers the link's KEM (simplexmq `UseKEM`). */
export type KemReply = { readonly kind: 'propose' } | { readonly kind: 'accept'; readonly publicKey: Uint8Array };

/** The KEM agreement both sides recorded (simplexmq `RatchetKEMAccepted`). */
export interface KemAccepted {
  /** The key the ciphertext was made for. */
  readonly peerPublicKey: Uint8Array;
  readonly sharedSecret: Uint8Array;
  readonly ciphertext: Uint8Array;
}

/** The output of X3DH, the input of ratchet initialisation (simplexmq `RatchetInitParams`). */
export interface RatchetInitParams {
  /** raw(joiner key1) ‖ raw(initiator key1). */
  readonly ad: Uint8Array;
  readonly rootKey: Uint8Array;
  /** The joiner's first sending header key; the initiator's first receiving one. */
  readonly sndHeaderKey: Uint8Array;
  /** The joiner's next receiving header key; the initiator's next sending one. */
  readonly rcvNextHeaderKey: Uint8Array;
  readonly kemAccepted: KemAccepted | null;
  /** Our own KEM key pair, kept by the ratchet (PQRs); null when PQ is off. */
  readonly kemKeyPair: KemKeyPair | null;
}

// ---------------------------------------------------------------------------------------------
// Versions: the supported range and `compatibleVersion` live in versions.ts.

/** The confirmation-form parameters for an agreed version (simplexmq `toVersionT`). */
export function e2eParamsAtVersion(p: E2EParamsUri, version: number): E2EParams {
  return { version: version, key1: p.key1, key2: p.key2, kem: p.kem };
}

// ---------------------------------------------------------------------------------------------
// Encodings

/** Binary `E2ERatchetParams`: the KEM Maybe is written only from version 3 (agent.md §6.3). */
export function encodeE2EParams(e: Encoder, p: E2EParams): void {
  e.version(p.version);
  encodeX448Key(e, p.key1);
  encodeX448Key(e, p.key2);
  if (p.version >= E2E_VERSION_PQ) e.maybe(p.kem, encodeKemParams);
}

/** Reads binary `E2ERatchetParams`; both keys must be X448 (the agent's ratchet is X448). */
export function decodeE2EParams(d: Decoder): E2EParams {
  const version = d.version();
  const key1 = decodeX448Key(d);
  const key2 = decodeX448Key(d);
  const kem = version >= E2E_VERSION_PQ ? d.maybe(decodeKemParams) : null;
  return { version: version, key1: key1, key2: key2, kem: kem };
}

/** Binary `E2ERatchetParamsUri` (inside short-link data): the KEM Maybe is always present (agent.md §4.5). */
export function encodeE2EParamsUri(e: Encoder, p: E2EParamsUri): void {
  e.versionRange(p.versionRange);
  encodeX448Key(e, p.key1);
  encodeX448Key(e, p.key2);
  e.maybe(p.kem, encodeKemParams);
}

export function decodeE2EParamsUri(d: Decoder): E2EParamsUri {
  const versionRange = d.versionRange();
  const key1 = decodeX448Key(d);
  const key2 = decodeX448Key(d);
  const kem = d.maybe(decodeKemParams);
  return { versionRange: versionRange, key1: key1, key2: key2, kem: kem };
}

/**
 * The link text form, before the link escapes it once into `e2e=` (agent.md §4.3):
 * `v=<range>&x3dh=<k1>,<k2>[&kem_ct=<ct>]&kem_key=<pk>` with base64url (padded) values.
 * The KEM is written only when the range reaches version 3, as simplexmq does.
 */
export function e2eParamsUriToString(p: E2EParamsUri): string {
  const pairs: QueryPair[] = [
    ['v', versionRangeToString(p.versionRange)],
    ['x3dh', encodeBase64Url(encodePublicKey('x448', p.key1)) + ',' + encodeBase64Url(encodePublicKey('x448', p.key2))],
  ];
  if (p.kem !== null && p.versionRange.max >= E2E_VERSION_PQ) {
    if (p.kem.kind === 'accepted') pairs.push(['kem_ct', encodeBase64Url(p.kem.ciphertext)]);
    pairs.push(['kem_key', encodeBase64Url(p.kem.publicKey)]);
  }
  return renderQueryUnescapedValues(pairs);
}

/**
 * Parses the text form (already unescaped from `e2e=`). `v` and `x3dh` are required; `x3dh` must
 * hold exactly two X448 keys; `kem_key` is read only when the range reaches version 3, and
 * `kem_ct` only together with it. Unknown parameters are ignored. Throws DecodeError.
 */
export function parseE2EParamsUri(text: string): E2EParamsUri {
  const query = parseQuery(text);
  const v = queryParam(query, 'v');
  if (v === null) throw new DecodeError('invalid-value', 'e2e parameters have no "v"');
  const versionRange = parseVersionRange(v);
  const x3dh = queryParam(query, 'x3dh');
  if (x3dh === null) throw new DecodeError('invalid-value', 'e2e parameters have no "x3dh"');
  const keys = x3dh.split(',');
  if (keys.length !== 2) throw new DecodeError('invalid-value', 'e2e "x3dh" must hold exactly two keys, got ' + keys.length);
  const key1 = decodePublicKeyOf('x448', decodeBase64Url(keys[0]));
  const key2 = decodePublicKeyOf('x448', decodeBase64Url(keys[1]));
  let kem: KemParams | null = null;
  if (versionRange.max >= E2E_VERSION_PQ) {
    const pk = queryParam(query, 'kem_key');
    if (pk !== null) {
      const publicKey = sized(decodeBase64Url(pk), KEY_SIZES.sntrup761Public, 'kem_key');
      const ct = queryParam(query, 'kem_ct');
      kem = ct === null
        ? { kind: 'proposed', publicKey: publicKey }
        : { kind: 'accepted', ciphertext: sized(decodeBase64Url(ct), KEY_SIZES.sntrup761Ciphertext, 'kem_ct'), publicKey: publicKey };
    }
  }
  return { versionRange: versionRange, key1: key1, key2: key2, kem: kem };
}

function sized(bytes: Uint8Array, size: number, what: string): Uint8Array {
  if (bytes.length !== size) throw new DecodeError('invalid-value', 'e2e "' + what + '" is ' + bytes.length + ' bytes, expected ' + size);
  return bytes;
}

// versions.ts has the same two functions for links, reporting LinkError; these report
// DecodeError, like every decoder here, and the link layer maps them.

/** `strEncode VersionRange`: "a-b", or "a" when both ends are equal. */
function versionRangeToString(r: VersionRange): string {
  return r.min === r.max ? String(r.min) : r.min + '-' + r.max;
}

/** `strP VersionRange`: decimal word16 "a" or "a-b" with a <= b. */
function parseVersionRange(text: string): VersionRange {
  const dash = text.indexOf('-');
  const min = parseWord16(dash < 0 ? text : text.substring(0, dash));
  const max = dash < 0 ? min : parseWord16(text.substring(dash + 1));
  if (min > max) throw new DecodeError('invalid-value', 'e2e version range has min ' + min + ' > max ' + max);
  return { min: min, max: max };
}

function parseWord16(text: string): number {
  if (text.length === 0 || text.length > 5) throw new DecodeError('invalid-value', 'e2e version is not a 1-5 digit number');
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new DecodeError('invalid-value', 'e2e version has a non-digit at character ' + i);
    n = n * 10 + (c - 0x30);
  }
  if (n > 65535) throw new DecodeError('invalid-value', 'e2e version ' + n + ' exceeds 65535');
  return n;
}

// ---------------------------------------------------------------------------------------------
// Key generation and agreement

function checkVersion(version: number, what: string): void {
  if (!(version >= E2E_VERSION_MIN && version <= E2E_VERSION_MAX && Math.floor(version) === version)) {
    throw new RatchetError('version', what + ' uses e2e version ' + version + '; SimpleGo speaks ' + E2E_VERSION_MIN + '..' + E2E_VERSION_MAX);
  }
}

function checkKemKeyPair(pair: KemKeyPair): void {
  if (pair.publicKey.length !== KEY_SIZES.sntrup761Public || pair.secretKey.length !== KEY_SIZES.sntrup761Secret) {
    throw new RatchetError('bad-params', 'an sntrup761 key pair must be ' + KEY_SIZES.sntrup761Public + ' + ' + KEY_SIZES.sntrup761Secret + ' bytes');
  }
}

/**
 * The two X448 pairs, then (at v >= 3, when asked) the KEM pair and, for an acceptance, the
 * encapsulation, in simplexmq's order (`generateE2EParams`). `kemKeyPair` lets the owner pass a
 * pair it generated ahead of time, so that this call never waits for sntrup761 key generation.
 */
function generateParams(crypto: Crypto, version: number, reply: KemReply | null, kemKeyPair: KemKeyPair | null): X3dhParams {
  checkVersion(version, 'X3DH parameters');
  const key1 = crypto.x448KeyPair();
  const key2 = crypto.x448KeyPair();
  let kem: KemPrivate | null = null;
  let kemPublic: KemParams | null = null;
  if (reply !== null && version >= E2E_VERSION_PQ) {
    if (kemKeyPair !== null) checkKemKeyPair(kemKeyPair);
    const pair = kemKeyPair !== null ? kemKeyPair : crypto.sntrup761KeyPair();
    if (reply.kind === 'propose') {
      kem = { kind: 'proposed', keyPair: pair };
      kemPublic = { kind: 'proposed', publicKey: pair.publicKey };
    } else {
      if (reply.publicKey.length !== KEY_SIZES.sntrup761Public) {
        throw new RatchetError('bad-params', 'the KEM key to accept must be ' + KEY_SIZES.sntrup761Public + ' bytes');
      }
      const enc = crypto.sntrup761Encapsulate(reply.publicKey);
      kem = { kind: 'accepted', ciphertext: enc.ciphertext, sharedSecret: enc.sharedSecret, keyPair: pair };
      kemPublic = { kind: 'accepted', ciphertext: enc.ciphertext, publicKey: pair.publicKey };
    }
  }
  return {
    keys: { key1: key1, key2: key2, kem: kem },
    params: { version: version, key1: key1.publicKey, key2: key2.publicKey, kem: kemPublic },
  };
}

/**
 * The initiator's parameters for a new link (simplexmq `generateRcvE2EParams`): with PQ support
 * it proposes a KEM key, at version 3 only.
 */
export function generateInitiatorParams(crypto: Crypto, version: number, pqSupport: boolean, kemKeyPair: KemKeyPair | null = null): X3dhParams {
  return generateParams(crypto, version, pqSupport ? { kind: 'propose' } : null, kemKeyPair);
}

/**
 * How the joiner answers (simplexmq `replyKEM_`): with PQ support at v >= 3 it accepts the link's
 * proposal, or proposes its own key if the link had none; without PQ support it sends no KEM.
 */
export function replyKem(version: number, linkKem: KemParams | null, pqSupport: boolean): KemReply | null {
  if (!pqSupport || version < E2E_VERSION_PQ) return null;
  if (linkKem !== null && linkKem.kind === 'proposed') return { kind: 'accept', publicKey: linkKem.publicKey };
  return { kind: 'propose' };
}

/** The joiner's parameters for its confirmation (simplexmq `generateSndE2EParams`). */
export function generateJoinerParams(crypto: Crypto, version: number, reply: KemReply | null, kemKeyPair: KemKeyPair | null = null): X3dhParams {
  return generateParams(crypto, version, reply, kemKeyPair);
}

/**
 * The joiner's side of X3DH (simplexmq `pqX3dhSnd`), on the initiator's parameters at the agreed
 * version. An acceptance needs a proposal to accept ('kem-state'); a proposal in reply to a
 * proposal is allowed and agrees no KEM secret yet.
 */
export function x3dhJoiner(crypto: Crypto, own: X3dhPrivateKeys, initiator: E2EParams): RatchetInitParams {
  checkVersion(initiator.version, 'the initiator\'s X3DH parameters');
  // simplexmq types the initiator's parameters as proposal-only: a ciphertext there is refused.
  if (initiator.kem !== null && initiator.kem.kind === 'accepted') {
    throw new RatchetError('kem-state', 'the initiator\'s X3DH parameters carry a KEM ciphertext, not a proposal');
  }
  let kemKeyPair: KemKeyPair | null = null;
  let kemAccepted: KemAccepted | null = null;
  if (own.kem !== null && initiator.version >= E2E_VERSION_PQ) {
    if (own.kem.kind === 'accepted') {
      if (initiator.kem === null || initiator.kem.kind !== 'proposed') {
        throw new RatchetError('kem-state', 'the joiner accepted a KEM key the initiator did not propose');
      }
      kemAccepted = { peerPublicKey: initiator.kem.publicKey, sharedSecret: own.kem.sharedSecret, ciphertext: own.kem.ciphertext };
    }
    kemKeyPair = own.kem.keyPair;
  }
  const dh1 = agree(crypto, own.key2.privateKey, initiator.key1);
  const dh2 = agree(crypto, own.key1.privateKey, initiator.key2);
  const dh3 = agree(crypto, own.key2.privateKey, initiator.key2);
  return x3dh(crypto, own.key1.publicKey, initiator.key1, dh1, dh2, dh3, kemAccepted, kemKeyPair);
}

/**
 * The initiator's side (simplexmq `pqX3dhRcv`), on the joiner's confirmation parameters. If the
 * joiner accepted our KEM key, the secret is decapsulated here; if it proposed instead, or sent
 * no KEM, our proposal is dropped and the ratchet starts without a KEM key pair.
 */
export function x3dhInitiator(crypto: Crypto, own: X3dhPrivateKeys, joiner: E2EParams): RatchetInitParams {
  checkVersion(joiner.version, 'the joiner\'s X3DH parameters');
  let kemKeyPair: KemKeyPair | null = null;
  let kemAccepted: KemAccepted | null = null;
  if (joiner.kem !== null && joiner.kem.kind === 'accepted' && joiner.version >= E2E_VERSION_PQ) {
    if (own.kem === null || own.kem.kind !== 'proposed') {
      throw new RatchetError('kem-state', 'the joiner sent a KEM ciphertext but no KEM key was proposed');
    }
    kemKeyPair = own.kem.keyPair;
    const ss = crypto.sntrup761Decapsulate(kemKeyPair.secretKey, joiner.kem.ciphertext);
    kemAccepted = { peerPublicKey: joiner.kem.publicKey, sharedSecret: ss, ciphertext: joiner.kem.ciphertext };
  }
  const dh1 = agree(crypto, own.key1.privateKey, joiner.key2);
  const dh2 = agree(crypto, own.key2.privateKey, joiner.key1);
  const dh3 = agree(crypto, own.key2.privateKey, joiner.key2);
  return x3dh(crypto, joiner.key1, own.key1.publicKey, dh1, dh2, dh3, kemAccepted, kemKeyPair);
}

/** X448 with a peer key from the wire: a low-order point is the peer's fault ('bad-params'). */
function agree(crypto: Crypto, privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return crypto.x448(privateKey, publicKey);
  } catch (e) {
    if (e instanceof CryptoError) throw new RatchetError('bad-params', 'an X3DH public key is unusable (' + e.code + ')');
    throw e;
  }
}

/** `pqX3dh`: HKDF(64 zero bytes, DH1 ‖ DH2 ‖ DH3 ‖ kemSecret, "SimpleXX3DH") → (hk, nhk, rk). */
function x3dh(
  crypto: Crypto,
  joinerKey1: Uint8Array,
  initiatorKey1: Uint8Array,
  dh1: Uint8Array,
  dh2: Uint8Array,
  dh3: Uint8Array,
  kemAccepted: KemAccepted | null,
  kemKeyPair: KemKeyPair | null,
): RatchetInitParams {
  const parts = [dh1, dh2, dh3];
  if (kemAccepted !== null) parts.push(kemAccepted.sharedSecret);
  const ikm = concatBytes(parts);
  const salt = new Uint8Array(64);
  const k = hkdf3(crypto, salt, ikm, INFO_X3DH);
  wipe(ikm);
  wipe(dh1);
  wipe(dh2);
  wipe(dh3);
  return {
    ad: concatBytes([joinerKey1, initiatorKey1]),
    rootKey: k.third,
    sndHeaderKey: k.first,
    rcvNextHeaderKey: k.second,
    kemAccepted: kemAccepted,
    kemKeyPair: kemKeyPair,
  };
}

/** Wipes the private keys once the ratchet is initialised (the ratchet keeps its own copies). */
export function wipeX3dhPrivateKeys(keys: X3dhPrivateKeys): void {
  wipe(keys.key1.privateKey);
  wipe(keys.key2.privateKey);
  if (keys.kem !== null) {
    wipe(keys.kem.keyPair.secretKey);
    if (keys.kem.kind === 'accepted') wipe(keys.kem.sharedSecret);
  }
}
