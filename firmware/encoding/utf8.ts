import { DecodeError } from './errors';

/**
 * UTF-8 for a runtime without TextEncoder/TextDecoder (Espruino).
 *
 * Encoding follows the WHATWG encoder: a string is a sequence of UTF-16 code units, surrogate
 * pairs become one 4-byte sequence, and a lone surrogate becomes U+FFFD (it has no UTF-8 form).
 * Decoding is strict, like Haskell's `decodeUtf8'` that simplexmq uses for `Text` fields: any
 * ill-formed sequence is an error instead of being replaced, so a message that is not UTF-8 is
 * rejected rather than shown differently on each device. A leading BOM is kept as U+FEFF.
 *
 * On the ESP32 build strings are 8 bit (espruino-target.md §1), so code points above U+00FF do not
 * survive in a JS string there; keep text as UTF-8 bytes and decode only for display.
 */

const REPLACEMENT = 0xfffd;

/** The number of bytes `utf8Encode(text)` produces. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3; // BMP character, or a lone surrogate written as U+FFFD
  }
  return n;
}

export function utf8Encode(text: string): Uint8Array {
  // Two passes (size, then fill) so the output is allocated once at its exact size.
  const out = new Uint8Array(utf8Length(text));
  let p = 0;
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      if (cp <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(i + 1) - 0xdc00);
        i++;
      } else {
        cp = REPLACEMENT;
      }
    }
    if (cp < 0x80) {
      out[p++] = cp;
    } else if (cp < 0x800) {
      out[p++] = 0xc0 | (cp >> 6);
      out[p++] = 0x80 | (cp & 0x3f);
    } else if (cp < 0x10000) {
      out[p++] = 0xe0 | (cp >> 12);
      out[p++] = 0x80 | ((cp >> 6) & 0x3f);
      out[p++] = 0x80 | (cp & 0x3f);
    } else {
      out[p++] = 0xf0 | (cp >> 18);
      out[p++] = 0x80 | ((cp >> 12) & 0x3f);
      out[p++] = 0x80 | ((cp >> 6) & 0x3f);
      out[p++] = 0x80 | (cp & 0x3f);
    }
  }
  return out;
}

/**
 * Strict decoding per RFC 3629 / Unicode table 3-7: rejects bytes C0, C1, F5..FF, unexpected
 * continuation bytes, overlong forms, encoded surrogates (ED A0..BF), code points above U+10FFFF
 * and sequences cut short by the end of input, all with DecodeError('bad-utf8').
 */
export function utf8Decode(bytes: Uint8Array): string {
  let s = '';
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b0 = bytes[i];
    if (b0 < 0x80) {
      s += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need: number; // continuation bytes that follow b0
    let cp: number;
    // The allowed range of the FIRST continuation byte; this one check excludes overlong forms,
    // surrogates and values above U+10FFFF (the later continuation bytes are always 80..BF).
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      if (b0 === 0xe0) lo = 0xa0; // below would be overlong (< U+0800)
      else if (b0 === 0xed) hi = 0x9f; // above would be a surrogate (U+D800..U+DFFF)
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      if (b0 === 0xf0) lo = 0x90; // below would be overlong (< U+10000)
      else if (b0 === 0xf4) hi = 0x8f; // above would exceed U+10FFFF
    } else {
      throw badUtf8(i, b0 >= 0x80 && b0 <= 0xbf ? 'unexpected continuation byte' : 'byte that never appears in UTF-8');
    }
    if (i + need >= n) {
      // Fewer than `need` bytes remain; a bad byte among them is reported before the truncation.
      for (let k = 1; i + k < n; k++) checkContinuation(bytes[i + k], k === 1 ? lo : 0x80, k === 1 ? hi : 0xbf, i + k);
      throw badUtf8(i, 'sequence truncated by the end of input');
    }
    for (let k = 1; k <= need; k++) {
      const b = bytes[i + k];
      checkContinuation(b, k === 1 ? lo : 0x80, k === 1 ? hi : 0xbf, i + k);
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < 0x10000) {
      s += String.fromCharCode(cp);
    } else {
      const v = cp - 0x10000;
      s += String.fromCharCode(0xd800 + (v >> 10));
      s += String.fromCharCode(0xdc00 + (v & 0x3ff));
    }
    i += need + 1;
  }
  return s;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function checkContinuation(b: number, lo: number, hi: number, offset: number): void {
  if (b < lo || b > hi) {
    throw badUtf8(offset, b >= 0x80 && b <= 0xbf ? 'overlong, surrogate or out-of-range sequence' : 'missing continuation byte');
  }
}

function badUtf8(offset: number, why: string): DecodeError {
  return new DecodeError('bad-utf8', 'invalid UTF-8 at byte ' + offset + ': ' + why);
}
