import assert from 'node:assert/strict';
import { decodeBase64Url, encodeBase64Url } from '../../../firmware/encoding/base64';
import { toHex } from '../../../firmware/encoding/bytes';
import { parseSmpServer } from '../../../firmware/smp/address';
import {
  negotiateConnectionRequest,
  parseConnectionLink,
  renderConnectionLink,
  renderConnectionLinkHttps,
  type ConnectionRequest,
} from '../../../firmware/agent/connection-link';
import { parseSimplexLink } from '../../../firmware/agent/links';
import { parseQueueUri, renderQueueUri, type SmpQueueUri } from '../../../firmware/agent/queue-uri';
import { parseShortLink, renderShortLink, restoreShortLink, type ShortLink } from '../../../firmware/agent/short-link';
import { e2eParamsUriToString } from '../../../firmware/agent/x3dh';
import { hex, vectorCase } from '../encoding/helpers';
import {
  contact,
  DH,
  E2E_ESCAPED,
  expectLinkError,
  host,
  invitation,
  ONION,
  queue,
  SHORT_SRV,
  SRV,
  SRV1,
  url,
  VECTOR_FILE,
  worked,
} from './links-fixtures';

const DHU = url(DH);
const V14 = { min: 1, max: 4 };
const V24 = { min: 2, max: 4 };
const V11 = { min: 1, max: 1 };

/** `#==#`: encodes to exactly `text` and parses back to the value. */
function bothWaysQueue(q: SmpQueueUri, text: string): void {
  assert.equal(renderQueueUri(q), text);
  assert.deepEqual(parseQueueUri(text), q);
}

function bothWaysLink(r: ConnectionRequest, text: string): void {
  assert.equal(renderConnectionLink(r), text);
  assert.deepEqual(parseConnectionLink(text), r);
}

function bothWaysShort(l: ShortLink, text: string): void {
  assert.equal(renderShortLink(l), text);
  assert.deepEqual(parseShortLink(text), l);
}

