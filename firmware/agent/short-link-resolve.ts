import type { Crypto, KeyPair } from '../../hal/crypto';
import { SimpleGoError } from '../../hal/errors';
import type { Random } from '../../hal/random';
import { sbDecrypt, sbEncrypt } from '../crypto/box';
import { decodePublicKeyOf, encodePublicKey } from '../crypto/keys';
import { PaddingError } from '../crypto/padding';
import { equalBytes } from '../encoding/bytes';
import { decode, Encoder, type Decoder, type VersionRange } from '../encoding/binary';
import { DecodeError } from '../encoding/errors';
import { utf8Encode } from '../encoding/utf8';
import type { SmpServer } from '../smp/address';
import type { AuthKeyPair, QueueLinkReply } from '../smp/client';
import { SmpCommandError } from '../smp/client-errors';
import type { SmpClientPool } from '../smp/client-pool';
import { ProxyError, type ProxyClient, type ProxyRoute } from '../smp/proxy-client';
import { readConnectionRequest, writeConnectionRequest, type ConnectionRequest } from './connection-link';
import { restoreShortLink, type ShortLink } from './short-link';

/**
 * Resolving a short link through its router (agent.md §4.6; simplexmq `Crypto/ShortLink.hs`,
 * `getConnShortLink`), and the creating side's link data (for `Agent.createInvitation` with
 * `short: true`).
 *
 * The link text names the router and a 32-byte link key, SHA3-256 of the fixed link data. From it:
 *   invitation: sbKey = HKDF-SHA512("", linkKey, "SimpleXInvLink", 32); the link ID is in the text
 *   contact:    linkId ‖ sbKey = HKDF-SHA512("", linkKey, "SimpleXContactLink", 56)
 * The router answers LKEY (invitation: it also installs our sender key on the queue, replacing
 * SKEY) or LGET (contact) with LNK senderId, encFixed, encUser; each part is
 * nonce(24) ‖ secretbox(sbKey, pad(bs(signature) ‖ data, 2008 | 13784)).
 *
 * The router is not trusted with anything: the fixed data must hash to the link key, both parts
 * must carry the root key's signature, and the queue inside must be the one the router answered
 * for. A router that swaps the data can only make the join fail.
 */

export type ShortLinkErrorCode =
  /** The link names only a host (shortened for a preset router) that is not in our preset table. */
  | 'unknown-preset-host'
  /** The router has no such link (AUTH): deleted, already used, or the link key was altered. */
  | 'link-gone'
  /** The link data does not open with the key derived from the link. */
  | 'bad-decryption'
  /** The fixed link data does not hash to the link key. */
  | 'hash-mismatch'
  /** A part of the link data is not signed by the link's root key. */
  | 'bad-signature'
  /** The link data opened but is not well formed. */
  | 'malformed-data'
  /** The link data names another queue than the router answered for, or another kind of link. */
  | 'wrong-queue'
  /** Channel, group and relay links are not something this device can join. */
  | 'unsupported-type';

export class ShortLinkError extends SimpleGoError {
  declare readonly code: ShortLinkErrorCode;
  constructor(code: ShortLinkErrorCode, message: string) {
    super(code, message);
    this.name = 'ShortLinkError';
  }
}

/** `fixedDataPaddedLength`: 2048 minus the nonce and the tag. */
export const FIXED_DATA_PADDED_LENGTH = 2008;
/** `userDataPaddedLength`: 13824 minus the nonce and the tag. */
export const USER_DATA_PADDED_LENGTH = 13784;
const NONCE_LENGTH = 24;
const LINK_ID_LENGTH = 24;
const SB_KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
const INV_INFO = utf8Encode('SimpleXInvLink');
const CONTACT_INFO = utf8Encode('SimpleXContactLink');
const EMPTY = new Uint8Array(0);

// ---------------------------------------------------------------------------------------------
// Keys

/** The router's entity ID for the link and the secretbox key of its data. */
export interface ShortLinkKeys {
  readonly linkId: Uint8Array;
  readonly sbKey: Uint8Array;
}

