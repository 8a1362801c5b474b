/**
 * The forwarding half of private routing (smp.md §10.1, §10.2; the reference's
 * `processProxiedCmd` and `forwardSMPTransmission`): PRXY opens (or reuses) one shared SMP
 * connection to the relay and answers with the relay's session id, versions and signed key
 * (PKEY); PFWD wraps the client's already-encrypted transmission in the proxy-relay box and sends
 * it as RFWD on that connection, and hands the relay's RRES back as PRES. The proxy sees neither
 * the transmission nor the answer: both are boxed for a key of the client's.
 */
import type { Crypto } from '../../hal/crypto';
import { NetError } from '../../hal/net';
import type { Log } from '../../hal/log';
import type { Random } from '../../hal/random';
import { cbDecryptNoPad, cbEncryptNoPad, reverseNonce } from '../../firmware/crypto/box';
import type { PublicKey } from '../../firmware/crypto/keys';
import type { VersionRange } from '../../firmware/encoding/binary';
import { DecodeError } from '../../firmware/encoding/errors';
import { chooseTransportHost, printSmpServer, type SmpServer } from '../../firmware/smp/address';
import { encodeCommand } from '../../firmware/smp/commands';
import type { BrokerErrorType, ErrorType, TransportErrorType } from '../../firmware/smp/errors';
import { decodeFwdResponse, encodeFwdTransmission } from '../../firmware/smp/message';
import type { BrokerMsg } from '../../firmware/smp/responses';
import { proxiedSMPRelayVRange, sendingProxySMPVersion } from '../../firmware/smp/transmission';
import { SmpTransportError } from '../../firmware/smp/transport-api';
import { SmpClient } from './client';
import type { Forwarder } from './context';

export interface ProxyOptions {
  readonly crypto: Crypto;
  readonly random: Random;
  readonly log: Log;
  /** Connecting to a relay, and each forwarded command's round trip. */
  readonly timeoutMs: number;
}

const EMPTY = new Uint8Array(0);

export class ProxyAgent implements Forwarder {
  private readonly options: ProxyOptions;
  /** Relay connections by server (fingerprint, hosts, port), including those still connecting. */
  private readonly relays = new Map<string, Promise<SmpClient>>();
  /** Open relay connections by their session id: what PFWD names. */
  private readonly sessions = new Map<string, SmpClient>();
  private closed = false;

  constructor(options: ProxyOptions) {
    this.options = options;
  }

  async prxy(server: SmpServer): Promise<BrokerMsg> {
    let relay: SmpClient;
    try {
      relay = await this.relay(server);
    } catch (e) {
      return { type: 'ERR', error: proxyError(brokerErrorOf(e)) };
    }
    // The range shown to clients is capped, so the relay cannot tell client versions apart.
    const range = intersect(relay.serverRange, proxiedSMPRelayVRange);
    if (range === null || relay.version < sendingProxySMPVersion) return { type: 'ERR', error: transportError({ type: 'VERSION' }) };
    if (relay.certChainPubKey === null) return { type: 'ERR', error: transportError({ type: 'NO_AUTH' }) };
    return { type: 'PKEY', sessionId: relay.sessionId, versionRange: range, certChainPubKey: relay.certChainPubKey };
  }

