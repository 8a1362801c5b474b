/**
 * Private message routing between two local routers (smp.md §10): the client C talks to the
 * proxy P only; P forwards to the relay R over one shared connection; R delivers. The client
 * side here is built from the firmware formats exactly as §10.2 describes.
 */
import assert from 'node:assert/strict';
import { cbDecrypt, cbEncrypt, reverseNonce } from '../../../firmware/crypto/box';
import type { SmpServer } from '../../../firmware/smp/address';
import { encodeCommand, type Command } from '../../../firmware/smp/commands';
import { decodeResponse, type BrokerMsg } from '../../../firmware/smp/responses';
import { PADDED_PROXIED_T_LENGTH } from '../../../firmware/smp/message';
import { verifyHelloSessionKey, verifyServerChain } from '../../../firmware/smp/server-identity';
import { authorizedBytes, decodeBatch, encodeBatch, encodeTransmission, parseTransmission } from '../../../firmware/smp/transmission';
import {
  assertErr,
  assertOk,
  bytesEqual,
  crypto,
  describe as describeMsg,
  ed25519Key,
  EMPTY,
  messageText,
  random,
  removeTempDirs,
  startTestRouter,
  TestClient,
  text,
  x25519Key,
  type AuthKey,
  type TestRouter,
} from './helpers';

interface ProxySession {
  readonly sessionId: Uint8Array;
  readonly version: number;
  /** R's X25519 hello key for the P-R connection, verified against R's fingerprint. */
  readonly relayKey: Uint8Array;
}

/** PRXY, and the client's own check of PKEY (smp.md §10.1: this is what stops P impersonating R). */
async function prxy(c: TestClient, relay: SmpServer, basicAuth: string | null = null): Promise<ProxySession> {
  const msg = await c.cmd(EMPTY, { type: 'PRXY', server: relay, basicAuth: basicAuth }, null);
  if (msg.type !== 'PKEY') assert.fail('PRXY answered ' + describeMsg(msg));
  const leafKey = verifyServerChain(crypto, msg.certChainPubKey.certChain, relay.keyHash);
  const relayKey = verifyHelloSessionKey(crypto, msg.certChainPubKey, msg.certChainPubKey.certChain, leafKey);
  assert.deepEqual(msg.versionRange, { min: 8, max: 17 }, 'the relay range capped at 17');
  return { sessionId: msg.sessionId, version: Math.min(msg.versionRange.max, 18), relayKey: relayKey };
}

/** PFWD with one inner command (smp.md §10.2); returns the relay's answer from inside PRES, or P's error. */
async function forward(c: TestClient, s: ProxySession, entityId: Uint8Array, cmd: Command, key: AuthKey | null, tamper?: (encT: Uint8Array) => void): Promise<BrokerMsg> {
  const n = random.bytes(24);
  const ek = crypto.x25519KeyPair();
  const cmdSecret = crypto.x25519(ek.privateKey, s.relayKey);
  const params = { version: s.version, sessionId: s.sessionId };
  const command = encodeCommand(s.version, cmd);
  let authorization: Uint8Array = EMPTY;
  if (key !== null) {
    const authorized = authorizedBytes(s.sessionId, n, entityId, command);
    // X25519 keys authenticate against the relay's key from PKEY, not the proxy's.
    authorization = key.authorize(s.relayKey, n, authorized);
  }
  const inner = encodeTransmission(params, { authorization: authorization, corrId: n, entityId: entityId, command: command });
  const encT = cbEncrypt(crypto, cmdSecret, n, encodeBatch([inner]), PADDED_PROXIED_T_LENGTH);
  assert.equal(encT.length, 16242);
  if (tamper !== undefined) tamper(encT);
  const res = await c.request(s.sessionId, { type: 'PFWD', version: s.version, ephemeralKey: { alg: 'x25519', raw: ek.publicKey }, encTransmission: encT }, null, n);
  if (res.msg.type !== 'PRES') return res.msg;
  assert.ok(bytesEqual(res.entityId, s.sessionId));
  const opened = cbDecrypt(crypto, cmdSecret, reverseNonce(n), res.msg.encResponse);
  assert.ok(opened !== null, 'PRES opens with the command secret and the reversed nonce');
  const items = decodeBatch(opened);
  assert.equal(items.length, 1);
  const t = parseTransmission(params, items[0]);
  assert.ok(bytesEqual(t.corrId, n), 'the inner response echoes N');
  return decodeResponse(s.version, t.command);
}

