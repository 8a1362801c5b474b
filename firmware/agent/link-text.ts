/**
 * Scanning helpers shared by the link parsers (full links, queue URIs, short links). They mirror
 * the attoparsec pieces upstream composes its link parsers from, so each parser reads like its
 * Haskell counterpart.
 */

/**
 * `base64urlP`'s extent: a non-empty run of base64url characters, then any '=' padding. Returns
 * the index after it, or `start` when there is no base64url character at `start`. Decoding (and
 * the strictness about padding and trailing bits) is base64.ts's job.
 */
export function scanBase64Url(text: string, start: number): number {
  let i = start;
  while (i < text.length && isBase64UrlChar(text.charCodeAt(i))) i++;
  if (i === start) return start;
  while (i < text.length && text.charCodeAt(i) === 0x3d) i++; // '='
  return i;
}

/**
 * True when `text` could still become `literal` (it is a proper prefix of it, or empty): the
 * input stopped early rather than saying something else. Used to tell "truncated" from "wrong".
 */
export function isCutShortOf(text: string, literal: string): boolean {
  return text.length < literal.length && literal.substring(0, text.length) === text;
}

function isBase64UrlChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
}

/**
 * True when `text` ends inside a %-escape ("…%" or "…%3"): a link cut off mid-character, which is
 * better reported as truncated than as a broken escape.
 */
export function endsInCutEscape(text: string): boolean {
  const n = text.length;
  if (n >= 1 && text.charCodeAt(n - 1) === 0x25) return true;
  return n >= 2 && text.charCodeAt(n - 2) === 0x25 && isHexDigit(text.charCodeAt(n - 1));
}

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}
