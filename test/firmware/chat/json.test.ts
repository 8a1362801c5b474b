/**
 * The chat layer's bounded JSON parser and byte-exact printer: limits, strict UTF-8, refused
 * "__proto__" keys, aeson's string escaping, and garbage producing only ChatError.
 */
import assert from 'node:assert/strict';
import { ChatError } from '../../../firmware/chat/errors';
import { DEFAULT_JSON_LIMITS, otherFields, parseJson, pickFields, printJson, printJsonText, type JsonObject } from '../../../firmware/chat/json';
import { EncodeError } from '../../../firmware/encoding/errors';
import { toHex } from '../../../firmware/encoding/bytes';
import { hex, prng, randomBytes, randomInt } from '../encoding/helpers';
import { expectChatError, utf8 } from './helpers';
import { mutate } from './mutate';

describe('chat JSON', () => {
  describe('parsing', () => {
    it('parses objects, arrays and scalars, and UTF-8 text', () => {
      assert.deepEqual(parseJson(utf8('{"a":[1,true,null,"x"],"b":{"c":-2.5}}')), { a: [1, true, null, 'x'], b: { c: -2.5 } });
      assert.equal(parseJson(utf8('"Grüße 👋"')), 'Grüße 👋');
      assert.equal(parseJson(utf8('"\\u00e9\\ud83d\\udc4b"')), 'é👋');
      assert.equal(parseJson(utf8(' 7 ')), 7);
    });

    it('refuses bytes over the size limit before parsing', () => {
      const limits = { ...DEFAULT_JSON_LIMITS, maxBytes: 10 };
      assert.deepEqual(parseJson(utf8('{"a":1234}'), limits), { a: 1234 }); // exactly 10 bytes
      expectChatError(() => parseJson(utf8('{"a":12345}'), limits), 'too-large');
      expectChatError(() => parseJson(new Uint8Array(65537)), 'too-large');
    });

    it('refuses text that is not UTF-8, and text that is not JSON', () => {
      expectChatError(() => parseJson(hex('7b22613a22ff227d')), 'bad-json');
      expectChatError(() => parseJson(hex('22c0af22')), 'bad-json'); // overlong '/'
      for (const bad of ['', '{', '{"a":}', "{'a':1}", '{a:1}', '[1,]', '{"a":1,}', 'NaN', 'undefined', '01', '"\u0001"', '{"a":1}x']) {
        expectChatError(() => parseJson(utf8(bad)), 'bad-json');
      }
    });

    it('bounds nesting depth and the number of values', () => {
      const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
      assert.ok(parseJson(utf8(deep(32))));
      expectChatError(() => parseJson(utf8(deep(33))), 'bad-json');
      // Deep enough to trouble a recursive parser: still only a ChatError.
      expectChatError(() => parseJson(utf8(deep(30000))), 'bad-json');
      const many = '[' + new Array(8191).fill('0').join(',') + ']';
      assert.equal((parseJson(utf8(many)) as number[]).length, 8191);
      expectChatError(() => parseJson(utf8('[' + new Array(8192).fill('0').join(',') + ']')), 'bad-json');
    });

    it('refuses "__proto__" keys, at any depth', () => {
      expectChatError(() => parseJson(utf8('{"__proto__":{"polluted":1}}')), 'bad-json');
      expectChatError(() => parseJson(utf8('{"a":[{"__proto__":1}]}')), 'bad-json');
      assert.equal(({} as { polluted?: number }).polluted, undefined);
    });

    it('reads fields from own keys only', () => {
      const o = parseJson(utf8('{"text":"t","n":1}')) as JsonObject;
      const f = pickFields(o, ['text', 'constructor', 'toString', 'missing']);
      assert.equal(f.text, 't');
      assert.equal(f.constructor, undefined);
      assert.equal(f.toString, undefined);
      assert.equal(f.missing, undefined);
      assert.equal(f.n, undefined);
      assert.deepEqual(otherFields(o, ['text']), { n: 1 });
    });

    it('fixed-seed fuzz: mutated and random input gives only ChatError', () => {
      const rng = prng(0x15);
      const seed = utf8('{"v":"1-9","msgId":"AAECAwQFBgcICQoL","event":"x.msg.new","params":{"content":{"type":"text","text":"héllo"}}}');
      for (let i = 0; i < 3000; i++) {
        const b = i % 4 === 0 ? randomBytes(rng, randomInt(rng, 64)) : mutate(rng, seed);
        try {
          parseJson(b);
        } catch (e) {
          if (!(e instanceof ChatError)) assert.fail('input ' + i + ' threw ' + String(e));
        }
      }
    });
  });

  describe('printing', () => {
    it('writes no whitespace and keeps insertion order', () => {
      assert.equal(printJsonText({ v: '1-18', msgId: 'x', event: 'e', params: { b: [1, 2], a: null, t: true, f: false } }), '{"v":"1-18","msgId":"x","event":"e","params":{"b":[1,2],"a":null,"t":true,"f":false}}');
      assert.equal(printJsonText([]), '[]');
      assert.equal(printJsonText({}), '{}');
    });

    it("escapes as aeson: \\\" \\\\ \\n \\r \\t, lowercase \\u00xx for other controls, everything else raw", () => {
      assert.equal(printJsonText('a"b\\c\nd\re\tf\u0000g\u001fh\u007f/<>&'), '"a\\"b\\\\c\\nd\\re\\tf\\u0000g\\u001fh\u007f/<>&"');
      assert.equal(toHex(printJson('é👋')), '22' + 'c3a9' + 'f09f918b' + '22');
      // A lone surrogate has no UTF-8 form: written as U+FFFD, as utf8.ts does.
      assert.equal(toHex(printJson('\ud800')), '22' + 'efbfbd' + '22');
    });

    it('prints numbers as JavaScript does and refuses non-finite ones', () => {
      assert.equal(printJsonText([0, -1, 3600, 12345678901234, 2.5]), '[0,-1,3600,12345678901234,2.5]');
      assert.throws(() => printJson(Infinity), EncodeError);
      assert.throws(() => printJson(NaN), EncodeError);
    });

    it('leaves out members whose value is undefined (absent optional fields)', () => {
      const o = { a: 1, b: undefined, c: 2 } as unknown as JsonObject;
      assert.equal(printJsonText(o), '{"a":1,"c":2}');
    });

    it('round-trips what it parses', () => {
      const text = '{"a":"x\\ny","b":[1,{"c":"é"}],"d":null}';
      assert.equal(printJsonText(parseJson(utf8(text))), text);
    });
  });
});
