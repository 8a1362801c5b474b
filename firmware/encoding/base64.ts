import { DecodeError } from './errors';

/**
 * Base64 (RFC 4648 §4) and base64url (§5), as SimpleX writes them:
 * - full links, key hashes and every `strEncode`d ByteString: base64url WITH '=' padding
 *   (simplexmq `Data.ByteString.Base64.URL.encode`), so always emit the padded form there;
 * - short links: base64url without padding (`encodeUnpadded`);
 * - some configuration (SimpleGo's C sources, simplexmq test fixtures) uses standard base64.
 *
 * Decoding is strict. What Haskell's base64-bytestring (1.2.x, which simplexmq builds with) does,
 * and what we chose:
 * - `Base64.URL.decode` (used by simplexmq's `base64urlP`/`strDecode`) accepts the input padded or
 *   unpadded ("Don'tCare"): a length ≡ 2 or 3 (mod 4) is completed with '=' before decoding, a
 *   length ≡ 1 (mod 4) is refused, and a length ≡ 3 whose last character is '=' (a partial
 *   padding) is refused. The standard-alphabet `Base64.decode` requires padding. We accept
 *   both forms for both alphabets by default ('optional'), because the spec says the parser takes
 *   either (agent.md §2) and fingerprints are compared as bytes, never as strings; 'required' and
 *   'forbidden' give the strict one-form behaviours when a format fixes it.
 * - Since 1.1.1.0 it rejects non-canonical encodings, i.e. non-zero bits in the last character
 *   that do not fit in the output ("QR==" for one byte 0x41 instead of "QQ=="). So do we: without
 *   this one byte string would have several spellings, which matters where encodings are compared.
 * - '=' anywhere but at the end, characters outside the alphabet (including whitespace and line
 *   breaks; the strict decoders refuse them too) and more than two '=' are errors. We never mix
 *   alphabets within one string.
 * All failures are DecodeError('bad-base64') with the character offset; the input is not quoted.
 */

export type Base64Alphabet = 'standard' | 'url';
/** 'optional': padded or unpadded; 'required': length must be a multiple of 4; 'forbidden': no '='. */
export type Base64Padding = 'optional' | 'required' | 'forbidden';

const STANDARD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const PAD = 0x3d; // '='
const INVALID = 255;

function reverseTable(chars: string): Uint8Array {
  const t = new Uint8Array(128).fill(INVALID);
  for (let i = 0; i < chars.length; i++) t[chars.charCodeAt(i)] = i;
  return t;
}

/** 128-entry reverse tables (ASCII code → 6-bit value, or INVALID). */
const STANDARD_VALUES = reverseTable(STANDARD_CHARS);
const URL_VALUES = reverseTable(URL_CHARS);

export function encodeBase64(bytes: Uint8Array, alphabet: Base64Alphabet = 'standard', pad: boolean = true): string {
  const chars = alphabet === 'url' ? URL_CHARS : STANDARD_CHARS;
  let s = '';
  const n = bytes.length;
  const whole = n - (n % 3);
  for (let i = 0; i < whole; i += 3) {
    const w = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    s += chars.charAt(w >> 18) + chars.charAt((w >> 12) & 63) + chars.charAt((w >> 6) & 63) + chars.charAt(w & 63);
  }
  if (n - whole === 1) {
    const w = bytes[whole] << 16;
    s += chars.charAt(w >> 18) + chars.charAt((w >> 12) & 63);
    if (pad) s += '==';
  } else if (n - whole === 2) {
    const w = (bytes[whole] << 16) | (bytes[whole + 1] << 8);
    s += chars.charAt(w >> 18) + chars.charAt((w >> 12) & 63) + chars.charAt((w >> 6) & 63);
    if (pad) s += '=';
  }
  return s;
}