describe('connection links: vectors and upstream cases', () => {
  describe('the worked example (agent.md §4.4, connection-request-uri.json)', () => {
    it('parses to the decoded parts of the vector', () => {
      const r = parseConnectionLink(worked.uri);
      assert.equal(r.mode, 'invitation');
      assert.deepEqual(r.agentVRange, { min: 2, max: 7 });
      assert.equal(worked.agent_version_range, '2-7');
      assert.equal(r.queues.length, 1);
      assert.equal(r.clientData, null);

      const q = r.queues[0];
      const vq = worked.queue;
      assert.equal(toHex(q.server.keyHash), vq.key_hash);
      assert.equal(encodeBase64Url(q.server.keyHash), vq.key_hash_b64url);
      assert.equal(q.server.hosts[0].host, vq.host);
      assert.equal(q.server.hosts[0].kind, 'domain');
      assert.equal(q.server.port, vq.port);
      assert.equal(toHex(q.senderId), vq.sender_id);
      assert.equal(encodeBase64Url(q.senderId), vq.sender_id_b64url);
      assert.equal(vq.smp_client_version_range, '1-4');
      assert.deepEqual(q.smpClientVRange, V14);
      assert.equal('302a300506032b656e032100' + toHex(q.dhPublicKey), vq.dh_x25519_spki);
      assert.equal(toHex(decodeBase64Url(vq.dh_b64url)), vq.dh_x25519_spki);
      assert.equal(vq.queue_mode, 'm');
      assert.equal(vq.legacy_sender_can_secure, 's');
      assert.equal(q.queueMode, 'messaging');
      // The srv= host joins the authority host.
      assert.deepEqual(q.server.hosts.map((h) => h.host), [vq.host, vq.srv]);
      assert.equal(q.server.hosts[1].kind, 'onion');

      const e = r.e2e!;
      const ve = worked.e2e;
      assert.equal(ve.e2e_version_range, '1');
      assert.deepEqual(e.versionRange, { min: 1, max: 1 });
      assert.equal('3042300506032b656f033900' + toHex(e.key1), ve.x3dh_key1_x448_spki);
      assert.equal('3042300506032b656f033900' + toHex(e.key2), ve.x3dh_key2_x448_spki);
      assert.equal(toHex(decodeBase64Url(ve.x3dh_key1_b64url)), ve.x3dh_key1_x448_spki);
      assert.equal(e.kem, null);
    });

    it('re-encodes to the identical string, level by level', () => {
      const r = parseConnectionLink(worked.uri);
      assert.equal(renderConnectionLink(r), worked.uri);
      // The queue URI escaped once inside, then again into smp= (%3D -> %253D).
      assert.equal(renderQueueUri(r.queues[0]), worked.smp_queue_uri);
      assert.equal(url(worked.smp_queue_uri), worked.smp_param_escaped);
      assert.ok(worked.smp_param_escaped.indexOf('%253D') > 0);
      // e2e rendered unescaped, escaped once.
      assert.equal(e2eParamsUriToString(r.e2e!), worked.e2e_params);
      assert.equal(url(worked.e2e_params), worked.e2e_param_escaped);
      assert.equal(worked.uri, 'simplex:/invitation#/?v=2-7&smp=' + worked.smp_param_escaped + '&e2e=' + worked.e2e_param_escaped);
      assert.deepEqual(parseQueueUri(worked.smp_queue_uri), r.queues[0]);
    });

    it('parses the https://simplex.chat form (and a "/" before "#") to the same value and renders it', () => {
      const r = parseConnectionLink(worked.uri);
      const rest = worked.uri.substring('simplex:/'.length);
      const https = 'https://simplex.chat/' + rest;
      assert.equal(renderConnectionLinkHttps(r), https);
      assert.deepEqual(parseConnectionLink(https), r);
      assert.deepEqual(parseConnectionLink('https://example.org:8443/' + rest), r);
      assert.equal(renderConnectionLinkHttps(r, 'example.org', 8443), 'https://example.org:8443/' + rest);
      assert.deepEqual(parseConnectionLink('simplex:/invitation/#/?' + rest.substring('invitation#/?'.length)), r);
      assert.deepEqual(parseSimplexLink(' ' + https + '\r\n'), { kind: 'full', request: r });
    });

    it('accepts the parameters in any order and ignores unknown ones', () => {
      const r = parseConnectionLink(worked.uri);
      const reordered = 'simplex:/invitation#/?e2e=' + E2E_ESCAPED + '&foo=bar&smp=' + worked.smp_param_escaped + '&v=2-7&x=';
      assert.deepEqual(parseConnectionLink(reordered), r);
    });

    it('is refused by negotiation: its e2e range 1 is older than ours (2..3)', () => {
      const err = expectLinkError(() => negotiateConnectionRequest(parseConnectionLink(worked.uri)), 'incompatible-version');
      assert.match(err.message, /encryption version 1 but SimpleGo supports 2-3/);
    });
  });

  describe('short-link fragment (connection-request-uri.json)', () => {
    const v = vectorCase(VECTOR_FILE, 'short_invitation_link_fragment');

    it('decodes link ID and key from the fragment and prints them back unpadded', () => {
      const link = parseShortLink('https://smp.simplex.im/i#' + v.fragment);
      assert.equal(toHex(link.linkId!), v.link_id);
      assert.equal(toHex(link.linkKey), v.link_key);
      assert.equal(Buffer.from(link.linkId!).toString('latin1'), v.link_id_ascii);
      assert.equal(Buffer.from(link.linkKey).toString('latin1'), v.link_key_ascii);
      assert.equal(link.type, 'invitation');
      assert.deepEqual(link.server, SHORT_SRV);
      assert.equal(renderShortLink(link), 'https://smp.simplex.im/i#' + v.fragment);
      assert.deepEqual(parseShortLink('simplex:/i#' + v.fragment + '?h=smp.simplex.im').linkKey, hex(v.link_key));
    });
  });

  // The strings simplexmq's tests/AgentTests/ConnectionRequestTests.hs asserts, built from the same
  // fixtures (key hash 1234-w==, sender ID 3456-w==, the test X25519 and X448 keys).
  describe('queue URIs (ConnectionRequestTests "SMP queue URIs")', () => {
    const queueStr = 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + DHU + '&q=m&k=s&srv=' + ONION;
    const queueNewStr = 'smp://1234-w==@smp.simplex.im,' + ONION + ':5223/3456-w==#/?v=2-4&dh=' + DHU + '&q=m&k=s';

    it('legacy form (min version 1): first host in the authority, the rest in srv=', () => {
      bothWaysQueue(queue(V14, SRV, 'messaging'), queueStr);
      bothWaysQueue(queue(V14, SRV, null), 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + DHU + '&srv=' + ONION);
      bothWaysQueue(queue(V14, SRV, 'contact'), 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + DHU + '&q=c&srv=' + ONION);
      bothWaysQueue(queue(V14, SRV1, 'messaging'), 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + DHU + '&q=m&k=s');
    });

    it('new form (min version 2): all hosts in the authority', () => {
      bothWaysQueue(queue(V24, SRV, 'messaging'), queueNewStr);
      assert.deepEqual(parseQueueUri(queueNewStr.replace(DHU, DH)), queue(V24, SRV, 'messaging'));
      bothWaysQueue(queue(V24, SRV1, 'messaging'), 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=2-4&dh=' + DHU + '&q=m&k=s');
      const noPort = { hosts: SRV.hosts, port: null, keyHash: SRV.keyHash };
      bothWaysQueue(queue(V24, noPort, 'messaging'), 'smp://1234-w==@smp.simplex.im,' + ONION + '/3456-w==#/?v=2-4&dh=' + DHU + '&q=m&k=s');
      const noPort1 = { hosts: SRV1.hosts, port: null, keyHash: SRV1.keyHash };
      bothWaysQueue(queue(V24, noPort1, 'messaging'), 'smp://1234-w==@smp.simplex.im/3456-w==#/?v=2-4&dh=' + DHU + '&q=m&k=s');
    });

    it('legacy parse forms: #<dhKey>, #<dhKey>/?v=…, unknown parameters, v=1-1', () => {
      const v1 = queue(V11, SRV, null);
      bothWaysQueue(v1, 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1&dh=' + DHU + '&srv=' + ONION);
      assert.deepEqual(parseQueueUri('smp://1234-w==@smp.simplex.im,' + ONION + ':5223/3456-w==#' + DH), v1);
      assert.deepEqual(parseQueueUri('smp://1234-w==@smp.simplex.im:5223/3456-w==#/?extra_param=abc&v=1&dh=' + DH + '&srv=' + ONION), v1);
      assert.deepEqual(parseQueueUri('smp://1234-w==@smp.simplex.im:5223/3456-w==#' + DH + '/?v=1&extra_param=abc&srv=' + ONION), v1);
      assert.deepEqual(
        parseQueueUri('smp://1234-w==@smp.simplex.im:5223/3456-w==#' + DH + '/?v=1-4&extra_param=abc&srv=' + ONION + '&q=m&k=s'),
        queue(V14, SRV, 'messaging'),
      );
      const noPort = { hosts: SRV.hosts, port: null, keyHash: SRV.keyHash };
      const v1NoPort = queue(V11, noPort, null);
      bothWaysQueue(v1NoPort, 'smp://1234-w==@smp.simplex.im/3456-w==#/?v=1&dh=' + DHU + '&srv=' + ONION);
      assert.deepEqual(parseQueueUri('smp://1234-w==@smp.simplex.im/3456-w==#/?v=1-1&dh=' + DHU + '&srv=' + ONION), v1NoPort);
      assert.deepEqual(parseQueueUri('smp://1234-w==@smp.simplex.im,' + ONION + '/3456-w==#' + DH), v1NoPort);
    });

    it('k=s without q= means a messaging queue; k=s is written only below min version 4', () => {
      const base = 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=2-4&dh=' + DHU;
      assert.equal(parseQueueUri(base + '&k=s').queueMode, 'messaging');
      assert.equal(parseQueueUri(base + '&q=x&k=s').queueMode, 'messaging');
      assert.equal(parseQueueUri(base + '&q=x').queueMode, null);
      assert.equal(parseQueueUri(base + '&q=c&k=s').queueMode, 'contact');
      assert.equal(renderQueueUri(queue({ min: 4, max: 4 }, SRV1, 'messaging')), 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=4&dh=' + DHU + '&q=m');
      assert.equal(renderQueueUri(queue({ min: 3, max: 4 }, SRV1, 'messaging')), 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=3-4&dh=' + DHU + '&q=m&k=s');
    });

    it('a lone early preset host gains its onion address when the URI predates multiple hosts', () => {
      const q = parseQueueUri('smp://1234-w==@smp5.simplex.im/3456-w==#' + DH);
      assert.deepEqual(q.server.hosts.map((h) => h.host), ['smp5.simplex.im', ONION]);
      // Not when the range reaches version 2, nor for other hosts.
      const q2 = parseQueueUri('smp://1234-w==@smp5.simplex.im/3456-w==#/?v=1-2&dh=' + DHU);
      assert.deepEqual(q2.server.hosts.map((h) => h.host), ['smp5.simplex.im']);
      assert.equal(parseQueueUri('smp://1234-w==@smp.simplex.im/3456-w==#' + DH).server.hosts.length, 1);
    });
  });

  describe('invitations and contact addresses (ConnectionRequestTests)', () => {
    const queueStr = 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + DHU + '&q=m&k=s&srv=' + ONION;
    const queueNewStr = 'smp://1234-w==@smp.simplex.im,' + ONION + ':5223/3456-w==#/?v=2-4&dh=' + DHU + '&q=m&k=s';
    const q = queue(V14, SRV, 'messaging');
    const qNew = queue(V24, SRV, 'messaging');

    it('invitations', () => {
      bothWaysLink(invitation([q]), 'simplex:/invitation#/?v=2-7&smp=' + url(queueStr) + '&e2e=' + E2E_ESCAPED);
      assert.deepEqual(parseConnectionLink('https://simplex.chat/invitation#/?v=2-7&smp=' + url(queueStr) + '&e2e=' + E2E_ESCAPED), invitation([q]));
      const noQM = 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + DHU + '&srv=' + ONION;
      bothWaysLink(invitation([queue(V14, SRV, null)]), 'simplex:/invitation#/?v=2-7&smp=' + url(noQM) + '&e2e=' + E2E_ESCAPED);
      const q1 = 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + DHU + '&q=m&k=s';
      bothWaysLink(invitation([queue(V14, SRV1, 'messaging')]), 'simplex:/invitation#/?v=2-7&smp=' + url(q1) + '&e2e=' + E2E_ESCAPED);
      bothWaysLink(invitation([q, q]), 'simplex:/invitation#/?v=2-7&smp=' + url(queueStr + ';' + queueStr) + '&e2e=' + E2E_ESCAPED);
      bothWaysLink(invitation([qNew]), 'simplex:/invitation#/?v=2-7&smp=' + url(queueNewStr) + '&e2e=' + E2E_ESCAPED);
      bothWaysLink(invitation([qNew, qNew]), 'simplex:/invitation#/?v=2-7&smp=' + url(queueNewStr + ';' + queueNewStr) + '&e2e=' + E2E_ESCAPED);
      // An invitation's agent range is not adjusted.
      assert.deepEqual(parseConnectionLink('https://simplex.chat/invitation#/?v=1&smp=' + url(queueStr) + '&e2e=' + E2E_ESCAPED), invitation([q], V11));
      bothWaysLink(invitation([q], { min: 2, max: 7 }, '{}'), 'simplex:/invitation#/?v=2-7&smp=' + url(queueStr) + '&e2e=' + E2E_ESCAPED + '&data=' + url('{}'));
      assert.ok(url(queueStr + ';' + queueStr).indexOf('%3Bsmp%3A') > 0);
    });

    it('contact addresses, with the agent range raised to at least 2', () => {
      bothWaysLink(contact([q]), 'simplex:/contact#/?v=2-7&smp=' + url(queueStr));
      assert.deepEqual(parseConnectionLink('https://simplex.chat/contact#/?v=2-7&smp=' + url(queueStr)), contact([q]));
      bothWaysLink(contact([q, q]), 'simplex:/contact#/?v=2-7&smp=' + url(queueStr + ';' + queueStr));
      bothWaysLink(contact([qNew]), 'simplex:/contact#/?v=2-7&smp=' + url(queueNewStr));
      bothWaysLink(contact([qNew, qNew]), 'simplex:/contact#/?v=2-7&smp=' + url(queueNewStr + ';' + queueNewStr));
      const v2 = contact([q], { min: 2, max: 2 });
      bothWaysLink(v2, 'simplex:/contact#/?v=2&smp=' + url(queueStr));
      assert.deepEqual(parseConnectionLink('https://simplex.chat/contact#/?v=1&smp=' + url(queueStr)), v2);
      assert.deepEqual(parseConnectionLink('https://simplex.chat/contact#/?v=1-2&smp=' + url(queueStr)), v2);
      assert.deepEqual(parseConnectionLink('https://simplex.chat/contact#/?v=2-2&smp=' + url(queueStr)), v2);
      assert.deepEqual(parseConnectionLink('simplex:/contact#/?v=1-7&smp=' + url(queueStr)).agentVRange, { min: 2, max: 7 });
      assert.deepEqual(parseConnectionLink('simplex:/contact#/?v=3-5&smp=' + url(queueStr)).agentVRange, { min: 3, max: 5 });
      const data = '{"type":"group_link", "group_link_id":"abc"}';
      bothWaysLink(contact([q], { min: 2, max: 7 }, data), 'simplex:/contact#/?v=2-7&smp=' + url(queueStr) + '&data=' + url(data));
      assert.ok(url(data).indexOf('%20') > 0);
      // A contact address ignores e2e= if one is present.
      assert.deepEqual(parseConnectionLink('simplex:/contact#/?v=2-7&smp=' + url(queueStr) + '&e2e=' + E2E_ESCAPED), contact([q]));
    });
  });

  describe('short links (ConnectionRequestTests "short links")', () => {
    const KEY = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY';
    const ID = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3';
    const linkKey = new Uint8Array(Buffer.from('0123456789abcdef0123456789abcdef', 'latin1'));
    const linkId = new Uint8Array(Buffer.from('0123456789abcdef01234567', 'latin1'));
    const c = (scheme: 'simplex' | 'https', type: 'contact' | 'group', server: typeof SRV): ShortLink =>
      ({ scheme: scheme, type: type, server: server, linkId: null, linkKey: linkKey });
    const i = (scheme: 'simplex' | 'https', server: typeof SRV): ShortLink =>
      ({ scheme: scheme, type: 'invitation', server: server, linkId: linkId, linkKey: linkKey });

    it('https form: first host in the authority, more hosts, port and key hash in the query', () => {
      bothWaysShort(c('https', 'contact', SRV), 'https://smp.simplex.im/a#' + KEY + '?h=' + ONION + '&p=5223&c=1234-w');
      bothWaysShort(c('https', 'group', SRV), 'https://smp.simplex.im/g#' + KEY + '?h=' + ONION + '&p=5223&c=1234-w');
      bothWaysShort(c('https', 'contact', SHORT_SRV), 'https://smp.simplex.im/a#' + KEY);
      bothWaysShort(i('https', SRV), 'https://smp.simplex.im/i#' + ID + '/' + KEY + '?h=' + ONION + '&p=5223&c=1234-w');
      bothWaysShort(i('https', SHORT_SRV), 'https://smp.simplex.im/i#' + ID + '/' + KEY);
    });

    it('simplex: form: every host in h= (comma escaped)', () => {
      bothWaysShort(c('simplex', 'contact', SRV), 'simplex:/a#' + KEY + '?h=smp.simplex.im%2C' + ONION + '&p=5223&c=1234-w');
      bothWaysShort(c('simplex', 'group', SRV), 'simplex:/g#' + KEY + '?h=smp.simplex.im%2C' + ONION + '&p=5223&c=1234-w');
      bothWaysShort(c('simplex', 'contact', SHORT_SRV), 'simplex:/a#' + KEY + '?h=smp.simplex.im');
      bothWaysShort(i('simplex', SRV), 'simplex:/i#' + ID + '/' + KEY + '?h=smp.simplex.im%2C' + ONION + '&p=5223&c=1234-w');
      bothWaysShort(i('simplex', SHORT_SRV), 'simplex:/i#' + ID + '/' + KEY + '?h=smp.simplex.im');
    });

    it('channel and relay types, upper-case contact letters, padded keys, "/" before "#"', () => {
      assert.equal(parseShortLink('https://smp.simplex.im/c#' + KEY).type, 'channel');
      assert.equal(parseShortLink('https://smp.simplex.im/r#' + KEY).type, 'relay');
      assert.equal(renderShortLink({ ...c('https', 'contact', SHORT_SRV), type: 'relay' }), 'https://smp.simplex.im/r#' + KEY);
      assert.deepEqual(parseShortLink('https://smp.simplex.im/A#' + KEY), c('https', 'contact', SHORT_SRV));
      assert.deepEqual(parseShortLink('https://smp.simplex.im/a/#' + KEY + '='), c('https', 'contact', SHORT_SRV));
      assert.deepEqual(parseShortLink('https://smp.simplex.im/i#' + ID + '/' + KEY + '?c=1234-w%3D%3D&p=5223&h=' + ONION), i('https', SRV));
      assert.deepEqual(parseSimplexLink('https://smp.simplex.im/i#' + ID + '/' + KEY), { kind: 'short', link: i('https', SHORT_SRV) });
    });

    it('restores a link shortened for a preset server, and leaves others alone (restoreShortLink)', () => {
      assert.deepEqual(restoreShortLink(c('https', 'contact', SHORT_SRV), [SRV]), c('https', 'contact', SRV));
      assert.deepEqual(restoreShortLink(c('https', 'contact', SRV1), [SRV]), c('https', 'contact', SRV1));
      const srv2 = { hosts: [host('smp2.simplex.im'), host(ONION)], port: null, keyHash: SRV.keyHash };
      assert.deepEqual(restoreShortLink(c('https', 'contact', SHORT_SRV), [srv2]), c('https', 'contact', SHORT_SRV));
      assert.deepEqual(restoreShortLink(c('https', 'contact', srv2), [SRV]), c('https', 'contact', srv2));

      const preset = parseSmpServer('smp://LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=@localhost:7001').server;
      const lnk = parseShortLink('https://localhost/a#4AkRDmhf64tdRlN406g8lJRg5OCmhD6ynIhi6glOcCM?p=7001&c=LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI');
      const short = parseShortLink('https://localhost/a#4AkRDmhf64tdRlN406g8lJRg5OCmhD6ynIhi6glOcCM');
      assert.deepEqual(restoreShortLink(short, [preset]), lnk);
      const inv = parseShortLink('https://localhost/i#tnUaHYp8saREmyEHR93SBpl8ySHBchOt/LJ1ZQUzxH9Udb0jw5wmJACv5o6oe8e7BsX_hUCUMTSY?p=7001&c=LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI');
      const invShort = parseShortLink('https://localhost/i#tnUaHYp8saREmyEHR93SBpl8ySHBchOt/LJ1ZQUzxH9Udb0jw5wmJACv5o6oe8e7BsX_hUCUMTSY');
      assert.deepEqual(restoreShortLink(invShort, [preset]), inv);
      assert.equal(renderShortLink(inv), 'https://localhost/i#tnUaHYp8saREmyEHR93SBpl8ySHBchOt/LJ1ZQUzxH9Udb0jw5wmJACv5o6oe8e7BsX_hUCUMTSY?p=7001&c=LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI');
    });
  });
});
