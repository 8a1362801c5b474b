/**
 * npm run router -- --port <n> --store <dir> [--host <h>] [--password <p>] [--ttl <seconds>] [--quota <n>]
 *
 * Starts a local SMP router and prints exactly one line on stdout once it accepts connections:
 *   Server address: smp://<fingerprint>[:<password>]@<host>:<port>
 * Logs go to stderr as JSON lines. SIGINT/SIGTERM stop it cleanly; a kill loses nothing that
 * was confirmed (the store is synced before every answer).
 */
import { RouterError } from './errors';
import { startRouter, type RouterOptions } from './router';

const USAGE = 'usage: npm run router -- --port <n> --store <dir> [--host <h>] [--password <p>] [--ttl <seconds>] [--quota <n>]';

interface Args {
  port: number;
  store: string;
  host: string;
  password: string | null;
  ttl: number | null;
  quota: number | null;
}

function parseArgs(argv: string[]): Args {
  const values: { [name: string]: string } = {};
  const known = ['--port', '--store', '--host', '--password', '--ttl', '--quota'];
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    if (known.indexOf(name) < 0) throw new RouterError('bad-option', 'unknown argument ' + JSON.stringify(name));
    if (i + 1 >= argv.length) throw new RouterError('bad-option', name + ' needs a value');
    if (Object.prototype.hasOwnProperty.call(values, name)) throw new RouterError('bad-option', name + ' is given twice');
    values[name] = argv[i + 1];
  }
  if (values['--store'] === undefined) throw new RouterError('bad-option', '--store is required');
  return {
    port: values['--port'] === undefined ? 0 : integer(values['--port'], '--port'),
    store: values['--store'],
    host: values['--host'] ?? '127.0.0.1',
    password: values['--password'] ?? null,
    ttl: values['--ttl'] === undefined ? null : integer(values['--ttl'], '--ttl'),
    quota: values['--quota'] === undefined ? null : integer(values['--quota'], '--quota'),
  };
}

function integer(text: string, name: string): number {
  if (!/^[0-9]{1,10}$/.test(text)) throw new RouterError('bad-option', name + ' must be a whole number');
  return parseInt(text, 10);
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write((e instanceof Error ? e.message : String(e)) + '\n' + USAGE + '\n');
    process.exit(2);
  }
  const options: RouterOptions = {
    storeDir: args.store,
    host: args.host,
    port: args.port,
    password: args.password,
    messageTtlSeconds: args.ttl ?? undefined,
    quota: args.quota ?? undefined,
  };
  let router;
  try {
    router = await startRouter(options);
  } catch (e) {
    process.stderr.write('router: ' + (e instanceof Error ? e.message : String(e)) + '\n');
    process.exit(1);
  }
  process.stdout.write('Server address: ' + router.address + '\n');
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    router.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
