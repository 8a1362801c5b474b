/**
 * Body framing (agent.md §10.1): each first byte, compressed lists with passthrough and real zstd
 * items (a level-3 frame made by the zstd tool, decompressed by it), binary batches, the
 * decompressor's output bound, and malformed framing giving typed errors, never exceptions.
 */
import assert from 'node:assert/strict';
import { decodeChatBody, type ChatBodyItem } from '../../../firmware/chat/body';
import { encodeChatMessage, type ChatMessage } from '../../../firmware/chat/app-message';
import { textContent } from '../../../firmware/chat/content';
import { ChatError, type ChatErrorCode } from '../../../firmware/chat/errors';
import { MAX_DECOMPRESSED_LENGTH, splitChatBody, type ElementResult, type ZstdDecompress } from '../../../firmware/chat/framing';
import { concatBytes } from '../../../firmware/encoding/bytes';
import { SimpleGoError } from '../../../hal/errors';
import { hex, prng, randomBytes, randomInt } from '../encoding/helpers';
import { text, utf8 } from './helpers';
import { mutate } from './mutate';
import { zstdCompress, zstdDecompress } from './zstd-frames';

/** A 291-byte x.info with preferences, and its zstd -3 frame (183 bytes, made by zstd 1.5.4). */
const INFO_JSON =
  '{"v":"1-9","event":"x.info","params":{"profile":{"displayName":"alice","fullName":"Alice Liddell","shortDescr":"curiouser and curiouser","preferences":{"calls":{"allow":"yes"},"fullDelete":{"allow":"no"},"reactions":{"allow":"yes"},"timedMessages":{"allow":"yes"},"voice":{"allow":"yes"}}}}}';
const INFO_FRAME =
  '28b52ffd6423004d0500b24a201d7049d306dfaf689bc858216c12c826e2bf8b21da556a09c74b5155f8026bad95cb116cf706e8c8a994a78e5d335d1d6f2cef0d3656484443b4f393ae3fae044a46e857c953e5d858cfde509a09ebc28847e80a080244e570e19f43b3f1113b3018267be878476ae283f122a696b8701ee902166cacd297bbf00080808d171f020e005b11304d8087a2d356c47fb218282fd8309f75a48e3e382ce098fac05e6de6b0ada207326bd159';

function msg(body: string): Uint8Array {
  const m: ChatMessage = { chatVRange: { min: 1, max: 9 }, msgId: null, event: { type: 'x.msg.new', container: { content: textContent(body), ttl: null, live: null, other: {} } } };
  return encodeChatMessage(m);
}

function texts(items: ChatBodyItem[]): string[] {
  return items.map((i) => {
    if (!i.ok) return 'error ' + i.error.code;
    const e = i.message.event;
    if (e.type === 'x.msg.new') return e.container.content.text;
    if (e.type === 'x.info') return 'info ' + e.profile.displayName;
    return e.type;
  });
}

function codes(results: ElementResult[]): string[] {
  return results.map((r) => (r.ok ? r.element.kind : 'error ' + r.error.code));
}

function large(b: Uint8Array): Uint8Array {
  return concatBytes([new Uint8Array([b.length >> 8, b.length & 0xff]), b]);
}
function short(b: Uint8Array): Uint8Array {
  return concatBytes([new Uint8Array([b.length]), b]);
}
/** 'X' ‖ count ‖ items */
function compressed(items: Uint8Array[]): Uint8Array {
  return concatBytes([utf8('X'), new Uint8Array([items.length]), ...items]);
}
function passthrough(b: Uint8Array): Uint8Array {
  return concatBytes([utf8('0'), short(b)]);
}
function zstdItem(frame: Uint8Array): Uint8Array {
  return concatBytes([utf8('1'), large(frame)]);
}

