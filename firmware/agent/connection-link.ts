import { KEY_SIZES } from '../../hal/crypto';
import { decodeBase64Url } from '../encoding/base64';
import { decodePublicKey } from '../crypto/keys';
import { decode, Encoder, type Decoder, type VersionRange } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { parseQuery, queryParam, renderQuery, type QueryPair } from '../encoding/url';
import { utf8Decode, utf8Encode } from '../encoding/utf8';
import type { TransportHost } from '../smp/address';
import { asLinkError, LinkError } from './link-errors';
import { parseHost, parsePort, printHostList } from './link-server';
import { endsInCutEscape, isCutShortOf } from './link-text';
import { parseQueueUri, readQueueUri, renderQueueUri, writeQueueUri, type SmpQueueUri } from './queue-uri';
import { E2E_VERSION_PQ } from './ratchet-header';
import {
  adjustContactAgentVRange,
  compatibleVersion,
  parseVersionRange,
  renderVersionRange,
  SUPPORTED_AGENT_VRANGE,
  SUPPORTED_E2E_VRANGE,
  SUPPORTED_SMP_CLIENT_VRANGE,
} from './versions';
import { decodeE2EParamsUri, e2eParamsUriToString, encodeE2EParamsUri, parseE2EParamsUri, type E2EParamsUri } from './x3dh';

/**
 * Full connection links: one-time invitations and contact addresses (agent.md §4.1; simplexmq
 * `ConnectionRequestUri`, its `StrEncoding` and `Encoding` instances, `connReqUriP`).
 *
 *   simplex:/invitation#/?v=2-7&smp=<queue URIs>&e2e=<e2e params>[&data=<client data>]
 *   simplex:/contact#/?v=2-7&smp=<queue URIs>[&data=<client data>]
 *   https://<host>[:port]/invitation#/?…           (also with a '/' before '#')
 *
 * Query values are escaped once by the outer query. The queue URIs are joined by ';' before that,
 * and each already had its own query escaped, so '=' in a queue key reads %253D; the e2e
 * parameters are rendered unescaped and escaped only here (agent.md §4.2, §4.3, §14 pitfall 7).
 *
 * Parsing keeps what the link states and refuses only what is malformed; whether we can use it is
 * `negotiateConnectionRequest`. The scheme the link came with is not kept (upstream parses every
 * scheme to the same value); the agent writes `simplex:` and the apps show `https://simplex.chat`.
 *
 * The e2e parameters are x3dh.ts's `E2EParamsUri` (the ratchet owns them); this module only checks
 * what a link adds: an invitation may propose a KEM key but never carry a KEM ciphertext, since
 * upstream types the link's parameters as `RcvE2ERatchetParamsUri` (KEM state "proposed").
 */

export type ConnectionMode = 'invitation' | 'contact';

export interface ConnectionRequest {
  readonly mode: ConnectionMode;
  /** The link's agent range; for contact addresses already raised to min 2 (`adjustAgentVRange`). */
  readonly agentVRange: VersionRange;
  /** One or more queues (the apps make one); joining uses the first. */
  readonly queues: readonly SmpQueueUri[];
  /** `data=`: application data such as a group link's JSON, or null. */
  readonly clientData: string | null;
  /** Invitations: the initiator's X3DH keys and maybe a KEM proposal. Contact addresses: null. */
  readonly e2e: E2EParamsUri | null;
}

/** The versions to use with a link's creator (see `negotiateConnectionRequest`). */
export interface NegotiatedVersions {
  readonly agentVersion: number;
  /** Invitations only; null for contact addresses, whose e2e parameters come later. */
  readonly e2eVersion: number | null;
  /** The SMP client version for the first queue, the one joining uses. */
  readonly smpClientVersion: number;
}

/**
 * Far above what the apps make: one queue is ~450 characters after double escaping and a PQ e2e
 * part ~1800. Bounds the work and memory a hostile link can cause.
 */
export const MAX_LINK_LENGTH = 16384;
/** The apps put one queue in a link (redundant queues are an upstream option); a few more are fine. */
export const MAX_LINK_QUEUES = 8;
/** Where the apps point the links they show and share. */
export const SIMPLEX_CHAT_HOST = 'simplex.chat';