/** Throws ShortLinkError 'unsupported-type' for channel, group and relay links. */
export function shortLinkKeys(crypto: Crypto, link: ShortLink): ShortLinkKeys {
  if (link.type === 'invitation') {
    if (link.linkId === null) throw new ShortLinkError('malformed-data', 'the invitation link has no link ID');
    return { linkId: link.linkId, sbKey: crypto.hkdfSha512(EMPTY, link.linkKey, INV_INFO, SB_KEY_LENGTH) };
  }
  if (link.type !== 'contact') throw new ShortLinkError('unsupported-type', 'this is a ' + link.type + ' link; SimpleGo joins only one-time invitations and contact addresses');
  const okm = crypto.hkdfSha512(EMPTY, link.linkKey, CONTACT_INFO, LINK_ID_LENGTH + SB_KEY_LENGTH);
  return { linkId: new Uint8Array(okm.subarray(0, LINK_ID_LENGTH)), sbKey: new Uint8Array(okm.subarray(LINK_ID_LENGTH)) };
}

/**
 * The link with its preset router filled in when it names only a host (agent.md §14 pitfall 12).
 * Throws ShortLinkError 'unknown-preset-host' when that host is not a preset: without the key
 * hash the router's identity cannot be checked, so it is never contacted.
 */
export function restoreWithPresets(link: ShortLink, presets: readonly SmpServer[]): ShortLink {
  const restored = restoreShortLink(link, presets);
  if (restored.server.keyHash.length === 0) {
    throw new ShortLinkError('unknown-preset-host', 'the link names the router ' + restored.server.hosts[0].host + ' without its fingerprint, and it is not a known preset router: ask for a full link');
  }
  return restored;
}

// ---------------------------------------------------------------------------------------------
// Fetching (LKEY / LGET)

/**
 * How LKEY and LGET reach the link's router. `senderKey` non-null means LKEY (it secures the
 * invitation queue with that key), null means LGET. A router's AUTH must reject with
 * SmpCommandError (direct) or ProxyError 'destination-refused' (forwarded).
 */
export interface LinkFetcher {
  fetch(server: SmpServer, linkId: Uint8Array, senderKey: AuthKeyPair | null): Promise<QueueLinkReply>;
}

/** Straight to the link's router over the pool. */
export class DirectLinkFetcher implements LinkFetcher {
  private readonly pool: SmpClientPool;

  constructor(pool: SmpClientPool) {
    this.pool = pool;
  }

  fetch(server: SmpServer, linkId: Uint8Array, senderKey: AuthKeyPair | null): Promise<QueueLinkReply> {
    const client = this.pool.client({ server: server, basicAuth: null });
    return senderKey === null ? client.getLink(linkId) : client.secureGetLink(linkId, senderKey);
  }
}

/**
 * Through a forwarding router (PFWD, smp.md §10): the link's router never learns our address.
 * `proxy` names the forwarding router; choosing it is the routing policy's job.
 */
export class ProxiedLinkFetcher implements LinkFetcher {
  private readonly proxyClient: ProxyClient;
  private readonly route: (relay: SmpServer) => ProxyRoute;

  constructor(proxyClient: ProxyClient, route: (relay: SmpServer) => ProxyRoute) {
    this.proxyClient = proxyClient;
    this.route = route;
  }

