/**
 * Private-routing fixtures: a scripted forwarding router P and a destination router R, both
 * in-process on top of client-helpers' TestRouter.
 *
 * P (ProxyRouter) is a TestRouter that also answers PRXY with a PKEY built from a real
 * certificate chain (fake-server.ts makeServerChain) and a session key signed by the chain's leaf,
 * exactly what R's hello would carry, and answers PFWD by doing R's half of smp.md §10.3/§10.4:
 * it opens encT with R's real X25519 key and N, parses exactly one transmission at the forwarded
 * version with R's session ID, runs it on R's TestRouter (which verifies its authorization against
 * that session and, for X25519, R's key), and boxes R's answer for the client with reverseNonce(N)
 * into PRES. The P↔R box and TLS are left out: they do not touch a byte the client sees.
 *
 * Tests steer it through hooks: replace or tamper with PKEY, answer PRXY/PFWD with ERR, make P
 * forget its session with R (NO_SESSION), tamper with PRES, or replace R's inner answer.
 */
import type { KeyPair } from '../../../hal/crypto';
import { cbDecrypt, cbEncrypt, reverseNonce } from '../../../firmware/crypto/box';
import { equalBytes, toHex } from '../../../firmware/encoding/bytes';
import type { VersionRange } from '../../../firmware/encoding/binary';
import type { SmpServer } from '../../../firmware/smp/address';
import { decodeCommand, type Command } from '../../../firmware/smp/commands';
import type { ErrorType } from '../../../firmware/smp/errors';
import type { CertChainPubKey } from '../../../firmware/smp/handshake';
import { PADDED_PROXIED_T_LENGTH } from '../../../firmware/smp/message';
import type { BrokerMsg } from '../../../firmware/smp/responses';
import { decodeBatch, decodeTransmissionAuth, encodeBatch, parseTransmission, type RawTransmission } from '../../../firmware/smp/transmission';
import type { SmpTransportHandlers } from '../../../firmware/smp/transport-api';
import { encodeSignedKey } from '../../../firmware/x509/certificate';
import { RouterConnection, TestRouter, type Received } from './client-helpers';
import { makeServerChain, type ServerChain } from './fake-server';

const EMPTY = new Uint8Array(0);

/** The destination router R: its identity, its P–R session, and its queues (a TestRouter). */
export class RelaySide {
  readonly chain: ServerChain;
  readonly server: SmpServer;
  /** R's X25519 hello key of the P–R session: the key PKEY carries. */
  readonly sessionKey: KeyPair;
  /** R's real queue state; its connections' session ID is sessionId_PR and key sessionKey. */
  readonly router: TestRouter;
  sessionId: Uint8Array;
  /** R's range as P reports it (P caps it at 8..17). */
  versionRange: VersionRange = { min: 8, max: 17 };
  /** The certChainPubKey R sent P: the chain and sessionKey signed by the leaf. */
  certChainPubKey: CertChainPubKey;

  constructor(host: string = 'relay.example.net') {
    this.chain = makeServerChain('ed25519');
    this.server = { hosts: [{ kind: 'domain', host }], port: null, keyHash: this.chain.keyHash };
    this.router = new TestRouter();
    this.sessionKey = this.router.crypto.x25519KeyPair();
    this.sessionId = this.router.random.bytes(32);
    this.certChainPubKey = {
      certChain: this.chain.certs,
      signedKey: encodeSignedKey(this.sessionKey.publicKey, 'ed25519', (m) => this.chain.leaf.sign(m)),
    };
  }

  /** P reconnected to R: a new tls-unique (the old one is unknown to P from now on). */
  newSession(): void {
    this.sessionId = this.router.random.bytes(32);
  }

  /** A connection of P to R at version v, as R sees it (session ID, R's key). */
  connection(v: number): RouterConnection {
    const handlers: SmpTransportHandlers = { onTransmission: () => undefined, onBadBlock: () => undefined, onClose: () => undefined };
    const conn = new RouterConnection(this.router, handlers, v);
    return Object.assign(conn, {
      params: { version: v, sessionId: this.sessionId, serverDhKey: this.sessionKey.publicKey, blockEncryption: false },
      sessionKey: this.sessionKey,
    });
  }
}

/** One PFWD as P and R saw it. */
export interface Forwarded {
  readonly received: Received;
  readonly n: Uint8Array;
  readonly version: number;
  readonly ephemeralKey: Uint8Array;
  readonly encT: Uint8Array;
  /** encT opened by R (null when it did not open). */
  readonly inner: Uint8Array | null;
  /** The one inner transmission, parsed at the forwarded version with R's session ID. */
  readonly innerT: RawTransmission | null;
  readonly innerCommand: Command | null;
  /** R's answer transmission (before boxing), null when none was made. */
  readonly answer: Uint8Array | null;
  /** Whether R verified the inner authorization (or needed none). */
  verified: boolean;
}