  async pfwd(sessionId: Uint8Array, corrId: Uint8Array, version: number, ephemeralKey: PublicKey, encTransmission: Uint8Array): Promise<BrokerMsg> {
    const relay = this.sessions.get(hexOf(sessionId));
    // The relay connection may have closed since PRXY: the client must ask again.
    if (relay === undefined || relay.isClosed) return { type: 'ERR', error: { type: 'PROXY', proxyErr: { type: 'NO_SESSION' } } };
    if (relay.version < sendingProxySMPVersion) return { type: 'ERR', error: transportError({ type: 'VERSION' }) };
    const secret = relay.sessionSecret;
    if (secret === null) return { type: 'ERR', error: transportError({ type: 'NO_AUTH' }) };
    const crypto = this.options.crypto;
    const nonce = this.options.random.bytes(24);
    const fwd = encodeFwdTransmission({ corrId: corrId, version: version, ephemeralKey: ephemeralKey, encTransmission: encTransmission });
    const command = encodeCommand(relay.version, { type: 'RFWD', encFwdTransmission: cbEncryptNoPad(crypto, secret, nonce, fwd) });
    let answer;
    try {
      answer = await relay.request({ authorization: EMPTY, corrId: nonce, entityId: EMPTY, command: command }, this.options.timeoutMs);
    } catch (e) {
      return { type: 'ERR', error: proxyError(brokerErrorOf(e)) };
    }
    const msg = answer.msg;
    if (msg.type === 'ERR') return { type: 'ERR', error: { type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: msg.error } } };
    if (msg.type !== 'RRES') return { type: 'ERR', error: proxyError({ type: 'UNEXPECTED', respErr: msg.type }) };
    const opened = cbDecryptNoPad(crypto, secret, reverseNonce(nonce), msg.encFwdResponse);
    if (opened === null) return { type: 'ERR', error: { type: 'CRYPTO' } };
    try {
      return { type: 'PRES', encResponse: decodeFwdResponse(opened).encResponse };
    } catch (e) {
      if (e instanceof DecodeError) return { type: 'ERR', error: proxyError({ type: 'RESPONSE', respErr: 'BLOCK' }) };
      throw e;
    }
  }

  /** Closes every relay connection; later PRXY fail. */
  close(): void {
    this.closed = true;
    for (const relay of this.sessions.values()) relay.close();
    for (const pending of this.relays.values()) pending.then((r) => r.close(), () => undefined);
    this.sessions.clear();
    this.relays.clear();
  }

  private relay(server: SmpServer): Promise<SmpClient> {
    if (this.closed) return Promise.reject(new SmpTransportError('closed', 'the router is stopping'));
    if (chooseTransportHost(server.hosts, false, true) === null) return Promise.reject(new HostError());
    const key = printSmpServer(server);
    const known = this.relays.get(key);
    if (known !== undefined) return known;
    let sessionKey: string | null = null;
    const connecting = SmpClient.connect({
      server: server,
      crypto: this.options.crypto,
      proxyServer: true,
      helloKey: true,
      timeoutMs: this.options.timeoutMs,
      onClose: () => {
        if (this.relays.get(key) === connecting) this.relays.delete(key);
        if (sessionKey !== null) this.sessions.delete(sessionKey);
      },
    });
    this.relays.set(key, connecting);
    connecting.then(
      (relay) => {
        if (this.closed) {
          relay.close();
          return;
        }
        sessionKey = hexOf(relay.sessionId);
        this.sessions.set(sessionKey, relay);
        this.options.log.write('info', 'router.relay-connected', { version: relay.version });
      },
      () => {
        if (this.relays.get(key) === connecting) this.relays.delete(key);
      },
    );
    return connecting;
  }
}

/** Only onion hosts: this router connects without SOCKS (`PCEIncompatibleHost`). */
class HostError extends Error {}

/** How a relay connection failed, in the reference's terms (`smpProxyError`). */
function brokerErrorOf(e: unknown): BrokerErrorType {
  if (e instanceof HostError) return { type: 'HOST' };
  if (e instanceof SmpTransportError) {
    switch (e.code) {
      case 'handshake-timeout':
        return { type: 'TIMEOUT' };
      case 'version':
        return { type: 'TRANSPORT', transportErr: { type: 'VERSION' } };
      case 'bad-session':
        return { type: 'TRANSPORT', transportErr: { type: 'SESSION' } };
      case 'bad-signed-key':
        return { type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: 'BAD_AUTH' } };
      case 'bad-handshake':
        return { type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: 'PARSE' } };
      default:
        // A relay that is not the one in the address fails TLS validation in the reference.
        return { type: 'NETWORK', networkError: null };
    }
  }
  if (e instanceof NetError && e.code === 'timeout') return { type: 'TIMEOUT' };
  return { type: 'NETWORK', networkError: null };
}

function proxyError(b: BrokerErrorType): ErrorType {
  return { type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: b } };
}

function transportError(t: TransportErrorType): ErrorType {
  return proxyError({ type: 'TRANSPORT', transportErr: t });
}

function intersect(a: VersionRange, b: VersionRange): VersionRange | null {
  const min = a.min > b.min ? a.min : b.min;
  const max = a.max < b.max ? a.max : b.max;
  return min <= max ? { min: min, max: max } : null;
}

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
