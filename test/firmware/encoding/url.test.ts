import assert from 'node:assert/strict';
import { decodeBase64Url, encodeBase64Url } from '../../../firmware/encoding/base64';
import { toHex } from '../../../firmware/encoding/bytes';
import { DecodeError } from '../../../firmware/encoding/errors';
import {
  parseQuery,
  queryParam,
  renderQuery,
  renderQueryUnescapedValues,
  urlDecode,
  urlDecodeText,
  urlEncode,
  urlEncodeText,
  type QueryPair,
} from '../../../firmware/encoding/url';
import { decodePublicKeyOf } from '../../../firmware/crypto/keys';
import { expectDecodeError, expectEncodeError, onlyDecodeErrors, prng, randomInt, vectorCase } from './helpers';

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~';

describe('URL escaping and queries', () => {
  describe('urlEncode (http-types urlEncode True)', () => {
    it('keeps exactly A-Z a-z 0-9 - _ . ~ and writes every other byte as upper-case %XX', () => {
      const all = new Uint8Array(256);
      for (let b = 0; b < 256; b++) all[b] = b;
      const encoded = urlEncode(all);
      let expected = '';
      for (let b = 0; b < 256; b++) {
        const c = String.fromCharCode(b);
        expected += UNRESERVED.includes(c) ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
      }
      assert.equal(encoded, expected);
      assert.equal(UNRESERVED.length, 66);
      assert.equal(encoded.length, 66 + 3 * (256 - 66));
      assert.deepEqual(urlDecode(encoded), all);
    });

    it('escapes the characters links depend on, a space as %20 and text as UTF-8', () => {
      assert.equal(urlEncodeText(': / @ # ? = & , ; % +'), '%3A%20%2F%20%40%20%23%20%3F%20%3D%20%26%20%2C%20%3B%20%25%20%2B');
      assert.equal(urlEncodeText('a b'), 'a%20b');
      assert.equal(urlEncodeText('caf\u00e9 \u20ac'), 'caf%C3%A9%20%E2%82%AC');
      assert.equal(urlEncodeText('~-_.'), '~-_.');
      assert.equal(urlEncode(new Uint8Array(0)), '');
    });
  });

  describe('urlDecode (strict)', () => {
    it('decodes escapes in either case and + as a space', () => {
      assert.equal(urlDecodeText('a%20b+c%2b%2Bd'), 'a b c++d');
      assert.equal(urlDecodeText('%e2%82%ac%E2%82%AC'), '\u20ac\u20ac');
      assert.equal(urlDecodeText("!*'():/@?=,;"), "!*'():/@?=,;");
      assert.equal(toHex(urlDecode('%00%ff')), '00ff');
    });

    it('rejects broken escapes and characters that must have been escaped', () => {
      const bad: Array<[string, number]> = [
        ['%', 0],
        ['a%', 1],
        ['%2', 0],
        ['ab%2', 2],
        ['%G0', 0],
        ['%0G', 0],
        ['%%41', 0],
        ['x%-1', 1],
        ['a b', 1],
        ['a\nb', 1],
        ['a\u0000', 1],
        ['\u007f', 0],
        ['caf\u00e9', 3],
        ['\u20ac', 0],
      ];
      for (const [s, at] of bad) {
        const err = expectDecodeError(() => urlDecode(s), 'bad-escape');
        assert.match(err.message, new RegExp('at character ' + at + ':'), JSON.stringify(s));
      }
      expectDecodeError(() => urlDecodeText('%C3%28'), 'bad-utf8');
    });

    it('agrees with decodeURIComponent on random valid escapes and never throws anything but DecodeError', () => {
      const rng = prng(0x0e11);
      const pool = 'aZ09-_.~%%%2A3bF+ =&;#\u00e9\n';
      for (let i = 0; i < 3000; i++) {
        // Random text round-trips through our escaping, and decodeURIComponent reads it the same.
        let text = '';
        const len = randomInt(rng, 12);
        for (let k = 0; k < len; k++) text += String.fromCodePoint(rng() < 0.7 ? randomInt(rng, 0x80) : randomInt(rng, 0x11000));
        if (/[\ud800-\udfff]/.test(text)) continue;
        const escaped = urlEncodeText(text);
        assert.equal(urlDecodeText(escaped), text);
        assert.equal(decodeURIComponent(escaped), text);
        // Garbage.
        let junk = '';
        for (let k = 0; k < randomInt(rng, 10); k++) junk += pool[randomInt(rng, pool.length)];
        onlyDecodeErrors(() => urlDecodeText(junk), 'urlDecodeText');
        onlyDecodeErrors(() => parseQuery(junk), 'parseQuery');
      }
    });
  });

  describe('queries', () => {
    it('renders k=v&k2=v2 with keys and values escaped, and parses it back in order', () => {
      const pairs: QueryPair[] = [
        ['v', '2-7'],
        ['smp', 'smp://a@b:1/c#/?v=1&dh=x%3D'],
        ['data', '{"a":"caf\u00e9 b"}'],
        ['', ''],
        ['v', 'second'],
      ];
      const q = renderQuery(pairs);
      assert.equal(q, 'v=2-7&smp=smp%3A%2F%2Fa%40b%3A1%2Fc%23%2F%3Fv%3D1%26dh%3Dx%253D&data=%7B%22a%22%3A%22caf%C3%A9%20b%22%7D&=&v=second');
      assert.deepEqual(parseQuery(q), pairs);
      assert.equal(queryParam(pairs, 'v'), '2-7', 'the first of duplicate keys wins, as in simplexmq');
      assert.equal(queryParam(pairs, 'e2e'), null);
      assert.equal(renderQuery([]), '');
      assert.deepEqual(parseQuery(''), []);
    });

    it('splits exactly as http-types parseSimpleQuery does', () => {
      assert.deepEqual(parseQuery('?a=1&b=2'), [['a', '1'], ['b', '2']], 'one leading ? is dropped');
      assert.deepEqual(parseQuery('??a=1'), [['?a', '1']]);
      assert.deepEqual(parseQuery('a=1;b=2'), [['a', '1'], ['b', '2']], '; separates like &');
      assert.deepEqual(parseQuery('a=1%3Bb=2'), [['a', '1;b=2']], 'an escaped ; does not');
      assert.deepEqual(parseQuery('flag&k=v'), [['flag', ''], ['k', 'v']]);
      assert.deepEqual(parseQuery('k=a=b=c'), [['k', 'a=b=c']], 'the value runs from the first =');
      assert.deepEqual(parseQuery('a=1&&b=2'), [['a', '1'], ['', ''], ['b', '2']]);
      assert.deepEqual(parseQuery('&a=1'), [['', ''], ['a', '1']]);
      assert.deepEqual(parseQuery('a=1&'), [['a', '1']], 'a final separator adds nothing');
      assert.deepEqual(parseQuery('a+b=c+d'), [['a b', 'c d']]);
      assert.deepEqual(parseQuery('k='), [['k', '']]);
    });

    it('reports bad escapes with their offset in the whole query', () => {
      const err = expectDecodeError(() => parseQuery('v=1&dh=ab%3'), 'bad-escape');
      assert.match(err.message, /at character 9/);
      expectDecodeError(() => parseQuery('v=1&d%=2'), 'bad-escape');
      expectDecodeError(() => parseQuery('v=1 2'), 'bad-escape');
      const u = expectDecodeError(() => parseQuery('a=1&data=%FF'), 'bad-utf8');
      assert.match(u.message, /query item at character 9/);
    });

    it('renders unescaped values (QNoEscaping) only when they parse back unchanged', () => {
      const pairs: QueryPair[] = [
        ['v', '2-3'],
        ['x3dh', 'AB-_=,CD=='],
      ];
      const q = renderQueryUnescapedValues(pairs);
      assert.equal(q, 'v=2-3&x3dh=AB-_=,CD==');
      assert.deepEqual(parseQuery(q), pairs);
      for (const bad of ['a&b', 'a;b', '50%', 'a+b', 'a#b', 'a b', 'caf\u00e9', 'a\n']) {
        expectEncodeError(() => renderQueryUnescapedValues([['k', bad]]), 'invalid-value');
      }
    });

    it('round-trips random pairs', () => {
      const rng = prng(0x9e7);
      const pool = 'ab=&;%+# ?/\u00e9\u20ac\ud83d\ude00~.';
      for (let i = 0; i < 2000; i++) {
        const pairs: QueryPair[] = [];
        const n = randomInt(rng, 5);
        for (let k = 0; k < n; k++) {
          let key = '';
          let value = '';
          for (let j = 0; j < randomInt(rng, 6); j++) key += pool[randomInt(rng, pool.length)];
          for (let j = 0; j < randomInt(rng, 10); j++) value += pool[randomInt(rng, pool.length)];
          // Drop halves of the astral character the character-wise pick may have split.
          pairs.push([key.replace(/[\ud800-\udfff]/g, 'x'), value.replace(/[\ud800-\udfff]/g, 'y')]);
        }
        const q = renderQuery(pairs);
        assert.ok(/^[A-Za-z0-9\-_.~%=&]*$/.test(q));
        // A single empty pair renders as '=' and comes back; only an empty list renders as ''.
        assert.deepEqual(parseQuery(q), pairs);
      }
    });
  });

  describe('the invitation link worked example (agent.md §4.4)', () => {
    const v = vectorCase('connection-request-uri.json', 'invitation_worked_example');
    const PREFIX = 'simplex:/invitation#/?';

    it('decodes the outer query to the vector values and re-renders it byte for byte', () => {
      assert.ok(v.uri.startsWith(PREFIX));
      const query = v.uri.slice(PREFIX.length);
      const pairs = parseQuery(query);
      assert.deepEqual(
        pairs.map((p) => p[0]),
        ['v', 'smp', 'e2e'],
      );
      assert.equal(queryParam(pairs, 'v'), v.agent_version_range);
      assert.equal(queryParam(pairs, 'smp'), v.smp_queue_uri);
      assert.equal(queryParam(pairs, 'e2e'), v.e2e_params);
      assert.equal(renderQuery(pairs), query);
      assert.equal(PREFIX + renderQuery(pairs), v.uri);
      // Each parameter on its own.
      assert.equal(urlEncodeText(v.smp_queue_uri), v.smp_param_escaped);
      assert.equal(urlDecodeText(v.smp_param_escaped), v.smp_queue_uri);
      assert.equal(urlEncodeText(v.e2e_params), v.e2e_param_escaped);
      assert.equal(urlDecodeText(v.e2e_param_escaped), v.e2e_params);
    });

    it('shows the double escaping of the queue URI: %3D inside, %253D outside', () => {
      assert.ok(v.uri.includes('%253D'));
      assert.ok(v.smp_queue_uri.includes('%3D') && !v.smp_queue_uri.includes('%253D'));
      const [authority, inner] = (v.smp_queue_uri as string).split('#/?');
      assert.equal(authority, 'smp://' + v.queue.key_hash_b64url + '@' + v.queue.host + ':' + v.queue.port + '/' + v.queue.sender_id_b64url);
      const pairs = parseQuery(inner);
      assert.deepEqual(pairs, [
        ['v', v.queue.smp_client_version_range],
        ['dh', v.queue.dh_b64url],
        ['q', v.queue.queue_mode],
        ['k', v.queue.legacy_sender_can_secure],
        ['srv', v.queue.srv],
      ]);
      assert.equal(renderQuery(pairs), inner, 'the inner query re-renders exactly (its = becomes %3D)');
      // The keys inside, down to the raw bytes.
      const dh = decodeBase64Url(queryParam(pairs, 'dh') ?? '');
      assert.equal(toHex(dh), v.queue.dh_x25519_spki);
      assert.equal(toHex(decodePublicKeyOf('x25519', dh)), v.queue.dh_x25519_spki.slice(24));
      assert.equal(toHex(decodeBase64Url(v.queue.key_hash_b64url)), v.queue.key_hash);
      assert.equal(toHex(decodeBase64Url(v.queue.sender_id_b64url)), v.queue.sender_id);
    });

    it('parses the singly escaped e2e parameters and re-renders them unescaped', () => {
      const pairs = parseQuery(v.e2e_params);
      assert.deepEqual(pairs, [
        ['v', v.e2e.e2e_version_range],
        ['x3dh', v.e2e.x3dh_key1_b64url + ',' + v.e2e.x3dh_key2_b64url],
      ]);
      assert.equal(renderQueryUnescapedValues(pairs), v.e2e_params);
      const keys = (queryParam(pairs, 'x3dh') ?? '').split(',');
      assert.equal(keys.length, 2);
      const spki = [v.e2e.x3dh_key1_x448_spki, v.e2e.x3dh_key2_x448_spki];
      for (let i = 0; i < 2; i++) {
        const der = decodeBase64Url(keys[i]);
        assert.equal(toHex(der), spki[i]);
        assert.equal(toHex(decodePublicKeyOf('x448', der)), spki[i].slice(24));
        assert.equal(encodeBase64Url(der), keys[i]);
      }
    });

    it('rejects every truncation of the escaped link that cuts an escape, and only with DecodeErrors', () => {
      const query = (v.uri as string).slice(PREFIX.length);
      let cutEscapes = 0;
      for (let n = 0; n <= query.length; n++) {
        const part = query.slice(0, n);
        const lastPct = part.lastIndexOf('%');
        const cutsEscape = lastPct >= 0 && lastPct > part.length - 3;
        try {
          parseQuery(part);
          assert.ok(!cutsEscape, 'accepted a cut escape at ' + n);
        } catch (e) {
          assert.ok(e instanceof DecodeError && e.code === 'bad-escape', String(e));
          assert.ok(cutsEscape, 'rejected a clean cut at ' + n);
          cutEscapes++;
        }
      }
      // Two bad cut points per escape: right after '%' and after its first hex digit.
      assert.equal(cutEscapes, 2 * (query.split('%').length - 1));
    });
  });
});
