import { SimpleGoError } from '../../hal/errors';
import { decodeBase64Url, encodeBase64Url } from '../encoding/base64';
import type { Decoder, Encoder } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';

/**
 * SMP server addresses (smp.md §2): the text form `smp://<keyHash>[:<basicAuth>]@<host>[,<host>…][:<port>]`
 * and the binary `ProtocolServer` form used inside PRXY and agent structures.
 *
 * Parsing follows simplexmq's `serverStrP` (Protocol.hs) and `TransportHost`'s `strP`
 * (Transport/Client.hs) choice by choice, including its commitments: once a host matches a form
 * (IPv4, IPv6, onion) the parser does not go back and try the others. Where upstream accepts input
 * whose meaning is doubtful, we refuse it instead (each case is marked "stricter than upstream").
 */

export type AddressErrorCode = 'bad-scheme' | 'bad-fingerprint' | 'bad-host' | 'bad-port' | 'bad-password';

/** A server address that cannot be used. The message names the part and the character offset. */
export class AddressError extends SimpleGoError {
  declare readonly code: AddressErrorCode;
  constructor(code: AddressErrorCode, message: string) {
    super(code, message);
    this.name = 'AddressError';
  }
}

/** The port used when an address names none (`defaultSMPPort`, Transport/Client.hs). */
export const SMP_DEFAULT_PORT = 5223;
/** A server fingerprint is SHA-256 of its identity certificate (smp.md §3.5). */
export const KEY_HASH_LENGTH = 32;
/** Hosts and the host list travel as `short`/`nonempty` in the binary form, so neither may exceed 255. */
const MAX_HOST_LENGTH = 255;
const MAX_HOSTS = 255;

export type TransportHostKind = 'ipv4' | 'ipv6' | 'onion' | 'domain';

/** One host of an address. `host` is the canonical text upstream's `strEncode` writes (IPv6 without brackets). */
export interface TransportHost {
  readonly kind: TransportHostKind;
  readonly host: string;
}

/** An SMP server (upstream `ProtocolServer 'PSMP`). */
export interface SmpServer {
  /** One or more hosts of the same server, tried per chooseTransportHost. */
  readonly hosts: readonly TransportHost[];
  /** The port as given in the address, or null when it names none (connect to SMP_DEFAULT_PORT). */
  readonly port: number | null;
  /** SHA-256 of the server's identity certificate, 32 bytes. */
  readonly keyHash: Uint8Array;
}

/** A parsed address: the server and the optional password it carries (upstream `ProtoServerWithAuth`). */
export interface SmpServerAddress {
  readonly server: SmpServer;
  /** The server password for NEW / PRXY, or null. */
  readonly basicAuth: string | null;
}

// ---------------------------------------------------------------------------------------------
// Text form

