import { decodeBase64Url, encodeBase64Url } from '../encoding/base64';
import type { Decoder, Encoder, VersionRange } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { parseQuery, queryParam, renderQuery, type QueryPair } from '../encoding/url';
import { decodePublicKeyOf, encodePublicKey } from '../crypto/keys';
import type { SmpServer, TransportHost } from '../smp/address';
import { asLinkError, LinkError } from './link-errors';
import { isCutShortOf, scanBase64Url } from './link-text';
import { checkLinkServer, MAX_LINK_SERVER_HOSTS, parseHost, parseHostList, parsePort, printHostList, readLinkServer, writeLinkServer } from './link-server';
import {
  parseVersionRange,
  renderVersionRange,
  SMP_CLIENT_VERSION_HOSTNAMES,
  SMP_CLIENT_VERSION_SENDER_SECURE,
  SMP_CLIENT_VERSION_SHORT_LINKS,
} from './versions';

/**
 * The SMP queue URI inside a connection link (agent.md §4.2; simplexmq `SMPQueueUri`, its
 * `StrEncoding` and `Encoding` instances in Agent/Protocol.hs):
 *
 *   smp://keyHash@host1[,host2…][:port]/senderId#/?v=a-b&dh=<X25519 SPKI>[&q=m|c][&k=s][&srv=host2,…]
 *
 * Two authority forms: while the min SMP client version is below 2 (the agent advertises 1-4, so
 * every real link) only the first host is in the authority and the rest go in `srv=`; from 2 all
 * hosts are in the authority. The query is escaped once here; the connection link escapes the
 * whole URI again (agent.md §14 pitfall 7).
 */

/** `q=m`: a messaging queue the sender may secure (SKEY); `q=c`: a contact-address queue. */
export type QueueMode = 'messaging' | 'contact';

export interface SmpQueueUri {
  readonly smpClientVRange: VersionRange;
  /** The queue's server. Its key hash may have any non-empty length (see link-server.ts). */
  readonly server: SmpServer;
  /** The queue's sender ID (24 bytes from current servers). */
  readonly senderId: Uint8Array;
  /** The initiator's per-queue e2e X25519 public key, raw 32 bytes (not the key used with the server). */
  readonly dhPublicKey: Uint8Array;
  /** null: neither `q=` nor `k=s`, the old behaviour without SKEY. */
  readonly queueMode: QueueMode | null;
}

/** Far above a real queue URI (about 300 characters); bounds the work a hostile link can cause. */
export const MAX_QUEUE_URI_LENGTH = 4096;

/** The range an unversioned legacy URI (`#<dhKey>` and nothing else) stands for. */
const LEGACY_VRANGE: VersionRange = { min: 1, max: 1 };

/** Both IDs and key hashes travel as `short` in the binary form. */
const MAX_ID_LENGTH = 255;

/**
 * `extraSMPServerHosts`: the onion addresses of the early preset servers. A queue URI from before
 * multiple hostnames (max SMP client version 1) that names one of these servers alone gets its onion
 * host added when read, as upstream's `updateSMPServerHosts` does.
 */
const LEGACY_ONION_HOSTS: ReadonlyArray<readonly [string, string]> = [
  ['smp4.simplex.im', 'o5vmywmrnaxalvz6wi3zicyftgio6psuvyniis6gco6bp6ekl4cqj4id.onion'],
  ['smp5.simplex.im', 'jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion'],
  ['smp6.simplex.im', 'bylepyau3ty4czmn77q4fglvperknl4bi2eb2fdy2bh4jxtf32kf73yd.onion'],
  ['smp8.simplex.im', 'beccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid.onion'],
  ['smp9.simplex.im', 'jssqzccmrcws6bhmn77vgmhfjmhwlyr3u7puw4erkyoosywgl67slqqd.onion'],
  ['smp10.simplex.im', 'rb2pbttocvnbrngnwziclp2f4ckjq65kebafws6g4hy22cdaiv5dwjqd.onion'],
];

/** `senderCanSecure`: only a messaging queue lets the sender secure it. */
export function senderCanSecure(mode: QueueMode | null): boolean {
  return mode === 'messaging';
}

// ---------------------------------------------------------------------------------------------
// Text form

