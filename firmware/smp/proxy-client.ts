import { SimpleGoError } from '../../hal/errors';
import type { Crypto } from '../../hal/crypto';
import type { Log, LogFields } from '../../hal/log';
import type { Random } from '../../hal/random';
import { cbAuthenticate, cbDecrypt, cbEncrypt, reverseNonce } from '../crypto/box';
import { copyBytes, equalBytes, toHex, wipe } from '../encoding/bytes';
import type { VersionRange } from '../encoding/binary';
import type { SmpServer } from './address';
import type { AuthKeyPair, AuthPrivateKey, CommandAnswer, SendMessageRequest, SmpClient } from './client';
import { errorTypeText, SmpClientError, SmpCommandError } from './client-errors';
import { encodeCommand, maxMessageLength, type Command } from './commands';
import type { ErrorType } from './errors';
import { NONCE_LENGTH, PADDED_PROXIED_T_LENGTH } from './message';
import { decodeResponse, type BrokerMsg } from './responses';
import { verifyHelloSessionKey, verifyServerChain } from './server-identity';
import { routerKey } from './client-pool';
import {
  authorizedBytes,
  currentClientSMPRelayVersion,
  decodeBatch,
  encodeBatch,
  encodeTransmission,
  parseTransmission,
  sendingProxySMPVersion,
  type RawTransmission,
  type TransmissionParams,
} from './transmission';

/**
 * Sending through a forwarding router (smp.md §10): the client C asks its forwarding router P for
 * a session with the destination router R (PRXY → PKEY), checks R's identity itself, and then
 * sends each command for R boxed for R's key inside a PFWD to P. P sees neither the command nor
 * the answer; R never sees C's address. Only SEND, SKEY, LKEY and LGET may be forwarded.
 *
 * Layers of one forwarded command, outermost first: TLS and block encryption C↔P; the s2r box
 * (this module: a fresh X25519 key `ek` and a fresh 24-byte N per attempt, N being the PFWD corrId,
 * the inner corrId and the nonce); P's box to R; TLS P↔R.
 *
 * Sessions are cached per (P, R) and belong to the P connection that answered PRXY, as upstream
 * keeps them with the connection (Agent/Client.hs getSMPProxyClient): a new connection to P means
 * a new PRXY. ERR PROXY NO_SESSION from P drops the session and PRXY is done again once
 * (sendOrProxySMPCommand); a second NO_SESSION fails.
 *
 * Failures are ProxyError, naming the hop that reported them: 'forwarding' when P answered ERR
 * instead of PRES (or did not answer), 'destination' when the ERR came from R inside PRES or when
 * R's identity or answer did not check out here. Caller mistakes (a command that may not be
 * forwarded, a bad key) are SmpClientError 'bad-request', found before anything is sent.
 */

// ---------------------------------------------------------------------------------------------
// Errors

export type ProxyHop = 'forwarding' | 'destination';

/**
 * - 'forwarding-refused':       P answered ERR (to PRXY or instead of PRES); `error` is that ERR
 * - 'forwarding-unsupported':   P speaks SMP below v8, without private routing
 * - 'forwarding-failed':        no usable answer from P (timeout, lost or closed connection, an
 *                               answer that is not PKEY/PRES); `clientError` says which
 * - 'no-session':               P lost the session with R again right after a new PRXY
 * - 'destination-identity':     PKEY does not prove R's identity (chain, fingerprint, signed key)
 * - 'destination-version':      R's versions (as P reports them) do not overlap this client's
 * - 'destination-refused':      R answered ERR inside PRES, or P relayed R's refusal of the
 *                               forwarded command (PROXY PROTOCOL); `error` is that ERR
 * - 'destination-bad-response': the answer inside PRES does not open or does not parse, or is not
 *                               an answer to the command
 */
export type ProxyErrorCode =
  | 'forwarding-refused'
  | 'forwarding-unsupported'
  | 'forwarding-failed'
  | 'no-session'
  | 'destination-identity'
  | 'destination-version'
  | 'destination-refused'
  | 'destination-bad-response';