describe('chat body framing (agent.md §10.1)', () => {
  it("'{' is one message", () => {
    assert.deepEqual(texts(decodeChatBody(msg('hello'), null)), ['hello']);
  });

  it("'[' is a JSON array of messages; one bad item does not hide the others", () => {
    const body = utf8('[' + text(msg('one')) + ',{"event":"x.msg.new"},' + text(msg('three')) + ']');
    assert.deepEqual(texts(decodeChatBody(body, null)), ['one', 'error bad-message', 'three']);
    assert.deepEqual(texts(decodeChatBody(utf8('[]'), null)), []);
    assert.deepEqual(texts(decodeChatBody(utf8('[1'), null)), ['error bad-json']);
  });

  it("'=' is a binary batch of large-prefixed elements", () => {
    const body = concatBytes([utf8('='), new Uint8Array([3]), large(msg('a')), large(msg('b')), large(utf8('/signed'))]);
    assert.deepEqual(texts(decodeChatBody(body, null)), ['a', 'b', 'error unsupported']);
    assert.deepEqual(codes(splitChatBody(concatBytes([utf8('='), new Uint8Array([1]), large(new Uint8Array(0))]), null)), ['error empty']);
  });

  it("'X' with passthrough items (no decompressor needed), each framed again", () => {
    const body = compressed([passthrough(msg('short')), passthrough(utf8('[' + text(msg('in array')) + ']'))]);
    assert.deepEqual(texts(decodeChatBody(body, null)), ['short', 'in array']);
  });

  it('reports the forms it does not handle as unsupported, and unknown first bytes as bad framing', () => {
    assert.deepEqual(codes(splitChatBody(utf8('/xyz'), null)), ['error unsupported']);
    assert.deepEqual(codes(splitChatBody(utf8('>xyz'), null)), ['error unsupported']);
    assert.deepEqual(codes(splitChatBody(utf8('F\u0001'), null)), ['error unsupported']);
    assert.deepEqual(codes(splitChatBody(utf8('hello'), null)), ['error bad-framing']);
    assert.deepEqual(codes(splitChatBody(new Uint8Array(0), null)), ['error empty']);
    // Compressed twice: upstream's element parser fails on 'X'.
    assert.deepEqual(codes(splitChatBody(compressed([passthrough(compressed([passthrough(msg('x'))]))]), null)), ['error bad-framing']);
  });

  it('refuses broken compressed and batch framing as one error', () => {
    for (const b of [
      utf8('X'),
      hex('5800'), // empty NonEmpty
      hex('580130'), // item cut short
      hex('5801320000'), // tag '2'
      concatBytes([compressed([passthrough(msg('x'))]), hex('00')]), // trailing byte
      hex('3d'),
      hex('3d0200017b'), // second element missing
      concatBytes([utf8('='), new Uint8Array([1]), large(msg('x')), hex('00')]),
    ]) {
      assert.deepEqual(codes(splitChatBody(b, null)), ['error bad-framing'], Buffer.from(b).toString('hex'));
    }
  });

  describe('zstd items', () => {
    it('need a decompressor: without one they are unsupported, the other items still decode', () => {
      const body = compressed([zstdItem(hex(INFO_FRAME)), passthrough(msg('plain'))]);
      assert.deepEqual(texts(decodeChatBody(body, null)), ['error unsupported', 'plain']);
    });

    it('are bounded by the body budget, and the decompressor is not trusted', () => {
      const body = compressed([zstdItem(hex(INFO_FRAME)), zstdItem(hex(INFO_FRAME))]);
      const seen: number[] = [];
      const liar: ZstdDecompress = (_frame, maxOutput) => {
        seen.push(maxOutput);
        return new Uint8Array(maxOutput + 1).fill(0x7b);
      };
      assert.deepEqual(codes(splitChatBody(body, liar)), ['error too-large', 'error too-large']);
      assert.deepEqual(seen, [MAX_DECOMPRESSED_LENGTH, MAX_DECOMPRESSED_LENGTH]);

      // The budget is shared: what the first item used is not available to the second.
      const sizes: number[] = [];
      const sized: ZstdDecompress = (_frame, maxOutput) => {
        sizes.push(maxOutput);
        return concatBytes([msg('x'), new Uint8Array(1000).fill(0x20)]);
      };
      const out = splitChatBody(body, sized, 3000);
      assert.deepEqual(sizes, [3000, 3000 - msg('x').length - 1000]);
      assert.equal(out.length, 2);

      const thrower: ZstdDecompress = () => {
        throw new RangeError('internal detail that must not leak');
      };
      const r = splitChatBody(body, thrower);
      assert.ok(!r[0].ok);
      if (!r[0].ok) {
        assert.equal(r[0].error.code, 'decompress-failed');
        assert.ok(r[0].error.message.indexOf('internal detail') < 0);
      }
      const typed: ZstdDecompress = () => {
        throw new SimpleGoError('bad-frame', 'zstd frame header is invalid');
      };
      const t = splitChatBody(body, typed);
      assert.ok(!t[0].ok && t[0].error instanceof ChatError && t[0].error.message.indexOf('zstd frame header is invalid') > 0);
      const empty: ZstdDecompress = () => new Uint8Array(0);
      assert.deepEqual(codes(splitChatBody(body, empty)), ['error empty', 'error empty']);
    });

    describe("with SimpleGo's zstd decoder", function () {
      it("decodes the app-style compressed x.info ('X' ‖ '1' large(zstd -3 frame))", () => {
        const body = compressed([zstdItem(hex(INFO_FRAME))]);
        const items = decodeChatBody(body, zstdDecompress);
        assert.deepEqual(texts(items), ['info alice']);
        assert.ok(items[0].ok);
        if (items[0].ok && items[0].message.event.type === 'x.info') {
          assert.deepEqual(items[0].message.event.profile.preferences, JSON.parse(INFO_JSON).params.profile.preferences);
        }
        assert.equal(text(zstdDecompress(hex(INFO_FRAME), 1000)), INFO_JSON);
      });

      it('decodes a compressed JSON batch of 40 messages and a compressed binary batch', () => {
        const many: string[] = [];
        for (let i = 0; i < 40; i++) many.push(text(msg('message number ' + i)));
        const arr = utf8('[' + many.join(',') + ']');
        assert.ok(arr.length > 180);
        const items = decodeChatBody(compressed([zstdItem(zstdCompress(arr))]), zstdDecompress);
        assert.equal(items.length, 40);
        assert.deepEqual(texts(items).slice(0, 2), ['message number 0', 'message number 1']);
        const bin = concatBytes([utf8('='), new Uint8Array([2]), large(msg('b1')), large(msg('b2'))]);
        assert.deepEqual(texts(decodeChatBody(compressed([zstdItem(zstdCompress(bin))]), zstdDecompress)), ['b1', 'b2']);
      });

      it('refuses a frame whose output exceeds the limit, and a corrupted frame', () => {
        const big = zstdCompress(concatBytes([msg('x'), new Uint8Array(70000).fill(0x20)]));
        assert.deepEqual(codes(splitChatBody(compressed([zstdItem(big)]), zstdDecompress)), ['error decompress-failed']);
        const broken = hex(INFO_FRAME);
        broken[60] ^= 0xff;
        assert.deepEqual(codes(splitChatBody(compressed([zstdItem(broken)]), zstdDecompress)), ['error decompress-failed']);
      });
    });
  });

  it('fixed-seed fuzz: mutated and random bodies give only results, never exceptions', () => {
    const seeds = [
      msg('hello'),
      utf8('[' + text(msg('a')) + ',' + text(msg('b')) + ']'),
      compressed([passthrough(msg('c')), zstdItem(hex(INFO_FRAME))]),
      concatBytes([utf8('='), new Uint8Array([2]), large(msg('d')), large(msg('e'))]),
    ];
    const rng = prng(0xb0d1);
    // A decompressor that fails on anything but the known frame, like a real one.
    const known: ZstdDecompress = (frame, maxOutput) => {
      if (Buffer.from(frame).toString('hex') !== INFO_FRAME || maxOutput < INFO_JSON.length) throw new Error('bad frame');
      return utf8(INFO_JSON);
    };
    let messages = 0;
    for (let i = 0; i < 4000; i++) {
      const b = i % 5 === 0 ? randomBytes(rng, randomInt(rng, 80)) : mutate(rng, seeds[randomInt(rng, seeds.length)]);
      const items = decodeChatBody(b, known);
      for (const it of items) {
        if (it.ok) messages++;
        else assert.ok(it.error instanceof ChatError && (['empty', 'too-large', 'bad-framing', 'unsupported', 'decompress-failed', 'bad-json', 'bad-message'] as ChatErrorCode[]).indexOf(it.error.code) >= 0);
      }
    }
    assert.ok(messages > 100, 'messages ' + messages);
  });
});