/**
 * `strP SMPQueueUri` over the whole of `text` (already unescaped once from `smp=`). Also accepts
 * the legacy forms `…#<dhKey>` and `…#<dhKey>/?v=…`, parameters in any order and unknown
 * parameters. `what` names the queue in error messages ("queue 2").
 */
export function parseQueueUri(text: string, what: string = 'queue address'): SmpQueueUri {
  if (text.length > MAX_QUEUE_URI_LENGTH) {
    throw new LinkError('too-long', what + ' is ' + text.length + ' characters, more than the ' + MAX_QUEUE_URI_LENGTH + ' accepted');
  }
  const scheme = 'smp://';
  if (text.substring(0, scheme.length) !== scheme) {
    if (isCutShortOf(text, scheme)) throw new LinkError('truncated', what + ' ends before its server address');
    throw new LinkError('bad-queue-uri', what + ' does not start with "smp://"');
  }
  const slash = text.indexOf('/', scheme.length);
  if (slash < 0) throw new LinkError('truncated', what + ' ends before its queue ID');
  const server = parseQueueServer(text.substring(scheme.length, slash), what);

  // senderId, an optional '/', then '#'
  let i = slash + 1;
  const idEnd = scanBase64Url(text, i);
  if (idEnd === i) {
    if (i === text.length) throw new LinkError('truncated', what + ' ends before its queue ID');
    throw new LinkError('bad-queue-uri', what + ' has no queue ID after the server address');
  }
  const senderId = decodeId(text.substring(i, idEnd), what + ' queue ID');
  i = idEnd;
  if (i < text.length && text.charCodeAt(i) === 0x2f) i++; // '/'
  if (i === text.length) throw new LinkError('truncated', what + ' ends after its queue ID');
  if (text.charCodeAt(i) !== 0x23) throw new LinkError('bad-queue-uri', what + ' has an unexpected character after its queue ID'); // '#'
  i++;
  if (i === text.length) throw new LinkError('truncated', what + ' ends after "#"');

  // Legacy: the DH key straight after '#', alone ("unversioned", v=1) or followed by the query.
  let dhText: string | null = null;
  const keyEnd = scanBase64Url(text, i);
  if (keyEnd > i) {
    dhText = text.substring(i, keyEnd);
    i = keyEnd;
    if (i === text.length) {
      return finish(what, server, [], LEGACY_VRANGE, senderId, decodeDhKey(dhText, what), null);
    }
  }
  if (text.charCodeAt(i) === 0x2f) i++; // '/'
  if (i === text.length) throw new LinkError('truncated', what + ' ends before its parameters');
  if (text.charCodeAt(i) !== 0x3f) throw new LinkError('bad-queue-uri', what + ' has an unexpected character where "?" should start its parameters'); // '?'
  const query = asLinkError('bad-queue-uri', what + ' parameters', () => parseQuery(text.substring(i)));

  const v = queryParam(query, 'v');
  if (v === null) throw new LinkError('missing-parameter', what + ' has no SMP client version (v=)');
  const vr = parseVersionRange(v, what + ' SMP client version range');
  if (dhText === null) dhText = queryParam(query, 'dh');
  if (dhText === null) throw new LinkError('missing-parameter', what + ' has no DH key (dh=)');
  const dhPublicKey = decodeDhKey(dhText, what);
  const srv = queryParam(query, 'srv');
  const extraHosts = srv === null ? [] : parseHostList(srv, what + ' extra hosts (srv=)');
  return finish(what, server, extraHosts, vr, senderId, dhPublicKey, queueModeOf(query));
}