/** Private routing failed. The message names both routers; it never carries keys, IDs or bodies. */
export class ProxyError extends SimpleGoError {
  declare readonly code: ProxyErrorCode;
  /** Which router the failure is attributed to. */
  readonly hop: ProxyHop;
  /** That router's (first) host. */
  readonly host: string;
  readonly forwardingHost: string;
  readonly destinationHost: string;
  /**
   * The ERR a router sent, or for a failure found here the error upstream reports for it
   * (PROXY BROKER TRANSPORT HANDSHAKE IDENTITY, PROXY BROKER TRANSPORT VERSION); null when none
   * applies (no answer, an answer that does not open).
   */
  readonly error: ErrorType | null;
  /** The client failure behind 'forwarding-failed'. */
  readonly clientError: SmpClientError | null;

  constructor(code: ProxyErrorCode, route: ProxyRoute, error: ErrorType | null, detail: string, clientError: SmpClientError | null = null) {
    const hop: ProxyHop = code.indexOf('destination') === 0 ? 'destination' : 'forwarding';
    const fwd = hostOf(route.proxy.server);
    const dst = hostOf(route.relay);
    const at = hop === 'forwarding' ? 'the forwarding router ' + fwd : 'the destination router ' + dst;
    super(code, 'private routing to ' + dst + ' via ' + fwd + ' failed at ' + at + ': ' + detail);
    this.name = 'ProxyError';
    this.hop = hop;
    this.host = hop === 'forwarding' ? fwd : dst;
    this.forwardingHost = fwd;
    this.destinationHost = dst;
    this.error = error;
    this.clientError = clientError;
  }
}

function hostOf(server: SmpServer): string {
  return server.hosts.length > 0 ? server.hosts[0].host : '?';
}

/** PROXY BROKER TRANSPORT <t>, as upstream reports failures of the relay's transport. */
function proxyTransportError(t: 'VERSION' | 'IDENTITY'): ErrorType {
  return {
    type: 'PROXY',
    proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: t === 'VERSION' ? { type: 'VERSION' } : { type: 'HANDSHAKE', handshakeErr: 'IDENTITY' } } },
  };
}

