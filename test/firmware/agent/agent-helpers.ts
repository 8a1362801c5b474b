/**
 * Agent engine fixtures: a party is one device (its own encrypted Store in a temp directory over
 * the Node storage backend, its own SmpClientPool over real TLS to the local router, an Agent)
 * that can be stopped and started again over the same store, as after a power cut.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createNodeClock } from '../../../hal/node/clock';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeNet } from '../../../hal/node/net';
import { createNodeRandom } from '../../../hal/node/random';
import { createNodeStorage } from '../../../hal/node/storage';
import { Agent, type AgentEvent, type AgentOptions } from '../../../firmware/agent/agent';
import type { Profile } from '../../../firmware/chat/profile';
import type { SmpServerAddress } from '../../../firmware/smp/address';
import { SmpClientPool } from '../../../firmware/smp/client-pool';
import { connectSmpTransport } from '../../../firmware/smp/transport';
import { MIN_ITERATIONS } from '../../../firmware/store/keyring';
import { Store } from '../../../firmware/store/store';
import { removeTempDirs, startTestRouter, type TestRouter } from '../../tools/router/helpers';

export const random = createNodeRandom();
export const crypto = createNodeCrypto(random);
export const clock = createNodeClock();
const net = createNodeNet();
const PIN = '2468';

const dirs: string[] = [];

export function removeAgentDirs(): void {
  while (dirs.length > 0) rmSync(dirs.pop() as string, { recursive: true, force: true });
}

export function profile(name: string): Profile {
  return { displayName: name, fullName: '', shortDescr: null, image: null, contactLink: null, preferences: null };
}

export function newPool(): SmpClientPool {
  return new SmpClientPool({
    connect: (server, handlers) => connectSmpTransport({ net: net, crypto: crypto, clock: clock }, server, { handshakeTimeoutMs: 10000 }, handlers),
    crypto: crypto,
    clock: clock,
    random: random,
    log: createMemoryLog({ level: 'error' }),
    clientConfig: { commandTimeoutMs: 10000, reconnectBaseMs: 100, reconnectMaxMs: 1000 },
  });
}

export class Party {
  readonly name: string;
  readonly dir: string;
  readonly routers: readonly SmpServerAddress[];
  store: Store;
  pool: SmpClientPool;
  agent: Agent;
  /** Every event of every incarnation, in order. */
  readonly events: AgentEvent[] = [];
  private waiters: Array<() => void> = [];
  private readonly extra: Partial<AgentOptions>;
  /** Called synchronously with each event before it is recorded (e.g. to stop mid-way). */
  onEvent: ((e: AgentEvent) => void) | null = null;

  constructor(name: string, routers: readonly SmpServerAddress[], extra: Partial<AgentOptions> = {}) {
    this.name = name;
    this.routers = routers;
    this.extra = extra;
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'simplego-agent-'));
    dirs.push(this.dir);
    this.store = Store.open({ crypto: crypto, random: random, clock: clock, card: createNodeStorage(this.dir) });
    this.store.create(PIN, { iterations: MIN_ITERATIONS });
    this.pool = newPool();
    this.agent = this.makeAgent();
  }

  private makeAgent(): Agent {
    return new Agent({
      store: this.store,
      pool: this.pool,
      crypto: crypto,
      random: random,
      clock: clock,
      log: createMemoryLog({ level: 'error' }),
      routers: this.routers,
      retryBaseMs: 50,
      retryMaxMs: 500,
      ...this.extra,
      onEvent: (e) => {
        if (this.onEvent !== null) this.onEvent(e);
        this.events.push(e);
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      },
    });
  }

  /** As a power cut: the agent stops mid-whatever, the connections drop, the store is locked. */
  crash(): void {
    this.agent.stop();
    this.pool.close();
    this.store.lock();
  }

  /** A new incarnation over the same card: a new Store object unlocked with the PIN, a new pool and agent. */
  async restart(): Promise<void> {
    this.store = Store.open({ crypto: crypto, random: random, clock: clock, card: createNodeStorage(this.dir) });
    this.store.unlock(PIN);
    this.pool = newPool();
    this.agent = this.makeAgent();
    await this.agent.start();
  }

  /** Resolves when `pred` holds over the events (checked now and after every event). */
  waitFor(pred: (events: AgentEvent[]) => boolean, what: string, timeoutMs: number = 20000): Promise<void> {
    if (pred(this.events)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(this.name + ': timed out waiting for ' + what)), timeoutMs);
      const check = (): void => {
        if (pred(this.events)) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(check);
        }
      };
      this.waiters.push(check);
    });
  }

  count(type: AgentEvent['type'], connId?: string): number {
    let n = 0;
    for (const e of this.events) if (e.type === type && (connId === undefined || e.connId === connId)) n++;
    return n;
  }

  /** The texts of received messages, in order. */
  texts(connId: string): string[] {
    const out: string[] = [];
    for (const e of this.events) if (e.type === 'message' && e.connId === connId) out.push(e.text);
    return out;
  }

  close(): void {
    this.agent.stop();
    this.pool.close();
    if (this.store.state() === 'unlocked') this.store.lock();
  }
}

/** Connects two parties through one invitation; returns both connection ids. */
export async function connect(a: Party, b: Party): Promise<{ aConn: string; bConn: string }> {
  const inv = await a.agent.createInvitation(profile(a.name));
  const bConn = await b.agent.joinInvitation(inv.link, profile(b.name));
  await a.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === inv.connId), 'connected');
  await b.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === bConn), 'connected');
  return { aConn: inv.connId, bConn: bConn };
}

/** What a describe block gets from useLocalRouter. */
export interface LocalRouterEnv {
  /** The router's address, as an agent's router list (valid once the before hook has run). */
  routers(): SmpServerAddress[];
  /** A new party on that router, closed after the current test. */
  party(name: string, extra?: Partial<AgentOptions>): Party;
  /** Closes `p` after the current test (for parties made with `new Party`). */
  track(p: Party): Party;
}

/**
 * Registers the mocha hooks most agent tests share: one local router (tools/router, real TLS, no
 * fsync) for the describe block, parties closed after each test, temporary stores removed at the end.
 */
export function useLocalRouter(): LocalRouterEnv {
  let router: TestRouter | null = null;
  let list: SmpServerAddress[] = [];
  const parties: Party[] = [];
  before(async () => {
    router = await startTestRouter({ sync: false });
    list = [{ server: router.server, basicAuth: null }];
  });
  afterEach(() => {
    while (parties.length > 0) (parties.pop() as Party).close();
  });
  after(async () => {
    if (router !== null) await router.stop();
    removeTempDirs();
    removeAgentDirs();
  });
  const track = (p: Party): Party => {
    parties.push(p);
    return p;
  };
  return {
    routers: () => list,
    party: (name: string, extra: Partial<AgentOptions> = {}) => track(new Party(name, list, extra)),
    track,
  };
}