/** Parses a server address. Throws AddressError naming the part that is wrong. */
export function parseSmpServer(text: string): SmpServerAddress {
  // scheme: everything before ':' or ' ' (`strP` of ProtocolType), then "://"
  let i = 0;
  while (i < text.length && text.charAt(i) !== ':' && text.charAt(i) !== ' ') i++;
  const scheme = text.substring(0, i);
  if (scheme !== 'smp') {
    const other = scheme === 'ntf' ? ' (this is a notification server)' : scheme === 'xftp' ? ' (this is a file server)' : '';
    throw new AddressError('bad-scheme', 'wrong scheme: an SMP server address starts with "smp://"' + other);
  }
  if (text.substring(i, i + 3) !== '://') throw new AddressError('bad-scheme', 'wrong scheme: "smp" must be followed by "://"');
  i += 3;

  // keyHash: base64url characters, then optional '=' padding (`base64urlP`)
  const hashStart = i;
  while (i < text.length && isBase64UrlChar(text.charCodeAt(i))) i++;
  while (i < text.length && text.charAt(i) === '=') i++;
  if (i === hashStart) throw new AddressError('bad-fingerprint', 'bad fingerprint: no base64url server fingerprint after "smp://"');
  let keyHash: Uint8Array;
  try {
    keyHash = decodeBase64Url(text.substring(hashStart, i), 'optional');
  } catch (e) {
    if (e instanceof DecodeError) throw new AddressError('bad-fingerprint', 'bad fingerprint: ' + e.message);
    throw e;
  }
  if (keyHash.length !== KEY_HASH_LENGTH) {
    throw new AddressError('bad-fingerprint', 'bad fingerprint: it must be ' + KEY_HASH_LENGTH + ' bytes (SHA-256), got ' + keyHash.length);
  }

  // optional ':' basicAuth, up to '@' (`BasicAuth` strP: takeWhile1 (/= '@'), then the character rules)
  let basicAuth: string | null = null;
  if (i < text.length && text.charAt(i) === ':') {
    const authStart = i + 1;
    let end = authStart;
    while (end < text.length && text.charAt(end) !== '@') end++;
    if (end === authStart) throw new AddressError('bad-password', 'bad password: the server password after ":" is empty');
    const bad = basicAuthProblem(text.substring(authStart, end));
    // The password is a secret: say where and why, never what.
    if (bad >= 0) {
      throw new AddressError('bad-password', 'bad password: character ' + bad + ' of the server password is not allowed (only printable ASCII, no space, "@", ":" or "/")');
    }
    basicAuth = text.substring(authStart, end);
    i = end;
  }
  if (i >= text.length) throw new AddressError('bad-host', 'bad host: the address ends before "@" and the host');
  if (text.charAt(i) !== '@') {
    throw new AddressError('bad-fingerprint', 'bad fingerprint: unexpected character at ' + i + ' (expected "@" after the fingerprint)');
  }
  i++;

  // hosts, separated by ','
  const hosts: TransportHost[] = [];
  for (;;) {
    const scanned = scanHost(text, i);
    hosts.push(scanned.host);
    if (hosts.length > MAX_HOSTS) throw new AddressError('bad-host', 'bad host: more than ' + MAX_HOSTS + ' hosts');
    i = scanned.end;
    if (i < text.length && text.charAt(i) === ',') {
      i++;
      continue;
    }
    break;
  }

  // optional ':' port; then the end
  let port: number | null = null;
  if (i < text.length && text.charAt(i) === ':') {
    const portStart = i + 1;
    i = portStart;
    let value = 0;
    while (i < text.length && isDigit(text.charCodeAt(i))) {
      if (value <= 65535) value = value * 10 + (text.charCodeAt(i) - 0x30);
      i++;
    }
    if (i === portStart) throw new AddressError('bad-port', 'bad port: ":" at ' + (portStart - 1) + ' is not followed by a decimal port');
    if (value < 1 || value > 65535) throw new AddressError('bad-port', 'bad port: it must be 1..65535');
    port = value;
    if (i < text.length) throw new AddressError('bad-port', 'bad port: unexpected character at ' + i + ' after the port');
  } else if (i < text.length) {
    throw new AddressError('bad-host', 'bad host: unexpected character at ' + i + ' after the host list');
  }
  return { server: { hosts: hosts, port: port, keyHash: keyHash }, basicAuth: basicAuth };
}

/**
 * The address text, as upstream's `strEncodeServer` writes it: the fingerprint padded base64url,
 * the password after ':', the hosts joined by ',', and ':port' exactly when the address has a port
 * (an explicit ":5223" is kept, an absent port stays absent).
 *
 * One deliberate difference: upstream writes IPv6 hosts bare, which its own parser cannot read back
 * when a port follows (the bare form swallows ":port") or the host ends in dotted IPv4. Here such
 * hosts are bracketed, which both parsers read as the same address.
 */
