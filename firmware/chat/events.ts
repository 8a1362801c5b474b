import { contentFromJson, contentToJson } from './content';
import type { MsgContent } from './content';
import { ChatError } from './errors';
import { bytesJson, optionalBool, optionalBytes, optionalInteger, requireBytes, requireObject } from './fields';
import { otherFields, pickFields } from './json';
import type { JsonObject, JsonValue } from './json';
import { profileFromJson, profileToJson } from './profile';
import type { Profile } from './profile';

/**
 * The chat events SimpleGo understands (agent.md §10.3; simplex-chat Protocol.hs `ChatMsgEvent`,
 * `appJsonToCM`, `chatToAppMessage`), with their "params" objects.
 *
 * Modelled: x.msg.new, x.msg.update, x.msg.del, x.info, x.contact, x.info.probe. Every other
 * event, whether the app knows it (x.msg.react, x.call.*, x.file*, x.grp.*, x.ok, ...) or not, is
 * 'unknown' with its params kept as received: the app's `XUnknown`, which SimpleGo ignores.
 *
 * Fields the types do not model are kept in `other`, so a decoded event re-encodes to the same
 * members. Required fields and the types of modelled optional fields are checked as aeson
 * checks them; a failure is ChatError 'bad-message'.
 */

export interface MsgContainer {
  readonly content: MsgContent;
  /** Disappearing-message time in seconds. */
  readonly ttl: number | null;
  /** A live (still being typed) message. */
  readonly live: boolean | null;
  /** "quote", "file", "mentions", "forward", ... as received. */
  readonly other: JsonObject;
}

export type ChatEvent =
  | { readonly type: 'x.msg.new'; readonly container: MsgContainer }
  | {
      readonly type: 'x.msg.update';
      readonly msgId: Uint8Array;
      readonly content: MsgContent;
      readonly ttl: number | null;
      readonly live: boolean | null;
      readonly other: JsonObject;
    }
  | { readonly type: 'x.msg.del'; readonly msgId: Uint8Array; readonly memberId: Uint8Array | null; readonly other: JsonObject }
  | { readonly type: 'x.info'; readonly profile: Profile }
  | {
      readonly type: 'x.contact';
      readonly profile: Profile;
      readonly contactReqId: Uint8Array | null;
      readonly welcomeMsgId: Uint8Array | null;
      /** A first message sent with the request: both its id and its content, or nothing. */
      readonly requestMsg: { readonly msgId: Uint8Array; readonly content: MsgContent } | null;
    }
  | { readonly type: 'x.info.probe'; readonly probe: Uint8Array }
  | { readonly type: 'unknown'; readonly event: string; readonly params: JsonObject };

export type ChatEventType = ChatEvent['type'];

const MSG_NEW_FIELDS = ['content', 'ttl', 'live'];
const MSG_UPDATE_FIELDS = ['msgId', 'content', 'ttl', 'live'];
const MSG_DEL_FIELDS = ['msgId', 'memberId'];
const CONTACT_FIELDS = ['profile', 'contactReqId', 'welcomeMsgId', 'msgId', 'content'];

/**
 * The event from its name and params. The name must be what the app's tag parser accepts: it
 * starts with 'x' and has no space; anything else (including the binary file chunk tag "F",
 * which cannot travel as JSON) is 'bad-message'.
 */
export function eventFromJson(event: string, params: JsonObject): ChatEvent {
  if (event.length === 0 || event.charAt(0) !== 'x' || event.indexOf(' ') >= 0) {
    throw new ChatError('bad-message', 'chat event name is not an "x." event');
  }
  switch (event) {
    case 'x.msg.new': {
      const f = pickFields(params, MSG_NEW_FIELDS);
      const container: MsgContainer = {
        content: contentFromJson(f.content, 'x.msg.new content'),
        ttl: optionalInteger(f, 'ttl', 'x.msg.new'),
        live: optionalBool(f, 'live', 'x.msg.new'),
        other: otherFields(params, MSG_NEW_FIELDS),
      };
      checkForward(container.other);
      return { type: 'x.msg.new', container: container };
    }
    case 'x.msg.update': {
      const f = pickFields(params, MSG_UPDATE_FIELDS);
      return {
        type: 'x.msg.update',
        msgId: requireBytes(f, 'msgId', 'x.msg.update'),
        content: contentFromJson(f.content, 'x.msg.update content'),
        ttl: optionalInteger(f, 'ttl', 'x.msg.update'),
        live: optionalBool(f, 'live', 'x.msg.update'),
        other: otherFields(params, MSG_UPDATE_FIELDS),
      };
    }
    case 'x.msg.del': {
      const f = pickFields(params, MSG_DEL_FIELDS);
      return {
        type: 'x.msg.del',
        msgId: requireBytes(f, 'msgId', 'x.msg.del'),
        memberId: optionalBytes(f, 'memberId', 'x.msg.del'),
        other: otherFields(params, MSG_DEL_FIELDS),
      };
    }
    case 'x.info':
      return { type: 'x.info', profile: profileFromJson(requireObject(pickFields(params, ['profile']), 'profile', 'x.info')) };
    case 'x.contact': {
      const f = pickFields(params, CONTACT_FIELDS);
      const profile = profileFromJson(requireObject(f, 'profile', 'x.contact'));
      const contactReqId = optionalBytes(f, 'contactReqId', 'x.contact');
      const welcomeMsgId = optionalBytes(f, 'welcomeMsgId', 'x.contact');
      const reqMsgId = optionalBytes(f, 'msgId', 'x.contact');
      const reqContent = f.content === undefined || f.content === null ? null : contentFromJson(f.content, 'x.contact content');
      const requestMsg = reqMsgId !== null && reqContent !== null ? { msgId: reqMsgId, content: reqContent } : null;
      return { type: 'x.contact', profile: profile, contactReqId: contactReqId, welcomeMsgId: welcomeMsgId, requestMsg: requestMsg };
    }
    case 'x.info.probe':
      return { type: 'x.info.probe', probe: requireBytes(pickFields(params, ['probe']), 'probe', 'x.info.probe') };
    default:
      return { type: 'unknown', event: event, params: params };
  }
}

