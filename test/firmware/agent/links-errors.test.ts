import assert from 'node:assert/strict';
import { encodeBase64Url } from '../../../firmware/encoding/base64';
import { encodePublicKey } from '../../../firmware/crypto/keys';
import { parseTransportHost } from '../../../firmware/smp/address';
import {
  MAX_LINK_LENGTH,
  negotiateConnectionRequest,
  parseConnectionLink,
  renderConnectionLink,
  type ConnectionRequest,
} from '../../../firmware/agent/connection-link';
import type { LinkErrorCode } from '../../../firmware/agent/link-errors';
import { parseSimplexLink } from '../../../firmware/agent/links';
import { parseQueueUri } from '../../../firmware/agent/queue-uri';
import { parseShortLink, renderShortLink } from '../../../firmware/agent/short-link';
import { parseVersionRange, renderVersionRange } from '../../../firmware/agent/versions';
import { prng, randomInt } from '../encoding/helpers';
import {
  contact,
  DH,
  E2E_ESCAPED,
  expectLinkError,
  invitation,
  onlyLinkErrors,
  queue,
  randomRequest,
  randomShortLink,
  SRV,
  SRV1,
  url,
  worked,
} from './links-fixtures';

const Q = 'smp://1234-w==@smp.simplex.im:5223/3456-w==#/?v=1-4&dh=' + url(DH) + '&q=m&k=s';
const INV = (smp: string, e2e: string = E2E_ESCAPED, v: string = '2-7'): string => 'simplex:/invitation#/?v=' + v + '&smp=' + url(smp) + '&e2e=' + e2e;
const X25519_B64 = encodeBase64Url(encodePublicKey('x25519', new Uint8Array(32).fill(9)));
const X448_B64 = encodeBase64Url(encodePublicKey('x448', new Uint8Array(56).fill(9)));
const ED448_B64 = encodeBase64Url(encodePublicKey('ed448', new Uint8Array(57).fill(9)));

function e2e(params: string): string {
  return url(params);
}