const SIMPLEX_SCHEME = 'simplex:';
const HTTPS_SCHEME = 'https://';

// ---------------------------------------------------------------------------------------------
// Text form

/** `strP ConnectionRequestUri` over the whole of `text`. Throws LinkError, and nothing else. */
export function parseConnectionLink(text: string): ConnectionRequest {
  if (text.length > MAX_LINK_LENGTH) {
    throw new LinkError('too-long', 'the link is ' + text.length + ' characters, more than the ' + MAX_LINK_LENGTH + ' a SimpleX link may have');
  }
  let i = scanScheme(text);
  if (i === text.length) throw new LinkError('truncated', 'the link ends after its address');
  if (text.charCodeAt(i) !== 0x2f) throw new LinkError('not-a-simplex-link', 'this is not a SimpleX connection link: "/" expected after the address');
  i++;
  let mode: ConnectionMode;
  if (text.substring(i, i + 10) === 'invitation') {
    mode = 'invitation';
    i += 10;
  } else if (text.substring(i, i + 7) === 'contact') {
    mode = 'contact';
    i += 7;
  } else {
    const rest = text.substring(i);
    if (isCutShortOf(rest, 'invitation') || isCutShortOf(rest, 'contact')) {
      throw new LinkError('truncated', 'the link ends before saying whether it is an invitation or a contact address');
    }
    throw new LinkError('not-a-simplex-link', 'this is not a SimpleX invitation or contact address');
  }
  if (text.charCodeAt(i) === 0x2f) i++; // optional '/'
  const mark = '#/?';
  if (text.substring(i, i + mark.length) !== mark) {
    const rest = text.substring(i);
    if (isCutShortOf(rest, mark)) throw new LinkError('truncated', 'the link ends before its parameters');
    throw new LinkError('not-a-simplex-link', 'this is not a SimpleX connection link: "#/?" expected after "' + mode + '"');
  }
  i += mark.length;
  if (endsInCutEscape(text)) throw new LinkError('truncated', 'the link ends in the middle of an escaped character');
  const query = asLinkError('bad-encoding', 'the link parameters', () => parseQuery(text.substring(i)));

  const v = queryParam(query, 'v');
  if (v === null) throw new LinkError('missing-parameter', 'the link has no agent version (v=)');
  const agentVRange = parseVersionRange(v, 'the agent version range (v=)');
  const smp = queryParam(query, 'smp');
  if (smp === null) throw new LinkError('missing-parameter', 'the link has no messaging queue (smp=)');
  const queues = parseQueueList(smp);
  const clientData = queryParam(query, 'data');

  if (mode === 'contact') {
    // Old contact addresses said v=1; they are read as v2, as upstream does.
    return { mode: mode, agentVRange: adjustContactAgentVRange(agentVRange), queues: queues, clientData: clientData, e2e: null };
  }
  const e2eText = queryParam(query, 'e2e');
  if (e2eText === null) throw new LinkError('missing-parameter', 'the invitation has no encryption parameters (e2e=)');
  const e2e = parseLinkE2E(e2eText);
  return { mode: mode, agentVRange: agentVRange, queues: queues, clientData: clientData, e2e: e2e };
}

/** `strEncode` with the agent's scheme: `simplex:/invitation#/?…`. */
export function renderConnectionLink(req: ConnectionRequest): string {
  return renderWithPrefix(req, SIMPLEX_SCHEME);
}

/**
 * The form the apps show and share: `https://simplex.chat/invitation#/?…` (or another web host
 * and port). It parses to the same request as the `simplex:` form.
 */
export function renderConnectionLinkHttps(req: ConnectionRequest, host: string = SIMPLEX_CHAT_HOST, port: number | null = null): string {
  let h: TransportHost;
  try {
    h = parseHost(host, 'web host');
  } catch (e) {
    if (e instanceof LinkError) throw new EncodeError('invalid-value', e.message);
    throw e;
  }
  if (port !== null && !(Math.floor(port) === port && port >= 1 && port <= 65535)) {
    throw new EncodeError('invalid-value', 'web port must be an integer 1..65535');
  }
  return renderWithPrefix(req, HTTPS_SCHEME + printHostList([h], port !== null) + (port !== null ? ':' + port : ''));
}

