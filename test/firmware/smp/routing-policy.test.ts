import assert from 'node:assert/strict';
import { createNodeRandom } from '../../../hal/node/random';
import type { Random } from '../../../hal/random';
import { parseSmpServer, type SmpServer } from '../../../firmware/smp/address';
import { SmpClient } from '../../../firmware/smp/client';
import type { ErrorType } from '../../../firmware/smp/errors';
import { ProxyError, type ProxyErrorCode } from '../../../firmware/smp/proxy-client';
import type { RouterEntry, RouterList, RouterOperator } from '../../../firmware/smp/router-list';
import {
  afterProxyFailure,
  chooseForwardingRouter,
  DEFAULT_ROUTING_POLICY,
  directFallbackAllowed,
  isKnownDestination,
  isRoutingHostError,
  planRoute,
  shouldRoutePrivately,
  type ProxyFallback,
  type ProxyMode,
} from '../../../firmware/smp/routing-policy';
import { TEST_SERVER } from './client-helpers';
import { ManualClock } from './manual-clock';
import { createMemoryLog } from '../../../hal/node/log';
import { createNodeCrypto } from '../../../hal/node/crypto';

const FP = 'LcJUMfVhwD8yxjAiSaDzzGF3-kLG4Uh0Fl_ZIjrRwjI=';
const FP2 = 'evk6yvqIKm4nhFwnSKxO0O2r7eGxYCwAb9PqTPK-agY=';

function entry(operator: RouterOperator, host: string, options: { enabled?: boolean; pinned?: boolean; fp?: string; extraHost?: string } = {}): RouterEntry {
  const hosts = options.extraHost === undefined ? host : host + ',' + options.extraHost;
  return {
    operator,
    host,
    address: options.pinned === false ? null : parseSmpServer('smp://' + (options.fp ?? FP) + '@' + hosts),
    enabled: options.enabled ?? true,
    storage: true,
  };
}

function server(hosts: string, fp: string = FP2): SmpServer {
  return parseSmpServer('smp://' + fp + '@' + hosts).server;
}

/** A Random that repeats a fixed byte pattern: the same choice every time. */
function fixedRandom(bytes: number[]): Random {
  let i = 0;
  return {
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let k = 0; k < n; k++) out[k] = bytes[i++ % bytes.length];
      return out;
    },
  };
}

function proxyError(error: ErrorType | null, code: ProxyErrorCode = 'forwarding-refused'): ProxyError {
  const client = new SmpClient({
    server: TEST_SERVER, basicAuth: null, connect: () => new Promise(() => undefined), crypto: createNodeCrypto(createNodeRandom()),
    clock: new ManualClock(), random: createNodeRandom(), log: createMemoryLog(),
  });
  return new ProxyError(code, { proxy: client, proxyAuth: null, relay: server('dest.example') }, error, 'test');
}

const broker = (b: object): ErrorType => ({ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: b } }) as ErrorType;

const MODES: ProxyMode[] = ['always', 'unknown-routers', 'never'];
const FALLBACKS: ProxyFallback[] = ['allow', 'allow-protected', 'prohibit'];

