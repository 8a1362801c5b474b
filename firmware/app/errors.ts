import { SimpleGoError } from '../../hal/errors';

/**
 * What the application model itself refuses (everything below it raises its own typed errors,
 * which the model passes on unchanged).
 */
export type AppErrorCode = 'locked' | 'unknown-contact' | 'too-long' | 'empty' | 'not-failed' | 'bad-record' | 'no-pin' | 'has-pin';

export class AppError extends SimpleGoError {
  declare readonly code: AppErrorCode;
  constructor(code: AppErrorCode, message: string) {
    super(code, message);
    this.name = 'AppError';
  }
}
