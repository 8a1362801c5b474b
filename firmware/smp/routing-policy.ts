import type { Random } from '../../hal/random';
import { equalBytes } from '../encoding/bytes';
import type { SmpServer, SmpServerAddress } from './address';
import type { ProxyError } from './proxy-client';
import { usableRouters, type RouterList, type RouterOperator } from './router-list';

/**
 * When to send through a forwarding router, which one, and whether a failure may fall back to a
 * direct connection. The semantics are upstream's (simplexmq Client.hs `SMPProxyMode`,
 * `SMPProxyFallback`; Agent/Client.hs `sendOrProxySMPCommand`, `serverHostError`,
 * `ipAddressProtected`, `getNextServer_`); SimpleGo's defaults are stricter than the official
 * app's: always private, and never a silent direct connection.
 *
 * Upstream's fourth mode, 'unprotected' (private only while the IP address is not hidden by SOCKS
 * or an onion host), is 'unknown-routers' on a device without SOCKS, so it is not offered.
 */

/**
 * - 'always':          every command for someone else's queue goes through a forwarding router
 * - 'unknown-routers': only when the destination is not one of the user's routers
 * - 'never':           always directly
 */
export type ProxyMode = 'always' | 'unknown-routers' | 'never';

/**
 * When private routing fails because a router cannot do it (a host not found, a version without
 * private routing):
 * - 'allow':           connect to the destination directly
 * - 'allow-protected': directly only while the IP address is hidden (SOCKS, onion)
 * - 'prohibit':        fail; the user decides
 */
export type ProxyFallback = 'allow' | 'allow-protected' | 'prohibit';

export interface RoutingPolicy {
  readonly mode: ProxyMode;
  readonly fallback: ProxyFallback;
}

export const DEFAULT_ROUTING_POLICY: RoutingPolicy = { mode: 'always', fallback: 'prohibit' };

/** How one command reaches its destination. */
export type RouteDecision =
  | { readonly type: 'private'; readonly proxy: SmpServerAddress }
  | { readonly type: 'direct' }
  /** Private routing is required and there is no forwarding router to use. */
  | { readonly type: 'refuse' };

/**
 * Whether the destination is one of the user's routers: as upstream's `knownHosts`, any of its
 * hosts is a host of any listed router, enabled or not, pinned or still awaiting its fingerprint.
 */
export function isKnownDestination(list: RouterList, destination: SmpServer): boolean {
  for (let i = 0; i < list.entries.length; i++) {
    const e = list.entries[i];
    for (let h = 0; h < destination.hosts.length; h++) {
      const host = destination.hosts[h].host;
      if (e.host === host) return true;
      if (e.address !== null && hasHost(e.address.server, host)) return true;
    }
  }
  return false;
}

/** `shouldUseProxy` without 'unprotected'. */
export function shouldRoutePrivately(policy: RoutingPolicy, destinationKnown: boolean): boolean {
  switch (policy.mode) {
    case 'always':
      return true;
    case 'unknown-routers':
      return !destinationKnown;
    default:
      return false;
  }
}

/**
 * `directAllowed`. `ipProtected`: the connection to the destination would hide the device's IP
 * address (SOCKS, or an onion host reached through it); the device has no such path today.
 */
export function directFallbackAllowed(policy: RoutingPolicy, ipProtected: boolean): boolean {
  switch (policy.fallback) {
    case 'allow':
      return true;
    case 'allow-protected':
      return ipProtected;
    default:
      return false;
  }
}

/**
 * `serverHostError` for a private-routing failure: a router cannot do private routing at all
 * (PROXY BROKER HOST: the forwarding router cannot find the destination's host; PROXY BROKER
 * TRANSPORT VERSION: one of them is too old). Only these may fall back to a direct connection;
 * every other failure (a refusal, a timeout, a forged identity) fails as it is.
 */