export function printSmpServer(server: SmpServer, basicAuth: string | null = null): string {
  checkServer(server);
  let s = 'smp://' + encodeBase64Url(server.keyHash);
  if (basicAuth !== null) {
    if (basicAuth.length === 0 || basicAuthProblem(basicAuth) >= 0) throw new EncodeError('invalid-value', 'server password has a character that is not allowed');
    s += ':' + basicAuth;
  }
  s += '@';
  for (let k = 0; k < server.hosts.length; k++) {
    const h = server.hosts[k];
    if (k > 0) s += ',';
    s += h.kind === 'ipv6' && (server.port !== null || h.host.indexOf('.') >= 0) ? '[' + h.host + ']' : h.host;
  }
  if (server.port !== null) s += ':' + server.port;
  return s;
}

/** One host on its own (the `TransportHost` strP over the whole string), e.g. from a settings field. */
export function parseTransportHost(text: string): TransportHost {
  const scanned = scanHost(text, 0);
  if (scanned.end !== text.length) throw new AddressError('bad-host', 'bad host: unexpected character at ' + scanned.end);
  return scanned.host;
}

/** The port to connect to. */
export function effectivePort(server: SmpServer): number {
  return server.port === null ? SMP_DEFAULT_PORT : server.port;
}

/**
 * Which host to connect to (`chooseTransportHost`, default host mode HMOnionViaSocks): through a
 * SOCKS proxy the first .onion host, otherwise the first non-onion host; if there is no such host,
 * the first host, or null when `required` (upstream `requiredHostMode`).
 */
export function chooseTransportHost(hosts: readonly TransportHost[], viaSocks: boolean, required: boolean = false): TransportHost | null {
  for (let k = 0; k < hosts.length; k++) {
    if ((hosts[k].kind === 'onion') === viaSocks) return hosts[k];
  }
  if (required || hosts.length === 0) return null;
  return hosts[0];
}

/** True if `s` is a valid server password: non-empty printable ASCII without space, '@', ':' or '/'. */
export function isValidBasicAuth(s: string): boolean {
  return s.length > 0 && basicAuthProblem(s) < 0;
}

// ---------------------------------------------------------------------------------------------
// Binary form (`instance Encoding ProtocolServer`):
//   nonempty(short(hostString)) ‖ short(portString, empty when the address has no port) ‖ short(keyHash)

export function writeProtocolServer(e: Encoder, server: SmpServer): void {
  checkServer(server);
  e.nonEmpty(server.hosts, (x, h) => x.short(asciiBytes(h.host)));
  e.short(server.port === null ? new Uint8Array(0) : asciiBytes('' + server.port));
  e.short(server.keyHash);
}

/**
 * Reads the binary form. Each host string must be a host in its canonical printed form and the port
 * a canonical decimal 1..65535, so a decoded server re-encodes to the same bytes. Stricter than
 * upstream, which reads any port string (a service name) and any host spelling its parser accepts;
 * every official client writes the canonical forms.
 */
export function readProtocolServer(d: Decoder): SmpServer {
  const hosts = d.nonEmpty((x) => {
    const at = x.offset;
    const text = asciiText(x.short(), 'host at byte ' + at);
    let host: TransportHost;
    try {
      host = parseCanonicalHost(text);
    } catch (e) {
      if (e instanceof AddressError) throw new DecodeError('invalid-value', 'host at byte ' + at + ': ' + e.message);
      throw e;
    }
    if (host.host !== text) throw new DecodeError('invalid-value', 'host at byte ' + at + ' is not in canonical form');
    return host;
  });
  const portAt = d.offset;
  const portText = asciiText(d.short(), 'port at byte ' + portAt);
  let port: number | null = null;
  if (portText.length > 0) {
    let ok = portText.length <= 5 && portText.charAt(0) !== '0';
    for (let k = 0; k < portText.length && ok; k++) ok = isDigit(portText.charCodeAt(k));
    const value = ok ? parseInt(portText, 10) : 0;
    if (!ok || value < 1 || value > 65535) throw new DecodeError('invalid-value', 'port at byte ' + portAt + ' is not a decimal 1..65535');
    port = value;
  }
  const hashAt = d.offset;
  const keyHash = d.short();
  if (keyHash.length !== KEY_HASH_LENGTH) {
    throw new DecodeError('invalid-value', 'server fingerprint at byte ' + hashAt + ' must be ' + KEY_HASH_LENGTH + ' bytes, got ' + keyHash.length);
  }
  return { hosts: hosts, port: port, keyHash: keyHash };
}

