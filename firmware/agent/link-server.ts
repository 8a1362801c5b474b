import type { Decoder, Encoder } from '../encoding/binary';
import { DecodeError, EncodeError } from '../encoding/errors';
import { AddressError, asciiBytes, asciiText, parseTransportHost, type SmpServer, type TransportHost } from '../smp/address';
import { LinkError } from './link-errors';

/**
 * The server part of SimpleX links: the host lists, port and key hash inside queue URIs
 * (`smp://keyHash@hosts[:port]`), short links (`h=`, `p=`, `c=`) and the binary `ProtocolServer`.
 *
 * Hosts are read and written by smp/address.ts (`parseTransportHost`, its canonical host text), so
 * a host means the same thing in a link and in a configured server address. The rest differs from
 * smp/address.ts on purpose, and the lead may fold it back in there:
 * - the key hash in a link may have any non-empty length, as upstream's `KeyHash` may: the
 *   reference worked example (agent.md §4.4) uses a 4-byte one. A key hash that is not a real
 *   SHA-256 fingerprint simply never matches a server at connection time;
 * - a short link may carry no key hash and no port at all (preset servers, agent.md §4.6);
 * - links never carry a server password: upstream refuses one in a queue URI.
 */

/** More hosts than any server lists; each one costs the joiner a connection attempt. */
export const MAX_LINK_SERVER_HOSTS = 8;

/** Hosts separated by ',' (`TransportHosts_`). `''` is no hosts, as upstream's `sepBy'` gives. */
export function parseHostList(text: string, what: string): TransportHost[] {
  const hosts: TransportHost[] = [];
  if (text.length === 0) return hosts;
  let start = 0;
  for (;;) {
    let end = text.indexOf(',', start);
    if (end < 0) end = text.length;
    if (hosts.length === MAX_LINK_SERVER_HOSTS) {
      throw new LinkError('too-many-queues', what + ' lists more than ' + MAX_LINK_SERVER_HOSTS + ' hosts');
    }
    hosts.push(parseHost(text.substring(start, end), what + ', host ' + (hosts.length + 1)));
    if (end === text.length) return hosts;
    start = end + 1;
  }
}

/** One host, the whole of `text`. */
export function parseHost(text: string, what: string): TransportHost {
  if (text.length === 0) throw new LinkError('bad-server-address', what + ' is empty');
  try {
    return parseTransportHost(text);
  } catch (e) {
    if (e instanceof AddressError) throw new LinkError('bad-server-address', what + ': ' + e.message, e);
    throw e;
  }
}

/**
 * Hosts joined by ',' (`strEncode` of a host list). An IPv6 host is bracketed where its bare form
 * would not read back: before a port, or when it ends in dotted IPv4 (smp/address.ts does the same).
 */
export function printHostList(hosts: readonly TransportHost[], portFollows: boolean): string {
  let s = '';
  for (let k = 0; k < hosts.length; k++) {
    const h = checkHost(hosts[k], k);
    if (k > 0) s += ',';
    const last = k === hosts.length - 1;
    s += h.kind === 'ipv6' && ((portFollows && last) || h.host.indexOf('.') >= 0) ? '[' + h.host + ']' : h.host;
  }
  return s;
}

/** A decimal port 1..65535 as text (`p=` in short links, the authority of a queue URI). */
export function parsePort(text: string, what: string): number {
  let ok = text.length >= 1 && text.length <= 5;
  for (let k = 0; k < text.length && ok; k++) {
    const c = text.charCodeAt(k);
    ok = c >= 0x30 && c <= 0x39;
  }
  const value = ok ? parseInt(text, 10) : 0;
  if (!ok || value < 1 || value > 65535) throw new LinkError('bad-server-address', what + ' is not a port number 1..65535');
  return value;
}

/**
 * Binary `ProtocolServer`: nonempty(short(host)) ‖ short(port text, empty for none) ‖ short(keyHash).
 * `requireKeyHash`: a queue URI needs one; only short-link servers may have none.
 */