describe('router private routing', function () {
  let relay: TestRouter;
  let proxy: TestRouter;
  let rcv: TestClient;
  let c: TestClient;

  before(async () => {
    relay = await startTestRouter();
    proxy = await startTestRouter({ password: 'proxy-pw' });
  });
  beforeEach(async () => {
    rcv = await TestClient.connect(relay.server);
    c = await TestClient.connect(proxy.server);
  });
  afterEach(() => {
    rcv.close();
    c.close();
  });
  after(async () => {
    await proxy.stop();
    await relay.stop();
    removeTempDirs();
  });

  it('carries a SEND from a client of P to a queue on R, end to end', async () => {
    const q = await rcv.newQueue();
    const s = await prxy(c, relay.server, 'proxy-pw');
    assertOk(await forward(c, s, q.sndId, { type: 'SEND', flags: { notification: false }, body: text('via proxy') }, null));
    assert.equal(messageText(q, await rcv.nextMessage(q)), 'via proxy');
  });

  it('SKEY and signed SENDs through the proxy, with Ed25519 and with X25519 authenticators against the relay key', async () => {
    const s = await prxy(c, relay.server, 'proxy-pw');
    for (const sender of [ed25519Key(), x25519Key()]) {
      const q = await rcv.newQueue();
      assertOk(await forward(c, s, q.sndId, { type: 'SKEY', senderKey: sender.publicKey }, sender));
      assertErr(await forward(c, s, q.sndId, { type: 'SEND', flags: { notification: false }, body: text('unsigned') }, null), { type: 'AUTH' });
      assertOk(await forward(c, s, q.sndId, { type: 'SEND', flags: { notification: false }, body: text('signed') }, sender));
      assert.equal(messageText(q, await rcv.nextMessage(q)), 'signed');
    }
  });

  it('shares one relay connection: a second PRXY names the same session', async () => {
    const a = await prxy(c, relay.server, 'proxy-pw');
    const other = await TestClient.connect(proxy.server);
    try {
      const b = await prxy(other, relay.server, 'proxy-pw');
      assert.ok(bytesEqual(a.sessionId, b.sessionId));
    } finally {
      other.close();
    }
  });

  it('only SEND, SKEY, LKEY and LGET may be forwarded: others are CMD PROHIBITED inside PRES', async () => {
    const q = await rcv.newQueue();
    const s = await prxy(c, relay.server, 'proxy-pw');
    assertErr(await forward(c, s, q.rcvId, { type: 'SUB' }, q.rcvKey), { type: 'CMD', cmdErr: 'PROHIBITED' });
    assertErr(await forward(c, s, EMPTY, { type: 'PING' }, null), { type: 'CMD', cmdErr: 'PROHIBITED' });
  });

  it("P's own errors: the password (BASIC_AUTH), an unknown session (NO_SESSION), an unreachable or impostor relay (BROKER NETWORK)", async () => {
    assertErr(await c.cmd(EMPTY, { type: 'PRXY', server: relay.server, basicAuth: null }, null), { type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } });
    assertErr(await c.cmd(EMPTY, { type: 'PRXY', server: relay.server, basicAuth: 'wrong' }, null), { type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } });

    const ek = crypto.x25519KeyPair();
    const pfwd: Command = { type: 'PFWD', version: 17, ephemeralKey: { alg: 'x25519', raw: ek.publicKey }, encTransmission: new Uint8Array(16242) };
    assertErr(await c.cmd(random.bytes(32), pfwd, null), { type: 'PROXY', proxyErr: { type: 'NO_SESSION' } });

    const closed = await startTestRouter();
    const closedServer = closed.server;
    await closed.stop();
    const network = { type: 'PROXY' as const, proxyErr: { type: 'BROKER' as const, brokerErr: { type: 'NETWORK' as const, networkError: null } } };
    assertErr(await c.cmd(EMPTY, { type: 'PRXY', server: closedServer, basicAuth: 'proxy-pw' }, null), network);
    const impostor = { hosts: relay.server.hosts, port: relay.server.port, keyHash: random.bytes(32) };
    assertErr(await c.cmd(EMPTY, { type: 'PRXY', server: impostor, basicAuth: 'proxy-pw' }, null), network);
  });

  it("R's errors come back inside PROXY PROTOCOL: a damaged s2r box is CRYPTO", async () => {
    const q = await rcv.newQueue();
    const s = await prxy(c, relay.server, 'proxy-pw');
    const msg = await forward(c, s, q.sndId, { type: 'SEND', flags: { notification: false }, body: text('x') }, null, (encT) => {
      encT[0] ^= 1;
    });
    assertErr(msg, { type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'CRYPTO' } } });
  });

  it('RFWD from a client that sent no hello key is refused; one with a wrong box is CRYPTO', async () => {
    const noKey = await TestClient.connect(relay.server, { helloKey: false });
    try {
      assertErr(await noKey.cmd(EMPTY, { type: 'RFWD', encFwdTransmission: new Uint8Array(100) }, null), {
        type: 'PROXY',
        proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'NO_AUTH' } } },
      });
    } finally {
      noKey.close();
    }
    assertErr(await rcv.cmd(EMPTY, { type: 'RFWD', encFwdTransmission: new Uint8Array(100) }, null), { type: 'CRYPTO' });
    assertErr(await rcv.cmd(EMPTY, { type: 'RFWD', encFwdTransmission: new Uint8Array(100) }, ed25519Key()), { type: 'CMD', cmdErr: 'HAS_AUTH' });
  });

  it('when the relay connection is gone, PFWD is NO_SESSION and a new PRXY connects again', async () => {
    const dir = (await import('./helpers')).tempDir();
    let second = await startTestRouter({ storeDir: dir });
    const s = await prxy(c, second.server, 'proxy-pw');
    const owner = await TestClient.connect(second.server);
    const q = await owner.newQueue();
    owner.close();
    await second.stop(true);
    const send: Command = { type: 'SEND', flags: { notification: false }, body: text('late') };
    // P notices the closed connection asynchronously; until then a PFWD fails on the network.
    let msg = await forward(c, s, q.sndId, send, null);
    for (let i = 0; i < 50 && !(msg.type === 'ERR' && msg.error.type === 'PROXY' && msg.error.proxyErr.type === 'NO_SESSION'); i++) {
      assertErr(msg, { type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NETWORK', networkError: null } } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      msg = await forward(c, s, q.sndId, send, null);
    }
    assertErr(msg, { type: 'PROXY', proxyErr: { type: 'NO_SESSION' } });

    second = await startTestRouter({ storeDir: dir, port: second.server.port as number });
    try {
      const again = await prxy(c, second.server, 'proxy-pw');
      assert.ok(!bytesEqual(again.sessionId, s.sessionId), 'a new relay session');
      assertOk(await forward(c, again, q.sndId, send, null));
    } finally {
      await second.stop();
    }
  });

  it('a router can be its own relay', async () => {
    const local = await TestClient.connect(proxy.server);
    try {
      const q = await local.newQueue({ basicAuth: 'proxy-pw' });
      const s = await prxy(c, proxy.server, 'proxy-pw');
      assertOk(await forward(c, s, q.sndId, { type: 'SEND', flags: { notification: false }, body: text('to myself') }, null));
      assert.equal(messageText(q, await local.nextMessage(q)), 'to myself');
    } finally {
      local.close();
    }
  });
});