// ---------------------------------------------------------------------------------------------
// Hosts

/**
 * A host in its canonical text (`TransportHost.host`, also the binary form's host string). Only an
 * IPv6 address contains ':', and it is read as if bracketed: upstream writes IPv6 bare, and its
 * bare parser cannot read back an address ending in dotted IPv4 ("::ffff:1.2.3.4"), so here the
 * bracketed rules apply. Elsewhere this is the same as parseTransportHost.
 */
function parseCanonicalHost(text: string): TransportHost {
  if (text.indexOf(':') >= 0 && text.charAt(0) !== '[') return parseTransportHost('[' + text + ']');
  return parseTransportHost(text);
}

interface ScannedHost {
  host: TransportHost;
  end: number;
}

/**
 * Reads one host starting at `start`, trying the forms in upstream's order. What may follow the
 * host (',' ':' or the end) is the caller's business.
 */
function scanHost(text: string, start: number): ScannedHost {
  const scanned = scanHostForm(text, start);
  if (scanned.host.host.length > MAX_HOST_LENGTH) {
    throw new AddressError('bad-host', 'bad host: the host at ' + start + ' is longer than ' + MAX_HOST_LENGTH + ' characters');
  }
  return scanned;
}

function scanHostForm(text: string, start: number): ScannedHost {
  // 1. IPv4: three "decimal." parts of 0..255 and a final decimal. If the first three do not
  //    match, fall through, so "192.168.1" and "192.256.0.1" become domain names (EncodingTests.hs).
  const v4 = scanIPv4(text, start);
  if (v4 !== null) return v4;

  // 2. IPv6: bracketed, or a bare run of hex digits and ':' that reads as an address.
  if (start < text.length && text.charAt(start) === '[') {
    const close = text.indexOf(']', start + 1);
    if (close <= start + 1) throw new AddressError('bad-host', 'bad host: "[" at ' + start + ' opens no IPv6 address');
    const groups = parseIPv6(text.substring(start + 1, close));
    // Stricter than upstream: it would take an unreadable "[…]" as a domain name.
    if (groups === null) throw new AddressError('bad-host', 'bad host: the bracketed host at ' + start + ' is not an IPv6 address');
    return { host: { kind: 'ipv6', host: showIPv6(groups) }, end: close + 1 };
  }
  let i = start;
  while (i < text.length && (isHexDigit(text.charCodeAt(i)) || text.charAt(i) === ':')) i++;
  if (i > start) {
    const groups = parseIPv6(text.substring(start, i));
    if (groups !== null) return { host: { kind: 'ipv6', host: showIPv6(groups) }, end: i };
  }

  // 3. Onion: [a-z0-9]* followed by ".onion" (lower case only, no subdomains).
  i = start;
  while (i < text.length && isLowerAlnum(text.charCodeAt(i))) i++;
  if (text.substring(i, i + 6) === '.onion') {
    return { host: { kind: 'onion', host: text.substring(start, i + 6) }, end: i + 6 };
  }

  // 4. Domain: characters other than ": # , ; / space \n \r \t", not ending in ".onion".
  //    Stricter than upstream: only printable ASCII (it also takes control bytes and Latin-1).
  i = start;
  while (i < text.length && !isDomainStop(text.charCodeAt(i))) {
    const c = text.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) throw new AddressError('bad-host', 'bad host: character at ' + i + ' is not printable ASCII');
    i++;
  }
  if (i === start) throw new AddressError('bad-host', 'bad host: no host at ' + start);
  const name = text.substring(start, i);
  if (name.length >= 6 && name.substring(name.length - 6) === '.onion') {
    throw new AddressError('bad-host', 'bad host: an onion address has only lower-case letters and digits before ".onion", and no subdomains');
  }
  return { host: { kind: 'domain', host: name }, end: i };
}