export function writeLinkServer(e: Encoder, server: SmpServer, requireKeyHash: boolean): void {
  checkLinkServer(server, requireKeyHash);
  e.nonEmpty(server.hosts, (x, h) => x.short(asciiBytes(h.host)));
  e.short(server.port === null ? new Uint8Array(0) : asciiBytes('' + server.port));
  e.short(server.keyHash);
}

/**
 * Reads the binary `ProtocolServer`. Hosts must be in the canonical text smp/address.ts prints and
 * the port a canonical decimal, so what decodes re-encodes to the same bytes (stricter than
 * upstream, which takes any port string). Errors are DecodeError, for use inside larger decoders.
 */
export function readLinkServer(d: Decoder, requireKeyHash: boolean): SmpServer {
  const listAt = d.offset;
  const hosts = d.nonEmpty((x) => {
    const at = x.offset;
    const text = asciiText(x.short(), 'host at byte ' + at);
    let host: TransportHost;
    try {
      host = parseTransportHost(text);
    } catch (err) {
      if (err instanceof AddressError) throw new DecodeError('invalid-value', 'host at byte ' + at + ': ' + err.message);
      throw err;
    }
    if (host.host !== text) throw new DecodeError('invalid-value', 'host at byte ' + at + ' is not in canonical form');
    return host;
  });
  if (hosts.length > MAX_LINK_SERVER_HOSTS) {
    throw new DecodeError('invalid-value', 'server at byte ' + listAt + ' lists ' + hosts.length + ' hosts, more than ' + MAX_LINK_SERVER_HOSTS);
  }
  const portAt = d.offset;
  const portText = asciiText(d.short(), 'port at byte ' + portAt);
  let port: number | null = null;
  if (portText.length > 0) {
    let ok = portText.length <= 5 && portText.charAt(0) !== '0';
    for (let k = 0; k < portText.length && ok; k++) ok = portText.charCodeAt(k) >= 0x30 && portText.charCodeAt(k) <= 0x39;
    const value = ok ? parseInt(portText, 10) : 0;
    if (!ok || value < 1 || value > 65535) throw new DecodeError('invalid-value', 'port at byte ' + portAt + ' is not a decimal 1..65535');
    port = value;
  }
  const hashAt = d.offset;
  const keyHash = new Uint8Array(d.short());
  if (requireKeyHash && keyHash.length === 0) throw new DecodeError('invalid-value', 'server key hash at byte ' + hashAt + ' is empty');
  return { hosts: hosts, port: port, keyHash: keyHash };
}

/** The checks every encoder of a link server makes: it came from our code, so failures are EncodeError. */
export function checkLinkServer(server: SmpServer, requireKeyHash: boolean): void {
  if (server.hosts.length < 1 || server.hosts.length > MAX_LINK_SERVER_HOSTS) {
    throw new EncodeError('invalid-value', 'a link server has 1..' + MAX_LINK_SERVER_HOSTS + ' hosts, got ' + server.hosts.length);
  }
  for (let k = 0; k < server.hosts.length; k++) checkHost(server.hosts[k], k);
  if (server.port !== null && !(Math.floor(server.port) === server.port && server.port >= 1 && server.port <= 65535)) {
    throw new EncodeError('invalid-value', 'port must be an integer 1..65535');
  }
  if (server.keyHash.length > 255) throw new EncodeError('too-long', 'server key hash is longer than 255 bytes');
  if (requireKeyHash && server.keyHash.length === 0) throw new EncodeError('invalid-value', 'a queue address needs a server key hash');
}

/** A host must be the canonical text of its kind, or the link would not read back as the same host. */
function checkHost(h: TransportHost, index: number): TransportHost {
  let parsed: TransportHost | null = null;
  try {
    // Bracketed, an IPv6 host reads back whatever its canonical text (dotted forms included).
    parsed = parseTransportHost(h.kind === 'ipv6' ? '[' + h.host + ']' : h.host);
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
  }
  if (parsed === null || parsed.kind !== h.kind || parsed.host !== h.host) {
    throw new EncodeError('invalid-value', 'host ' + index + ' is not a canonical ' + h.kind + ' host');
  }
  return h;
}
