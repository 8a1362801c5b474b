import { SimpleGoError } from '../../hal/errors';

/**
 * Why the local SMP router could not start or had to stop. Protocol failures of a client are not
 * errors of the router: they are ERR responses or a closed connection, never an exception.
 */
export type RouterErrorCode =
  | 'bad-option' // a start option or command-line argument is not usable
  | 'identity' // the identity files in the store exist but are incomplete, unreadable or inconsistent
  | 'store-corrupt' // a store log line that is not the torn last one does not parse or contradicts the log
  | 'store-locked' // another live router process uses the same store directory
  | 'store-io' // reading or writing the store failed (disk full, permissions, vanished directory)
  | 'listen'; // the TCP port could not be bound

export class RouterError extends SimpleGoError {
  declare readonly code: RouterErrorCode;
  constructor(code: RouterErrorCode, message: string) {
    super(code, message);
    this.name = 'RouterError';
  }
}
