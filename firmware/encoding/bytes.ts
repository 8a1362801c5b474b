/** Byte-array helpers used across firmware/. Whole-buffer operations only (set/subarray). */

/** Concatenates byte arrays into one new array. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (let i = 0; i < parts.length; i++) total += parts[i].length;
  const out = new Uint8Array(total);
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], pos);
    pos += parts[i].length;
  }
  return out;
}

/** A copy that is a real Uint8Array on every runtime (Espruino's Uint8Array.slice returns an Array). */
export function copyBytes(src: Uint8Array, start: number = 0, end: number = src.length): Uint8Array {
  return new Uint8Array(src.subarray(start, end));
}

/**
 * Equality that takes the same time wherever the arrays differ: use it for tags, MACs,
 * fingerprints and anything derived from a secret. Length is not secret.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Overwrites key material or plaintext we are done with. */
export function wipe(buf: Uint8Array): void {
  buf.fill(0);
}

const HEX = '0123456789abcdef';

/** Lowercase hex, for tests and for short non-secret tags in logs. */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX.charAt(bytes[i] >> 4) + HEX.charAt(bytes[i] & 15);
  return s;
}

/** Parses hex (either case); returns null on odd length or a non-hex character. */
export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(hex.charCodeAt(2 * i));
    const lo = hexDigit(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}