describe('connection links: bad input', () => {
  describe('every prefix of the worked example', () => {
    it('is refused with a LinkError, and the short ones say "truncated"', () => {
      const uri = worked.uri as string;
      const full = parseConnectionLink(uri);
      const codes: { [code: string]: number } = {};
      for (let n = 0; n < uri.length; n++) {
        for (const parse of [parseConnectionLink, parseSimplexLink]) {
          const err = onlyLinkErrors(() => parse(uri.substring(0, n)), 'prefix ' + n);
          if (err === null) {
            // Only dropping the last key's '=' padding ("%3D") leaves a link, and it is the same one
            // (base64url padding is optional on input).
            assert.ok(n === uri.length - 3, 'the ' + n + '-character prefix parsed');
            assert.deepEqual(parseConnectionLink(uri.substring(0, n)), full);
            continue;
          }
          codes[err.code] = (codes[err.code] ?? 0) + 1;
        }
      }
      // Up to the end of "#/?" the link is visibly incomplete.
      for (let n = 0; n <= uri.indexOf('#/?') + 3; n++) expectLinkError(() => parseConnectionLink(uri.substring(0, n)), n < uri.indexOf('#/?') + 3 ? 'truncated' : 'missing-parameter');
      // Cut inside the queue URI: it ends before its parts are complete.
      expectLinkError(() => parseConnectionLink(uri.substring(0, uri.indexOf('%2F3456'))), 'truncated');
      // Cut in the e2e keys: the key no longer decodes (or the escape is cut).
      expectLinkError(() => parseConnectionLink(uri.substring(0, uri.length - 20)), 'bad-key');
      expectLinkError(() => parseConnectionLink(uri.substring(0, uri.length - 1)), 'truncated');
      expectLinkError(() => parseConnectionLink(uri.substring(0, uri.length - 2)), 'truncated');
      assert.ok(codes.truncated > 50, JSON.stringify(codes));
      const allowed: LinkErrorCode[] = ['truncated', 'missing-parameter', 'bad-encoding', 'bad-key', 'bad-queue-uri', 'bad-server-address', 'bad-version-range', 'bad-e2e-params', 'not-a-simplex-link'];
      for (const code of Object.keys(codes)) assert.ok(allowed.indexOf(code as LinkErrorCode) >= 0, code);
    });

    it('every prefix of a short link is refused or parses to a different link', () => {
      const text = 'https://smp.simplex.im/i#MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3/MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY?h=jjbyvoemxysm7qxap7m5d5m35jzv5qq6gnlv7s4rsn7tdwwmuqciwpid.onion&p=5223&c=1234-w';
      const full = parseShortLink(text);
      for (let n = 0; n < text.length; n++) {
        const prefix = text.substring(0, n);
        if (onlyLinkErrors(() => parseShortLink(prefix), 'prefix ' + n) === null) {
          // Cutting the query can leave a valid link naming less of the server (or a shorter host).
          assert.ok(n >= text.indexOf('?'), 'prefix ' + n + ' parsed');
          assert.notDeepEqual(parseShortLink(prefix), full);
        }
      }
      for (let n = 0; n <= text.indexOf('#') + 10; n++) assert.ok(onlyLinkErrors(() => parseShortLink(text.substring(0, n)), '') !== null);
    });
  });

  describe('garbage: mutated valid links (fixed seed)', () => {
    const samples: string[] = [
      worked.uri,
      renderConnectionLink(randomRequest(prng(1), true)),
      renderConnectionLink(contact([queue({ min: 2, max: 4 }, SRV, 'contact')], { min: 2, max: 7 }, '{"a": "b c"}')),
      renderShortLink(randomShortLink(prng(2))),
      'simplex:/a#MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY?h=smp.simplex.im%2C[::1]&p=443&c=1234-w',
    ];
    const ALPHABET = 'abcAZ09-_=%&;#/?:@,.~+ \n\u00e9\u20ac\u0000[]';

    function mutate(rng: () => number, s: string): string {
      const edits = 1 + randomInt(rng, 4);
      let out = s;
      for (let k = 0; k < edits; k++) {
        const at = randomInt(rng, out.length + 1);
        const c = ALPHABET.charAt(randomInt(rng, ALPHABET.length));
        switch (randomInt(rng, 4)) {
          case 0:
            out = out.substring(0, at) + c + out.substring(at + 1);
            break;
          case 1:
            out = out.substring(0, at) + c + out.substring(at);
            break;
          case 2:
            out = out.substring(0, at) + out.substring(at + 1 + randomInt(rng, 8));
            break;
          default: {
            const from = randomInt(rng, out.length);
            out = out.substring(0, at) + out.substring(from, from + randomInt(rng, 40)) + out.substring(at);
          }
        }
      }
      return out;
    }

    it('only ever raises LinkError, and what parses renders and parses back to itself', () => {
      const rng = prng(0xbad1);
      let parsed = 0;
      let refused = 0;
      for (let n = 0; n < 6000; n++) {
        const text = mutate(rng, samples[n % samples.length]);
        let result: ReturnType<typeof parseSimplexLink> | null = null;
        const err = onlyLinkErrors(() => {
          result = parseSimplexLink(text);
        }, 'mutation ' + n);
        onlyLinkErrors(() => parseConnectionLink(text), 'mutation ' + n + ' (full)');
        onlyLinkErrors(() => parseShortLink(text), 'mutation ' + n + ' (short)');
        if (err !== null) {
          refused++;
          continue;
        }
        parsed++;
        const r = result as unknown as ReturnType<typeof parseSimplexLink>;
        if (r.kind === 'full') assert.deepEqual(parseConnectionLink(renderConnectionLink(r.request)), r.request);
        else assert.deepEqual(parseShortLink(renderShortLink(r.link)), r.link);
      }
      assert.ok(parsed > 100 && refused > 3000, parsed + ' parsed, ' + refused + ' refused');
    });

    it('random queue URIs and random bytes as text only raise LinkError', () => {
      const rng = prng(42);
      for (let n = 0; n < 2000; n++) {
        const text = mutate(rng, Q);
        onlyLinkErrors(() => parseQueueUri(text), 'queue mutation ' + n);
        let junk = '';
        const len = randomInt(rng, 80);
        for (let k = 0; k < len; k++) junk += String.fromCharCode(randomInt(rng, 256));
        onlyLinkErrors(() => parseSimplexLink(junk), 'junk ' + n);
        onlyLinkErrors(() => parseSimplexLink('simplex:/' + junk), 'junk ' + n);
        onlyLinkErrors(() => parseSimplexLink('https://simplex.chat/invitation#/?' + junk), 'junk ' + n);
      }
    });
  });

  describe('oversized input', () => {
    it('refuses links, queue URIs and short links beyond their limits before parsing them', () => {
      const huge = worked.uri + '&pad=' + 'A'.repeat(MAX_LINK_LENGTH);
      expectLinkError(() => parseConnectionLink(huge), 'too-long');
      expectLinkError(() => parseSimplexLink(huge), 'too-long');
      expectLinkError(() => parseSimplexLink(' '.repeat(1000000)), 'too-long');
      expectLinkError(() => parseQueueUri(Q + '&x=' + 'a'.repeat(5000)), 'too-long');
      expectLinkError(() => parseShortLink('https://smp.simplex.im/a#' + 'A'.repeat(5000)), 'too-long');
      // Just under the limit, padding with an unknown parameter is still a valid link.
      const padded = worked.uri + '&pad=' + 'A'.repeat(MAX_LINK_LENGTH - worked.uri.length - 5);
      assert.equal(padded.length, MAX_LINK_LENGTH);
      assert.deepEqual(parseConnectionLink(padded), parseConnectionLink(worked.uri));
    });

    it('refuses more than 8 queues and more than 8 hosts', () => {
      const q = queue({ min: 1, max: 4 }, SRV1, 'messaging');
      const eight: ConnectionRequest = invitation([q, q, q, q, q, q, q, q]);
      assert.equal(parseConnectionLink(renderConnectionLink(eight)).queues.length, 8);
      expectLinkError(() => parseConnectionLink(INV(new Array(9).fill(Q).join(';'))), 'too-many-queues');
      const hosts = 'a1.im,a2.im,a3.im,a4.im,a5.im,a6.im,a7.im,a8.im,a9.im';
      expectLinkError(() => parseQueueUri('smp://1234-w==@' + hosts + '/3456-w==#' + DH), 'too-many-queues');
      expectLinkError(() => parseQueueUri('smp://1234-w==@a0.im/3456-w==#/?v=1-4&dh=' + url(DH) + '&srv=' + url(hosts)), 'too-many-queues');
      expectLinkError(() => parseQueueUri('smp://1234-w==@a0.im/3456-w==#/?v=1-4&dh=' + url(DH) + '&srv=' + url('b1.im,b2.im,b3.im,b4.im,b5.im,b6.im,b7.im,b8.im')), 'too-many-queues');
      expectLinkError(() => parseShortLink('simplex:/a#MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY?h=' + url(hosts)), 'too-many-queues');
    });
  });

  describe('clear errors for each kind of problem', () => {
    it('unknown scheme and not a SimpleX link', () => {
      for (const s of ['http://simplex.chat/invitation#/?v=2-7', 'smp://1234-w==@smp.simplex.im', 'SIMPLEX:/invitation#/?v=2', 'mailto:a@b', 'hello']) {
        const err = expectLinkError(() => parseSimplexLink(s), 'unknown-scheme');
        assert.match(err.message, /must start with "simplex:" or "https:\/\/"/);
      }
      for (const s of ['https://example.com/page.html', 'simplex:/foo#/?v=1', 'simplex:/invitation?v=2-7', 'simplex:/contact#v=2', 'https://exa mple.com/invitation#/?v=2-7']) {
        expectLinkError(() => parseSimplexLink(s), 'not-a-simplex-link');
      }
      expectLinkError(() => parseConnectionLink('https://simplex.chat:0/invitation#/?v=2-7'), 'not-a-simplex-link');
      expectLinkError(() => parseSimplexLink('https://simplex.chat'), 'truncated');
      expectLinkError(() => parseSimplexLink('https://simplex.chat/'), 'truncated');
      expectLinkError(() => parseSimplexLink(''), 'truncated');
    });

    it('missing parameters name the parameter', () => {
      assert.match(expectLinkError(() => parseConnectionLink('simplex:/invitation#/?smp=' + url(Q) + '&e2e=' + E2E_ESCAPED), 'missing-parameter').message, /v=/);
      assert.match(expectLinkError(() => parseConnectionLink('simplex:/invitation#/?v=2-7&e2e=' + E2E_ESCAPED), 'missing-parameter').message, /smp=/);
      assert.match(expectLinkError(() => parseConnectionLink('simplex:/invitation#/?v=2-7&smp=' + url(Q)), 'missing-parameter').message, /e2e=/);
      assert.match(expectLinkError(() => parseConnectionLink(INV(Q, e2e('x3dh=' + X448_B64 + ',' + X448_B64))), 'missing-parameter').message, /v=/);
      assert.match(expectLinkError(() => parseConnectionLink(INV(Q, e2e('v=2-3'))), 'missing-parameter').message, /x3dh=/);
      assert.match(expectLinkError(() => parseQueueUri('smp://1234-w==@a.im/3456-w==#/?dh=' + url(DH)), 'missing-parameter').message, /v=/);
      assert.match(expectLinkError(() => parseQueueUri('smp://1234-w==@a.im/3456-w==#/?v=1-4'), 'missing-parameter').message, /dh=/);
      expectLinkError(() => parseShortLink('simplex:/a#MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY'), 'missing-parameter');
      expectLinkError(() => parseShortLink('simplex:/a#MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY?p=443'), 'missing-parameter');
    });

    it('bad version ranges', () => {
      for (const v of ['3-2', 'x', '', '1-', '-1', '1-2-3', '70000', '123456', '1.0', '2 ']) {
        expectLinkError(() => parseVersionRange(v, 'range'), 'bad-version-range');
      }
      assert.deepEqual(parseVersionRange('007', 'r'), { min: 7, max: 7 });
      assert.deepEqual(parseVersionRange('65535', 'r'), { min: 65535, max: 65535 });
      assert.equal(renderVersionRange({ min: 3, max: 3 }), '3');
      assert.match(expectLinkError(() => parseConnectionLink(INV(Q, E2E_ESCAPED, '7-2')), 'bad-version-range').message, /agent version range.*minimum above its maximum/);
      expectLinkError(() => parseConnectionLink(INV(Q.replace('v=1-4', 'v=4-1'))), 'bad-version-range');
      expectLinkError(() => parseConnectionLink(INV(Q, e2e('v=3-2&x3dh=' + X448_B64 + ',' + X448_B64))), 'bad-version-range');
    });

    it('incompatible versions are found by negotiation, per scope', () => {
      const ok = 'v=2-3&x3dh=' + X448_B64 + ',' + X448_B64;
      assert.deepEqual(negotiateConnectionRequest(parseConnectionLink(INV(Q, e2e(ok)))), { agentVersion: 7, e2eVersion: 3, smpClientVersion: 4 });
      assert.match(expectLinkError(() => negotiateConnectionRequest(parseConnectionLink(INV(Q, e2e(ok), '8-9'))), 'incompatible-version').message, /agent version 8-9 but SimpleGo supports 2-7; SimpleGo needs an update/);
      assert.match(expectLinkError(() => negotiateConnectionRequest(parseConnectionLink(INV(Q, e2e(ok), '1'))), 'incompatible-version').message, /too old/);
      expectLinkError(() => negotiateConnectionRequest(parseConnectionLink(INV(Q.replace('v=1-4', 'v=5-6'), e2e(ok)))), 'incompatible-version');
      expectLinkError(() => negotiateConnectionRequest(parseConnectionLink(INV(Q, e2e(ok.replace('2-3', '4-5'))))), 'incompatible-version');
      // A contact address that said v=1 was raised to 2 and is compatible.
      assert.equal(negotiateConnectionRequest(parseConnectionLink('simplex:/contact#/?v=1&smp=' + url(Q))).agentVersion, 2);
    });

    it('bad keys: base64, algorithm, length, and never quoted in the message', () => {
      const bad = [
        Q.replace(url(DH), url(X448_B64)), // X448 where X25519 belongs
        Q.replace(url(DH), url(ED448_B64)),
        Q.replace(url(DH), 'MCow!!'),
        Q.replace(url(DH), url(DH.substring(0, 40))),
        Q.replace(url(DH), url(DH.substring(0, DH.length - 2) + 'x=')), // non-canonical trailing bits
      ];
      for (const q of bad) {
        const err = expectLinkError(() => parseConnectionLink(INV(q)), 'bad-key');
        assert.ok(err.message.indexOf('MCow') < 0 && err.message.indexOf('MEIw') < 0, 'a key is quoted: ' + err.message);
        expectLinkError(() => parseQueueUri(q), 'bad-key');
      }
      expectLinkError(() => parseQueueUri('smp://1234-w==@a.im/3456-w==#' + X448_B64), 'bad-key');
      const e2eBad = [
        'v=2-3&x3dh=' + X25519_B64 + ',' + X25519_B64, // X25519 pair: the ratchet is X448
        'v=2-3&x3dh=' + X25519_B64 + ',' + X448_B64, // different algorithms
        'v=2-3&x3dh=' + X448_B64 + ',' + ED448_B64,
        'v=2-3&x3dh=' + X448_B64 + ',MEIw',
        'v=2-3&x3dh=' + X448_B64 + ',',
        'v=2-3&x3dh=' + X448_B64 + ',' + X448_B64 + '&kem_key=' + encodeBase64Url(new Uint8Array(1157)),
        'v=2-3&x3dh=' + X448_B64 + ',' + X448_B64 + '&kem_key=AAA*',
      ];
      for (const p of e2eBad) expectLinkError(() => parseConnectionLink(INV(Q, e2e(p))), 'bad-key');
      // Not exactly two keys is a layout problem.
      expectLinkError(() => parseConnectionLink(INV(Q, e2e('v=2-3&x3dh=' + X448_B64))), 'bad-e2e-params');
      expectLinkError(() => parseConnectionLink(INV(Q, e2e('v=2-3&x3dh=' + X448_B64 + ',' + X448_B64 + ',' + X448_B64))), 'bad-e2e-params');
      // A wrong-size KEM key is ignored below e2e v3, as upstream reads it only from v3.
      assert.equal(parseConnectionLink(INV(Q, e2e('v=2&x3dh=' + X448_B64 + ',' + X448_B64 + '&kem_key=AAAA'))).e2e!.kem, null);
    });

    it('a KEM ciphertext (renegotiation) is not accepted in an invitation link', () => {
      const pk = encodeBase64Url(new Uint8Array(1158));
      const ct = encodeBase64Url(new Uint8Array(1039));
      const err = expectLinkError(() => parseConnectionLink(INV(Q, e2e('v=2-3&x3dh=' + X448_B64 + ',' + X448_B64 + '&kem_ct=' + ct + '&kem_key=' + pk))), 'bad-e2e-params');
      assert.match(err.message, /kem_ct/);
      // kem_ct without kem_key is ignored, as upstream reads kem_ct only together with kem_key.
      assert.equal(parseConnectionLink(INV(Q, e2e('v=2-3&x3dh=' + X448_B64 + ',' + X448_B64 + '&kem_ct=' + ct))).e2e!.kem, null);
    });

    it('bad queue URIs and server addresses', () => {
      const cases: Array<[string, LinkErrorCode]> = [
        ['ntf://1234-w==@a.im/3456-w==#' + DH, 'bad-queue-uri'],
        ['smp://1234-w==@a.im/#' + DH, 'bad-queue-uri'],
        ['smp://1234-w==@a.im/3456-w==?v=1#' + DH, 'bad-queue-uri'],
        ['smp://1234-w==@a.im/3456-w==#' + DH + '&v=1', 'bad-queue-uri'],
        ['smp://1234-w==@a.im/34%6-w==#' + DH, 'bad-queue-uri'],
        ['smp://1234-w==@a.im/3456-w==#/?v=1-4&dh=' + url(DH) + '&q=m&bad=%G0', 'bad-queue-uri'],
        ['smp://1234-w==:password@a.im/3456-w==#' + DH, 'bad-server-address'],
        ['smp://@a.im/3456-w==#' + DH, 'bad-server-address'],
        ['smp://12*4@a.im/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==a.im/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@a.im,/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@ABC.onion/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@a.onion.im/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@a.im:0/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@a.im:65536/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@a.im:port/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@[::1/3456-w==#' + DH, 'bad-server-address'],
        ['smp://1234-w==@a.im/3456-w==#/?v=1-4&dh=' + url(DH) + '&srv=' + url('b.im:5223'), 'bad-server-address'],
        ['smp://1234-w==@a.im', 'truncated'],
        ['smp://1234-w==@a.im/3456-w==', 'truncated'],
        ['smp://1234-w==@a.im/3456-w==#', 'truncated'],
        ['smp:/', 'truncated'],
      ];
      for (const [text, code] of cases) {
        expectLinkError(() => parseQueueUri(text), code);
        expectLinkError(() => parseConnectionLink(INV(text)), code);
      }
      expectLinkError(() => parseConnectionLink(INV(Q + ';')), 'bad-queue-uri');
      expectLinkError(() => parseConnectionLink('simplex:/invitation#/?v=2-7&smp=' + url(Q) + '%&e2e=' + E2E_ESCAPED), 'bad-encoding');
      expectLinkError(() => parseConnectionLink('simplex:/contact#/?v=2-7&smp=' + url(Q) + '&data=%FF'), 'bad-encoding');
      // IPv6 hosts: bracketed with a port, bare without.
      assert.equal(parseQueueUri('smp://1234-w==@[::1]:5223/3456-w==#' + DH).server.port, 5223);
      assert.deepEqual(parseQueueUri('smp://1234-w==@::1:5223/3456-w==#' + DH).server, { hosts: [parseTransportHost('::1:5223')], port: null, keyHash: SRV.keyHash });
    });

    it('bad short links', () => {
      const KEY = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY';
      const ID = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3';
      const cases: Array<[string, LinkErrorCode]> = [
        ['https://smp.simplex.im/x#' + KEY, 'not-a-simplex-link'],
        ['https://smp.simplex.im/I#' + ID + '/' + KEY, 'not-a-simplex-link'],
        ['https://smp.simplex.im/a' + KEY, 'not-a-simplex-link'],
        ['https://smp.simplex.im:443/a#' + KEY, 'bad-server-address'],
        ['https://smp.simplex.im/a#' + KEY.substring(1), 'bad-short-link'],
        ['https://smp.simplex.im/a#' + KEY + 'AA', 'bad-short-link'],
        ['https://smp.simplex.im/a#' + KEY + '/x', 'bad-short-link'],
        ['https://smp.simplex.im/i#' + KEY, 'truncated'],
        ['https://smp.simplex.im/i#' + KEY + '/' + KEY, 'bad-short-link'],
        ['https://smp.simplex.im/i#/' + KEY, 'bad-short-link'],
        ['https://smp.simplex.im/i#' + ID + '/', 'truncated'],
        ['https://smp.simplex.im/a#', 'truncated'],
        ['https://smp.simplex.im/a#' + KEY + '?p=0', 'bad-server-address'],
        ['https://smp.simplex.im/a#' + KEY + '?p=70000', 'bad-server-address'],
        ['https://smp.simplex.im/a#' + KEY + '?c=', 'bad-server-address'],
        ['https://smp.simplex.im/a#' + KEY + '?c=12*4', 'bad-server-address'],
        ['https://smp.simplex.im/a#' + KEY + '?h=a.im%3A443', 'bad-server-address'],
        ['https://smp.simplex.im/a#' + KEY + '?h=%ZZ', 'bad-encoding'],
        ['https://smp.simplex.im/a#' + KEY + '?h=a.im%2', 'truncated'],
      ];
      for (const [text, code] of cases) {
        expectLinkError(() => parseShortLink(text), code);
        expectLinkError(() => parseSimplexLink(text), code);
      }
    });
  });
});