/** What an ERR from P means, for the person reading the message. */
function forwardingAdvice(err: ErrorType): string {
  if (err.type !== 'PROXY') return 'it refused to forward (' + errorTypeText(err) + ')';
  const p = err.proxyErr;
  switch (p.type) {
    case 'BASIC_AUTH':
      return 'it refused the server password (PROXY BASIC_AUTH); check the password in its address';
    case 'NO_SESSION':
      return 'it no longer has a session with the destination router (PROXY NO_SESSION); retry later';
    case 'PROTOCOL':
      return 'the destination router refused the forwarded command (' + errorTypeText(err) + ')';
    default: {
      const b = p.brokerErr;
      const what = b.type === 'HOST' ? 'it could not find the destination router\'s host'
        : b.type === 'TIMEOUT' ? 'the destination router did not answer it in time'
        : b.type === 'NETWORK' ? 'it could not connect to the destination router'
        : b.type === 'TRANSPORT' ? 'its connection to the destination router failed'
        : 'the destination router answered it unexpectedly';
      return what + ' (' + errorTypeText(err) + '); retry later or use another forwarding router';
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Sessions

/** Which routers: P (through its client) and R. */
export interface ProxyRoute {
  /** The client of the forwarding router P. */
  readonly proxy: SmpClient;
  /** P's server password from its address, sent with PRXY; null when it has none. */
  readonly proxyAuth: string | null;
  /** The destination router R, which holds the queue. */
  readonly relay: SmpServer;
}

/** A validated PKEY: what forwarded commands to R through P are built with. */
export interface ProxiedRelaySession {
  readonly proxy: SmpClient;
  readonly relay: SmpServer;
  /** tls-unique of P's connection to R: the PFWD entity, and the session inner commands are authorized for. */
  readonly sessionId: Uint8Array;
  /** The version of inner transmissions: min(max of PKEY's range, this client's max). */
  readonly version: number;
  /** R's X25519 session key, verified against R's fingerprint: the s2r box key and the X25519 authenticator key. */
  readonly relayKey: Uint8Array;
  /** The P connection that answered PRXY (SmpClient.connectionId). */
  readonly connectionId: number;
}

/**
 * The versions this client forwards at. Upstream intersects PKEY's range with its whole client
 * range (from 6); P never offers below 8 (`proxiedSMPRelayVRange`) and R cannot take RFWD below 8,
 * so a range below 8 can only come from a broken or lying P and is refused here.
 */
const PROXIED_CLIENT_RANGE: VersionRange = { min: sendingProxySMPVersion, max: currentClientSMPRelayVersion };

/** The commands a router runs when forwarded (Server.hs processForwardedCommand). */
const FORWARDABLE: { [type: string]: true } = { SEND: true, SKEY: true, LKEY: true, LGET: true };

const EMPTY = new Uint8Array(0);

export interface ProxyClientOptions {
  readonly crypto: Crypto;
  readonly random: Random;
  readonly log: Log;
}

interface CacheEntry {
  readonly proxy: SmpClient;
  session: ProxiedRelaySession | null;
  pending: Promise<ProxiedRelaySession> | null;
}

export class ProxyClient {
  private readonly crypto: Crypto;
  private readonly random: Random;
  private readonly log: Log;
  private cache: { [key: string]: CacheEntry } = {};

  constructor(options: ProxyClientOptions) {
    this.crypto = options.crypto;
    this.random = options.random;
    this.log = options.log;
  }

  /**
   * The session with R through P: the cached one while P's connection that made it is still up,
   * otherwise a new PRXY (concurrent callers share one). Rejects with ProxyError.
   */
  relaySession(route: ProxyRoute): Promise<ProxiedRelaySession> {
    const key = sessionKey(route);
    const entry = this.cache[key];
    if (entry !== undefined && entry.proxy === route.proxy) {
      if (entry.pending !== null) return entry.pending;
      if (entry.session !== null && entry.session.connectionId === route.proxy.connectionId) return Promise.resolve(entry.session);
    }
    const fresh: CacheEntry = { proxy: route.proxy, session: null, pending: null };
    this.cache[key] = fresh;
    const pending = route.proxy
      .sendProxyCommand('PRXY', EMPTY, (v) => {
        if (v < sendingProxySMPVersion) {
          throw new SmpClientError('unsupported-version', 'PRXY needs SMP v' + sendingProxySMPVersion + '+, and the forwarding router speaks v' + v);
        }
        return { corrId: this.random.bytes(NONCE_LENGTH), command: { type: 'PRXY', server: route.relay, basicAuth: route.proxyAuth } };
      })
      .then(
        (answer) => this.acceptPkey(route, answer),
        (e) => {
          throw forwardingFailure(route, 'PRXY', e);
        },
      );
    fresh.pending = pending;
    pending.then(
      (s) => {
        fresh.pending = null;
        if (this.cache[key] === fresh) fresh.session = s;
      },
      () => {
        fresh.pending = null;
        if (this.cache[key] === fresh) delete this.cache[key];
      },
    );
    return pending;
  }

  /**
   * Forwards one command to R and resolves with R's answer (never ERR: that rejects with
   * 'destination-refused'). `key` authorizes the inner transmission as it would a direct one,
   * X25519 keys against R's key from PKEY.
   */
  proxyCommand(route: ProxyRoute, entityId: Uint8Array, key: AuthPrivateKey | null, command: Command): Promise<BrokerMsg> {
    const bad = checkForwardable(entityId, key, command);
    if (bad !== null) return Promise.reject(bad);
    const id = copyBytes(entityId);
    return this.relaySession(route).then((session) =>
      this.forward(route, session, id, key, command).then(null, (e) => {
        if (!(e instanceof ProxyError) || e.code !== 'no-session') throw e;
        // P reconnected to R, or restarted: its session ID is gone. One new PRXY, as upstream.
        this.drop(route, session);
        this.note('smp.proxy.no-session', { proxy: hostOf(route.proxy.server) });
        return this.relaySession(route).then((renewed) =>
          this.forward(route, renewed, id, key, command).then(null, (e2) => {
            if (e2 instanceof ProxyError && e2.code === 'no-session') this.drop(route, renewed);
            throw e2;
          }),
        );
      }),
    );
  }

  /** SEND through P (smp.md §7.2). Retry semantics as SmpClient.sendMessage: at least once. */
  proxySend(route: ProxyRoute, req: SendMessageRequest): Promise<void> {
    // The exact limit depends on the forwarded version (16048 from v11); this bound holds for all of them.
    const limit = maxMessageLength(PROXIED_CLIENT_RANGE.min);
    if (!(req.body instanceof Uint8Array) || req.body.length > limit) {
      return Promise.reject(new SmpClientError('bad-request', 'SEND body must be at most ' + limit + ' bytes (16048 from SMP v11)'));
    }
    return this.proxyCommand(route, req.sndId, req.senderKey, { type: 'SEND', flags: { notification: req.notification }, body: req.body }).then((msg) =>
      expectOk(route, 'SEND', msg),
    );
  }

  /** SKEY through P: the sender secures the queue with `senderKey`, which also authorizes it. Retry: safe (idempotent with the same key). */
  proxySecure(route: ProxyRoute, sndId: Uint8Array, senderKey: AuthKeyPair): Promise<void> {
    if (!(senderKey.publicKey instanceof Uint8Array) || senderKey.publicKey.length !== KEY_LENGTH[senderKey.alg]) {
      return Promise.reject(new SmpClientError('bad-request', 'SKEY sender key: the public key must be ' + KEY_LENGTH[senderKey.alg] + ' bytes'));
    }
    const pub = { alg: senderKey.alg, raw: senderKey.publicKey };
    return this.proxyCommand(route, sndId, senderKey, { type: 'SKEY', senderKey: pub }).then((msg) => expectOk(route, 'SKEY', msg));
  }

  /** Forgets every cached session (e.g. when the router list changes). */
  clear(): void {
    this.cache = {};
  }

  // -------------------------------------------------------------------------------------------

  /** Checks PKEY as a direct connection checks the hello (smp.md §10.1): this is what stops P impersonating R. */
  private acceptPkey(route: ProxyRoute, answer: CommandAnswer): ProxiedRelaySession {
    const msg = answer.msg;
    if (msg.type !== 'PKEY') {
      throw new ProxyError('forwarding-failed', route, null, 'it answered PRXY with ' + msg.type + ' instead of PKEY',
        new SmpClientError('unexpected-response', 'PRXY was answered with ' + msg.type));
    }
    if (msg.sessionId.length === 0) {
      throw new ProxyError('forwarding-failed', route, null, 'its PKEY names no session', new SmpClientError('unexpected-response', 'PKEY with an empty session ID'));
    }
    const r = msg.versionRange;
    const c = PROXIED_CLIENT_RANGE;
    if (r.min > r.max || r.max < c.min || r.min > c.max) {
      throw new ProxyError('destination-version', route, proxyTransportError('VERSION'),
        'it supports SMP ' + r.min + '..' + r.max + ' for forwarded commands and this device ' + c.min + '..' + c.max);
    }
    let relayKey: Uint8Array;
    try {
      const chain = msg.certChainPubKey.certChain;
      const leafKey = verifyServerChain(this.crypto, chain, route.relay.keyHash);
      relayKey = verifyHelloSessionKey(this.crypto, msg.certChainPubKey, chain, leafKey);
    } catch (e) {
      // Whatever broke, R's identity is not proven; the forwarding router may be impersonating it.
      const why = e instanceof SimpleGoError ? e.message : 'its certificates could not be checked';
      throw new ProxyError('destination-identity', route, proxyTransportError('IDENTITY'),
        'its identity as reported by the forwarding router does not match its address: ' + why);
    }
    return {
      proxy: route.proxy,
      relay: route.relay,
      sessionId: copyBytes(msg.sessionId),
      version: r.max < c.max ? r.max : c.max,
      relayKey: relayKey,
      connectionId: answer.connectionId,
    };
  }

  private drop(route: ProxyRoute, session: ProxiedRelaySession): void {
    const key = sessionKey(route);
    const entry = this.cache[key];
    if (entry !== undefined && entry.session === session) delete this.cache[key];
  }

  /** One PFWD (smp.md §10.2), each attempt with its own N and ephemeral key. */
  private forward(route: ProxyRoute, s: ProxiedRelaySession, entityId: Uint8Array, key: AuthPrivateKey | null, command: Command): Promise<BrokerMsg> {
    const params: TransmissionParams = { version: s.version, sessionId: s.sessionId };
    let cmdBytes: Uint8Array;
    try {
      cmdBytes = encodeCommand(s.version, command);
    } catch (e) {
      return Promise.reject(new SmpClientError('bad-request', command.type + ' cannot be forwarded at SMP v' + s.version + ': ' + (e instanceof Error ? e.message : String(e))));
    }
    // The command secret of every attempt by its N; wiped once the command has settled.
    const secrets: { [nHex: string]: Uint8Array } = {};
    let keyFailure: ProxyError | null = null;
    const wipeAll = (): void => {
      const keys = Object.keys(secrets);
      for (let i = 0; i < keys.length; i++) wipe(secrets[keys[i]]);
    };
    const attempt = (): { corrId: Uint8Array; command: Command } => {
      const n = this.random.bytes(NONCE_LENGTH);
      const ek = this.crypto.x25519KeyPair();
      let secret: Uint8Array;
      try {
        secret = this.crypto.x25519(ek.privateKey, s.relayKey);
      } catch (e) {
        keyFailure = new ProxyError('destination-identity', route, proxyTransportError('IDENTITY'), 'its session key is not usable for key agreement');
        throw keyFailure;
      } finally {
        wipe(ek.privateKey);
      }
      secrets[toHex(n)] = secret;
      const authorization = this.authorize(s, key, n, entityId, cmdBytes);
      const t = encodeTransmission(params, { authorization: authorization, corrId: n, entityId: entityId, command: cmdBytes });
      // Always 16242 bytes: P learns nothing from the size.
      const encT = cbEncrypt(this.crypto, secret, n, encodeBatch([t]), PADDED_PROXIED_T_LENGTH);
      return { corrId: n, command: { type: 'PFWD', version: s.version, ephemeralKey: { alg: 'x25519', raw: ek.publicKey }, encTransmission: encT } };
    };
    return route.proxy
      .sendProxyCommand('PFWD', s.sessionId, attempt)
      .then(
        (answer) => this.openPres(route, params, entityId, command.type, answer, secrets[toHex(answer.corrId)]),
        (e) => {
          if (keyFailure !== null) throw keyFailure;
          throw forwardingFailure(route, command.type, e);
        },
      )
      .then(
        (msg) => {
          wipeAll();
          return msg;
        },
        (e) => {
          wipeAll();
          throw e;
        },
      );
  }

  /** Opens PRES with the attempt's secret and reverseNonce(N), and reads R's one answer (smp.md §10.4). */
  private openPres(route: ProxyRoute, params: TransmissionParams, entityId: Uint8Array, type: string, answer: CommandAnswer, secret: Uint8Array | undefined): BrokerMsg {
    const msg = answer.msg;
    if (msg.type !== 'PRES') {
      throw new ProxyError('forwarding-failed', route, null, 'it answered PFWD with ' + msg.type + ' instead of PRES',
        new SmpClientError('unexpected-response', 'PFWD was answered with ' + msg.type));
    }
    const bad = (why: string): ProxyError => new ProxyError('destination-bad-response', route, null, 'its answer to ' + type + ' ' + why);
    if (secret === undefined) throw bad('does not belong to this command');
    let opened: Uint8Array | null;
    try {
      opened = cbDecrypt(this.crypto, secret, reverseNonce(answer.corrId), msg.encResponse);
    } catch (e) {
      opened = null; // authentic but impossible padding: the same verdict for the user
    }
    if (opened === null) throw bad('does not open with this command\'s key (damaged or forged on the way)');
    let t: RawTransmission;
    try {
      const items = decodeBatch(opened);
      if (items.length !== 1) throw bad('holds ' + items.length + ' transmissions instead of one');
      t = parseTransmission(params, items[0]);
    } catch (e) {
      if (e instanceof ProxyError) throw e;
      throw bad('is not a transmission');
    }
    if (t.authorization.length !== 0) throw bad('carries an authorization');
    if (!equalBytes(t.corrId, answer.corrId)) throw bad('answers another command');
    let r: BrokerMsg;
    try {
      r = decodeResponse(params.version, t.command);
    } catch (e) {
      throw bad('does not parse');
    }
    if (!equalBytes(t.entityId, entityId) && !(r.type === 'ERR' && t.entityId.length === 0)) throw bad('names another queue');
    if (r.type === 'ERR') {
      throw new ProxyError('destination-refused', route, r.error, 'it refused ' + type + ' (' + errorTypeText(r.error) + ')');
    }
    return r;
  }

  /** The inner transmission's authorization, as for a direct one but bound to P–R's session and R's key. */
  private authorize(s: ProxiedRelaySession, key: AuthPrivateKey | null, n: Uint8Array, entityId: Uint8Array, command: Uint8Array): Uint8Array {
    if (key === null) return EMPTY;
    const authorized = authorizedBytes(s.sessionId, n, entityId, command);
    switch (key.alg) {
      case 'ed25519':
        return this.crypto.ed25519Sign(key.privateKey, authorized);
      case 'ed448':
        return this.crypto.ed448Sign(key.privateKey, authorized);
      default:
        return cbAuthenticate(this.crypto, s.relayKey, key.privateKey, n, authorized);
    }
  }

  private note(event: string, fields: LogFields): void {
    try {
      this.log.write('info', event, fields);
    } catch (e) {
      // A failing log must not break routing.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

const KEY_LENGTH: { [alg: string]: number } = { ed25519: 32, ed448: 57, x25519: 32 };

function sessionKey(route: ProxyRoute): string {
  return routerKey(route.proxy.server) + '>' + routerKey(route.relay);
}

function checkForwardable(entityId: Uint8Array, key: AuthPrivateKey | null, command: Command): SmpClientError | null {
  if (FORWARDABLE[command.type] !== true) {
    return new SmpClientError('bad-request', command.type + ' cannot be forwarded: a router runs only SEND, SKEY, LKEY and LGET from a forwarding router');
  }
  if (!(entityId instanceof Uint8Array) || entityId.length === 0 || entityId.length > 255) {
    return new SmpClientError('bad-request', command.type + ' needs a queue or link ID of 1..255 bytes');
  }
  if (key !== null) {
    const n = KEY_LENGTH.hasOwnProperty(key.alg) ? KEY_LENGTH[key.alg] : 0;
    if (n === 0 || !(key.privateKey instanceof Uint8Array) || key.privateKey.length !== n) {
      return new SmpClientError('bad-request', command.type + ' key must be an Ed25519, Ed448 or X25519 private key of the right length');
    }
  }
  if (command.type === 'LGET' && key !== null) return new SmpClientError('bad-request', 'LGET is sent without authorization');
  return null;
}

/** A failed PRXY or PFWD at P: its ERR, or no usable answer. */
function forwardingFailure(route: ProxyRoute, command: string, e: unknown): Error {
  if (e instanceof SmpCommandError) {
    if (e.error.type === 'PROXY' && e.error.proxyErr.type === 'NO_SESSION') {
      return new ProxyError('no-session', route, e.error, forwardingAdvice(e.error));
    }
    if (e.error.type === 'PROXY' && e.error.proxyErr.type === 'PROTOCOL') {
      // P relays the destination's own ERR (e.g. CRYPTO for a box it could not open): upstream
      // treats PROXY PROTOCOL as the destination's error, and so does the hop shown to the user.
      return new ProxyError('destination-refused', route, e.error, forwardingAdvice(e.error));
    }
    return new ProxyError('forwarding-refused', route, e.error, forwardingAdvice(e.error));
  }
  if (e instanceof SmpClientError) {
    if (e.code === 'unsupported-version') {
      return new ProxyError('forwarding-unsupported', route, proxyTransportError('VERSION'), 'it runs an SMP version without private routing');
    }
    if (e.code === 'bad-request') return e;
    return new ProxyError('forwarding-failed', route, null, command + ' got no answer (' + e.code + ')', e);
  }
  return e instanceof Error ? e : new Error(String(e));
}

function expectOk(route: ProxyRoute, type: string, msg: BrokerMsg): void {
  if (msg.type !== 'OK') throw new ProxyError('destination-bad-response', route, null, 'it answered ' + type + ' with ' + msg.type);
}