/** `parseForward`: "forward" may be absent, a Bool or an object; anything else fails. */
function checkForward(other: JsonObject): void {
  const f = pickFields(other, ['forward']);
  const v: JsonValue | undefined = f.forward;
  if (v === undefined || v === null || typeof v === 'boolean') return;
  if (typeof v === 'object' && !Array.isArray(v)) return;
  throw new ChatError('bad-message', 'x.msg.new field "forward" is not true, false or an object');
}

export interface EventJson {
  readonly event: string;
  readonly params: JsonObject;
}

/** The event name and params object; modelled fields first, then `other` members. */
export function eventToJson(e: ChatEvent): EventJson {
  switch (e.type) {
    case 'x.msg.new': {
      const c = e.container;
      const p: JsonObject = { content: contentToJson(c.content) };
      if (c.ttl !== null) p.ttl = c.ttl;
      if (c.live !== null) p.live = c.live;
      return { event: e.type, params: withOther(p, c.other, MSG_NEW_FIELDS) };
    }
    case 'x.msg.update': {
      const p: JsonObject = { msgId: bytesJson(e.msgId), content: contentToJson(e.content) };
      if (e.ttl !== null) p.ttl = e.ttl;
      if (e.live !== null) p.live = e.live;
      return { event: e.type, params: withOther(p, e.other, MSG_UPDATE_FIELDS) };
    }
    case 'x.msg.del': {
      const p: JsonObject = { msgId: bytesJson(e.msgId) };
      if (e.memberId !== null) p.memberId = bytesJson(e.memberId);
      return { event: e.type, params: withOther(p, e.other, MSG_DEL_FIELDS) };
    }
    case 'x.info':
      return { event: e.type, params: { profile: profileToJson(e.profile) } };
    case 'x.contact': {
      const p: JsonObject = { profile: profileToJson(e.profile) };
      if (e.contactReqId !== null) p.contactReqId = bytesJson(e.contactReqId);
      if (e.welcomeMsgId !== null) p.welcomeMsgId = bytesJson(e.welcomeMsgId);
      if (e.requestMsg !== null) {
        p.msgId = bytesJson(e.requestMsg.msgId);
        p.content = contentToJson(e.requestMsg.content);
      }
      return { event: e.type, params: p };
    }
    case 'x.info.probe':
      return { event: e.type, params: { probe: bytesJson(e.probe) } };
    case 'unknown':
      return { event: e.event, params: e.params };
    default:
      throw new ChatError('bad-message', 'unknown chat event type');
  }
}

/** Appends the kept members, skipping any that would repeat a modelled one. */
function withOther(p: JsonObject, other: JsonObject, modelled: readonly string[]): JsonObject {
  const rest = otherFields(other, modelled);
  const keys = Object.keys(rest);
  for (let i = 0; i < keys.length; i++) p[keys[i]] = rest[keys[i]];
  return p;
}

/** The events the app sends with the SMP notification flag set (simplex-chat `hasNotification`). */
const NOTIFYING_EVENTS = ['x.msg.new', 'x.file', 'x.contact', 'x.grp.inv', 'x.grp.mem.fwd', 'x.grp.del', 'x.call.inv'];

/** Whether the SMP SEND of this event sets `notification` (agent.md §10.3). */
export function eventHasNotification(e: ChatEvent): boolean {
  return NOTIFYING_EVENTS.indexOf(e.type === 'unknown' ? e.event : e.type) >= 0;
}