export class ProxyRouter extends TestRouter {
  readonly relay: RelaySide;
  readonly prxys: Received[] = [];
  readonly forwarded: Forwarded[] = [];
  /** Replaces the PKEY P sends (tests tamper with the chain, signed key, range, session). */
  pkey: ((honest: Extract<BrokerMsg, { type: 'PKEY' }>) => BrokerMsg) | null = null;
  /** A lying P: answers PRXY for any destination with R's PKEY. */
  impersonate = false;
  /** P answers PRXY with this ERR. */
  prxyError: ErrorType | null = null;
  /** P answers PFWD with this ERR (instead of PRES). */
  pfwdError: ErrorType | null = null;
  /** Rewrites R's boxed answer r2 before it goes into PRES. */
  tamperPres: ((r2: Uint8Array) => Uint8Array) | null = null;
  /** Replaces R's answer: the batch content R boxes (given N, the inner transmission and R's own answer). */
  innerReply: ((n: Uint8Array, t: RawTransmission, honest: Uint8Array, conn: RouterConnection) => Uint8Array) | null = null;
  /** Session IDs P holds with R; PFWD naming another gets NO_SESSION. */
  private readonly sessions: { [hex: string]: true } = {};

  constructor(relay: RelaySide) {
    super();
    this.relay = relay;
  }

  /** P forgets its session with R (as after reconnecting to R): the next PRXY gets a new one. */
  loseRelaySession(): void {
    delete this.sessions[toHex(this.relay.sessionId)];
    this.relay.newSession();
  }

  override process(r: Received): { answer: Uint8Array | null; pushes: Uint8Array[] } {
    const cmd = r.command;
    if (cmd === null || (cmd.type !== 'PRXY' && cmd.type !== 'PFWD')) return super.process(r);
    const reply = (msg: BrokerMsg, entityId: Uint8Array = r.entityId) => ({ answer: r.conn.encode(r.corrId, entityId, msg), pushes: [] as Uint8Array[] });
    const err = (error: ErrorType) => reply({ type: 'ERR', error });
    if (r.auth !== null) return err({ type: 'CMD', cmdErr: 'HAS_AUTH' });
    r.verified = true;
    if (cmd.type === 'PRXY') {
      this.prxys.push(r);
      if (this.prxyError !== null) return err(this.prxyError);
      if (this.basicAuth !== null && cmd.basicAuth !== this.basicAuth) return err({ type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } });
      if (!this.impersonate && !equalBytes(cmd.server.keyHash, this.relay.server.keyHash) || cmd.server.hosts[0].host !== this.relay.server.hosts[0].host) {
        return err({ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'HOST' } } });
      }
      this.sessions[toHex(this.relay.sessionId)] = true;
      const honest: Extract<BrokerMsg, { type: 'PKEY' }> = {
        type: 'PKEY',
        sessionId: this.relay.sessionId,
        versionRange: this.relay.versionRange,
        certChainPubKey: this.relay.certChainPubKey,
      };
      return reply(this.pkey === null ? honest : this.pkey(honest), EMPTY);
    }
    // PFWD
    if (this.pfwdError !== null) return err(this.pfwdError);
    if (this.sessions[toHex(r.entityId)] !== true || !equalBytes(r.entityId, this.relay.sessionId)) {
      return err({ type: 'PROXY', proxyErr: { type: 'NO_SESSION' } });
    }
    const crypto = this.relay.router.crypto;
    const n = r.corrId;
    const secret = crypto.x25519(this.relay.sessionKey.privateKey, cmd.ephemeralKey.raw);
    const inner = n.length === 24 ? cbDecrypt(crypto, secret, n, cmd.encTransmission) : null;
    const record: Forwarded = {
      received: r, n, version: cmd.version, ephemeralKey: cmd.ephemeralKey.raw, encT: cmd.encTransmission,
      inner: inner === null ? null : new Uint8Array(inner), innerT: null, innerCommand: null, answer: null, verified: false,
    };
    this.forwarded.push(record);
    // R's errors for RFWD reach the client as P's PROXY PROTOCOL error.
    if (inner === null) return err({ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'CRYPTO' } } });
    const conn = this.relay.connection(cmd.version);
    let items: Uint8Array[];
    try {
      items = decodeBatch(inner);
    } catch {
      return err({ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'BLOCK' } } });
    }
    if (items.length !== 1) return err({ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'BLOCK' } } });
    let t: RawTransmission;
    let answer: Uint8Array;
    try {
      t = parseTransmission(conn.params, items[0]);
      const innerR: Received = { conn, raw: t, corrId: t.corrId, entityId: t.entityId, command: null, auth: decodeTransmissionAuth(t.authorization), verified: false };
      const innerCmd = decodeCommand(cmd.version, t.command);
      Object.assign(record, { innerT: t, innerCommand: innerCmd });
      const allowed = innerCmd.type === 'SEND' || innerCmd.type === 'SKEY' || innerCmd.type === 'LKEY' || innerCmd.type === 'LGET';
      if (!allowed) {
        answer = conn.encode(t.corrId, t.entityId, { type: 'ERR', error: { type: 'CMD', cmdErr: 'PROHIBITED' } });
      } else {
        const out = this.relay.router.process(Object.assign(innerR, { command: innerCmd }));
        record.verified = innerR.verified;
        answer = out.answer as Uint8Array;
      }
    } catch {
      return err({ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'BLOCK' } } });
    }
    Object.assign(record, { answer });
    const content = this.innerReply === null ? encodeBatch([answer]) : this.innerReply(n, t, answer, conn);
    let r2 = cbEncrypt(crypto, secret, reverseNonce(n), content, PADDED_PROXIED_T_LENGTH);
    if (this.tamperPres !== null) r2 = this.tamperPres(r2);
    return reply({ type: 'PRES', encResponse: r2 });
  }
}
