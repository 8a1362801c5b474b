import { createNodeClock } from '../hal/node/clock';
import { createNodeCrypto } from '../hal/node/crypto';
import { createNodeLog } from '../hal/node/log';
import { createNodeNet } from '../hal/node/net';
import { createNodeRandom } from '../hal/node/random';
import { createNodeStorage } from '../hal/node/storage';
import type { Hal } from '../hal/index';
import type { BoardDescriptor } from './board';

/** The desktop simulator: the T-Deck's 320x240 screen in a window, the SD card as a directory. */
export const simulatorBoard: BoardDescriptor = {
  name: 'simulator',
  description: 'Desktop simulator (Node.js): 320x240 framebuffer, desktop keyboard, camera frames from files',
  display: { width: 320, height: 240, controller: 'framebuffer' },
  keyboard: 'desktop',
  camera: true,
  backend: 'node',
};

/** The part of the HAL every protocol layer needs; the UI drivers join it with the simulator. */
export type CoreHal = Pick<Hal, 'clock' | 'random' | 'crypto' | 'net' | 'storage' | 'log'>;

export interface SimulatorOptions {
  /** Directory that stands for the SD card. */
  cardDir: string;
}

export function createSimulatorCoreHal(options: SimulatorOptions): CoreHal {
  const random = createNodeRandom();
  return {
    clock: createNodeClock(),
    random,
    crypto: createNodeCrypto(random),
    net: createNodeNet(),
    storage: createNodeStorage(options.cardDir),
    log: createNodeLog({ level: 'info' }),
  };
}
