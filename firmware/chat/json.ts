import { DecodeError, EncodeError } from '../encoding/errors';
import { utf8Decode, utf8Encode } from '../encoding/utf8';
import { ChatError } from './errors';

/**
 * The chat layer's JSON: bounded parsing of received bytes and a byte-exact printer.
 *
 * Parsing uses the runtime's JSON.parse (native on Espruino, where a JavaScript parser would
 * cost seconds per message: espruino-target.md §3), wrapped in the checks it does not make:
 * a size limit before it runs, strict UTF-8 (utf8.ts, never TextDecoder), and afterwards a walk
 * that bounds nesting depth and value count and refuses "__proto__" keys, so that no later copy
 * of a received object can change a prototype. Every failure is a ChatError.
 *
 * The printer writes what aeson writes: no whitespace, keys in the object's insertion order,
 * strings escaped only where JSON requires it ('"', '\', and control characters, with \n \r \t
 * and lowercase \u00xx for the rest), everything else raw UTF-8.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

export interface JsonObject {
  [key: string]: JsonValue;
}

export interface JsonLimits {
  /** Bytes of JSON text. */
  readonly maxBytes: number;
  /** Nesting of arrays and objects; the top-level value is depth 1. */
  readonly maxDepth: number;
  /** Values of any kind, counting every array element and object member. */
  readonly maxValues: number;
}

/**
 * The app's own bound on one decompressed element (chat `maxDecompressedMsgLength`); nothing
 * larger reaches the JSON parser. Depth and value counts are far above any real chat message
 * (an x.msg.new with a quote and a file is about 8 levels and 40 values).
 */
export const DEFAULT_JSON_LIMITS: JsonLimits = { maxBytes: 65536, maxDepth: 32, maxValues: 8192 };

/** Parses `bytes` as one JSON value within `limits`; ChatError otherwise. */
export function parseJson(bytes: Uint8Array, limits: JsonLimits = DEFAULT_JSON_LIMITS): JsonValue {
  if (bytes.length > limits.maxBytes) {
    throw new ChatError('too-large', 'JSON of ' + bytes.length + ' bytes exceeds the ' + limits.maxBytes + '-byte limit');
  }
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch (e) {
    if (e instanceof DecodeError) throw new ChatError('bad-json', 'JSON text is not UTF-8: ' + e.message);
    throw e;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // SyntaxError, or a RangeError from nesting deep enough to exhaust the parser's stack.
    throw new ChatError('bad-json', 'not valid JSON');
  }
  const counter = { values: 0 };
  checkValue(value, 1, limits, counter);
  return value as JsonValue;
}

function checkValue(v: unknown, depth: number, limits: JsonLimits, counter: { values: number }): void {
  counter.values++;
  if (counter.values > limits.maxValues) throw new ChatError('bad-json', 'JSON has more than ' + limits.maxValues + ' values');
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return;
  if (typeof v === 'number') {
    // JSON.parse never yields these, but a lenient native parser might.
    if (!isFinite(v)) throw new ChatError('bad-json', 'JSON number is not finite');
    return;
  }
  if (typeof v !== 'object') throw new ChatError('bad-json', 'JSON parser produced a value that is not JSON');
  if (depth > limits.maxDepth) throw new ChatError('bad-json', 'JSON is nested more than ' + limits.maxDepth + ' levels deep');
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) checkValue(v[i], depth + 1, limits, counter);
    return;
  }
  const o = v as { [key: string]: unknown };
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] === '__proto__') throw new ChatError('bad-json', 'JSON object has a "__proto__" key');
    checkValue(o[keys[i]], depth + 1, limits, counter);
  }
}

/** True for a JSON object (not null, not an array). */
export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The members of `o` named in `names`, read from its own keys only, so that nothing inherited
 * (Object.prototype's "constructor", "toString", ...) is ever mistaken for a field. One pass over
 * the object, whatever its size.
 */
export function pickFields(o: JsonObject, names: readonly string[]): { [key: string]: JsonValue | undefined } {
  const out: { [key: string]: JsonValue | undefined } = {};
  // Every name gets an own entry, so an absent "constructor" reads undefined, not Object's.
  for (let j = 0; j < names.length; j++) out[names[j]] = undefined;
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    if (names.indexOf(keys[i]) >= 0) out[keys[i]] = o[keys[i]];
  }
  return out;
}

/** The members of `o` not named in `names`, in order (what a typed value keeps but does not model). */
export function otherFields(o: JsonObject, names: readonly string[]): JsonObject {
  const out: JsonObject = {};
  const keys = Object.keys(o);
  // parseJson refused "__proto__", so assigning each key here cannot touch a prototype.
  for (let i = 0; i < keys.length; i++) {
    if (names.indexOf(keys[i]) < 0) out[keys[i]] = o[keys[i]];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Printing

/** The JSON text of `v` as UTF-8 bytes, without whitespace. EncodeError for a non-JSON value. */
export function printJson(v: JsonValue): Uint8Array {
  const parts: string[] = [];
  writeValue(parts, v, 0);
  return utf8Encode(parts.join(''));
}

/** The same as text (for tests and logs of non-secret values). */
export function printJsonText(v: JsonValue): string {
  const parts: string[] = [];
  writeValue(parts, v, 0);
  return parts.join('');
}

/** Deeper than this is a cycle or a bug in the caller, not a message. */
const MAX_PRINT_DEPTH = 64;

function writeValue(parts: string[], v: JsonValue, depth: number): void {
  if (depth > MAX_PRINT_DEPTH) throw new EncodeError('invalid-value', 'JSON value nested more than ' + MAX_PRINT_DEPTH + ' levels');
  if (v === null) {
    parts.push('null');
  } else if (typeof v === 'boolean') {
    parts.push(v ? 'true' : 'false');
  } else if (typeof v === 'number') {
    if (!isFinite(v)) throw new EncodeError('invalid-value', 'JSON cannot represent a non-finite number');
    parts.push(String(v));
  } else if (typeof v === 'string') {
    writeString(parts, v);
  } else if (Array.isArray(v)) {
    parts.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) parts.push(',');
      writeValue(parts, v[i], depth + 1);
    }
    parts.push(']');
  } else if (typeof v === 'object') {
    parts.push('{');
    const keys = Object.keys(v);
    let first = true;
    for (let i = 0; i < keys.length; i++) {
      const item: JsonValue | undefined = v[keys[i]];
      // An absent optional field is left out, as aeson's omitNothingFields does.
      if (item === undefined) continue;
      if (!first) parts.push(',');
      first = false;
      writeString(parts, keys[i]);
      parts.push(':');
      writeValue(parts, item, depth + 1);
    }
    parts.push('}');
  } else {
    throw new EncodeError('invalid-value', 'not a JSON value');
  }
}

const HEX = '0123456789abcdef';

/** Escapes as aeson's `escapeAscii`; runs of safe characters are copied whole. */
function writeString(parts: string[], s: string): void {
  parts.push('"');
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    if (i > start) parts.push(s.substring(start, i));
    start = i + 1;
    if (c === 0x22) parts.push('\\"');
    else if (c === 0x5c) parts.push('\\\\');
    else if (c === 0x0a) parts.push('\\n');
    else if (c === 0x0d) parts.push('\\r');
    else if (c === 0x09) parts.push('\\t');
    else parts.push('\\u00' + HEX.charAt(c >> 4) + HEX.charAt(c & 15));
  }
  if (start < s.length) parts.push(s.substring(start));
  parts.push('"');
}