export function isRoutingHostError(e: ProxyError): boolean {
  const err = e.error;
  if (err === null || err.type !== 'PROXY' || err.proxyErr.type !== 'BROKER') return false;
  const b = err.proxyErr.brokerErr;
  return b.type === 'HOST' || (b.type === 'TRANSPORT' && b.transportErr.type === 'VERSION');
}

/** After private routing failed with `e`: try directly, or fail. */
export function afterProxyFailure(policy: RoutingPolicy, e: ProxyError, ipProtected: boolean): 'direct' | 'fail' {
  return isRoutingHostError(e) && directFallbackAllowed(policy, ipProtected) ? 'direct' : 'fail';
}

/**
 * The forwarding router for a destination, from usableRouters(list, 'proxy'), as upstream's
 * getNextServer_ with the destination as the used server: prefer routers of other operators than
 * the destination's (when the destination is among the candidates), then routers sharing no host
 * with it, then pick uniformly with `random`. The destination itself is chosen only when it is the
 * only candidate. Null when the list has no usable router.
 */
export function chooseForwardingRouter(list: RouterList, destination: SmpServer, random: Random): SmpServerAddress | null {
  const usable = usableRouters(list, 'proxy');
  if (usable.length === 0) return null;
  // The destination itself never forwards to itself while another router exists. Upstream only
  // compares hosts, which misses two routers on one host (different ports, different identities).
  const all = filterOrAll(usable, (a) => !equalBytes(a.server.keyHash, destination.keyHash));
  // Operators that run a candidate on one of the destination's hosts (upstream usedOperatorsHosts).
  const usedOps: { [op: string]: true } = {};
  for (let i = 0; i < all.length; i++) {
    if (sharesHost(all[i].server, destination)) usedOps[operatorOf(list, all[i])] = true;
  }
  const otherOps = filterOrAll(all, (a) => usedOps[operatorOf(list, a)] !== true);
  const unused = filterOrAll(otherOps, (a) => !sharesHost(a.server, destination));
  return unused[uniformIndex(random, unused.length)];
}

/** The whole decision for one command before it is sent. */
export function planRoute(policy: RoutingPolicy, list: RouterList, destination: SmpServer, random: Random, ipProtected: boolean): RouteDecision {
  if (!shouldRoutePrivately(policy, isKnownDestination(list, destination))) return { type: 'direct' };
  const proxy = chooseForwardingRouter(list, destination, random);
  if (proxy !== null) return { type: 'private', proxy: proxy };
  // No forwarding router is like one that cannot forward: only the fallback may send directly.
  return directFallbackAllowed(policy, ipProtected) ? { type: 'direct' } : { type: 'refuse' };
}

// ---------------------------------------------------------------------------------------------

function hasHost(server: SmpServer, host: string): boolean {
  for (let i = 0; i < server.hosts.length; i++) if (server.hosts[i].host === host) return true;
  return false;
}

function sharesHost(a: SmpServer, b: SmpServer): boolean {
  for (let i = 0; i < b.hosts.length; i++) if (hasHost(a, b.hosts[i].host)) return true;
  return false;
}

/** usableRouters returns the entries' own address objects, so identity finds the entry. */
function operatorOf(list: RouterList, address: SmpServerAddress): RouterOperator {
  for (let i = 0; i < list.entries.length; i++) if (list.entries[i].address === address) return list.entries[i].operator;
  return 'user';
}

function filterOrAll(items: SmpServerAddress[], keep: (a: SmpServerAddress) => boolean): SmpServerAddress[] {
  const out: SmpServerAddress[] = [];
  for (let i = 0; i < items.length; i++) if (keep(items[i])) out.push(items[i]);
  return out.length > 0 ? out : items;
}

/** A uniform index below n (n ≤ 65536) from 16-bit draws, rejecting the biased tail. */
function uniformIndex(random: Random, n: number): number {
  if (n <= 1) return 0;
  const limit = 65536 - (65536 % n);
  for (;;) {
    const b = random.bytes(2);
    const v = (b[0] << 8) | b[1];
    if (v < limit) return v % n;
  }
}
