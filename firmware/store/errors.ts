import { SimpleGoError } from '../../hal/errors';

/**
 * Why the store refused an operation. A closed set, so the UI can switch on it.
 *
 * - 'no-store':       there is no store on the card yet (create one), or it was wiped
 * - 'exists':         create() found a store already on the card
 * - 'locked':         the operation needs the store unlocked
 * - 'wrong-pin':      the PIN did not unwrap the master key (attemptsLeft says how many remain before a wipe)
 * - 'locked-out':     too many wrong PINs in a row: wait retryAfterMs before the next attempt
 * - 'wiped':          this wrong PIN was the last one allowed: the store has been erased
 * - 'damaged':        a file fails authentication or is malformed; `item` names which one
 * - 'rollback':       the card, or one file on it, is older than what this store has already seen
 * - 'anchor-missing': the store is tied to this device's internal flash, and the anchor there is gone
 * - 'unsupported':    a file format version this firmware does not know
 * - 'bad-argument':   a caller mistake (unknown type, wrong kind for the type, id too long, ...)
 * - 'too-large':      a record or log entry above the size limit
 * - 'full':           a counter would overflow (commit sequence, log position)
 * - 'needs-recovery': an earlier write failed half-way; lock and unlock again to recover
 */
export type StoreErrorCode =
  | 'no-store'
  | 'exists'
  | 'locked'
  | 'wrong-pin'
  | 'locked-out'
  | 'wiped'
  | 'damaged'
  | 'rollback'
  | 'anchor-missing'
  | 'unsupported'
  | 'bad-argument'
  | 'too-large'
  | 'full'
  | 'needs-recovery';

/**
 * Raised by firmware/store. Messages and `item` never contain keys or plaintext; they name files
 * by role ("journal", "keyring") and records by type code and the first id bytes in hex.
 * Failures of the card itself are not wrapped: they arrive as hal/storage's StorageError.
 */
export class StoreError extends SimpleGoError {
  declare readonly code: StoreErrorCode;
  /** What is damaged or rolled back ("journal", "record 0x05 ab12cd34", ...); "" when not about one item. */
  readonly item: string;
  /** For 'locked-out': milliseconds until the next PIN attempt is accepted; otherwise 0. */
  readonly retryAfterMs: number;
  /** For 'wrong-pin': attempts left before the store erases itself, or -1 when no wipe is configured. */
  readonly attemptsLeft: number;

  constructor(code: StoreErrorCode, message: string, item: string = '', retryAfterMs: number = 0, attemptsLeft: number = -1) {
    super(code, message);
    this.name = 'StoreError';
    this.item = item;
    this.retryAfterMs = retryAfterMs;
    this.attemptsLeft = attemptsLeft;
  }
}