// ---------------------------------------------------------------------------------------------
// Binary form (agent.md §4.5, inside short-link data):
//   'I' ‖ ConnReqUriData ‖ E2ERatchetParamsUri   |   'C' ‖ ConnReqUriData
//   ConnReqUriData = VersionRange ‖ NonEmpty SMPQueueUri ‖ Maybe large(utf8 clientData)

export function writeConnectionRequest(e: Encoder, req: ConnectionRequest): void {
  checkRequest(req);
  e.ascii(req.mode === 'invitation' ? 'I' : 'C');
  e.versionRange(req.agentVRange);
  e.nonEmpty(req.queues, writeQueueUri);
  e.maybe(req.clientData, (x, s) => x.large(utf8Encode(s)));
  if (req.e2e !== null) encodeE2EParamsUri(e, req.e2e);
}

export function encodeConnectionRequest(req: ConnectionRequest): Uint8Array {
  const e = new Encoder(512);
  writeConnectionRequest(e, req);
  return e.finish();
}

/**
 * Reads the binary form; errors are DecodeError, for use inside larger decoders (FixedLinkData).
 * A queue whose mode the binary form could not carry (a contact queue below SMP client v3) comes
 * back as a contact queue, as upstream's `ConnReqUriData` reader patches it.
 */
export function readConnectionRequest(d: Decoder): ConnectionRequest {
  const at = d.offset;
  const tag = d.u8();
  let mode: ConnectionMode;
  if (tag === 0x49) mode = 'invitation'; // 'I'
  else if (tag === 0x43) mode = 'contact'; // 'C'
  else throw new DecodeError('invalid-value', "connection request at byte " + at + " is neither 'I' nor 'C'");
  const agentVRange = d.versionRange();
  const listAt = d.offset;
  const read = d.nonEmpty(readQueueUri);
  if (read.length > MAX_LINK_QUEUES) {
    throw new DecodeError('invalid-value', 'connection request at byte ' + listAt + ' has ' + read.length + ' queues, more than ' + MAX_LINK_QUEUES);
  }
  const queues: SmpQueueUri[] = [];
  for (let k = 0; k < read.length; k++) {
    const q = read[k];
    queues.push(q.queueMode !== null ? q : {
      smpClientVRange: q.smpClientVRange,
      server: q.server,
      senderId: q.senderId,
      dhPublicKey: q.dhPublicKey,
      queueMode: 'contact',
    });
  }
  const clientData = d.maybe((x) => {
    const dataAt = x.offset;
    try {
      return utf8Decode(x.large());
    } catch (err) {
      if (err instanceof DecodeError) throw new DecodeError(err.code, 'client data at byte ' + dataAt + ': ' + err.message);
      throw err;
    }
  });
  let e2e: E2EParamsUri | null = null;
  if (mode === 'invitation') {
    const e2eAt = d.offset;
    e2e = decodeE2EParamsUri(d);
    if (e2e.kem !== null && e2e.kem.kind !== 'proposed') {
      throw new DecodeError('invalid-value', 'invitation e2e parameters at byte ' + e2eAt + ' carry a KEM ciphertext; a link may only propose a KEM key');
    }
  }
  return { mode: mode, agentVRange: agentVRange, queues: queues, clientData: clientData, e2e: e2e };
}

/** Decodes exactly one binary connection request. Throws LinkError, and nothing else. */
export function decodeConnectionRequest(bytes: Uint8Array): ConnectionRequest {
  const r = decode(bytes, readConnectionRequest);
  if (r.ok) return r.value;
  const code = r.error.code;
  throw new LinkError(
    code === 'truncated' ? 'truncated' : code === 'wrong-algorithm' || code === 'unknown-algorithm' ? 'bad-key' : 'bad-binary',
    'binary connection request: ' + r.error.message,
    r.error,
  );
}

// ---------------------------------------------------------------------------------------------
// Versions

/**
 * The versions to speak with the link's creator, as upstream's `compatibleInvitationUri` /
 * `compatibleContactUri` choose them (from the first queue). Throws LinkError
 * 'incompatible-version' naming the scope when a range has nothing in common with ours.
 */
