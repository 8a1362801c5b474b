import { decodeBase64Url, encodeBase64Url } from '../encoding/base64';
import { DecodeError } from '../encoding/errors';
import { ChatError } from './errors';
import { isJsonObject } from './json';
import type { JsonObject, JsonValue } from './json';

/**
 * Typed reads of chat JSON fields with aeson's meaning: a required field (`.:`) must be present
 * and of its type; an optional one (`.:?`) may be absent or null, and otherwise must be of its
 * type. A wrong type is a ChatError 'bad-message' naming the field, never the value.
 *
 * `fields` is what `pickFields` returned: own keys only.
 */

export type Fields = { readonly [key: string]: JsonValue | undefined };

export function requireString(f: Fields, key: string, what: string): string {
  const v = f[key];
  if (typeof v !== 'string') throw fieldError(what, key, v === undefined ? 'is missing' : 'is not a string');
  return v;
}

export function optionalString(f: Fields, key: string, what: string): string | null {
  const v = f[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw fieldError(what, key, 'is not a string');
  return v;
}

/** Haskell `Int`: a whole number (exact here only up to 2^53). */
export function requireInteger(f: Fields, key: string, what: string): number {
  const v = f[key];
  if (v === undefined) throw fieldError(what, key, 'is missing');
  return integer(v, key, what);
}

export function optionalInteger(f: Fields, key: string, what: string): number | null {
  const v = f[key];
  if (v === undefined || v === null) return null;
  return integer(v, key, what);
}

function integer(v: JsonValue, key: string, what: string): number {
  if (typeof v !== 'number' || Math.floor(v) !== v || v > 9007199254740991 || v < -9007199254740991) {
    throw fieldError(what, key, 'is not a whole number');
  }
  return v;
}

export function optionalBool(f: Fields, key: string, what: string): boolean | null {
  const v = f[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw fieldError(what, key, 'is not true or false');
  return v;
}

export function requireObject(f: Fields, key: string, what: string): JsonObject {
  const v = f[key];
  if (!isJsonObject(v)) throw fieldError(what, key, v === undefined ? 'is missing' : 'is not an object');
  return v;
}

export function optionalObject(f: Fields, key: string, what: string): JsonObject | null {
  const v = f[key];
  if (v === undefined || v === null) return null;
  if (!isJsonObject(v)) throw fieldError(what, key, 'is not an object');
  return v;
}

/** A ByteString in its JSON form (`strParseJSON`): base64url, with or without '=' padding. */
export function requireBytes(f: Fields, key: string, what: string): Uint8Array {
  return base64Bytes(requireString(f, key, what), key, what);
}

export function optionalBytes(f: Fields, key: string, what: string): Uint8Array | null {
  const s = optionalString(f, key, what);
  return s === null ? null : base64Bytes(s, key, what);
}

function base64Bytes(s: string, key: string, what: string): Uint8Array {
  try {
    return decodeBase64Url(s);
  } catch (e) {
    if (e instanceof DecodeError) throw fieldError(what, key, 'is not base64url');
    throw e;
  }
}

/** A ByteString's JSON form (`strToJSON`): base64url with '=' padding. */
export function bytesJson(b: Uint8Array): string {
  return encodeBase64Url(b);
}

function fieldError(what: string, key: string, problem: string): ChatError {
  return new ChatError('bad-message', what + ' field "' + key + '" ' + problem);
}