describe('routing policy (firmware/smp/routing-policy.ts)', () => {
  const list: RouterList = { entries: [entry('simplego', 'a.simplego.dev'), entry('flux', 'b.flux.example'), entry('user', 'c.home.example')] };
  const known = server('b.flux.example');
  const unknown = server('stranger.example');

  it('SimpleGo defaults: always route privately, never fall back', () => {
    assert.deepEqual(DEFAULT_ROUTING_POLICY, { mode: 'always', fallback: 'prohibit' });
  });

  it('knows a destination by any of its hosts, among all listed routers (disabled and unpinned too)', () => {
    assert.equal(isKnownDestination(list, known), true);
    assert.equal(isKnownDestination(list, unknown), false);
    assert.equal(isKnownDestination(list, server('stranger.example,c.home.example')), true, 'any host');
    const other: RouterList = { entries: [entry('simplex', 'off.example', { enabled: false }), entry('simplego', 'unpinned.example', { pinned: false })] };
    assert.equal(isKnownDestination(other, server('off.example')), true);
    assert.equal(isKnownDestination(other, server('unpinned.example')), true);
    assert.equal(isKnownDestination({ entries: [] }, known), false, 'no list: everything unknown, as upstream');
  });

  it('decides private vs direct for every mode × fallback × known/unknown destination × IP protection', () => {
    const random = createNodeRandom();
    for (const mode of MODES) {
      for (const fallback of FALLBACKS) {
        for (const dest of [known, unknown]) {
          for (const ipProtected of [false, true]) {
            const policy = { mode, fallback };
            const isKnown = dest === known;
            const privately = mode === 'always' || (mode === 'unknown-routers' && !isKnown);
            assert.equal(shouldRoutePrivately(policy, isKnown), privately, mode + '/' + (isKnown ? 'known' : 'unknown'));
            const d = planRoute(policy, list, dest, random, ipProtected);
            assert.equal(d.type, privately ? 'private' : 'direct', JSON.stringify({ mode, fallback, isKnown, ipProtected }));
            // With no forwarding router at all, only the fallback may send directly.
            const none = planRoute(policy, { entries: [] }, dest, random, ipProtected);
            const direct = fallback === 'allow' || (fallback === 'allow-protected' && ipProtected);
            assert.equal(directFallbackAllowed(policy, ipProtected), direct);
            // (An empty list knows no destination.)
            const privatelyNone = mode !== 'never';
            assert.equal(none.type, !privatelyNone || direct ? 'direct' : 'refuse', JSON.stringify({ mode, fallback, isKnown, ipProtected, none }));
            // After a failure: direct only for host errors, and only when the fallback allows it.
            const hostErr = proxyError(broker({ type: 'HOST' }));
            const timeout = proxyError(broker({ type: 'TIMEOUT' }));
            assert.equal(afterProxyFailure(policy, hostErr, ipProtected), direct ? 'direct' : 'fail');
            assert.equal(afterProxyFailure(policy, timeout, ipProtected), 'fail');
          }
        }
      }
    }
  });

  it('counts only "cannot route privately" failures as host errors (upstream serverHostError)', () => {
    assert.equal(isRoutingHostError(proxyError(broker({ type: 'HOST' }))), true);
    assert.equal(isRoutingHostError(proxyError(broker({ type: 'TRANSPORT', transportErr: { type: 'VERSION' } }))), true);
    assert.equal(isRoutingHostError(proxyError(broker({ type: 'TRANSPORT', transportErr: { type: 'VERSION' } }), 'destination-version')), true);
    assert.equal(isRoutingHostError(proxyError(broker({ type: 'TRANSPORT', transportErr: { type: 'VERSION' } }), 'forwarding-unsupported')), true);
    const not: Array<ErrorType | null> = [
      null,
      broker({ type: 'TIMEOUT' }),
      broker({ type: 'NETWORK', networkError: null }),
      broker({ type: 'NO_SERVICE' }),
      broker({ type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: 'IDENTITY' } }),
      { type: 'PROXY', proxyErr: { type: 'NO_SESSION' } },
      { type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } },
      { type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'AUTH' } } },
      { type: 'AUTH' },
      { type: 'QUOTA' },
    ];
    for (const e of not) assert.equal(isRoutingHostError(proxyError(e)), false, JSON.stringify(e));
    // A forged identity never falls back, whatever the policy.
    const forged = proxyError(broker({ type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: 'IDENTITY' } }), 'destination-identity');
    assert.equal(afterProxyFailure({ mode: 'always', fallback: 'allow' }, forged, true), 'fail');
  });

  describe('choosing the forwarding router', () => {
    it('never picks the destination when another router is usable', () => {
      const l: RouterList = { entries: [entry('user', 'dest.example'), entry('user', 'other.example'), entry('user', 'third.example')] };
      const dest = server('dest.example');
      const random = createNodeRandom();
      const seen: { [h: string]: number } = {};
      for (let i = 0; i < 300; i++) {
        const p = chooseForwardingRouter(l, dest, random);
        assert.ok(p !== null);
        const h = p.server.hosts[0].host;
        assert.notEqual(h, 'dest.example');
        seen[h] = (seen[h] ?? 0) + 1;
      }
      assert.ok(seen['other.example'] > 90 && seen['third.example'] > 90, 'both others are used: ' + JSON.stringify(seen));
    });

    it('prefers another operator than the destination\'s, then routers without its hosts', () => {
      const l: RouterList = {
        entries: [entry('simplego', 'dest.simplego.dev'), entry('simplego', 'two.simplego.dev'), entry('flux', 'f.flux.example')],
      };
      const random = createNodeRandom();
      for (let i = 0; i < 50; i++) {
        const p = chooseForwardingRouter(l, server('dest.simplego.dev'), random);
        assert.equal(p?.server.hosts[0].host, 'f.flux.example', 'the other operator');
      }
      // A destination that shares a host with a candidate under another name is avoided too.
      const l2: RouterList = { entries: [entry('user', 'x.example', { extraHost: 'dest.example' }), entry('simplego', 'y.example')] };
      for (let i = 0; i < 50; i++) assert.equal(chooseForwardingRouter(l2, server('dest.example'), random)?.server.hosts[0].host, 'y.example');
    });

    it('uses the destination itself only when it is the only usable router; null with none', () => {
      const only: RouterList = { entries: [entry('user', 'dest.example'), entry('user', 'off.example', { enabled: false }), entry('simplego', 'unpinned.example', { pinned: false })] };
      assert.equal(chooseForwardingRouter(only, server('dest.example'), createNodeRandom())?.server.hosts[0].host, 'dest.example');
      assert.equal(chooseForwardingRouter({ entries: [entry('user', 'off.example', { enabled: false })] }, server('dest.example'), createNodeRandom()), null);
    });

    it('is deterministic given the random source (pinnable in tests), rejecting biased draws', () => {
      const l: RouterList = { entries: [entry('user', 'r0.example'), entry('user', 'r1.example'), entry('user', 'r2.example')] };
      const dest = server('elsewhere.example');
      // 65535 lies in the biased tail for n = 3 (65536 % 3 = 1) and is redrawn; then 0x0001 % 3 = 1.
      assert.equal(chooseForwardingRouter(l, dest, fixedRandom([0xff, 0xff, 0x00, 0x01]))?.server.hosts[0].host, 'r1.example');
      assert.equal(chooseForwardingRouter(l, dest, fixedRandom([0x00, 0x05]))?.server.hosts[0].host, 'r2.example');
      assert.equal(chooseForwardingRouter(l, dest, fixedRandom([0x00, 0x03]))?.server.hosts[0].host, 'r0.example');
      const d = planRoute(DEFAULT_ROUTING_POLICY, l, dest, fixedRandom([0x00, 0x04]), false);
      assert.ok(d.type === 'private' && d.proxy.server.hosts[0].host === 'r1.example');
    });
  });
});