/** `strEncode SMPQueueUri`: the legacy authority while min < 2, all hosts in the authority from 2. */
export function renderQueueUri(q: SmpQueueUri): string {
  checkQueueUri(q);
  const vr = q.smpClientVRange;
  const legacy = vr.min < SMP_CLIENT_VERSION_HOSTNAMES;
  const hosts = q.server.hosts;
  const inAuthority: readonly TransportHost[] = legacy ? [hosts[0]] : hosts;
  const params: QueryPair[] = [
    ['v', renderVersionRange(vr)],
    ['dh', encodeBase64Url(encodePublicKey('x25519', q.dhPublicKey))],
  ];
  if (q.queueMode === 'messaging') params.push(['q', 'm']);
  else if (q.queueMode === 'contact') params.push(['q', 'c']);
  // The legacy "sender can secure" flag, for clients from before queue modes.
  if (senderCanSecure(q.queueMode) && vr.min < SMP_CLIENT_VERSION_SHORT_LINKS) params.push(['k', 's']);
  if (legacy && hosts.length > 1) params.push(['srv', printHostList(hosts.slice(1), false)]);
  return (
    'smp://' + encodeBase64Url(q.server.keyHash) + '@' + printHostList(inAuthority, q.server.port !== null) +
    (q.server.port !== null ? ':' + q.server.port : '') +
    '/' + encodeBase64Url(q.senderId) + '#/?' + renderQuery(params)
  );
}

// ---------------------------------------------------------------------------------------------
// Binary form (agent.md §4.5):
//   VersionRange ‖ ProtocolServer ‖ short(senderId) ‖ short(X25519 SPKI) ‖ queueModeSuffix

/**
 * The queue mode suffix depends on the range, so that older clients never meet a byte they cannot
 * skip: min ≥ 4 writes 'M' | 'C' (or nothing); min ≥ 3, or max ≥ 3 with a sender-securable queue,
 * writes the old Bool 'T' | 'F'; otherwise nothing. A contact queue below min 3 is therefore written
 * without its mode; ConnReqUriData's reader restores it (connection-link.ts).
 */
export function writeQueueUri(e: Encoder, q: SmpQueueUri): void {
  checkQueueUri(q);
  const vr = q.smpClientVRange;
  e.versionRange(vr);
  writeLinkServer(e, q.server, true);
  e.short(q.senderId);
  e.short(encodePublicKey('x25519', q.dhPublicKey));
  const sndSecure = senderCanSecure(q.queueMode);
  if (vr.min >= SMP_CLIENT_VERSION_SHORT_LINKS) {
    if (q.queueMode === 'messaging') e.ascii('M');
    else if (q.queueMode === 'contact') e.ascii('C');
  } else if (vr.min >= SMP_CLIENT_VERSION_SENDER_SECURE || (vr.max >= SMP_CLIENT_VERSION_SENDER_SECURE && sndSecure)) {
    e.bool(sndSecure);
  }
}