export function negotiateConnectionRequest(req: ConnectionRequest): NegotiatedVersions {
  const smpClientVersion = compatibleVersion(req.queues[0].smpClientVRange, SUPPORTED_SMP_CLIENT_VRANGE);
  if (smpClientVersion === null) throw incompatible('messaging queue', req.queues[0].smpClientVRange, SUPPORTED_SMP_CLIENT_VRANGE);
  let e2eVersion: number | null = null;
  if (req.e2e !== null) {
    e2eVersion = compatibleVersion(req.e2e.versionRange, SUPPORTED_E2E_VRANGE);
    if (e2eVersion === null) throw incompatible('encryption', req.e2e.versionRange, SUPPORTED_E2E_VRANGE);
  }
  const agentVersion = compatibleVersion(req.agentVRange, SUPPORTED_AGENT_VRANGE);
  if (agentVersion === null) throw incompatible('agent', req.agentVRange, SUPPORTED_AGENT_VRANGE);
  return { agentVersion: agentVersion, e2eVersion: e2eVersion, smpClientVersion: smpClientVersion };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** "simplex:" or "https://host[:port]"; returns the index after it. */
function scanScheme(text: string): number {
  if (text.substring(0, SIMPLEX_SCHEME.length) === SIMPLEX_SCHEME) return SIMPLEX_SCHEME.length;
  if (text.substring(0, HTTPS_SCHEME.length) !== HTTPS_SCHEME) {
    if (isCutShortOf(text, SIMPLEX_SCHEME) || isCutShortOf(text, HTTPS_SCHEME)) {
      throw new LinkError('truncated', 'the link ends before its address');
    }
    throw new LinkError('unknown-scheme', 'this is not a SimpleX link: it must start with "simplex:" or "https://"');
  }
  // The web host (`SrvLoc`): up to ':' or '/'; it only says where the link was shared from.
  let i = HTTPS_SCHEME.length;
  while (i < text.length && text.charCodeAt(i) !== 0x2f && text.charCodeAt(i) !== 0x3a) i++;
  if (i === text.length) throw new LinkError('truncated', 'the link ends after its web address');
  parseWebPart(() => parseHost(text.substring(HTTPS_SCHEME.length, i), 'the web host'));
  if (text.charCodeAt(i) === 0x3a) {
    const portStart = i + 1;
    i = portStart;
    while (i < text.length && text.charCodeAt(i) !== 0x2f) i++;
    if (i === text.length) throw new LinkError('truncated', 'the link ends after its web address');
    parseWebPart(() => parsePort(text.substring(portStart, i), 'the web port'));
  }
  return i;
}

/** A malformed web address in front of a link means the text is not one of our links. */
function parseWebPart(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof LinkError) throw new LinkError('not-a-simplex-link', 'this is not a SimpleX link: ' + e.message, e);
    throw e;
  }
}

function parseQueueList(smp: string): SmpQueueUri[] {
  const texts = smp.split(';');
  if (texts.length > MAX_LINK_QUEUES) {
    throw new LinkError('too-many-queues', 'the link lists ' + texts.length + ' messaging queues; at most ' + MAX_LINK_QUEUES + ' are accepted');
  }
  const queues: SmpQueueUri[] = [];
  for (let k = 0; k < texts.length; k++) {
    const what = texts.length === 1 ? 'the queue address (smp=)' : 'queue ' + (k + 1) + ' (smp=)';
    if (texts[k].length === 0) throw new LinkError('bad-queue-uri', what + ' is empty');
    queues.push(parseQueueUri(texts[k], what));
  }
  return queues;
}

/**
 * The e2e parameters, with errors in link terms. Everything a link can get wrong is checked here
 * first, so a person learns which part is missing or which key is bad; x3dh.ts then builds the value.
 */