/** base64url with '=' padding: SimpleX's `strEncode` of a ByteString (key hashes, keys in full links). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encodeBase64(bytes, 'url', true);
}

/** base64url without padding: short links (agent.md §4.6). */
export function encodeBase64UrlNoPad(bytes: Uint8Array): string {
  return encodeBase64(bytes, 'url', false);
}

export function decodeBase64(text: string, alphabet: Base64Alphabet = 'standard', padding: Base64Padding = 'optional'): Uint8Array {
  const values = alphabet === 'url' ? URL_VALUES : STANDARD_VALUES;
  const name = alphabet === 'url' ? 'base64url' : 'base64';
  const n = text.length;

  let pads = 0;
  while (pads < n && text.charCodeAt(n - 1 - pads) === PAD) pads++;
  const body = n - pads;
  if (pads > 0) {
    if (padding === 'forbidden') throw badBase64(name, body, "'=' padding where the format forbids it");
    // Padding completes the last quantum exactly: 'xx==' or 'xxx='.
    if (pads > 2 || n % 4 !== 0) throw badBase64(name, body, "misplaced '=' padding");
  } else if (padding === 'required' && n % 4 !== 0) {
    throw badBase64(name, n, "missing '=' padding");
  }
  if (body % 4 === 1) throw badBase64(name, body - 1, 'impossible length (one character left over)');

  const out = new Uint8Array(((body >> 2) * 3) + (body % 4 === 0 ? 0 : (body % 4) - 1));
  let o = 0;
  let acc = 0;
  for (let i = 0; i < body; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? values[c] : INVALID;
    if (v === INVALID) {
      throw badBase64(name, i, c === PAD ? "misplaced '=' padding" : 'character outside the ' + name + ' alphabet');
    }
    acc = (acc << 6) | v;
    if ((i & 3) === 3) {
      out[o++] = acc >> 16;
      out[o++] = (acc >> 8) & 0xff;
      out[o++] = acc & 0xff;
      acc = 0;
    }
  }
  const rest = body & 3;
  if (rest === 2) {
    // 12 bits carry 8: the low 4 bits of the last character must be zero.
    if ((acc & 0x0f) !== 0) throw badBase64(name, body - 1, 'non-canonical encoding (non-zero trailing bits)');
    out[o++] = acc >> 4;
  } else if (rest === 3) {
    // 18 bits carry 16: the low 2 bits of the last character must be zero.
    if ((acc & 0x03) !== 0) throw badBase64(name, body - 1, 'non-canonical encoding (non-zero trailing bits)');
    out[o++] = acc >> 10;
    out[o++] = (acc >> 2) & 0xff;
  }
  return out;
}

/** base64url, padded or not, as simplexmq's `base64urlP` / `strDecode` accept it. */
export function decodeBase64Url(text: string, padding: Base64Padding = 'optional'): Uint8Array {
  return decodeBase64(text, 'url', padding);
}

/**
 * Either alphabet, for values people copy from places that use either spelling (server
 * fingerprints: reference-device.md §5 "accept both alphabets on input"). A string that uses
 * characters of both alphabets ('+' or '/' together with '-' or '_') is refused.
 */
export function decodeBase64AnyAlphabet(text: string, padding: Base64Padding = 'optional'): Uint8Array {
  let standardAt = -1;
  let urlAt = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x2b || c === 0x2f) && standardAt < 0) standardAt = i; // '+' '/'
    if ((c === 0x2d || c === 0x5f) && urlAt < 0) urlAt = i; // '-' '_'
  }
  if (standardAt >= 0 && urlAt >= 0) {
    throw badBase64('base64', standardAt > urlAt ? standardAt : urlAt, 'mixes the standard and URL-safe alphabets');
  }
  return decodeBase64(text, standardAt >= 0 ? 'standard' : 'url', padding);
}

function badBase64(name: string, offset: number, why: string): DecodeError {
  return new DecodeError('bad-base64', 'invalid ' + name + ' at character ' + offset + ': ' + why);
}
