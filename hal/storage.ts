import { SimpleGoError } from './errors';

/**
 * The SD card: a small file system with the two durability primitives every
 * crash-safe store is built from. Paths are relative to the card root, '/'-separated,
 * each segment made of [A-Za-z0-9._-] and not "." or ".."; anything else is 'invalid-path'.
 *
 * Guarantees (the Node backend implements them with write-temp, fsync, rename, fsync dir;
 * the device backend with the same sequence on FatFs):
 * - writeFileAtomic: after it returns the new content is durable; if power is lost at any
 *   moment before, the file holds either its old content or the new, never a mix.
 * - appendFile: after it returns the appended bytes are durable. A power cut during the
 *   call may leave any prefix of them (a torn tail), which is why journals frame and
 *   authenticate their records and truncate a torn tail on recovery.
 * Data on the card is untrusted: it may have been tampered with while the device was off.
 */
export interface Storage {
  /** The whole file, or null if it does not exist. */
  readFile(path: string): Uint8Array | null;
  writeFileAtomic(path: string, data: Uint8Array): void;
  /** Appends and syncs; creates the file if missing. */
  appendFile(path: string, data: Uint8Array): void;
  /** Cuts the file to `size` bytes and syncs (journal recovery). */
  truncateFile(path: string, size: number): void;
  /** Removes a file; no error if it does not exist. */
  deleteFile(path: string): void;
  /** Size in bytes, or -1 if the file does not exist. */
  fileSize(path: string): number;
  /** Names (not paths) of the files and directories in `dir` ("" is the root); [] if missing. */
  listDir(dir: string): string[];
  /** Creates the directory and its parents; no error if it exists. */
  makeDir(dir: string): void;
}

export type StorageErrorCode =
  | 'invalid-path'
  | 'io' // the card reported an error
  | 'no-space' // the card is full
  | 'not-mounted'; // no card, or it was removed

export class StorageError extends SimpleGoError {
  constructor(code: StorageErrorCode, message: string) {
    super(code, message);
    this.name = 'StorageError';
  }
}
