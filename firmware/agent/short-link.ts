import { decodeBase64Url, encodeBase64UrlNoPad } from '../encoding/base64';
import { EncodeError } from '../encoding/errors';
import { parseQuery, queryParam, renderQuery, type QueryPair } from '../encoding/url';
import type { SmpServer, TransportHost } from '../smp/address';
import { asLinkError, LinkError } from './link-errors';
import { checkLinkServer, parseHost, parseHostList, parsePort, printHostList } from './link-server';
import { endsInCutEscape, isCutShortOf, scanBase64Url } from './link-text';

/**
 * Short links as text (agent.md §4.6; simplexmq `ConnShortLink` and its `StrEncoding`):
 *
 *   https://<first host>/i#<linkId>/<linkKey>[?h=<more hosts>&p=<port>&c=<key hash>]
 *   https://<first host>/<t>#<linkKey>[?…]           t = a (contact) | c (channel) | g (group) | r (relay)
 *   simplex:/i#<linkId>/<linkKey>?h=<all hosts>[&p=…][&c=…]
 *
 * Identifiers and keys are base64url without padding (padding is accepted when reading). A link
 * made for a preset server carries only its host: `restoreShortLink` fills in the port and key
 * hash from the preset table (agent.md §14 pitfall 12).
 *
 * Only the text form is here. Resolving a short link (LKEY / LGET to the server, decrypting and
 * checking the link data) needs the SMP client and belongs to the router.
 */

export type ShortLinkType = 'invitation' | 'contact' | 'channel' | 'group' | 'relay';
/** `simplex:` puts every host in `h=`; `https://` puts the first host in the authority. */
export type ShortLinkScheme = 'simplex' | 'https';

export interface ShortLink {
  readonly scheme: ShortLinkScheme;
  readonly type: ShortLinkType;
  /**
   * The server that holds the link data. For a link shortened for a preset server: one host,
   * port null and an empty key hash (restore it with `restoreShortLink` before use).
   */
  readonly server: SmpServer;
  /** Invitations: the 24-byte link ID the server assigned. Null for every contact type. */
  readonly linkId: Uint8Array | null;
  /** SHA3-256 of the fixed link data, 32 bytes. */
  readonly linkKey: Uint8Array;
}

export const SHORT_LINK_ID_LENGTH = 24;
export const SHORT_LINK_KEY_LENGTH = 32;
/** A short link with eight long hosts, a port and a key hash is under 2500 characters. */
export const MAX_SHORT_LINK_LENGTH = 4096;

const SIMPLEX_SCHEME = 'simplex:';
const HTTPS_SCHEME = 'https://';

/** The letter after the authority, in upstream's `ctTypeChar` order (lower case when written). */
const TYPE_CHARS: ReadonlyArray<readonly [string, ShortLinkType]> = [
  ['i', 'invitation'],
  ['a', 'contact'],
  ['c', 'channel'],
  ['g', 'group'],
  ['r', 'relay'],
];