function parseLinkE2E(text: string): E2EParamsUri {
  const what = 'the encryption parameters (e2e=)';
  const query = asLinkError('bad-e2e-params', what, () => parseQuery(text));
  const v = queryParam(query, 'v');
  if (v === null) throw new LinkError('missing-parameter', what + ' have no version (v=)');
  const vr = parseVersionRange(v, what + ' version range');
  const x3dh = queryParam(query, 'x3dh');
  if (x3dh === null) throw new LinkError('missing-parameter', what + ' have no keys (x3dh=)');
  const keys = x3dh.split(',');
  if (keys.length !== 2) throw new LinkError('bad-e2e-params', what + ' must have exactly two X3DH keys, not ' + keys.length);
  const alg1 = linkKeyAlgorithm(keys[0], what + ' first X3DH key');
  const alg2 = linkKeyAlgorithm(keys[1], what + ' second X3DH key');
  if (alg1 !== alg2) throw new LinkError('bad-key', what + ' have X3DH keys of different algorithms (' + alg1 + ', ' + alg2 + ')');
  if (alg1 !== 'x448') throw new LinkError('bad-key', what + ' have ' + alg1 + ' X3DH keys; the ratchet needs X448');
  const kemKey = queryParam(query, 'kem_key');
  if (kemKey !== null && vr.max >= E2E_VERSION_PQ) {
    // Read only from e2e v3, as upstream does.
    const pk = asLinkError('bad-key', what + ' post-quantum key (kem_key=)', () => decodeBase64Url(kemKey));
    if (pk.length !== KEY_SIZES.sntrup761Public) {
      throw new LinkError('bad-key', what + ' post-quantum key (kem_key=) is ' + pk.length + ' bytes; an sntrup761 key is ' + KEY_SIZES.sntrup761Public);
    }
    if (queryParam(query, 'kem_ct') !== null) {
      throw new LinkError('bad-e2e-params', what + ' carry a KEM ciphertext (kem_ct=), which belongs to ratchet renegotiation, not to an invitation');
    }
  }
  // What remains for x3dh.ts to refuse is nothing a link can express; keep the mapping anyway.
  const e2e = asLinkError('bad-e2e-params', what, () => parseE2EParamsUri(text));
  if (e2e.kem !== null && e2e.kem.kind !== 'proposed') {
    throw new LinkError('bad-e2e-params', what + ' carry a KEM ciphertext (kem_ct=), which belongs to ratchet renegotiation, not to an invitation');
  }
  return e2e;
}

/** The algorithm of one base64url SPKI key (`APublicDhKey` accepts X25519 and X448). */
function linkKeyAlgorithm(text: string, what: string): string {
  const der = asLinkError('bad-key', what, () => decodeBase64Url(text));
  const key = asLinkError('bad-key', what, () => decodePublicKey(der));
  return key.alg;
}

function renderWithPrefix(req: ConnectionRequest, prefix: string): string {
  checkRequest(req);
  let smp = '';
  for (let k = 0; k < req.queues.length; k++) smp += (k > 0 ? ';' : '') + renderQueueUri(req.queues[k]);
  const pairs: QueryPair[] = [
    ['v', renderVersionRange(req.agentVRange)],
    ['smp', smp],
  ];
  if (req.e2e !== null) pairs.push(['e2e', e2eParamsUriToString(req.e2e)]);
  if (req.clientData !== null) pairs.push(['data', req.clientData]);
  return prefix + '/' + req.mode + '#/?' + renderQuery(pairs);
}

function checkRequest(req: ConnectionRequest): void {
  if (req.mode !== 'invitation' && req.mode !== 'contact') throw new EncodeError('invalid-value', 'unknown connection mode');
  if (req.queues.length < 1 || req.queues.length > MAX_LINK_QUEUES) {
    throw new EncodeError('invalid-value', 'a link has 1..' + MAX_LINK_QUEUES + ' queues, got ' + req.queues.length);
  }
  if (req.mode === 'invitation') {
    if (req.e2e === null) throw new EncodeError('invalid-value', 'an invitation needs e2e parameters');
    if (req.e2e.kem !== null && req.e2e.kem.kind !== 'proposed') {
      throw new EncodeError('invalid-value', 'an invitation may only propose a KEM key, not carry a KEM ciphertext');
    }
  } else if (req.e2e !== null) {
    throw new EncodeError('invalid-value', 'a contact address carries no e2e parameters');
  }
}

function incompatible(scope: string, theirs: VersionRange, ours: VersionRange): LinkError {
  const older = theirs.max < ours.min;
  return new LinkError(
    'incompatible-version',
    'this link needs ' + scope + ' version ' + renderVersionRange(theirs) + ' but SimpleGo supports ' + renderVersionRange(ours) +
      (older ? '; the link was made by an app that is too old' : '; SimpleGo needs an update to use it'),
  );
}
