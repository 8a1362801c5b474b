/**
 * The device entry: the image's loader calls startDevice(board, builtins) once at power-on
 * (tools/device-build writes that call into .bootcde). It brings up the board, checks that the
 * firmware's native layer is the one this JavaScript was written against, composes the HAL and
 * runs the shared boot path (firmware/device/boot.ts), which starts the application registered
 * through firmware/device/apps.ts.
 */
import '../../firmware/device/apps';
import { bootDevice } from '../../firmware/device/boot';
import type { BootReport } from '../../firmware/device/boot';
import type { CheckResult } from '../../firmware/device/self-test';
import { NATIVE_API_VERSION } from '../native-api';
import type { EspruinoBoard } from './board';
import type { EspruinoBuiltins } from './builtins';
import { createBoardBasics, createEspruinoHal } from './hal';

/** The share of Espruino's variables boot may use (README: the boot budget). */
export const BOOT_VARIABLE_BUDGET = 0.6;

export function startDevice(board: EspruinoBoard, builtins: EspruinoBuiltins): BootReport | null {
  const basics = createBoardBasics(board, builtins);
  const banner = 'SimpleGo ' + builtins.imageId + ' on ' + board.name + ', Espruino ' + builtins.version;
  const native = builtins.native;

  let nativeProblem = '';
  if (native === null) nativeProblem = 'no native layer: flash the SimpleGo firmware image, not stock Espruino';
  else if (native.apiVersion !== NATIVE_API_VERSION) {
    nativeProblem = 'native layer API ' + native.apiVersion + ', this image needs ' + NATIVE_API_VERSION + ': flash matching firmware and JavaScript';
  }

  if (native === null || nativeProblem !== '' || basics.display === null) {
    const reason = nativeProblem !== '' ? nativeProblem : basics.displayError;
    basics.log.write('error', 'boot.fatal', { reason });
    if (basics.display !== null) {
      basics.display.fillRect(0, 0, basics.display.width, basics.display.height, 0);
      basics.display.drawString('SimpleGo cannot start:', 4, 4, 'small', 0xf800, 0);
      basics.display.drawString(reason, 4, 16, 'small', 0xffff, 0);
      basics.display.setBacklight(1);
    }
    return null;
  }

  const platformChecks: CheckResult[] = [{ name: 'native layer v' + native.apiVersion, ok: true, detail: '' }];
  const hal = createEspruinoHal(board, builtins, native, basics);
  const report = bootDevice(hal, { banner, platformChecks });
  const mem = builtins.memory();
  const share = mem.total > 0 ? mem.usage / mem.total : 1;
  basics.log.write(share > BOOT_VARIABLE_BUDGET ? 'warn' : 'info', 'boot.memory', {
    usage: mem.usage,
    total: mem.total,
    percent: Math.round(share * 100),
    budgetPercent: BOOT_VARIABLE_BUDGET * 100,
  });
  return report;
}