/** Reads the binary form; errors are DecodeError. The suffix is read whatever the version, as upstream does. */
export function readQueueUri(d: Decoder): SmpQueueUri {
  const vr = d.versionRange();
  const server = readLinkServer(d, true);
  const idAt = d.offset;
  const senderId = new Uint8Array(d.short());
  if (senderId.length === 0) throw new DecodeError('invalid-value', 'queue sender ID at byte ' + idAt + ' is empty');
  const dhPublicKey = decodePublicKeyOf('x25519', d.short());
  let queueMode: QueueMode | null = null;
  const next = d.peek();
  if (next === 0x4d || next === 0x54) queueMode = 'messaging'; // 'M', or Bool 'T' (sender can secure)
  else if (next === 0x43 || next === 0x46) queueMode = 'contact'; // 'C', or Bool 'F'
  if (queueMode !== null) d.u8();
  return { smpClientVRange: vr, server: server, senderId: senderId, dhPublicKey: dhPublicKey, queueMode: queueMode };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/**
 * The authority between "smp://" and the '/' before the sender ID: keyHash '@' hosts [':' port].
 * Hosts are split on ','; a ':' then ends the last host, unless the whole last piece is a bare IPv6
 * address, which upstream's host parser takes greedily (so "::1:5223" is a host, not a port).
 */
function parseQueueServer(authority: string, what: string): SmpServer {
  const at = authority.indexOf('@');
  if (at < 0) throw new LinkError('bad-server-address', what + ' has no "@" after the server key hash');
  const hashText = authority.substring(0, at);
  if (hashText.indexOf(':') >= 0) throw new LinkError('bad-server-address', what + ' includes a server password, which links may not carry');
  if (hashText.length === 0) throw new LinkError('bad-server-address', what + ' has an empty server key hash');
  const keyHash = asLinkError('bad-server-address', what + ' server key hash', () => decodeBase64Url(hashText));
  if (keyHash.length > MAX_ID_LENGTH) throw new LinkError('bad-server-address', what + ' server key hash is longer than ' + MAX_ID_LENGTH + ' bytes');

  const pieces = authority.substring(at + 1).split(',');
  if (pieces.length > MAX_LINK_SERVER_HOSTS) {
    throw new LinkError('too-many-queues', what + ' server lists more than ' + MAX_LINK_SERVER_HOSTS + ' hosts');
  }
  const hosts: TransportHost[] = [];
  let port: number | null = null;
  for (let k = 0; k < pieces.length; k++) {
    const hostWhat = what + ' server host ' + (k + 1);
    const piece = pieces[k];
    const colon = piece.lastIndexOf(':');
    if (k === pieces.length - 1 && colon >= 0 && !isWholeHost(piece)) {
      hosts.push(parseHost(piece.substring(0, colon), hostWhat));
      port = parsePort(piece.substring(colon + 1), what + ' server port');
    } else {
      hosts.push(parseHost(piece, hostWhat));
    }
  }
  return { hosts: hosts, port: port, keyHash: keyHash };
}

function isWholeHost(text: string): boolean {
  try {
    parseHost(text, '');
    return true;
  } catch (e) {
    if (e instanceof LinkError) return false;
    throw e;
  }
}

/** Builds the value, merging `srv=` hosts and applying the legacy onion table. */
function finish(
  what: string,
  server: SmpServer,
  extraHosts: readonly TransportHost[],
  vr: VersionRange,
  senderId: Uint8Array,
  dhPublicKey: Uint8Array,
  queueMode: QueueMode | null,
): SmpQueueUri {
  const hosts: TransportHost[] = [];
  for (let k = 0; k < server.hosts.length; k++) hosts.push(server.hosts[k]);
  for (let k = 0; k < extraHosts.length; k++) hosts.push(extraHosts[k]);
  if (hosts.length > MAX_LINK_SERVER_HOSTS) {
    throw new LinkError('too-many-queues', what + ' server lists more than ' + MAX_LINK_SERVER_HOSTS + ' hosts');
  }
  if (vr.max < SMP_CLIENT_VERSION_HOSTNAMES && hosts.length === 1) {
    for (let k = 0; k < LEGACY_ONION_HOSTS.length; k++) {
      if (LEGACY_ONION_HOSTS[k][0] === hosts[0].host) hosts.push({ kind: 'onion', host: LEGACY_ONION_HOSTS[k][1] });
    }
  }
  return {
    smpClientVRange: vr,
    server: { hosts: hosts, port: server.port, keyHash: server.keyHash },
    senderId: senderId,
    dhPublicKey: dhPublicKey,
    queueMode: queueMode,
  };
}

/** `q=m` / `q=c`; otherwise `k=s` alone means messaging; anything else means no mode. */
function queueModeOf(query: readonly QueryPair[]): QueueMode | null {
  const q = queryParam(query, 'q');
  if (q === 'm') return 'messaging';
  if (q === 'c') return 'contact';
  return queryParam(query, 'k') === 's' ? 'messaging' : null;
}

function decodeDhKey(text: string, what: string): Uint8Array {
  const der = asLinkError('bad-key', what + ' DH key (dh=)', () => decodeBase64Url(text));
  return asLinkError('bad-key', what + ' DH key (dh=)', () => decodePublicKeyOf('x25519', der));
}

function decodeId(text: string, what: string): Uint8Array {
  const id = asLinkError('bad-queue-uri', what, () => decodeBase64Url(text));
  if (id.length > MAX_ID_LENGTH) throw new LinkError('bad-queue-uri', what + ' is longer than ' + MAX_ID_LENGTH + ' bytes');
  return id;
}

function checkQueueUri(q: SmpQueueUri): void {
  checkLinkServer(q.server, true);
  if (q.senderId.length === 0 || q.senderId.length > MAX_ID_LENGTH) {
    throw new EncodeError('invalid-value', 'queue sender ID must be 1..' + MAX_ID_LENGTH + ' bytes');
  }
  if (q.queueMode !== null && q.queueMode !== 'messaging' && q.queueMode !== 'contact') {
    throw new EncodeError('invalid-value', 'unknown queue mode');
  }
  // Range and key are checked by renderVersionRange / Encoder.versionRange and encodePublicKey.
}
