import { randomFillSync } from 'node:crypto';
import { CryptoError } from '../crypto';
import type { Random } from '../random';

/** The largest request, as in the interface (and the Web Crypto getRandomValues limit). */
const MAX_BYTES = 65536;

/** The operating system's CSPRNG through node:crypto. */
export function createNodeRandom(): Random {
  return {
    bytes(n: number): Uint8Array {
      if (typeof n !== 'number' || n !== Math.floor(n) || n < 0 || n > MAX_BYTES) {
        throw new CryptoError('bad-length', 'random byte count must be an integer in 0..' + MAX_BYTES + ', got ' + n);
      }
      // A plain Uint8Array of its own (not a Buffer, not a view into Node's shared pool), so
      // callers may keep it, wipe it or hand out its .buffer without exposing other data.
      const out = new Uint8Array(n);
      randomFillSync(out);
      return out;
    },
  };
}