/** `strP AConnShortLink` over the whole of `text`. Throws LinkError, and nothing else. */
export function parseShortLink(text: string): ShortLink {
  if (text.length > MAX_SHORT_LINK_LENGTH) {
    throw new LinkError('too-long', 'the short link is ' + text.length + ' characters, more than the ' + MAX_SHORT_LINK_LENGTH + ' accepted');
  }
  let scheme: ShortLinkScheme;
  let authHost: TransportHost | null = null;
  let i: number;
  if (text.substring(0, SIMPLEX_SCHEME.length) === SIMPLEX_SCHEME) {
    scheme = 'simplex';
    i = SIMPLEX_SCHEME.length;
  } else if (text.substring(0, HTTPS_SCHEME.length) === HTTPS_SCHEME) {
    scheme = 'https';
    const hostEnd = text.indexOf('/', HTTPS_SCHEME.length);
    if (hostEnd < 0) throw new LinkError('truncated', 'the short link ends after its server host');
    authHost = parseHost(text.substring(HTTPS_SCHEME.length, hostEnd), 'the short link server host');
    i = hostEnd;
  } else {
    if (isCutShortOf(text, SIMPLEX_SCHEME) || isCutShortOf(text, HTTPS_SCHEME)) {
      throw new LinkError('truncated', 'the link ends before its address');
    }
    throw new LinkError('unknown-scheme', 'this is not a SimpleX link: it must start with "simplex:" or "https://"');
  }

  if (i + 1 >= text.length) throw new LinkError('truncated', 'the short link ends before its type');
  if (text.charCodeAt(i) !== 0x2f) throw new LinkError('not-a-simplex-link', 'this is not a SimpleX link: "/" expected after the address');
  const type = typeOf(text.charAt(i + 1));
  if (type === null) throw new LinkError('not-a-simplex-link', 'this is not a SimpleX link: unknown link type after "/"');
  i += 2;
  if (i < text.length && text.charCodeAt(i) === 0x2f) i++; // optional '/'
  if (i === text.length) throw new LinkError('truncated', 'the short link ends before "#"');
  if (text.charCodeAt(i) !== 0x23) throw new LinkError('not-a-simplex-link', 'this is not a SimpleX link: "#" expected after the link type');
  i++;

  let linkId: Uint8Array | null = null;
  if (type === 'invitation') {
    const idEnd = scanBase64Url(text, i);
    if (idEnd === text.length) throw new LinkError('truncated', 'the short link ends before its key');
    if (idEnd === i || text.charCodeAt(idEnd) !== 0x2f) throw new LinkError('bad-short-link', 'the invitation link has no link ID before "/"');
    linkId = decodeSized(text.substring(i, idEnd), SHORT_LINK_ID_LENGTH, 'link ID');
    i = idEnd + 1;
  }
  const keyEnd = scanBase64Url(text, i);
  if (keyEnd === i) {
    if (i === text.length) throw new LinkError('truncated', 'the short link ends before its key');
    throw new LinkError('bad-short-link', 'the short link has no link key');
  }
  const linkKey = decodeSized(text.substring(i, keyEnd), SHORT_LINK_KEY_LENGTH, 'link key');
  i = keyEnd;

  let server: SmpServer;
  if (i === text.length) {
    if (authHost === null) throw new LinkError('missing-parameter', 'the short link names no server (h=)');
    server = { hosts: [authHost], port: null, keyHash: new Uint8Array(0) };
  } else {
    if (text.charCodeAt(i) !== 0x3f) throw new LinkError('bad-short-link', 'the short link has an unexpected character after its key'); // '?'
    if (endsInCutEscape(text)) throw new LinkError('truncated', 'the short link ends in the middle of an escaped character');
    server = parseServerQuery(text.substring(i + 1), authHost);
  }
  return { scheme: scheme, type: type, server: server, linkId: linkId, linkKey: linkKey };
}

/** `strEncode ConnShortLink`. */
export function renderShortLink(link: ShortLink): string {
  checkShortLink(link);
  const hosts = link.server.hosts;
  let s: string;
  let paramHosts: readonly TransportHost[];
  if (link.scheme === 'simplex') {
    s = SIMPLEX_SCHEME;
    paramHosts = hosts;
  } else {
    s = HTTPS_SCHEME + printHostList([hosts[0]], false);
    paramHosts = hosts.slice(1);
  }
  s += '/' + typeChar(link.type) + '#';
  if (link.linkId !== null) s += encodeBase64UrlNoPad(link.linkId) + '/';
  s += encodeBase64UrlNoPad(link.linkKey);
  const pairs: QueryPair[] = [];
  if (paramHosts.length > 0) pairs.push(['h', printHostList(paramHosts, false)]);
  if (link.server.port !== null) pairs.push(['p', '' + link.server.port]);
  if (link.server.keyHash.length > 0) pairs.push(['c', encodeBase64UrlNoPad(link.server.keyHash)]);
  return pairs.length > 0 ? s + '?' + renderQuery(pairs) : s;
}

/**
 * `restoreShortLink`: a link that names only a host (shortened for a preset server) gets the
 * preset server whose first host is that host; any other link is returned unchanged.
 */