/**
 * `(,,,) <$> ipNum <*> ipNum <*> ipNum <*> A.decimal`. Returns null when the three "n." parts do
 * not match (the choice moves on). Once they do, the host is IPv4: a final part above 255 is an
 * error here, where upstream silently keeps it modulo 256 (its last part is parsed as Word8);
 * stricter than upstream, since "1.2.3.256" would otherwise mean 1.2.3.0.
 */
function scanIPv4(text: string, start: number): ScannedHost | null {
  const parts: number[] = [];
  let i = start;
  for (let k = 0; k < 4; k++) {
    const partStart = i;
    let value = 0;
    while (i < text.length && isDigit(text.charCodeAt(i))) {
      if (value <= 255) value = value * 10 + (text.charCodeAt(i) - 0x30);
      i++;
    }
    if (i === partStart) return null;
    if (k < 3) {
      if (value > 255 || text.charAt(i) !== '.') return null;
      i++;
    } else if (value > 255) {
      throw new AddressError('bad-host', 'bad host: the last part of the IPv4 address at ' + start + ' is above 255');
    }
    parts.push(value);
  }
  return { host: { kind: 'ipv4', host: parts[0] + '.' + parts[1] + '.' + parts[2] + '.' + parts[3] }, end: i };
}

/**
 * RFC 4291 text, as iproute's `Read IPv6` accepts it: 8 groups of 1–4 hex digits, at most one
 * "::" standing for at least one zero group, and optionally a final dotted IPv4 (each part
 * 0..255 with no leading zeros). Returns the 8 groups, or null.
 */
function parseIPv6(text: string): number[] | null {
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  const head = dbl >= 0 ? text.substring(0, dbl) : text;
  const tail = dbl >= 0 ? text.substring(dbl + 2) : '';
  const headGroups = parseIPv6Groups(head, dbl < 0);
  const tailGroups = parseIPv6Groups(tail, true);
  if (headGroups === null || tailGroups === null) return null;
  const zeros = 8 - headGroups.length - tailGroups.length;
  if (dbl < 0 ? zeros !== 0 : zeros < 1) return null;
  const out: number[] = [];
  for (let k = 0; k < headGroups.length; k++) out.push(headGroups[k]);
  for (let k = 0; k < zeros; k++) out.push(0);
  for (let k = 0; k < tailGroups.length; k++) out.push(tailGroups[k]);
  return out;
}

/** Groups separated by single ':'; the last may be dotted IPv4 (two groups) when `v4Last`. */
function parseIPv6Groups(part: string, v4Last: boolean): number[] | null {
  const out: number[] = [];
  if (part.length === 0) return out;
  const pieces = part.split(':');
  for (let k = 0; k < pieces.length; k++) {
    const p = pieces[k];
    if (k === pieces.length - 1 && v4Last && p.indexOf('.') >= 0) {
      const v4 = parseDottedQuad(p);
      if (v4 === null) return null;
      out.push((v4[0] << 8) | v4[1]);
      out.push((v4[2] << 8) | v4[3]);
      continue;
    }
    if (p.length < 1 || p.length > 4) return null;
    for (let c = 0; c < p.length; c++) if (!isHexDigit(p.charCodeAt(c))) return null;
    out.push(parseInt(p, 16));
  }
  return out;
}

/** iproute's `ip4'`: exactly four parts "0" or [1-9][0-9]*, each 0..255. */
function parseDottedQuad(text: string): number[] | null {
  const pieces = text.split('.');
  if (pieces.length !== 4) return null;
  const out: number[] = [];
  for (let k = 0; k < 4; k++) {
    const p = pieces[k];
    if (p.length < 1 || p.length > 3 || (p.length > 1 && p.charAt(0) === '0')) return null;
    for (let c = 0; c < p.length; c++) if (!isDigit(p.charCodeAt(c))) return null;
    const v = parseInt(p, 10);
    if (v > 255) return null;
    out.push(v);
  }
  return out;
}