  fetch(server: SmpServer, linkId: Uint8Array, senderKey: AuthKeyPair | null): Promise<QueueLinkReply> {
    const command = senderKey === null ? { type: 'LGET' as const } : { type: 'LKEY' as const, senderKey: { alg: senderKey.alg, raw: senderKey.publicKey } };
    return this.proxyClient.proxyCommand(this.route(server), linkId, senderKey, command).then((msg) => {
      if (msg.type !== 'LNK') throw new ShortLinkError('malformed-data', command.type + ' through the forwarding router was answered with ' + msg.type + ', not LNK');
      return { senderId: msg.senderId, fixedData: msg.fixedData, userData: msg.userData };
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Resolving

export interface ResolvedShortLink {
  /** The restored link (with its router's port and key hash). */
  readonly link: ShortLink;
  /** The connection request from the fixed link data, checked against the link and the router. */
  readonly request: ConnectionRequest;
  /**
   * Invitations: the key LKEY installed as the sender key of the initiator's queue. The join must
   * send with it and skip SKEY (agent.md §4.6, `newSndQueue`). Null for contact addresses.
   */
  readonly senderKey: KeyPair | null;
  /** The creator's user data (the apps put profile JSON there), verified, as bytes. */
  readonly userData: Uint8Array;
}

/**
 * Restores, fetches, opens and checks a short link. Throws ShortLinkError for what the link or
 * its data get wrong; a transport failure passes through as the fetcher's error.
 */
export async function resolveShortLink(crypto: Crypto, fetcher: LinkFetcher, parsed: ShortLink, presets: readonly SmpServer[]): Promise<ResolvedShortLink> {
  const link = restoreWithPresets(parsed, presets);
  const keys = shortLinkKeys(crypto, link);
  let senderKey: KeyPair | null = null;
  let authKey: AuthKeyPair | null = null;
  if (link.type === 'invitation') {
    senderKey = crypto.ed25519KeyPair();
    authKey = { alg: 'ed25519', privateKey: senderKey.privateKey, publicKey: senderKey.publicKey };
  }
  let reply: QueueLinkReply;
  try {
    reply = await fetcher.fetch(link.server, keys.linkId, authKey);
  } catch (e) {
    if (isAuth(e)) {
      throw new ShortLinkError('link-gone', 'the router has no such link: it was deleted or already used, or the link was altered');
    }
    throw e;
  }
  const opened = openLinkData(crypto, link, keys.sbKey, reply);
  return { link: link, request: opened.request, senderKey: senderKey, userData: opened.userData };
}

/** Steps 1-4 of "Checks" in §4.6 over an LNK answer. Throws ShortLinkError. */
export function openLinkData(crypto: Crypto, link: ShortLink, sbKey: Uint8Array, reply: QueueLinkReply): { request: ConnectionRequest; userData: Uint8Array } {
  const fixed = openPart(crypto, sbKey, reply.fixedData, 'fixed');
  const user = openPart(crypto, sbKey, reply.userData, 'user');
  // The hash first: it ties the data to the link itself, whoever signed it.
  if (!equalBytes(crypto.sha3_256(fixed.data), link.linkKey)) {
    throw new ShortLinkError('hash-mismatch', 'the link data does not match the link (its hash differs): the router returned other data');
  }
  const fd = decodeOrThrow(fixed.data, readFixedLinkData, 'fixed link data');
  if (!crypto.ed25519Verify(fd.rootKey, fixed.data, fixed.signature)) {
    throw new ShortLinkError('bad-signature', 'the fixed link data is not signed by the link root key');
  }
  // Upstream also accepts a contact's user data signed by an authorised owner key; SimpleGo
  // knows no owners, so only the root key counts.
  if (!crypto.ed25519Verify(fd.rootKey, user.data, user.signature)) {
    throw new ShortLinkError('bad-signature', 'the user link data is not signed by the link root key');
  }
  const userData = decodeOrThrow(user.data, (d) => readConnLinkData(d, link.type === 'invitation' ? 0x49 : 0x43), 'user link data');
  const req = fd.request;
  if ((req.mode === 'invitation') !== (link.type === 'invitation')) {
    throw new ShortLinkError('wrong-queue', 'the link data holds a ' + req.mode + ' where the link is a ' + link.type + ' link');
  }
  const q = req.queues[0];
  if (q.server.hosts[0].host !== link.server.hosts[0].host || !equalBytes(q.senderId, reply.senderId)) {
    throw new ShortLinkError('wrong-queue', 'the link data names another queue than the router answered for');
  }
  return { request: req, userData: userData };
}

function openPart(crypto: Crypto, sbKey: Uint8Array, enc: Uint8Array, what: string): { signature: Uint8Array; data: Uint8Array } {
  if (enc.length < NONCE_LENGTH + 16) throw new ShortLinkError('malformed-data', 'the ' + what + ' link data is ' + enc.length + ' bytes, too short to be encrypted data');
  let plain: Uint8Array | null;
  try {
    plain = sbDecrypt(crypto, sbKey, enc.subarray(0, NONCE_LENGTH), enc.subarray(NONCE_LENGTH));
  } catch (e) {
    if (e instanceof PaddingError) throw new ShortLinkError('malformed-data', 'the ' + what + ' link data has a bad padding length');
    throw e;
  }
  if (plain === null) throw new ShortLinkError('bad-decryption', 'the ' + what + ' link data does not decrypt with the key in the link: the link was altered or the router returned other data');
  const p = plain;
  return decodeOrThrow(p, (d) => {
    const sig = d.short();
    if (sig.length !== SIGNATURE_LENGTH) throw new DecodeError('invalid-value', 'signature is ' + sig.length + ' bytes, expected ' + SIGNATURE_LENGTH);
    return { signature: sig, data: d.tail() };
  }, what + ' link data');
}

interface FixedLinkData {
  readonly agentVRange: VersionRange;
  readonly rootKey: Uint8Array;
  readonly request: ConnectionRequest;
}

/** VersionRange ‖ bs(Ed25519 SPKI rootKey) ‖ ConnectionRequest ‖ [bs(linkEntityId)] ‖ ignored tail. */
function readFixedLinkData(d: Decoder): FixedLinkData {
  const agentVRange = d.versionRange();
  const rootKey = decodePublicKeyOf('ed25519', d.short());
  const request = readConnectionRequest(d);
  d.tail(); // a newer creator's fields (linkEntityId, ...) are not ours to read
  return { agentVRange: agentVRange, rootKey: rootKey, request: request };
}

/** 'I' ‖ VersionRange ‖ UserLinkData (invitation), 'C' ‖ VersionRange ‖ … (contact): returns the invitation's user data. */
function readConnLinkData(d: Decoder, tag: number): Uint8Array {
  const at = d.offset;
  const t = d.u8();
  if (t !== tag) throw new DecodeError('invalid-value', 'user link data at byte ' + at + " is not the link's kind");
  d.versionRange();
  let data: Uint8Array = EMPTY;
  if (tag === 0x49) {
    if (d.peek() === 0xff) {
      d.u8();
      data = d.large();
    } else {
      data = d.short();
    }
  }
  d.tail(); // contact data (owners, relays, profile) and newer fields are not needed to join
  return data;
}

function decodeOrThrow<T>(bytes: Uint8Array, fn: (d: Decoder) => T, what: string): T {
  const r = decode(bytes, fn);
  if (!r.ok) throw new ShortLinkError('malformed-data', what + ': ' + r.error.message);
  return r.value;
}

function isAuth(e: unknown): boolean {
  if (e instanceof SmpCommandError) return e.error.type === 'AUTH';
  if (e instanceof ProxyError) return e.code === 'destination-refused' && e.error !== null && e.error.type === 'AUTH';
  return false;
}

// ---------------------------------------------------------------------------------------------
// Creating (the initiator's side)

/** What NEW carries for a short invitation link, and the key that goes into the link text. */
export interface InvitationLinkData {
  readonly linkKey: Uint8Array;
  readonly fixedData: Uint8Array;
  readonly userData: Uint8Array;
}

/**
 * `encodeSignLinkData` + `encryptLinkData` for a one-time invitation: both parts signed with
 * `rootKey`, padded and boxed with the key derived from the link key, each under a fresh nonce.
 */
export function sealInvitationLinkData(crypto: Crypto, random: Random, rootKey: KeyPair, agentVRange: VersionRange, request: ConnectionRequest, userData: Uint8Array): InvitationLinkData {
  const fe = new Encoder(2048);
  fe.versionRange(agentVRange).short(encodePublicKey('ed25519', rootKey.publicKey));
  writeConnectionRequest(fe, request);
  const fixed = fe.finish();
  const ue = new Encoder(64 + userData.length);
  ue.ascii('I').versionRange(agentVRange);
  if (userData.length <= 254) ue.short(userData);
  else ue.u8(0xff).large(userData);
  const user = ue.finish();
  const linkKey = crypto.sha3_256(fixed);
  const sbKey = crypto.hkdfSha512(EMPTY, linkKey, INV_INFO, SB_KEY_LENGTH);
  return {
    linkKey: linkKey,
    fixedData: sealPart(crypto, random, sbKey, rootKey, fixed, FIXED_DATA_PADDED_LENGTH),
    userData: sealPart(crypto, random, sbKey, rootKey, user, USER_DATA_PADDED_LENGTH),
  };
}

function sealPart(crypto: Crypto, random: Random, sbKey: Uint8Array, rootKey: KeyPair, data: Uint8Array, padLen: number): Uint8Array {
  const signed = new Encoder(SIGNATURE_LENGTH + 1 + data.length).short(crypto.ed25519Sign(rootKey.privateKey, data)).raw(data).finish();
  const nonce = random.bytes(NONCE_LENGTH);
  const ct = sbEncrypt(crypto, sbKey, nonce, signed, padLen);
  const out = new Uint8Array(NONCE_LENGTH + ct.length);
  out.set(nonce, 0);
  out.set(ct, NONCE_LENGTH);
  return out;
}
