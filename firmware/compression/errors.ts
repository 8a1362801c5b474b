import { SimpleGoError } from '../../hal/errors';

/**
 * Why the zstd decoder refused its input. A closed set, so callers can switch on it:
 *
 * - 'truncated':        the input ends inside a frame (a header, a block, or the checksum is cut off)
 * - 'bad-magic':        a frame does not start with the zstd or a skippable-frame magic number
 * - 'unsupported':      a valid frame needs something this decoder deliberately lacks: a dictionary
 * - 'corrupt':          the bytes are all there but do not form a valid frame (a bad table, an
 *                       offset before the start of the output, a size that disagrees with its header, ...)
 * - 'too-large':        the content would exceed the caller's `maxOutput`
 * - 'checksum':         the frame decoded, but its content checksum does not match what was decoded
 * - 'invalid-argument': the caller passed an impossible `maxOutput` (a bug in the caller, not the input)
 */
export type ZstdErrorCode =
  | 'truncated'
  | 'bad-magic'
  | 'unsupported'
  | 'corrupt'
  | 'too-large'
  | 'checksum'
  | 'invalid-argument';

/**
 * Raised for every input the decoder rejects. The message names the structure and byte offset
 * where decoding stopped; it never quotes content, which is a decrypted message.
 */
export class ZstdError extends SimpleGoError {
  declare readonly code: ZstdErrorCode;
  constructor(code: ZstdErrorCode, message: string) {
    super(code, message);
    this.name = 'ZstdError';
  }
}
