/**
 * The AppMessageJson envelope (agent.md §10.2): the 111-byte x.msg.new example byte for byte in
 * both directions, the app's own test strings, msgId generation, limits, and refusals.
 */
import assert from 'node:assert/strict';
import {
  chatMessageFromJson,
  chatMessageToJson,
  decodeChatMessage,
  encodeChatMessage,
  MAX_ENCODED_INFO_LENGTH,
  MAX_ENCODED_MSG_LENGTH,
  newSharedMsgId,
  SHARED_MSG_ID_LENGTH,
  type ChatMessage,
} from '../../../firmware/chat/app-message';
import { textContent } from '../../../firmware/chat/content';
import { encodeBase64Url } from '../../../firmware/encoding/base64';
import { hex } from '../encoding/helpers';
import { seeded } from '../agent/helpers';
import { expectChatError, text, utf8 } from './helpers';

const EXAMPLE = '{"v":"1-18","msgId":"AAECAwQFBgcICQoL","event":"x.msg.new","params":{"content":{"type":"text","text":"hello"}}}';
const EXAMPLE_MSG: ChatMessage = {
  chatVRange: { min: 1, max: 18 },
  msgId: hex('000102030405060708090a0b'),
  event: { type: 'x.msg.new', container: { content: textContent('hello'), ttl: null, live: null, other: {} } },
};

describe('chat message envelope (agent.md §10.2)', () => {
  it('reproduces the 111-byte x.msg.new example byte for byte, and reads it back', () => {
    const bytes = encodeChatMessage(EXAMPLE_MSG);
    assert.equal(bytes.length, 111);
    assert.equal(text(bytes), EXAMPLE);
    assert.deepEqual(decodeChatMessage(utf8(EXAMPLE)), EXAMPLE_MSG);
  });

  it("reads the app's test strings (simplex-chat ProtocolTests.hs), whose member order differs", () => {
    // aeson writes object values with sorted keys: "text" before "type".
    const m = decodeChatMessage(utf8('{"v":"1","event":"x.msg.new","params":{"content":{"text":"hello","type":"text"}}}'));
    assert.deepEqual(m, { ...EXAMPLE_MSG, chatVRange: { min: 1, max: 1 }, msgId: null });
    const withId = decodeChatMessage(utf8('{"v":"1-5","msgId":"AQIDBA==","event":"x.msg.new","params":{"content":{"text":"hello","type":"text"}}}'));
    assert.deepEqual(withId.msgId, hex('01020304'));
    assert.deepEqual(withId.chatVRange, { min: 1, max: 5 });
    const ttl = decodeChatMessage(utf8('{"v":"1","event":"x.msg.new","params":{"content":{"text":"hello","type":"text"},"ttl":3600}}'));
    assert.ok(ttl.event.type === 'x.msg.new' && ttl.event.container.ttl === 3600);
  });

  it('reads a message without "v" as version 1, with whitespace, unknown members and any member order', () => {
    const m = decodeChatMessage(utf8(' { "params" : {"content":{"type":"text","text":"hi"}} , "event":"x.msg.new", "future": [1] } '));
    assert.deepEqual(m.chatVRange, { min: 1, max: 1 });
    assert.equal(m.msgId, null);
    assert.equal(m.event.type, 'x.msg.new');
  });

  it('accepts msgId with or without base64 padding and writes it padded (16 characters for 12 bytes)', () => {
    const m = decodeChatMessage(utf8('{"msgId":"AQIDBA","event":"x.msg.new","params":{"content":{"type":"text","text":""}}}'));
    assert.deepEqual(m.msgId, hex('01020304'));
    assert.ok(text(encodeChatMessage(m)).indexOf('"msgId":"AQIDBA=="') > 0);
  });

  it('makes 12-byte SharedMsgIds (16 base64url characters)', () => {
    const r = seeded(21);
    const a = newSharedMsgId(r);
    const b = newSharedMsgId(r);
    assert.equal(a.length, SHARED_MSG_ID_LENGTH);
    assert.equal(encodeBase64Url(a).length, 16);
    assert.notDeepEqual(a, b);
  });

  it('leaves msgId out of connection info and refuses conn info over 14694 bytes', () => {
    const info: ChatMessage = {
      chatVRange: { min: 1, max: 9 },
      msgId: null,
      event: { type: 'x.info', profile: { displayName: 'alice', fullName: '', shortDescr: null, image: null, contactLink: null, preferences: null } },
    };
    assert.equal(text(encodeChatMessage(info, MAX_ENCODED_INFO_LENGTH)), '{"v":"1-9","event":"x.info","params":{"profile":{"displayName":"alice","fullName":""}}}');
    const big = { ...info, event: { ...info.event, profile: { ...(info.event as { profile: object }).profile, image: 'x'.repeat(14694) } } } as ChatMessage;
    expectChatError(() => encodeChatMessage(big, MAX_ENCODED_INFO_LENGTH), 'too-large');
  });

  it('refuses messages over 15602 bytes, exactly at the boundary', () => {
    const overhead = encodeChatMessage({ ...EXAMPLE_MSG, event: { type: 'x.msg.new', container: { content: textContent(''), ttl: null, live: null, other: {} } } }).length;
    const fit = { ...EXAMPLE_MSG, event: { type: 'x.msg.new' as const, container: { content: textContent('a'.repeat(MAX_ENCODED_MSG_LENGTH - overhead)), ttl: null, live: null, other: {} } } };
    assert.equal(encodeChatMessage(fit).length, MAX_ENCODED_MSG_LENGTH);
    const over = { ...fit, event: { type: 'x.msg.new' as const, container: { ...fit.event.container, content: textContent('a'.repeat(MAX_ENCODED_MSG_LENGTH - overhead + 1)) } } };
    expectChatError(() => encodeChatMessage(over), 'too-large');
  });

  it('refuses envelopes that are not chat messages', () => {
    const bad = [
      '[]',
      '"x.msg.new"',
      '{"params":{}}',
      '{"event":"x.msg.new"}',
      '{"event":"x.msg.new","params":[]}',
      '{"event":"x.msg.new","params":null}',
      '{"event":7,"params":{}}',
      '{"v":2,"event":"x.ok","params":{}}',
      '{"v":"2-1","event":"x.ok","params":{}}',
      '{"v":"1-","event":"x.ok","params":{}}',
      '{"v":"70000","event":"x.ok","params":{}}',
      '{"msgId":"***","event":"x.ok","params":{}}',
      '{"msgId":5,"event":"x.ok","params":{}}',
      '{"event":"","params":{}}',
      '{"event":"F","params":{}}',
      '{"event":"y.msg.new","params":{}}',
      '{"event":"x.msg new","params":{}}',
    ];
    for (const b of bad) expectChatError(() => decodeChatMessage(utf8(b)), 'bad-message');
    expectChatError(() => decodeChatMessage(utf8('{"event":')), 'bad-json');
  });

  it('treats a null "v" and "msgId" as absent (aeson .:?)', () => {
    const m = chatMessageFromJson({ v: null, msgId: null, event: 'x.ok', params: {} });
    assert.deepEqual(m, { chatVRange: { min: 1, max: 1 }, msgId: null, event: { type: 'unknown', event: 'x.ok', params: {} } });
    assert.deepEqual(chatMessageToJson(m), { v: '1', event: 'x.ok', params: {} });
  });
});
