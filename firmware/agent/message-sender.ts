import type { Random } from '../../hal/random';
import type { SmpServer } from '../smp/address';
import type { AuthKeyPair } from '../smp/client';
import type { SmpClientPool } from '../smp/client-pool';
import { ProxyError, type ProxyClient, type ProxyRoute } from '../smp/proxy-client';
import type { RouterList } from '../smp/router-list';
import { afterProxyFailure, planRoute, type RoutingPolicy } from '../smp/routing-policy';
import { EngineError } from './engine-errors';

/**
 * How the agent engine reaches the queues it sends to: securing them with its sender key (SKEY)
 * and sending sealed envelopes (SEND). The engine knows only this interface, so private routing
 * (a proxy that forwards to the destination router) can replace the direct connection without
 * touching the engine. Both calls are retried by the engine; an implementation reports a
 * router's refusal as SmpCommandError and a transport failure as SmpClientError.
 */

/** A queue we send to, with the key that authorizes our commands on it. */
export interface SendTarget {
  readonly server: SmpServer;
  readonly sndId: Uint8Array;
  readonly senderKey: AuthKeyPair;
}

export interface MessageSender {
  /** SKEY: installs our sender key on a sender-securable queue. Repeating it with the same key is harmless. */
  secureQueue(target: SendTarget): Promise<void>;
  /** SEND of one sealed ClientMsgEnvelope, authorized by the sender key. */
  send(target: SendTarget, envelope: Uint8Array, notification: boolean): Promise<void>;
  /**
   * SEND without authorization, to a queue that has no sender key: a confirmation to a legacy
   * queue (its owner runs KEY with the key inside) or a request to a contact address.
   */
  sendUnsigned(server: SmpServer, sndId: Uint8Array, envelope: Uint8Array, notification: boolean): Promise<void>;
}

/** Straight to the destination router, over the pool's connection to it. */
export class DirectSender implements MessageSender {
  private readonly pool: SmpClientPool;

  constructor(pool: SmpClientPool) {
    this.pool = pool;
  }

  secureQueue(target: SendTarget): Promise<void> {
    return this.pool.client({ server: target.server, basicAuth: null }).secureQueueBySender(target.sndId, target.senderKey);
  }

  send(target: SendTarget, envelope: Uint8Array, notification: boolean): Promise<void> {
    return this.pool.client({ server: target.server, basicAuth: null }).sendMessage({
      sndId: target.sndId,
      senderKey: target.senderKey,
      body: envelope,
      notification: notification,
    });
  }

  sendUnsigned(server: SmpServer, sndId: Uint8Array, envelope: Uint8Array, notification: boolean): Promise<void> {
    return this.pool.client({ server: server, basicAuth: null }).sendMessage({ sndId: sndId, senderKey: null, body: envelope, notification: notification });
  }
}

/** Where the routing settings and the router list come from; read on every send, so changes apply at once. */
export interface RoutingSettings {
  policy(): RoutingPolicy;
  routers(): RouterList;
  /** Whether the device's IP address is hidden from routers (e.g. behind Tor); false on SimpleGo today. */
  ipProtected(): boolean;
}

/**
 * Private message routing (issue 6): each SKEY and SEND goes through a forwarding router of the
 * user's choice to the destination router, as the routing policy decides (smp.md §10). SimpleGo's
 * default policy routes every message privately and never falls back to a direct send silently:
 * a send the policy cannot route fails with a typed error and the outbox keeps the message.
 */
export class RoutedSender implements MessageSender {
  private readonly pool: SmpClientPool;
  private readonly proxy: ProxyClient;
  private readonly random: Random;
  private readonly settings: RoutingSettings;
  private readonly direct: DirectSender;

  constructor(pool: SmpClientPool, proxy: ProxyClient, random: Random, settings: RoutingSettings) {
    this.pool = pool;
    this.proxy = proxy;
    this.random = random;
    this.settings = settings;
    this.direct = new DirectSender(pool);
  }

  secureQueue(target: SendTarget): Promise<void> {
    return this.route(
      target,
      (route) => this.proxy.proxySecure(route, target.sndId, target.senderKey),
      () => this.direct.secureQueue(target),
    );
  }

  send(target: SendTarget, envelope: Uint8Array, notification: boolean): Promise<void> {
    return this.route(
      target,
      (route) => this.proxy.proxySend(route, { sndId: target.sndId, senderKey: target.senderKey, body: envelope, notification: notification }),
      () => this.direct.send(target, envelope, notification),
    );
  }

  sendUnsigned(server: SmpServer, sndId: Uint8Array, envelope: Uint8Array, notification: boolean): Promise<void> {
    const target = { server: server, sndId: sndId, senderKey: null };
    return this.route(
      target,
      (route) => this.proxy.proxySend(route, { sndId: sndId, senderKey: null, body: envelope, notification: notification }),
      () => this.direct.sendUnsigned(server, sndId, envelope, notification),
    );
  }

  private route(target: { readonly server: SmpServer }, viaProxy: (route: ProxyRoute) => Promise<void>, direct: () => Promise<void>): Promise<void> {
    const policy = this.settings.policy();
    const ipProtected = this.settings.ipProtected();
    const decision = planRoute(policy, this.settings.routers(), target.server, this.random, ipProtected);
    if (decision.type === 'direct') return direct();
    if (decision.type === 'refuse') {
      return Promise.reject(
        new EngineError('no-router', 'private routing is required but no other enabled router can forward the message: enable a second router or change the routing setting'),
      );
    }
    const route: ProxyRoute = { proxy: this.pool.client(decision.proxy), proxyAuth: decision.proxy.basicAuth, relay: target.server };
    return viaProxy(route).then(undefined, (e: unknown) => {
      if (e instanceof ProxyError && afterProxyFailure(policy, e, ipProtected) === 'direct') return direct();
      throw e;
    });
  }
}
