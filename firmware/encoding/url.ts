import { DecodeError, EncodeError } from './errors';
import { utf8Decode, utf8Encode } from './utf8';

/**
 * Percent-encoding and query strings as SimpleX links use them (agent.md §4.1): simplexmq renders
 * link queries with http-types `renderSimpleQuery False` (keys and values through
 * `urlEncode True`) and parses them with `parseSimpleQuery`.
 *
 * Encoding is byte-exact with http-types: A–Z a–z 0–9 - _ . ~ stay, every other byte becomes %XX
 * with upper-case hex, so a space is %20 (never '+').
 *
 * Decoding follows http-types `urlDecode True` except that it is strict where http-types is lenient:
 * - '+' decodes to a space, as in http-types (our encoder never writes a bare '+');
 * - %XX accepts either case of hex, as in http-types;
 * - a '%' not followed by two hex digits is an error, where http-types keeps it as a literal '%';
 * - characters that cannot occur in an escaped URL part (controls, space, non-ASCII) are errors,
 *   where http-types passes the bytes through.
 * Errors are DecodeError('bad-escape') with the character offset; the input is not quoted.
 */

/** One `key=value` item, in the order it appears. */
export type QueryPair = [string, string];

const HEX_UPPER = '0123456789ABCDEF';

/** http-types `urlEncode True` over bytes. */
export function urlEncode(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (isUnreserved(b)) s += String.fromCharCode(b);
    else s += '%' + HEX_UPPER.charAt(b >> 4) + HEX_UPPER.charAt(b & 15);
  }
  return s;
}

/** `urlEncode` of the UTF-8 bytes of `text`. */
export function urlEncodeText(text: string): string {
  return urlEncode(utf8Encode(text));
}

/** Strict percent-decoding of one query key or value (see the module comment for the rules). */
export function urlDecode(text: string): Uint8Array {
  return decodeRange(text, 0, text.length);
}

/** `urlDecode`, then strict UTF-8 (DecodeError 'bad-utf8' if the bytes are not UTF-8). */
export function urlDecodeText(text: string): string {
  return utf8Decode(urlDecode(text));
}

/**
 * `renderSimpleQuery False`: 'k=v&k2=v2', keys and values percent-encoded, no leading '?'.
 * Keys and values are text; they are escaped as their UTF-8 bytes.
 */
export function renderQuery(pairs: readonly QueryPair[]): string {
  let s = '';
  for (let i = 0; i < pairs.length; i++) {
    if (i > 0) s += '&';
    s += urlEncodeText(pairs[i][0]) + '=' + urlEncodeText(pairs[i][1]);
  }
  return s;
}

/**
 * The `QNoEscaping` rendering simplexmq uses for the e2e parameters of a link (agent.md §4.3):
 * keys escaped, values written as they are. The whole result is escaped once more when it is put
 * into `e2e=`. Values must come back unchanged from `parseQuery`, so characters that parsing
 * would split on or rewrite (& ; % + # and anything outside printable ASCII) are refused.
 */
export function renderQueryUnescapedValues(pairs: readonly QueryPair[]): string {
  let s = '';
  for (let i = 0; i < pairs.length; i++) {
    const v = pairs[i][1];
    for (let k = 0; k < v.length; k++) {
      const c = v.charCodeAt(k);
      if (c <= 0x20 || c >= 0x7f || c === 0x26 || c === 0x3b || c === 0x25 || c === 0x2b || c === 0x23) {
        throw new EncodeError('invalid-value', 'unescaped query value for "' + pairs[i][0] + '" has a character at index ' + k + ' that must be escaped');
      }
    }
    if (i > 0) s += '&';
    s += urlEncodeText(pairs[i][0]) + '=' + v;
  }
  return s;
}

/**
 * `parseSimpleQuery`, strictly: pairs in their original order, duplicates kept (lookups take the
 * first, as simplexmq's `queryParamStr` does). The reference's splitting rules are kept exactly:
 * - one leading '?' is dropped;
 * - items are separated by '&' or ';' (http-types splits on both);
 * - a key without '=' has the value ''; a value is everything after the first '=';
 * - an empty item between separators gives the pair ['', ''], and a trailing separator
 *   (ending the text) gives nothing, exactly as http-types does.
 * Keys and values are percent-decoded (`urlDecode`) and must be UTF-8.
 */
export function parseQuery(text: string): QueryPair[] {
  const pairs: QueryPair[] = [];
  let i = text.length > 0 && text.charCodeAt(0) === 0x3f ? 1 : 0; // '?'
  while (i < text.length) {
    let end = i;
    while (end < text.length && text.charCodeAt(end) !== 0x26 && text.charCodeAt(end) !== 0x3b) end++;
    let eq = i;
    while (eq < end && text.charCodeAt(eq) !== 0x3d) eq++;
    const key = decodeComponent(text, i, eq);
    const value = eq < end ? decodeComponent(text, eq + 1, end) : '';
    pairs.push([key, value]);
    i = end + 1;
  }
  return pairs;
}

/** The value of the first pair named `key`, or null if there is none. */
export function queryParam(pairs: readonly QueryPair[], key: string): string | null {
  for (let i = 0; i < pairs.length; i++) if (pairs[i][0] === key) return pairs[i][1];
  return null;
}

function decodeComponent(text: string, start: number, end: number): string {
  const bytes = decodeRange(text, start, end);
  try {
    return utf8Decode(bytes);
  } catch (e) {
    if (e instanceof DecodeError) throw new DecodeError(e.code, 'query item at character ' + start + ': ' + e.message);
    throw e;
  }
}

/** Percent-decodes text[start..end); error offsets are positions in `text`. */
function decodeRange(text: string, start: number, end: number): Uint8Array {
  // The output is never longer than the input, so size once and trim at the end.
  const out = new Uint8Array(end - start);
  let o = 0;
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c === 0x25) {
      // '%'
      if (i + 2 >= end) throw badEscape(i, "'%' escape cut short");
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi < 0 || lo < 0) throw badEscape(i, "'%' is not followed by two hex digits");
      out[o++] = (hi << 4) | lo;
      i += 3;
    } else if (c === 0x2b) {
      // '+'
      out[o++] = 0x20;
      i++;
    } else if (c > 0x20 && c < 0x7f) {
      out[o++] = c;
      i++;
    } else {
      throw badEscape(i, 'character that must be percent-encoded (control, space or non-ASCII)');
    }
  }
  return o === out.length ? out : new Uint8Array(out.subarray(0, o));
}

function isUnreserved(b: number): boolean {
  return (
    (b >= 0x41 && b <= 0x5a) || // A-Z
    (b >= 0x61 && b <= 0x7a) || // a-z
    (b >= 0x30 && b <= 0x39) || // 0-9
    b === 0x2d || // -
    b === 0x5f || // _
    b === 0x2e || // .
    b === 0x7e // ~
  );
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function badEscape(offset: number, why: string): DecodeError {
  return new DecodeError('bad-escape', 'invalid URL escape at character ' + offset + ': ' + why);
}
