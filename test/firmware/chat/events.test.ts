/**
 * Chat events, message content and profiles (agent.md §10.3): every modelled event both ways with
 * fixed JSON, unknown events and content types kept, aeson's required/optional rules, and
 * chat version negotiation.
 */
import assert from 'node:assert/strict';
import { decodeChatMessage, encodeChatMessage, type ChatMessage } from '../../../firmware/chat/app-message';
import { contentFromJson, textContent, UNKNOWN_CONTENT_TEXT } from '../../../firmware/chat/content';
import { eventFromJson, eventHasNotification, eventToJson, type ChatEvent } from '../../../firmware/chat/events';
import { printJsonText, type JsonObject } from '../../../firmware/chat/json';
import { profileFromJson, profileToJson, type Profile } from '../../../firmware/chat/profile';
import {
  chatVersionsCompatible,
  parseChatVersionRange,
  peerChatVersion,
  renderChatVersionRange,
  SUPPORTED_CHAT_VRANGE,
} from '../../../firmware/chat/version';
import { hex } from '../encoding/helpers';
import { expectChatError, text, utf8 } from './helpers';

const ALICE: Profile = { displayName: 'alice', fullName: 'Alice', shortDescr: null, image: null, contactLink: null, preferences: null };

/** `{"v":"1-9",…}` with this event: encodes to exactly `json` and decodes back to `event`. */
function bothWays(event: ChatEvent, params: string, name: string = event.type === 'unknown' ? event.event : event.type): void {
  const m: ChatMessage = { chatVRange: { min: 1, max: 9 }, msgId: null, event: event };
  const json = '{"v":"1-9","event":"' + name + '","params":' + params + '}';
  assert.equal(text(encodeChatMessage(m)), json);
  assert.deepEqual(decodeChatMessage(utf8(json)), m);
}

