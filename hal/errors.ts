/**
 * The base of every typed error SimpleGo raises.
 *
 * `code` is a stable machine-readable tag (the UI and tests switch on it);
 * `message` says what a person needs to act. Neither may contain secrets.
 * Written as a plain ES5-compatible subclass (see espruino-target.md §5.3:
 * a native `class extends Error` loses `message` on Espruino, the lowered
 * TypeScript form keeps it), so no reliance on `new.target` or Error.captureStackTrace.
 */
export class SimpleGoError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'SimpleGoError';
    // Restore the prototype chain when lowered to ES5 (TypeScript's documented fix).
    Object.setPrototypeOf(this, new.target.prototype);
  }
}
