import { ChatError } from './errors';
import { optionalString, requireInteger, requireObject, requireString } from './fields';
import type { Fields } from './fields';
import { isJsonObject, pickFields } from './json';
import type { JsonObject, JsonValue } from './json';

/**
 * Message content (agent.md §10.3; simplex-chat Protocol.hs `MsgContent`), the "content" of
 * x.msg.new and x.msg.update, an object tagged by "type".
 *
 * SimpleGo shows text. Text content is modelled; the other types the app defines (link, image,
 * video, voice, file, report, chat) are checked for the fields the app requires of them, so a
 * message the app would refuse is refused here too, and kept whole (`json`) with their text.
 * An unknown type is `MCUnknown`: its text, or "unknown message type", is shown, as the app does.
 */
export type MsgContent =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: KnownContentType; readonly text: string; readonly json: JsonObject }
  | { readonly type: 'unknown'; readonly tag: string; readonly text: string; readonly json: JsonObject };

export type KnownContentType = 'link' | 'image' | 'video' | 'voice' | 'file' | 'report' | 'chat';

/** simplex-chat `unknownMsgType`: the text shown for unknown content without its own text. */
export const UNKNOWN_CONTENT_TEXT = 'unknown message type';

const CONTENT_FIELDS = ['type', 'text', 'preview', 'image', 'duration', 'reason', 'chatLink'];

export function contentFromJson(v: JsonValue | undefined, what: string): MsgContent {
  if (!isJsonObject(v)) throw new ChatError('bad-message', what + ' is ' + (v === undefined ? 'missing' : 'not an object'));
  const f = pickFields(v, CONTENT_FIELDS);
  const tag = requireString(f, 'type', what);
  // The tag is read with `A.takeTill (== ' ')` under parseAll: a space makes it invalid.
  if (tag.indexOf(' ') >= 0) throw new ChatError('bad-message', what + ' field "type" contains a space');
  switch (tag) {
    case 'text':
      return { type: 'text', text: requireString(f, 'text', what) };
    case 'link':
      requireObject(f, 'preview', what);
      return known('link', f, v, what);
    case 'image':
      requireString(f, 'image', what);
      return known('image', f, v, what);
    case 'video':
      requireString(f, 'image', what);
      requireInteger(f, 'duration', what);
      return known('video', f, v, what);
    case 'voice':
      requireInteger(f, 'duration', what);
      return known('voice', f, v, what);
    case 'file':
      return known('file', f, v, what);
    case 'report':
      requireString(f, 'reason', what);
      return known('report', f, v, what);
    case 'chat':
      requireObject(f, 'chatLink', what);
      return known('chat', f, v, what);
    default: {
      const text = optionalString(f, 'text', what);
      return { type: 'unknown', tag: tag, text: text === null ? UNKNOWN_CONTENT_TEXT : text, json: v };
    }
  }
}

function known(type: KnownContentType, f: Fields, json: JsonObject, what: string): MsgContent {
  return { type: type, text: requireString(f, 'text', what), json: json };
}

/** Text as {"type":"text","text":…} (the field order of agent.md §10.3); anything else as received. */
export function contentToJson(c: MsgContent): JsonObject {
  if (c.type === 'text') return { type: 'text', text: c.text };
  return c.json;
}

export function textContent(text: string): MsgContent {
  return { type: 'text', text: text };
}
