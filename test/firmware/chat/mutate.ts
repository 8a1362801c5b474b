/** The mutation step of the fixed-seed fuzz tests (agent and chat decoders alike). */
import { randomBytes, randomInt } from '../encoding/helpers';

/** One to three of: flip a bit, overwrite a byte, insert 1-4 bytes, delete a byte, truncate. */
export function mutate(rng: () => number, input: Uint8Array): Uint8Array {
  let b = input.slice();
  const ops = 1 + randomInt(rng, 3);
  for (let k = 0; k < ops; k++) {
    const op = randomInt(rng, 5);
    const at = b.length === 0 ? 0 : randomInt(rng, b.length);
    if (op === 0 && b.length > 0) b[at] ^= 1 << randomInt(rng, 8);
    else if (op === 1 && b.length > 0) b[at] = randomInt(rng, 256);
    else if (op === 2) {
      const ins = randomBytes(rng, 1 + randomInt(rng, 4));
      const out = new Uint8Array(b.length + ins.length);
      out.set(b.subarray(0, at));
      out.set(ins, at);
      out.set(b.subarray(at), at + ins.length);
      b = out;
    } else if (op === 3 && b.length > 0) {
      const out = new Uint8Array(b.length - 1);
      out.set(b.subarray(0, at));
      out.set(b.subarray(at + 1), at);
      b = out;
    } else b = b.slice(0, at);
  }
  return b;
}
