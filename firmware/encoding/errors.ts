import { SimpleGoError } from '../../hal/errors';

/**
 * Why a decoder rejected its input. A closed set, so callers can switch on it exhaustively.
 *
 * - 'truncated':         the input ended before the value was complete
 * - 'trailing-bytes':    a complete value was followed by bytes nobody asked for
 * - 'invalid-value':     the bytes are there but do not form a valid value (bad tag, min > max, ...)
 * - 'unknown-algorithm': a public key whose algorithm is not one SimpleX uses
 * - 'wrong-algorithm':   a supported public key, but not of the algorithm the caller requires
 * - 'bad-base64':        not canonical base64 in the expected alphabet
 * - 'bad-escape':        a broken percent-escape, or a character that cannot appear in an escaped URL part
 * - 'bad-utf8':          not well-formed UTF-8
 */
export type DecodeErrorCode =
  | 'truncated'
  | 'trailing-bytes'
  | 'invalid-value'
  | 'unknown-algorithm'
  | 'wrong-algorithm'
  | 'bad-base64'
  | 'bad-escape'
  | 'bad-utf8';

/**
 * Raised by every decoder and parser in firmware/encoding for input that came from outside.
 * The message names what was being decoded and the byte or character offset where it failed;
 * it never quotes the input itself, which may be key material.
 */
export class DecodeError extends SimpleGoError {
  declare readonly code: DecodeErrorCode;
  constructor(code: DecodeErrorCode, message: string) {
    super(code, message);
    this.name = 'DecodeError';
  }
}

/**
 * Why an encoder refused a value. Encoding errors are bugs in the caller (the value came from our
 * own code), but they must still fail loudly rather than emit bytes the peer would misread:
 * - 'too-long':      a byte string or list longer than its length prefix can describe
 * - 'invalid-value': a number out of range for its field, min > max, a non-ASCII tag, ...
 */
export type EncodeErrorCode = 'too-long' | 'invalid-value';

export class EncodeError extends SimpleGoError {
  declare readonly code: EncodeErrorCode;
  constructor(code: EncodeErrorCode, message: string) {
    super(code, message);
    this.name = 'EncodeError';
  }
}
