/**
 * Invitation links as the agent renders them (firmware/agent), with keys of the real sizes, for
 * measuring QR codes and for the scan-from-another-screen tests. Key bytes are a fixed pattern:
 * the length of a link, which decides its QR version, does not depend on them.
 */
import { renderConnectionLink, renderConnectionLinkHttps, type ConnectionRequest } from '../../../firmware/agent/connection-link';
import { renderShortLink } from '../../../firmware/agent/short-link';
import { parseSmpServer, type SmpServer } from '../../../firmware/smp/address';

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out[i] = x >> 16;
  }
  return out;
}

export const SIMPLEGO = parseSmpServer('smp://7qw4hvuS-PvTHbotgtg_xiwrhFUk_s1q2upUQrGIWow=@smp.simplego.dev').server;
export const SIMPLEX8 = parseSmpServer(
  'smp://0YuTwO05YJWS8rkjn9eLJDjQhFKvIYd8d4xG8X1blIU=@smp8.simplex.im,beccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid.onion',
).server;

/** A one-time invitation: one messaging queue, X448 keys, and the sntrup761 key when `pq`. */
export function invitationRequest(server: SmpServer, pq: boolean): ConnectionRequest {
  return {
    mode: 'invitation',
    agentVRange: { min: 2, max: 7 },
    clientData: null,
    queues: [{ smpClientVRange: { min: 1, max: 4 }, server, senderId: bytes(24, 1), dhPublicKey: bytes(32, 2), queueMode: 'messaging' }],
    e2e: { versionRange: { min: 2, max: 3 }, key1: bytes(56, 3), key2: bytes(56, 4), kem: pq ? { kind: 'proposed', publicKey: bytes(1158, 5) } : null },
  };
}

export const FULL_LINK = renderConnectionLink(invitationRequest(SIMPLEGO, false));
export const FULL_LINK_HTTPS = renderConnectionLinkHttps(invitationRequest(SIMPLEGO, false));
export const FULL_LINK_ONION = renderConnectionLink(invitationRequest(SIMPLEX8, false));
export const PQ_LINK = renderConnectionLink(invitationRequest(SIMPLEGO, true));

/** Short links for a preset router (host only) and for any router (port and key hash too). */
export const SHORT_LINK_PRESET = renderShortLink({
  scheme: 'https',
  type: 'invitation',
  server: { hosts: SIMPLEGO.hosts, port: null, keyHash: new Uint8Array(0) },
  linkId: bytes(24, 6),
  linkKey: bytes(32, 7),
});
export const SHORT_LINK_SIMPLEX = renderShortLink({
  scheme: 'simplex',
  type: 'invitation',
  server: { hosts: SIMPLEGO.hosts, port: null, keyHash: new Uint8Array(0) },
  linkId: bytes(24, 6),
  linkKey: bytes(32, 7),
});
export const SHORT_LINK_FULL_SERVER = renderShortLink({
  scheme: 'https',
  type: 'invitation',
  server: { hosts: SIMPLEGO.hosts, port: 5223, keyHash: SIMPLEGO.keyHash },
  linkId: bytes(24, 6),
  linkKey: bytes(32, 7),
});
