import type { Hal } from '../../hal/index';
import { AppUi } from '../ui/app-ui';
import type { QrEncoder } from '../ui/qr';
import { AppModelImpl } from './app-model';
import type { RouterList } from '../smp/router-list';

/**
 * The device application: the model over the agent and the store, and the UI over the model,
 * composed on one HAL. Boards and the simulator call this and nothing else.
 */
export interface MainOptions {
  readonly hal: Hal;
  /** The user's display name sent to contacts. */
  readonly profileName: string;
  /** The router list a new store starts with. */
  readonly routers: RouterList;
  /** QR encoder; null: the firmware's own (firmware/ui/qr.ts). */
  readonly encodeQr: QrEncoder | null;
  /** PBKDF2 iterations for a new store; default: the store's default. */
  readonly pinIterations?: number;
}

export interface RunningApp {
  readonly model: AppModelImpl;
  readonly ui: AppUi;
  /** Stops the UI and the agent and locks the store. */
  stop(): void;
}

export function startApp(o: MainOptions): RunningApp {
  const h = o.hal;
  const model = new AppModelImpl({
    crypto: h.crypto,
    random: h.random,
    clock: h.clock,
    log: h.log,
    net: h.net,
    wifi: h.wifi,
    card: h.storage,
    profileName: o.profileName,
    initialRouters: o.routers,
    pinIterations: o.pinIterations,
  });
  const ui = new AppUi({
    display: h.display,
    input: h.input,
    clock: h.clock,
    model,
    scanner: h.qr,
    notifier: h.notifier,
    power: h.power,
    encodeQr: o.encodeQr,
  });
  ui.start();
  return {
    model,
    ui,
    stop: () => {
      ui.stop();
      model.shutdown();
    },
  };
}
