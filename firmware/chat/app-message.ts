import type { Random } from '../../hal/random';
import type { VersionRange } from '../encoding/binary';
import { ChatError } from './errors';
import { eventFromJson, eventToJson } from './events';
import type { ChatEvent } from './events';
import { bytesJson, optionalBytes, optionalString, requireObject, requireString } from './fields';
import { isJsonObject, parseJson, pickFields, printJson } from './json';
import type { JsonLimits, JsonObject, JsonValue } from './json';
import { CHAT_INITIAL_VRANGE, parseChatVersionRange, renderChatVersionRange } from './version';

/**
 * The chat message envelope (agent.md §10.2; simplex-chat Protocol.hs `AppMessageJson`,
 * `appJsonToCM`, `chatToAppMessage`, `encodeChatMessage`):
 *
 *   {"v":"1-18","msgId":"<base64url of 12 random bytes>","event":"x.msg.new","params":{…}}
 *
 * Members are written in that order without whitespace; "msgId" is left out when there is none
 * (connection info has none). Inside "params" the app's own bytes differ: aeson writes a JSON
 * object value with its keys sorted ({"content":{"text":…,"type":"text"}}; simplex-chat
 * src/Simplex/Chat/Protocol.hs builds params as a `J.Object`). SimpleGo writes the order of the
 * agent.md examples instead; every reader, the app's included, ignores member order. On reading, member order does not matter, "v" may be absent (then
 * the peer speaks version 1 only), unknown members are ignored, and "params" must be an object.
 */

/** Largest JSON the app sends as a message (chat `maxEncodedMsgLength`). */
export const MAX_ENCODED_MSG_LENGTH = 15602;
/** ... and as connection info, x.info in a confirmation (`maxEncodedInfoLength`). */
export const MAX_ENCODED_INFO_LENGTH = 14694;
/** Above these the app zstd-compresses, on PQ connections at chat >= 8 (`maxCompressed*Length`). */
export const MAX_COMPRESSED_MSG_LENGTH = 13380;
export const MAX_COMPRESSED_INFO_LENGTH = 10968;

/** A SharedMsgId: 12 random bytes, 16 base64url characters. */
export const SHARED_MSG_ID_LENGTH = 12;

export interface ChatMessage {
  /** The sender's chat version range. */
  readonly chatVRange: VersionRange;
  /** The SharedMsgId other events refer to (x.msg.update, x.msg.del, quotes); null in conn info. */
  readonly msgId: Uint8Array | null;
  readonly event: ChatEvent;
}

const ENVELOPE_FIELDS = ['v', 'msgId', 'event', 'params'];

/** A fresh SharedMsgId (simplex-chat `encodeChatMessage` callers draw 12 random bytes). */
export function newSharedMsgId(random: Random): Uint8Array {
  return random.bytes(SHARED_MSG_ID_LENGTH);
}

/** One chat message from a parsed JSON value (an element of a '[' batch, or a '{' body). */
export function chatMessageFromJson(v: JsonValue): ChatMessage {
  if (!isJsonObject(v)) throw new ChatError('bad-message', 'a chat message must be a JSON object');
  const f = pickFields(v, ENVELOPE_FIELDS);
  const range = optionalString(f, 'v', 'chat message');
  const msgId = optionalBytes(f, 'msgId', 'chat message');
  const event = requireString(f, 'event', 'chat message');
  const params = requireObject(f, 'params', 'chat message');
  return {
    chatVRange: range === null ? CHAT_INITIAL_VRANGE : parseChatVersionRange(range),
    msgId: msgId,
    event: eventFromJson(event, params),
  };
}

/** One '{' element's bytes to a chat message; ChatError only. */
export function decodeChatMessage(bytes: Uint8Array, limits?: JsonLimits): ChatMessage {
  return chatMessageFromJson(parseJson(bytes, limits));
}

/** The JSON value of a chat message, members in the app's order. */
export function chatMessageToJson(m: ChatMessage): JsonObject {
  const e = eventToJson(m.event);
  const o: JsonObject = { v: renderChatVersionRange(m.chatVRange) };
  if (m.msgId !== null) o.msgId = bytesJson(m.msgId);
  o.event = e.event;
  o.params = e.params;
  return o;
}

/**
 * The bytes to send: an A_MSG body, or connection info. Like the app (`ECMLarge`), refuses a
 * message longer than `maxLength` (15602 for messages, 14694 for connection info).
 */
export function encodeChatMessage(m: ChatMessage, maxLength: number = MAX_ENCODED_MSG_LENGTH): Uint8Array {
  const bytes = printJson(chatMessageToJson(m));
  if (bytes.length > maxLength) {
    throw new ChatError('too-large', 'chat message of ' + bytes.length + ' bytes exceeds the ' + maxLength + '-byte limit');
  }
  return bytes;
}
