/**
 * One simulated SimpleGo: the node HAL backends (framebuffer display, input, camera, jsQR
 * scanner, storage over its own directory, crypto, TLS net, clock, random), a fake Wi-Fi list,
 * and the firmware application (firmware/app/main.ts) on top.
 */
import { mkdirSync } from 'node:fs';
import type { Hal } from '../../hal/index';
import { createNodeCamera, type NodeCamera } from '../../hal/node/camera';
import { createNodeClock } from '../../hal/node/clock';
import { createNodeCrypto } from '../../hal/node/crypto';
import { createNodeDisplay, type FramebufferDisplay } from '../../hal/node/display';
import { createNodeInput, type NodeInput } from '../../hal/node/input';
import { createMemoryLog, type MemoryLog } from '../../hal/node/log';
import { createNodeNet } from '../../hal/node/net';
import { CountingNotifier } from '../../hal/node/notifier';
import { FixedPower } from '../../hal/node/power';
import { createNodeQrScanner } from '../../hal/node/qr';
import { createNodeRandom } from '../../hal/node/random';
import { createNodeStorage } from '../../hal/node/storage';
import { FakeWifi } from '../../hal/node/wifi';
import { startApp, type RunningApp } from '../../firmware/app/main';
import type { RouterList } from '../../firmware/smp/router-list';
import { MIN_ITERATIONS } from '../../firmware/store/keyring';

export interface SimDeviceOptions {
  readonly name: string;
  /** The device's card: created if missing. */
  readonly dir: string;
  readonly routers: RouterList;
  /** Fast PIN key derivation (tests); default: the firmware default. */
  readonly fastPin?: boolean;
}

export class SimDevice {
  readonly name: string;
  readonly display: FramebufferDisplay;
  readonly input: NodeInput;
  readonly camera: NodeCamera;
  readonly log: MemoryLog;
  readonly app: RunningApp;

  constructor(o: SimDeviceOptions) {
    this.name = o.name;
    mkdirSync(o.dir, { recursive: true });
    const clock = createNodeClock();
    const random = createNodeRandom();
    const crypto = createNodeCrypto(random);
    this.display = createNodeDisplay({ width: 320, height: 240 });
    this.input = createNodeInput();
    this.camera = createNodeCamera(clock, true);
    this.log = createMemoryLog({ level: 'warn' });
    const hal: Hal = {
      clock,
      random,
      crypto,
      net: createNodeNet(),
      storage: createNodeStorage(o.dir),
      display: this.display,
      input: this.input,
      camera: this.camera,
      qr: createNodeQrScanner(this.camera),
      wifi: new FakeWifi(clock),
      power: new FixedPower(),
      notifier: new CountingNotifier(),
      log: this.log,
    };
    this.app = startApp({ hal, profileName: o.name, routers: o.routers, encodeQr: null, pinIterations: o.fastPin === true ? MIN_ITERATIONS : undefined });
  }

  /** Points this device's camera at another device's screen (null: at nothing). */
  lookAt(other: SimDevice | null): void {
    this.camera.setSource(other === null ? { kind: 'none' } : { kind: 'display', display: other.display, zoom: 1 });
  }

  stop(): void {
    this.camera.stop();
    this.app.stop();
  }
}
