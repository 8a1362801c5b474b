/**
 * `npm start`: the desktop simulator. Options:
 *   --devices N                 simulated devices (default 2: Alice and Bob)
 *   --routers local|preset|FILE two in-process local routers (default), the preset list, or
 *                               a file of smp:// addresses, one per line
 *   --store DIR                 keep all state (router stores, device cards) under DIR;
 *                               default: a temp dir removed on exit
 *   --headless                  no page: devices and routers only (for scripted runs)
 *   --port P                    page port on 127.0.0.1 (default 8080; 0: any free port)
 */
import { serve, type SimServer } from './simulator/server';
import { Simulation, type RouterSource } from './simulator/simulation';

function parseArgs(argv: string[]): { devices: number; routers: RouterSource; store: string | null; headless: boolean; port: number } {
  const o = { devices: 2, routers: { kind: 'local' } as RouterSource, store: null as string | null, headless: false, port: 8080 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new RangeError(a + ' needs a value');
      return v;
    };
    if (a === '--devices') o.devices = Number(value());
    else if (a === '--routers') {
      const v = value();
      o.routers = v === 'local' ? { kind: 'local' } : v === 'preset' ? { kind: 'preset' } : { kind: 'file', file: v };
    } else if (a === '--store') o.store = value();
    else if (a === '--headless') o.headless = true;
    else if (a === '--port') o.port = Number(value());
    else throw new RangeError('unknown option ' + a + ' (see tools/start.ts)');
  }
  if (!(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) throw new RangeError('--port must be 0..65535');
  return o;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sim = await Simulation.start({ devices: args.devices, routers: args.routers, storeDir: args.store });
  let server: SimServer | null = null;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (server !== null) await server.close();
    await sim.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  console.log('SimpleGo simulator: ' + sim.devices.map((d) => d.name).join(', ') + '; state in ' + sim.root);
  for (const r of sim.routers) console.log('  router ' + r.address);
  if (!args.headless) {
    server = await serve(sim, args.port);
    console.log('Open ' + server.url + ' (Ctrl-C to quit)');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