export function restoreShortLink(link: ShortLink, presetServers: readonly SmpServer[]): ShortLink {
  const srv = link.server;
  if (srv.hosts.length !== 1 || srv.port !== null || srv.keyHash.length !== 0) return link;
  for (let k = 0; k < presetServers.length; k++) {
    const preset = presetServers[k];
    if (preset.hosts.length > 0 && preset.hosts[0].host === srv.hosts[0].host) {
      return { scheme: link.scheme, type: link.type, server: preset, linkId: link.linkId, linkKey: link.linkKey };
    }
  }
  return link;
}

/** `serverQueryP`: hosts are the authority host (https) followed by `h=`; `p=` and `c=` are optional. */
function parseServerQuery(queryText: string, authHost: TransportHost | null): SmpServer {
  const query = asLinkError('bad-encoding', 'the short link parameters', () => parseQuery(queryText));
  const hosts: TransportHost[] = [];
  if (authHost !== null) hosts.push(authHost);
  const h = queryParam(query, 'h');
  if (h !== null) {
    const more = parseHostList(h, 'the short link hosts (h=)');
    for (let k = 0; k < more.length; k++) hosts.push(more[k]);
  }
  if (hosts.length === 0) throw new LinkError('missing-parameter', 'the short link names no server (h=)');
  const p = queryParam(query, 'p');
  const port = p === null ? null : parsePort(p, 'the short link server port (p=)');
  const c = queryParam(query, 'c');
  let keyHash: Uint8Array = new Uint8Array(0);
  if (c !== null) {
    if (c.length === 0) throw new LinkError('bad-server-address', 'the short link server key hash (c=) is empty');
    keyHash = asLinkError('bad-server-address', 'the short link server key hash (c=)', () => decodeBase64Url(c));
  }
  const server: SmpServer = { hosts: hosts, port: port, keyHash: keyHash };
  try {
    checkLinkServer(server, false);
  } catch (e) {
    if (e instanceof EncodeError) throw new LinkError('bad-server-address', 'the short link server: ' + e.message);
    throw e;
  }
  return server;
}

function typeOf(c: string): ShortLinkType | null {
  // 'i' only in lower case; the contact letters in either case (upstream upper-cases them).
  if (c === 'i') return 'invitation';
  const lower = c.toLowerCase();
  for (let k = 1; k < TYPE_CHARS.length; k++) if (TYPE_CHARS[k][0] === lower) return TYPE_CHARS[k][1];
  return null;
}

function typeChar(t: ShortLinkType): string {
  for (let k = 0; k < TYPE_CHARS.length; k++) if (TYPE_CHARS[k][1] === t) return TYPE_CHARS[k][0];
  throw new EncodeError('invalid-value', 'unknown short link type');
}

function decodeSized(text: string, size: number, what: string): Uint8Array {
  const bytes = asLinkError('bad-short-link', 'the short link ' + what, () => decodeBase64Url(text));
  if (bytes.length !== size) {
    throw new LinkError('bad-short-link', 'the short link ' + what + ' is ' + bytes.length + ' bytes, expected ' + size);
  }
  return bytes;
}

function checkShortLink(link: ShortLink): void {
  if (link.scheme !== 'simplex' && link.scheme !== 'https') throw new EncodeError('invalid-value', 'unknown short link scheme');
  checkLinkServer(link.server, false);
  if (link.linkKey.length !== SHORT_LINK_KEY_LENGTH) throw new EncodeError('invalid-value', 'a short link key must be ' + SHORT_LINK_KEY_LENGTH + ' bytes');
  if (link.type === 'invitation') {
    if (link.linkId === null || link.linkId.length !== SHORT_LINK_ID_LENGTH) {
      throw new EncodeError('invalid-value', 'an invitation short link needs a ' + SHORT_LINK_ID_LENGTH + '-byte link ID');
    }
  } else if (link.linkId !== null) {
    throw new EncodeError('invalid-value', 'only invitation short links carry a link ID');
  }
}
