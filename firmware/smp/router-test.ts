import type { Clock, TimerHandle } from '../../hal/clock';
import type { Crypto } from '../../hal/crypto';
import type { Log } from '../../hal/log';
import type { Random } from '../../hal/random';
import { equalBytes, wipe } from '../encoding/bytes';
import type { SmpServerAddress } from './address';
import { SmpClient, type AuthKeyPair, type CreatedQueue, type QueueEvent } from './client';
import { sndAuthKeySMPVersion } from './transmission';
import type { SmpTransport, SmpTransportHandlers } from './transport-api';

/**
 * "Test router", as the official apps offer it: one real round of everything a conversation
 * needs from a router, reporting the first step that failed. Nothing is left behind on success:
 * the queue is deleted and the connection closed. On failure the queue is deleted if it exists.
 */

export type RouterTestStep = 'connect' | 'create-queue' | 'secure-queue' | 'send-message' | 'receive-message' | 'delete-queue';

export const ROUTER_TEST_STEPS: readonly RouterTestStep[] = ['connect', 'create-queue', 'secure-queue', 'send-message', 'receive-message', 'delete-queue'];

export type RouterTestResult =
  | { readonly ok: true; readonly version: number; readonly elapsedMs: number }
  | { readonly ok: false; readonly failedStep: RouterTestStep; readonly error: Error; readonly elapsedMs: number };

export interface RouterTestDeps {
  readonly crypto: Crypto;
  readonly clock: Clock;
  readonly random: Random;
  readonly log: Log;
  /** Opens a transport to the router under test (connectSmpTransport with the board's Net). */
  readonly connect: (handlers: SmpTransportHandlers) => Promise<SmpTransport>;
}

export interface RouterTestOptions {
  /** Per-step limit; the whole test takes at most this times the number of steps. */
  readonly stepTimeoutMs?: number;
  /** Called as each step starts, so the screen can show progress. */
  readonly onStep?: (step: RouterTestStep) => void;
}

class StepTimeout extends Error {
  constructor(step: RouterTestStep, ms: number) {
    super('the router did not complete "' + step + '" within ' + ms + ' ms');
    this.name = 'StepTimeout';
  }
}

function withTimeout<T>(clock: Clock, step: RouterTestStep, ms: number, p: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: TimerHandle | null = clock.setTimer(() => {
      timer = null;
      reject(new StepTimeout(step, ms));
    }, ms);
    p.then(
      (v) => {
        if (timer !== null) clock.cancelTimer(timer);
        resolve(v);
      },
      (e: unknown) => {
        if (timer !== null) clock.cancelTimer(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function ed25519Pair(crypto: Crypto): AuthKeyPair {
  const k = crypto.ed25519KeyPair();
  return { alg: 'ed25519', privateKey: k.privateKey, publicKey: k.publicKey };
}

/** Runs the test against one router address; never throws. */
export function testRouter(deps: RouterTestDeps, address: SmpServerAddress, options: RouterTestOptions = {}): Promise<RouterTestResult> {
  const stepMs = options.stepTimeoutMs !== undefined ? options.stepTimeoutMs : 20000;
  const started = deps.clock.monotonic();
  // The client tries once per command: a test that retried would hide the failure it exists to show.
  const client = new SmpClient({
    server: address.server,
    basicAuth: address.basicAuth,
    connect: deps.connect,
    crypto: deps.crypto,
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    config: { commandTimeoutMs: stepMs, maxAttempts: 1, pingIntervalMs: 0 },
  });
  let step: RouterTestStep = 'connect';
  let queue: CreatedQueue | null = null;
  let delivered: ((e: QueueEvent) => void) | null = null;
  const early: QueueEvent[] = [];
  const rcvKey = ed25519Pair(deps.crypto);
  const sndKey = ed25519Pair(deps.crypto);
  const probe = deps.random.bytes(32);

  const begin = (s: RouterTestStep): void => {
    step = s;
    if (options.onStep !== undefined) options.onStep(s);
  };
  const finish = (): void => {
    client.close();
    wipe(rcvKey.privateKey);
    wipe(sndKey.privateKey);
  };

  const run = async (): Promise<RouterTestResult> => {
    begin('connect');
    await withTimeout(deps.clock, 'connect', stepMs, client.ping());
    const version = client.version;
    begin('create-queue');
    const q = await withTimeout(
      deps.clock,
      'create-queue',
      stepMs,
      client.createQueue({
        rcvAuthKey: rcvKey,
        rcvDhKey: deps.crypto.x25519KeyPair(),
        queueMode: version !== null && version >= sndAuthKeySMPVersion ? 'messaging' : null,
        link: null,
        ntfCreds: null,
        onEvent: (e: QueueEvent) => {
          if (delivered !== null) delivered(e);
          else early.push(e);
        },
      }),
    );
    queue = q;
    begin('secure-queue');
    // The sender secures the queue where the router supports it (v9+, as the apps do), else the recipient.
    if (q.queueMode !== null) await withTimeout(deps.clock, 'secure-queue', stepMs, client.secureQueueBySender(q.sndId, sndKey));
    else await withTimeout(deps.clock, 'secure-queue', stepMs, client.secureQueue(q, { alg: 'ed25519', raw: sndKey.publicKey }));
    begin('send-message');
    const got = new Promise<QueueEvent>((resolve) => {
      delivered = resolve;
      const first = early.shift();
      if (first !== undefined) resolve(first);
    });
    await withTimeout(deps.clock, 'send-message', stepMs, client.sendMessage({ sndId: q.sndId, senderKey: sndKey, body: probe, notification: false }));
    begin('receive-message');
    const e = await withTimeout(deps.clock, 'receive-message', stepMs, got);
    if (e.type !== 'message') throw new Error('the router delivered "' + e.type + '" instead of the test message');
    if (!equalBytes(e.body, probe)) throw new Error('the router delivered a different message than the one sent');
    await withTimeout(deps.clock, 'receive-message', stepMs, client.ack(q, e.msgId));
    begin('delete-queue');
    await withTimeout(deps.clock, 'delete-queue', stepMs, client.deleteQueue(q));
    queue = null;
    return { ok: true, version: version !== null ? version : 0, elapsedMs: deps.clock.monotonic() - started };
  };

  return run().then(
    (r) => {
      finish();
      return r;
    },
    async (e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      const failedStep = step;
      const left = queue;
      if (left !== null) {
        // Best effort: do not leave a test queue behind on the router.
        try {
          await withTimeout(deps.clock, 'delete-queue', stepMs, client.deleteQueue(left));
        } catch (_) {
          // The failure already reported matters more than this one.
        }
      }
      finish();
      return { ok: false, failedStep, error, elapsedMs: deps.clock.monotonic() - started };
    },
  );
}
