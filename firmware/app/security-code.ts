import { constantTimeEqual } from './compare';

/**
 * The contact security code as the SimpleX apps show it (simplex-chat `verificationCode`): the
 * connection's ratchet associated-data hash (SHA-256 of both X3DH identity keys, the agent's
 * getConnectionRatchetAdHash) read as one big-endian unsigned integer, written in decimal and
 * cut into groups of five digits separated by spaces (the last group may be shorter). Both
 * sides hold the same associated data, so both show the same code; a person in the middle
 * would have made two different connections and two different codes.
 */
export function securityCodeOf(adHash: Uint8Array): string {
  const digits = decimalDigits(adHash);
  let out = '';
  for (let i = 0; i < digits.length; i += 5) {
    if (i > 0) out += ' ';
    out += digits.substring(i, i + 5);
  }
  return out;
}

/**
 * Decimal digits of a big-endian unsigned integer without arbitrary-precision integers (Espruino has none): repeated
 * division of a base-256 number by 100000, each remainder giving five digits.
 */
export function decimalDigits(bytes: Uint8Array): string {
  const n = new Uint8Array(bytes);
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  if (start === n.length) return '0';
  const groups: number[] = [];
  while (start < n.length) {
    let rem = 0;
    for (let i = start; i < n.length; i++) {
      // rem < 100000 and rem * 256 + 255 < 2^53: exact in a double.
      const cur = rem * 256 + n[i];
      const q = Math.floor(cur / 100000);
      n[i] = q;
      rem = cur - q * 100000;
    }
    groups.push(rem);
    while (start < n.length && n[start] === 0) start++;
  }
  let s = String(groups[groups.length - 1]);
  for (let i = groups.length - 2; i >= 0; i--) {
    const g = String(groups[i]);
    s += '00000'.substring(g.length) + g;
  }
  return s;
}

/** The code with every space removed, as the apps compare codes. */
export function codeDigits(code: string): string {
  let out = '';
  for (let i = 0; i < code.length; i++) {
    const c = code.charAt(i);
    if (c !== ' ' && c !== '\n' && c !== '\t') out += c;
  }
  return out;
}

/** Whether two codes match once spaces are ignored, in time independent of where they differ. */
export function sameSecurityCode(ours: string, theirs: string): boolean {
  return constantTimeEqual(codeDigits(ours), codeDigits(theirs));
}
