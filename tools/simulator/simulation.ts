/**
 * The simulator without its page: local routers in-process (or a preset / file router list),
 * and N simulated devices, each with its card in its own directory under one root.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMemoryLog } from '../../hal/node/log';
import { addRouter, defaultRouterList, type RouterList } from '../../firmware/smp/router-list';
import { startRouter, type Router } from '../router/router';
import { SimDevice } from './device';

export type RouterSource = { readonly kind: 'local' } | { readonly kind: 'preset' } | { readonly kind: 'file'; readonly file: string };

export interface SimulationOptions {
  readonly devices: number;
  readonly routers: RouterSource;
  /** Root of all state (router stores, device cards); default: a new temp dir removed at stop. */
  readonly storeDir: string | null;
  readonly fastPin?: boolean;
}

export const DEVICE_NAMES = ['Alice', 'Bob', 'Carol', 'Dave', 'Eve', 'Frank', 'Grace', 'Heidi'];

export class Simulation {
  readonly devices: SimDevice[] = [];
  readonly routers: Router[] = [];
  readonly root: string;
  private readonly temporary: boolean;

  private constructor(root: string, temporary: boolean) {
    this.root = root;
    this.temporary = temporary;
  }

  static async start(o: SimulationOptions): Promise<Simulation> {
    if (!(Number.isInteger(o.devices) && o.devices >= 1 && o.devices <= DEVICE_NAMES.length)) {
      throw new RangeError('--devices must be 1..' + DEVICE_NAMES.length);
    }
    const temporary = o.storeDir === null;
    const root = o.storeDir !== null ? path.resolve(o.storeDir) : mkdtempSync(path.join(os.tmpdir(), 'simplego-sim-'));
    const sim = new Simulation(root, temporary);
    try {
      let list: RouterList;
      if (o.routers.kind === 'local') {
        list = { entries: [] };
        for (let i = 0; i < 2; i++) {
          const r = await startRouter({ storeDir: path.join(root, 'router-' + (i + 1)), log: createMemoryLog({ level: 'error' }), sync: false });
          sim.routers.push(r);
          list = addRouter(list, r.address);
        }
      } else if (o.routers.kind === 'preset') {
        list = defaultRouterList(true);
      } else {
        list = { entries: [] };
        for (const line of readFileSync(o.routers.file, 'utf8').split('\n')) {
          const t = line.trim();
          if (t !== '' && !t.startsWith('#')) list = addRouter(list, t);
        }
      }
      for (let i = 0; i < o.devices; i++) {
        // Each device keeps its queues on "its" router and forwards through the others.
        sim.devices.push(new SimDevice({ name: DEVICE_NAMES[i], dir: path.join(root, 'device-' + DEVICE_NAMES[i].toLowerCase()), routers: list, fastPin: o.fastPin }));
      }
    } catch (e) {
      await sim.stop();
      throw e;
    }
    return sim;
  }

  device(name: string): SimDevice {
    const d = this.devices.find((x) => x.name.toLowerCase() === name.toLowerCase());
    if (d === undefined) throw new RangeError('no device ' + name);
    return d;
  }

  async stop(): Promise<void> {
    for (const d of this.devices) d.stop();
    for (const r of this.routers) await r.close();
    if (this.temporary) rmSync(this.root, { recursive: true, force: true });
  }
}