describe('chat events (agent.md §10.3)', () => {
  describe('modelled events, both ways', () => {
    it('x.msg.new with text', () => {
      bothWays({ type: 'x.msg.new', container: { content: textContent('hi "you"\n'), ttl: null, live: null, other: {} } }, '{"content":{"type":"text","text":"hi \\"you\\"\\n"}}');
    });

    it('x.msg.new with ttl, live, and a quote kept as received', () => {
      const quote: JsonObject = { content: { text: 'hello there!', type: 'text' }, msgRef: { msgId: 'BQYHCA==', sent: true, sentAt: '1970-01-01T00:00:01.000000001Z' } };
      bothWays(
        { type: 'x.msg.new', container: { content: textContent('hello to you too'), ttl: 3600, live: true, other: { quote: quote } } },
        '{"content":{"type":"text","text":"hello to you too"},"ttl":3600,"live":true,"quote":' + printJsonText(quote) + '}',
      );
    });

    it('x.msg.update', () => {
      bothWays(
        { type: 'x.msg.update', msgId: hex('01020304'), content: textContent('edited'), ttl: null, live: null, other: {} },
        '{"msgId":"AQIDBA==","content":{"type":"text","text":"edited"}}',
      );
    });

    it('x.msg.del, with and without memberId', () => {
      bothWays({ type: 'x.msg.del', msgId: hex('01020304'), memberId: null, other: {} }, '{"msgId":"AQIDBA=="}');
      bothWays({ type: 'x.msg.del', msgId: hex('01020304'), memberId: hex('0506'), other: {} }, '{"msgId":"AQIDBA==","memberId":"BQY="}');
    });

    it('x.info with a minimal and a full profile, in the profile record order', () => {
      bothWays({ type: 'x.info', profile: ALICE }, '{"profile":{"displayName":"alice","fullName":"Alice"}}');
      const full: Profile = {
        displayName: 'alice',
        fullName: '',
        shortDescr: 'hi',
        image: 'data:image/png;base64,iVBORw0KGgo=',
        contactLink: 'https://simplex.chat/contact#/?v=2-7&smp=x',
        preferences: { voice: { allow: 'yes' } },
      };
      bothWays(
        { type: 'x.info', profile: full },
        '{"profile":{"displayName":"alice","fullName":"","shortDescr":"hi","image":"data:image/png;base64,iVBORw0KGgo=","contactLink":"https://simplex.chat/contact#/?v=2-7&smp=x","preferences":{"voice":{"allow":"yes"}}}}',
      );
    });

    it('x.contact with and without a request message', () => {
      bothWays(
        { type: 'x.contact', profile: ALICE, contactReqId: hex('01020304'), welcomeMsgId: null, requestMsg: null },
        '{"profile":{"displayName":"alice","fullName":"Alice"},"contactReqId":"AQIDBA=="}',
      );
      bothWays(
        { type: 'x.contact', profile: ALICE, contactReqId: null, welcomeMsgId: hex('0a'), requestMsg: { msgId: hex('0b'), content: textContent('hi') } },
        '{"profile":{"displayName":"alice","fullName":"Alice"},"welcomeMsgId":"Cg==","msgId":"Cw==","content":{"type":"text","text":"hi"}}',
      );
    });

    it('x.contact with only one of msgId and content has no request message', () => {
      const e = eventFromJson('x.contact', { profile: { displayName: 'a', fullName: '' }, msgId: 'Cw==' });
      assert.ok(e.type === 'x.contact' && e.requestMsg === null);
    });

    it('x.info.probe', () => {
      bothWays({ type: 'x.info.probe', probe: hex('ff'.repeat(32)) }, '{"probe":"' + Buffer.from('ff'.repeat(32), 'hex').toString('base64url') + '="}');
    });

    it('unknown events, known to the app or not, are kept whole and re-encoded as received', () => {
      bothWays({ type: 'unknown', event: 'x.msg.react', params: { msgId: 'AQIDBA==', reaction: { type: 'emoji', emoji: '👍' }, add: true } }, '{"msgId":"AQIDBA==","reaction":{"type":"emoji","emoji":"👍"},"add":true}');
      bothWays({ type: 'unknown', event: 'x.future.thing', params: {} }, '{}');
      bothWays({ type: 'unknown', event: 'x.ok', params: {} }, '{}');
    });
  });

  describe("aeson's field rules", () => {
    it('refuses missing or mistyped required fields, and mistyped optional ones', () => {
      const bad: Array<[string, JsonObject]> = [
        ['x.msg.new', {}],
        ['x.msg.new', { content: 'hello' }],
        ['x.msg.new', { content: { type: 'text' } }],
        ['x.msg.new', { content: { type: 'text', text: null } }],
        ['x.msg.new', { content: { type: 'text', text: 5 } }],
        ['x.msg.new', { content: { text: 'no type' } }],
        ['x.msg.new', { content: { type: 'te xt', text: 'space in tag' } }],
        ['x.msg.new', { content: { type: 'text', text: 'x' }, ttl: 1.5 }],
        ['x.msg.new', { content: { type: 'text', text: 'x' }, ttl: '60' }],
        ['x.msg.new', { content: { type: 'text', text: 'x' }, live: 'yes' }],
        ['x.msg.new', { content: { type: 'text', text: 'x' }, forward: 1 }],
        ['x.msg.update', { content: { type: 'text', text: 'x' } }],
        ['x.msg.update', { msgId: 'not base64!', content: { type: 'text', text: 'x' } }],
        ['x.msg.del', {}],
        ['x.info', {}],
        ['x.info', { profile: { displayName: 'a' } }],
        ['x.info', { profile: { displayName: 'a', fullName: '', image: 7 } }],
        ['x.info', { profile: { displayName: 'a', fullName: '', preferences: [] } }],
        ['x.contact', { contactReqId: 'AQ==' }],
        ['x.info.probe', {}],
      ];
      for (const [name, params] of bad) expectChatError(() => eventFromJson(name, params), 'bad-message');
    });

    it('treats null optional fields as absent, and accepts forward as a Bool or an object', () => {
      const e = eventFromJson('x.msg.new', { content: { type: 'text', text: 'x' }, ttl: null, live: null });
      assert.ok(e.type === 'x.msg.new' && e.container.ttl === null && e.container.live === null);
      const p = profileFromJson({ displayName: 'a', fullName: '', shortDescr: null, image: null, contactLink: null, preferences: null, future: 1 });
      assert.deepEqual(p, { displayName: 'a', fullName: '', shortDescr: null, image: null, contactLink: null, preferences: null });
      assert.deepEqual(profileToJson(p), { displayName: 'a', fullName: '' });
      for (const forward of [true, false, {}, null]) {
        assert.equal(eventFromJson('x.msg.new', { content: { type: 'text', text: 'x' }, forward: forward }).type, 'x.msg.new');
      }
    });
  });

  describe('message content', () => {
    it('keeps the known non-text types whole, with their text, after checking their required fields', () => {
      const image = { type: 'image', text: 'look', image: 'data:image/jpg;base64,AAAA' };
      assert.deepEqual(contentFromJson(image, 'c'), { type: 'image', text: 'look', json: image });
      const voice = { type: 'voice', text: '', duration: 12 };
      assert.deepEqual(contentFromJson(voice, 'c'), { type: 'voice', text: '', json: voice });
      const oks: JsonObject[] = [
        { type: 'link', text: 't', preview: { uri: 'u' } },
        { type: 'video', text: 't', image: 'i', duration: 3 },
        { type: 'file', text: 't' },
        { type: 'report', text: 't', reason: 'spam' },
        { type: 'chat', text: 't', chatLink: {} },
      ];
      for (const ok of oks) assert.equal(contentFromJson(ok, 'c').type, ok.type);
      const bads: JsonObject[] = [
        { type: 'link', text: 't' },
        { type: 'image', text: 't' },
        { type: 'video', text: 't', image: 'i' },
        { type: 'voice', text: 't', duration: 1.5 },
        { type: 'file' },
        { type: 'report', text: 't' },
        { type: 'chat', text: 't', chatLink: 'x' },
      ];
      for (const bad of bads) expectChatError(() => contentFromJson(bad, 'c'), 'bad-message');
    });

    it('reads unknown types as MCUnknown with their text or the app\'s placeholder', () => {
      const json = { type: 'poll', text: 'vote', options: [1, 2] };
      assert.deepEqual(contentFromJson(json, 'c'), { type: 'unknown', tag: 'poll', text: 'vote', json: json });
      assert.deepEqual(contentFromJson({ type: 'poll' }, 'c'), { type: 'unknown', tag: 'poll', text: UNKNOWN_CONTENT_TEXT, json: { type: 'poll' } });
      expectChatError(() => contentFromJson({ type: 'poll', text: 3 }, 'c'), 'bad-message');
      // Re-encoded exactly as received.
      const e: ChatEvent = { type: 'x.msg.new', container: { content: contentFromJson(json, 'c'), ttl: null, live: null, other: {} } };
      assert.equal(printJsonText(eventToJson(e).params), '{"content":{"type":"poll","text":"vote","options":[1,2]}}');
    });
  });

  it('sets the SMP notification flag as the app does', () => {
    assert.equal(eventHasNotification({ type: 'x.msg.new', container: { content: textContent(''), ttl: null, live: null, other: {} } }), true);
    assert.equal(eventHasNotification({ type: 'x.contact', profile: ALICE, contactReqId: null, welcomeMsgId: null, requestMsg: null }), true);
    assert.equal(eventHasNotification({ type: 'unknown', event: 'x.call.inv', params: {} }), true);
    assert.equal(eventHasNotification({ type: 'x.info', profile: ALICE }), false);
    assert.equal(eventHasNotification({ type: 'x.msg.del', msgId: hex('01'), memberId: null, other: {} }), false);
    assert.equal(eventHasNotification({ type: 'unknown', event: 'x.msg.react', params: {} }), false);
  });

  it('does not let kept members repeat a modelled one', () => {
    const e: ChatEvent = { type: 'x.msg.new', container: { content: textContent('a'), ttl: null, live: null, other: { content: 'dup', ttl: 5, file: { fileName: 'f' } } } };
    assert.equal(printJsonText(eventToJson(e).params), '{"content":{"type":"text","text":"a"},"file":{"fileName":"f"}}');
  });
});

