import assert from 'node:assert/strict';
import { parseQuery, queryParam } from '../../../firmware/encoding/url';
import {
  negotiateConnectionRequest,
  parseConnectionLink,
  renderConnectionLink,
  renderConnectionLinkHttps,
} from '../../../firmware/agent/connection-link';
import { parseSimplexLink } from '../../../firmware/agent/links';
import { parseQueueUri, renderQueueUri } from '../../../firmware/agent/queue-uri';
import { parseShortLink, renderShortLink } from '../../../firmware/agent/short-link';
import { SUPPORTED_AGENT_VRANGE, SUPPORTED_E2E_VRANGE, SUPPORTED_SMP_CLIENT_VRANGE } from '../../../firmware/agent/versions';
import { encodeBase64Url } from '../../../firmware/encoding/base64';
import { e2eParamsUriToString, parseE2EParamsUri } from '../../../firmware/agent/x3dh';
import { prng } from '../encoding/helpers';
import { randomQueue, randomRequest, randomShortLink, url, worked, X448_RAW } from './links-fixtures';

describe('connection links: round trips of generated links', () => {
  it('full links: parse(render(x)) = x in both schemes, and render is stable', () => {
    const rng = prng(0x11c5);
    const seen = { invitation: 0, contact: 0, kem: 0, multiQueue: 0, legacy: 0, newForm: 0, onion: 0, ipv6: 0, port: 0, data: 0 };
    for (let n = 0; n < 300; n++) {
      const r = randomRequest(rng);
      const text = renderConnectionLink(r);
      assert.ok(text.indexOf('simplex:/' + r.mode + '#/?v=') === 0);
      assert.deepEqual(parseConnectionLink(text), r, 'link ' + n);
      const https = renderConnectionLinkHttps(r);
      assert.equal(https, 'https://simplex.chat/' + text.substring('simplex:/'.length));
      assert.deepEqual(parseConnectionLink(https), r);
      assert.deepEqual(parseSimplexLink(https), { kind: 'full', request: r });
      assert.equal(renderConnectionLink(parseConnectionLink(https)), text);

      // The escaping levels: smp= holds ';'-joined queue URIs whose own queries are escaped.
      const query = parseQuery(text.substring(text.indexOf('#/?') + 3));
      const smp = queryParam(query, 'smp')!;
      assert.equal(smp, r.queues.map(renderQueueUri).join(';'));
      for (const q of r.queues) {
        const qt = renderQueueUri(q);
        assert.ok(/dh=MCowBQYDK2VuAyEA[A-Za-z0-9_-]{43}%3D/.test(qt), 'dh escaped once inside the queue URI');
        assert.deepEqual(parseQueueUri(qt), q);
        if (q.smpClientVRange.min < 2) seen.legacy++;
        else seen.newForm++;
        for (const h of q.server.hosts) {
          if (h.kind === 'onion') seen.onion++;
          if (h.kind === 'ipv6') seen.ipv6++;
        }
        if (q.server.port !== null) seen.port++;
      }
      // ... and escaped again into smp=: the dh padding reads %253D once per queue.
      assert.equal(text.split('%26dh%3DMCowBQYDK2VuAyEA').length - 1, r.queues.length);
      assert.ok(text.split('%253D').length - 1 >= r.queues.length);
      seen[r.mode]++;
      if (r.e2e !== null && r.e2e.kem !== null) {
        seen.kem++;
        assert.ok(text.indexOf('%26kem_key%3D') > 0);
      }
      if (r.queues.length > 1) seen.multiQueue++;
      if (r.clientData !== null) seen.data++;
    }
    // Every form was exercised.
    for (const k of Object.keys(seen) as Array<keyof typeof seen>) assert.ok(seen[k] >= 10, k + ' seen only ' + seen[k] + ' times');
  });

  it('a PQ invitation: kem_key of 1544 characters, written only when the e2e range reaches 3', () => {
    const r = randomRequest(prng(99), true);
    const e2e = { versionRange: { min: 2, max: 3 }, key1: r.e2e?.key1 ?? new Uint8Array(56), key2: new Uint8Array(56), kem: { kind: 'proposed' as const, publicKey: new Uint8Array(1158).fill(7) } };
    const inv = { mode: 'invitation' as const, agentVRange: { min: 2, max: 7 }, queues: r.queues, clientData: null, e2e: e2e };
    const text = renderConnectionLink(inv);
    const e2eText = queryParam(parseQuery(text.substring(text.indexOf('#/?') + 3)), 'e2e')!;
    const kem = queryParam(parseQuery(e2eText), 'kem_key')!;
    assert.equal(kem.length, 1544);
    assert.deepEqual(parseConnectionLink(text), inv);
    // With max e2e 2 the KEM key is not written (and a link that has one anyway is read without it).
    const old = { ...inv, e2e: { ...e2e, versionRange: { min: 2, max: 2 } } };
    const oldText = renderConnectionLink(old);
    assert.ok(oldText.indexOf('kem_key') < 0);
    assert.equal(parseConnectionLink(oldText).e2e!.kem, null);
    assert.equal(parseConnectionLink(text.replace('v%3D2-3', 'v%3D2')).e2e!.kem, null);
    assert.deepEqual(negotiateConnectionRequest(inv), { agentVersion: 7, e2eVersion: 3, smpClientVersion: 4 });
  });

  it('the e2e text form of renegotiation: kem_ct (padded) before kem_key, escaped once in a link', () => {
    const ct = new Uint8Array(1039).fill(0xfb);
    const pk = new Uint8Array(1158).fill(0xfe);
    const p = { versionRange: { min: 2, max: 3 }, key1: X448_RAW, key2: X448_RAW, kem: { kind: 'accepted' as const, ciphertext: ct, publicKey: pk } };
    const text = e2eParamsUriToString(p);
    const k = worked.e2e.x3dh_key1_b64url;
    assert.equal(text, 'v=2-3&x3dh=' + k + ',' + k + '&kem_ct=' + encodeBase64Url(ct) + '&kem_key=' + encodeBase64Url(pk));
    assert.ok(encodeBase64Url(ct).endsWith('=='));
    assert.deepEqual(parseE2EParamsUri(text), p);
    // A link may only propose: the renegotiation form is refused in an invitation (bad-e2e-params, see links-errors).
    assert.ok(url(text).indexOf('kem_ct%3D') > 0 && url(text).indexOf('%3D%3D%26kem_key%3D') > 0);
  });

  it('negotiates with the first queue and our ranges (agent 2..7, e2e 2..3, SMP client 1..4)', () => {
    assert.deepEqual(SUPPORTED_AGENT_VRANGE, { min: 2, max: 7 });
    assert.deepEqual(SUPPORTED_E2E_VRANGE, { min: 2, max: 3 });
    assert.deepEqual(SUPPORTED_SMP_CLIENT_VRANGE, { min: 1, max: 4 });
    const rng = prng(5);
    for (let n = 0; n < 50; n++) {
      const r = randomRequest(rng);
      const e2eOk = r.e2e === null || r.e2e.versionRange.max >= 2;
      if (!e2eOk) continue;
      const v = negotiateConnectionRequest(r);
      assert.equal(v.agentVersion, Math.min(r.agentVRange.max, 7));
      assert.equal(v.smpClientVersion, Math.min(r.queues[0].smpClientVRange.max, 4));
      assert.equal(v.e2eVersion, r.e2e === null ? null : Math.min(r.e2e.versionRange.max, 3));
    }
  });

  it('queue URIs alone: parse(render(q)) = q', () => {
    const rng = prng(0xfeed);
    for (let n = 0; n < 300; n++) {
      const q = randomQueue(rng);
      const text = renderQueueUri(q);
      assert.deepEqual(parseQueueUri(text), q);
      const hostsInAuthority = text.substring(6 + text.substring(6).indexOf('@') + 1, text.indexOf('/', 6)).split(',').length;
      assert.equal(hostsInAuthority, q.smpClientVRange.min < 2 ? 1 : q.server.hosts.length);
    }
  });

  it('short links: parse(render(l)) = l', () => {
    const rng = prng(0x5407);
    for (let n = 0; n < 300; n++) {
      const l = randomShortLink(rng);
      const text = renderShortLink(l);
      assert.ok(text.indexOf('=') < 0 || text.indexOf('?') < text.indexOf('='), 'no base64 padding in ' + text);
      assert.deepEqual(parseShortLink(text), l);
      assert.deepEqual(parseSimplexLink(text), { kind: 'short', link: l });
    }
  });
});
