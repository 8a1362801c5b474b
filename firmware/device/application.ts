/**
 * The seam between the boot path and the application (screens, agent): the application module
 * calls registerApplication() when it is imported, and boot starts it after a passing self-test.
 * The import itself lives in apps.ts, so plugging the application in is one line there, for the
 * device image and the simulator alike.
 */
import { SimpleGoError } from '../../hal/errors';
import type { Hal } from '../../hal/index';
import type { BootReport } from './boot';

export interface Application {
  readonly name: string;
  /** Called once, after the self-test passed; the application owns the device from then on. */
  start(hal: Hal, report: BootReport): void;
}

let registered: Application | null = null;

export class ApplicationError extends SimpleGoError {
  constructor(message: string) {
    super('already-registered', message);
    this.name = 'ApplicationError';
  }
}

/** Registers the application; a second registration is a build mistake and throws. */
export function registerApplication(app: Application): void {
  if (registered !== null) {
    throw new ApplicationError('an application (' + registered.name + ') is already registered; cannot add ' + app.name);
  }
  registered = app;
}

export function registeredApplication(): Application | null {
  return registered;
}

/** Tests only: forget the registration. */
export function clearApplication(): void {
  registered = null;
}