describe('chat versions', () => {
  it('reads and writes "a" and "a-b"', () => {
    assert.deepEqual(parseChatVersionRange('1-18'), { min: 1, max: 18 });
    assert.deepEqual(parseChatVersionRange('7'), { min: 7, max: 7 });
    assert.equal(renderChatVersionRange({ min: 1, max: 9 }), '1-9');
    assert.equal(renderChatVersionRange({ min: 3, max: 3 }), '3');
    for (const bad of ['', '-', '1-', '-2', '2-1', 'a', '1-2-3', '100000', ' 1']) expectChatError(() => parseChatVersionRange(bad), 'bad-message');
  });

  it('negotiates as peerConnChatVersion: the lower maximum, or the peer end nearest ours', () => {
    assert.deepEqual(SUPPORTED_CHAT_VRANGE, { min: 1, max: 9 });
    assert.equal(peerChatVersion({ min: 1, max: 9 }, { min: 1, max: 18 }), 9);
    assert.equal(peerChatVersion({ min: 1, max: 9 }, { min: 1, max: 5 }), 5);
    assert.equal(peerChatVersion({ min: 1, max: 9 }, { min: 1, max: 1 }), 1);
    assert.equal(chatVersionsCompatible({ min: 1, max: 9 }, { min: 10, max: 18 }), false);
    assert.equal(peerChatVersion({ min: 1, max: 9 }, { min: 10, max: 18 }), 10);
    assert.equal(peerChatVersion({ min: 5, max: 9 }, { min: 1, max: 3 }), 3);
  });
});
