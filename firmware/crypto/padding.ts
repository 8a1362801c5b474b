import { SimpleGoError } from '../../hal/errors';

/**
 * SimpleX padding (smp.md §1.2, agent.md §11): pad(m, L) = word16 len(m) ‖ m ‖ '#' × (L − len − 2).
 * Every layer pads to a fixed size so that all messages look alike on the wire.
 */
const PAD_BYTE = 0x23; // '#'

/** The largest message a 2-byte length can describe with room for itself (simplexmq `pad`). */
export const MAX_PADDED_MESSAGE = 65533;

export type PaddingErrorCode = 'message-too-large' | 'bad-padding';

export class PaddingError extends SimpleGoError {
  constructor(code: PaddingErrorCode, message: string) {
    super(code, message);
    this.name = 'PaddingError';
  }
}

export function pad(message: Uint8Array, paddedLength: number): Uint8Array {
  const len = message.length;
  if ((paddedLength | 0) !== paddedLength || paddedLength < 2) {
    throw new PaddingError('message-too-large', 'padded size must be a whole number of bytes >= 2, got ' + paddedLength);
  }
  if (len > MAX_PADDED_MESSAGE || len + 2 > paddedLength) {
    throw new PaddingError('message-too-large', 'message of ' + len + ' bytes does not fit padded size ' + paddedLength);
  }
  const out = new Uint8Array(paddedLength);
  out[0] = len >> 8;
  out[1] = len & 0xff;
  out.set(message, 2);
  out.fill(PAD_BYTE, 2 + len);
  return out;
}

/**
 * Returns the message inside a padded buffer, as a view (no copy).
 * Like simplexmq `unPad`, the filler bytes are not checked: the padded buffer has already been
 * authenticated by the layer that carried it, and the reference accepts any filler.
 */
export function unpad(padded: Uint8Array): Uint8Array {
  if (padded.length < 2) throw new PaddingError('bad-padding', 'padded data shorter than its 2-byte length');
  const len = (padded[0] << 8) | padded[1];
  if (len > padded.length - 2) {
    throw new PaddingError('bad-padding', 'padded length ' + len + ' exceeds the ' + (padded.length - 2) + ' bytes available');
  }
  return padded.subarray(2, 2 + len);
}
