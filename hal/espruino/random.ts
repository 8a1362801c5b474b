import { CryptoError } from '../crypto';
import type { NativeCrypto } from '../native-api';
import { NATIVE_MAX_RANDOM_BYTES } from '../native-api';
import type { Random } from '../random';

/**
 * Random bytes from the native layer's hardware RNG, the only entropy source on the device:
 * Math.random and E.hwRand are fixed-seed PRNGs on Espruino (espruino-target.md §4.4).
 * The length of what comes back is checked, so a faulty native build cannot hand out short
 * keys silently.
 */
export function createEspruinoRandom(native: NativeCrypto): Random {
  return {
    bytes(n: number): Uint8Array {
      if (typeof n !== 'number' || n !== Math.floor(n) || n < 0 || n > NATIVE_MAX_RANDOM_BYTES) {
        throw new CryptoError('bad-length', 'random byte count must be an integer in 0..' + NATIVE_MAX_RANDOM_BYTES + ', got ' + n);
      }
      const out = native.randomBytes(n);
      if (!(out instanceof Uint8Array) || out.length !== n) {
        throw new CryptoError('bad-length', 'the native random source returned the wrong number of bytes');
      }
      return out;
    },
  };
}
