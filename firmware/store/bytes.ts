/**
 * Fixed-offset big-endian fields, the only integer encoding the store's file formats use.
 * Values are unsigned and checked by the callers; these helpers do no validation.
 */

export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 24) & 0xff;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

export function readU32(buf: Uint8Array, offset: number): number {
  // `* 0x1000000` instead of `<< 24` keeps values >= 2^31 positive.
  return buf[offset] * 0x1000000 + ((buf[offset + 1] << 16) | (buf[offset + 2] << 8) | buf[offset + 3]);
}

export function writeU16(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = (value >>> 8) & 0xff;
  buf[offset + 1] = value & 0xff;
}

export function readU16(buf: Uint8Array, offset: number): number {
  return (buf[offset] << 8) | buf[offset + 1];
}

/** The bytes of an ASCII constant (labels and magics; computed once at module load). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0x7f;
  return out;
}

/** True when `buf` holds `magic` at `offset` (magics are not secret: a plain comparison). */
export function hasMagic(buf: Uint8Array, offset: number, magic: Uint8Array): boolean {
  if (buf.length < offset + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[offset + i] !== magic[i]) return false;
  return true;
}

const HEX = '0123456789abcdef';

/** Eight lowercase hex digits (file names of log segments). */
export function hex8(value: number): string {
  let s = '';
  for (let shift = 28; shift >= 0; shift -= 4) s += HEX.charAt((value >>> shift) & 15);
  return s;
}

/** "0x05 0a0b0c0d" style label for error messages: the type and at most 4 id bytes, never more. */
export function describeAddress(kind: string, type: number, id: Uint8Array): string {
  let s = kind + ' 0x' + (type < 16 ? '0' : '') + type.toString(16) + ' ';
  const n = id.length < 4 ? id.length : 4;
  for (let i = 0; i < n; i++) s += HEX.charAt(id[i] >> 4) + HEX.charAt(id[i] & 15);
  if (id.length > 4) s += '…';
  if (id.length === 0) s += '(empty id)';
  return s;
}