/**
 * iproute's `showIPv6` (RFC 5952, as glibc inet_ntop): IPv4-mapped and IPv4-compatible (last 32
 * bits ≥ 0x10000) addresses end in dotted IPv4; otherwise the first longest run of two or more zero
 * groups becomes "::"; hex in lower case without leading zeros.
 */
function showIPv6(g: number[]): string {
  const first80Zero = g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0;
  const dotted = (g[6] >> 8) + '.' + (g[6] & 0xff) + '.' + (g[7] >> 8) + '.' + (g[7] & 0xff);
  if (first80Zero && g[5] === 0xffff) return '::ffff:' + dotted;
  if (first80Zero && g[5] === 0 && g[6] !== 0) return '::' + dotted;
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let k = 0; k <= 8; k++) {
    if (k < 8 && g[k] === 0) {
      if (runStart < 0) runStart = k;
    } else if (runStart >= 0) {
      if (k - runStart > bestLen) {
        bestLen = k - runStart;
        bestStart = runStart;
      }
      runStart = -1;
    }
  }
  if (bestLen < 2) return hexGroups(g, 0, 8);
  return hexGroups(g, 0, bestStart) + '::' + hexGroups(g, bestStart + bestLen, 8);
}

function hexGroups(g: number[], from: number, to: number): string {
  let s = '';
  for (let k = from; k < to; k++) s += (k > from ? ':' : '') + g[k].toString(16);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function checkServer(server: SmpServer): void {
  if (server.keyHash.length !== KEY_HASH_LENGTH) {
    throw new EncodeError('invalid-value', 'server fingerprint must be ' + KEY_HASH_LENGTH + ' bytes, got ' + server.keyHash.length);
  }
  if (server.hosts.length < 1 || server.hosts.length > MAX_HOSTS) {
    throw new EncodeError('invalid-value', 'a server has 1..' + MAX_HOSTS + ' hosts, got ' + server.hosts.length);
  }
  for (let k = 0; k < server.hosts.length; k++) {
    let parsed: TransportHost | null = null;
    try {
      parsed = parseCanonicalHost(server.hosts[k].host);
    } catch (e) {
      if (!(e instanceof AddressError)) throw e;
    }
    if (parsed === null || parsed.kind !== server.hosts[k].kind || parsed.host !== server.hosts[k].host) {
      throw new EncodeError('invalid-value', 'host ' + k + ' is not a canonical ' + server.hosts[k].kind + ' host');
    }
  }
  if (server.port !== null && !(Math.floor(server.port) === server.port && server.port >= 1 && server.port <= 65535)) {
    throw new EncodeError('invalid-value', 'port must be an integer 1..65535');
  }
}

/** The index of the first character upstream's `basicAuth` refuses, or −1 (stricter: ASCII only). */
function basicAuthProblem(s: string): number {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    // isPrint && not isSpace && not '@' ':' '/'
    if (c <= 0x20 || c >= 0x7f || c === 0x40 || c === 0x3a || c === 0x2f) return k;
  }
  return -1;
}

/** ASCII text as bytes, for the server fields of the binary forms (also used by agent links). */
export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c > 0x7e) throw new EncodeError('invalid-value', 'non-ASCII character in a server address field');
    out[k] = c;
  }
  return out;
}

/** Printable-ASCII bytes back to text; anything else is a DecodeError naming `what`. */
export function asciiText(bytes: Uint8Array, what: string): string {
  let s = '';
  for (let k = 0; k < bytes.length; k++) {
    const c = bytes[k];
    if (c <= 0x20 || c >= 0x7f) throw new DecodeError('invalid-value', what + ' has a byte that is not printable ASCII');
    s += String.fromCharCode(c);
  }
  return s;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

function isLowerAlnum(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x7a);
}

function isBase64UrlChar(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
}

/** The characters that end a domain name: ": # , ; / space \n \r \t" (`A.notInClass`). */
function isDomainStop(c: number): boolean {
  return c === 0x3a || c === 0x23 || c === 0x2c || c === 0x3b || c === 0x2f || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
