import { SimpleGoError } from '../../hal/errors';
import { DecodeError } from '../encoding/errors';

/**
 * Why a SimpleX link (full or short, text or binary form) was refused. A closed set, so the UI can
 * switch on it and show its own wording; `message` is already readable on its own.
 *
 * - 'too-long':             longer than any link the apps produce (a guard against memory abuse)
 * - 'unknown-scheme':       does not start with "simplex:" or "https://"
 * - 'not-a-simplex-link':   the right scheme, but not the shape of a SimpleX connection link
 * - 'truncated':            the link stops before it is complete (often a partial copy or scan)
 * - 'bad-encoding':         a broken %-escape, invalid UTF-8, or a character a link cannot contain
 * - 'missing-parameter':    a required part (v=, smp=, e2e=, dh=, ...) is absent
 * - 'bad-version-range':    a version range that is not "a" or "a-b" with a ≤ b
 * - 'incompatible-version': well formed, but no version in common with this device
 * - 'bad-key':              a key that is not valid base64url, of the wrong algorithm or length
 * - 'bad-e2e-params':       end-to-end encryption parameters in the wrong shape
 * - 'bad-queue-uri':        a messaging queue address (smp://...) that cannot be read
 * - 'too-many-queues':      more queues (or hosts) than a link may carry
 * - 'bad-server-address':   the server part of a queue address or short link is invalid
 * - 'bad-short-link':       a short link whose identifier or key is malformed
 * - 'bad-binary':           the binary form of a connection request is malformed
 */
export type LinkErrorCode =
  | 'too-long'
  | 'unknown-scheme'
  | 'not-a-simplex-link'
  | 'truncated'
  | 'bad-encoding'
  | 'missing-parameter'
  | 'bad-version-range'
  | 'incompatible-version'
  | 'bad-key'
  | 'bad-e2e-params'
  | 'bad-queue-uri'
  | 'too-many-queues'
  | 'bad-server-address'
  | 'bad-short-link'
  | 'bad-binary';

/**
 * The one error type link parsing lets escape. Messages name the part of the link that is wrong
 * and never quote the link: it carries keys and queue identifiers.
 */
export class LinkError extends SimpleGoError {
  declare readonly code: LinkErrorCode;
  /** The lower-level error this one explains (from base64, URL decoding, key or binary decoding), or null. */
  readonly wrapped: SimpleGoError | null;

  constructor(code: LinkErrorCode, message: string, wrapped: SimpleGoError | null = null) {
    super(code, message);
    this.name = 'LinkError';
    this.wrapped = wrapped;
  }
}

/**
 * Runs `fn`; a DecodeError it throws becomes a LinkError with `code` and `what` prefixed to the
 * message. A LinkError passes through unchanged; anything else is a bug and propagates.
 */
export function asLinkError<T>(code: LinkErrorCode, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DecodeError) throw new LinkError(code, what + ': ' + e.message, e);
    throw e;
  }
}
