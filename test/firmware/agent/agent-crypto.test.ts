/**
 * Sealing and opening the two end-to-end layers (agent.md §5.1, §6.1, §6.5): the size budget, a
 * full handshake and conversation between two ratchets through the real APIs (confirmation 'D',
 * reply 'I', messages, receipts, out-of-order delivery, PQ), the per_queue_box and
 * ratchet-first-message vectors through the sealing path, and typed errors with no state change.
 */
import assert from 'node:assert/strict';
import type { Crypto, KeyPair } from '../../../hal/crypto';
import {
  AgentError,
  clientMsgEnvelopeLength,
  encRatchetMessageLength,
  openAgentMessage,
  openConnInfo,
  openEnvelope,
  sealConfirmation,
  sealInvitation,
  sealMessage,
  sealRatchetKey,
  type AgentErrorCode,
  type OpenedEnvelope,
  type ReceiveQueueKeys,
  type SendQueueKeys,
} from '../../../firmware/agent/agent-crypto';
import { decodeAgentMessage, encodeAgentMessage, type AgentMessage, type SmpQueueInfo } from '../../../firmware/agent/agent-message';
import { parseConnectionLink } from '../../../firmware/agent/connection-link';
import type { RejectReason } from '../../../firmware/agent/envelope';
import {
  checkMsgIntegrity,
  checkReceipt,
  createReceipt,
  initialSendChain,
  prepareAgentMessage,
  prepareHeaderless,
  receiveChainFromConfirmation,
  recordReceived,
  type PreparedMessage,
  type ReceiveChainState,
  type SendChainState,
} from '../../../firmware/agent/integrity';
import { Ratchet } from '../../../firmware/agent/ratchet';
import { decodeEncRatchetMessage } from '../../../firmware/agent/ratchet-header';
import { generateInitiatorParams, generateJoinerParams, replyKem, x3dhInitiator, x3dhJoiner } from '../../../firmware/agent/x3dh';
import { cbDecrypt } from '../../../firmware/crypto/box';
import { decodePublicKey } from '../../../firmware/crypto/keys';
import { toHex } from '../../../firmware/encoding/bytes';
import { decodeClientMessage, decodeClientMsgEnvelope, encodeClientMsgEnvelope } from '../../../firmware/smp/message';
import { decodeChatBody } from '../../../firmware/chat/body';
import { encodeChatMessage, MAX_ENCODED_INFO_LENGTH, type ChatMessage } from '../../../firmware/chat/app-message';
import { textContent } from '../../../firmware/chat/content';
import { mutate } from '../chat/mutate';
import { hex, loadVectors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';
import { BACKENDS, ScriptedRandom, expectRatchetError, seeded } from './helpers';

// ---- Vectors ----------------------------------------------------------------------------------

const KEYS = (loadVectors('ratchet-kdf.json') as unknown as { common_inputs: { keys: { [n: string]: { private: string; public: string } } } }).common_inputs.keys;
const PRIV = (n: string): Uint8Array => hex(KEYS[n].private);
const FIRST = vectorCase('ratchet-first-message.json', 'first_message_hello') as { message: string; plaintext: string; body_padded_len: number };
const BOX = vectorCase('nacl-crypto-box.json', 'per_queue_box') as { sender_private: string; receiver_private: string; nonce: string; message: string; padded_len: number; box: string };
const WORKED_URI = (vectorCase('connection-request-uri.json', 'invitation_worked_example') as { uri: string }).uri;

const SERVER = { hosts: [{ kind: 'domain' as const, host: 'smp.example.com' }], port: null, keyHash: hex('ab'.repeat(32)) };

function expectAgentError(fn: () => unknown, code: AgentErrorCode, reason: RejectReason | null = null): AgentError {
  let thrown: unknown = null;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof AgentError, 'expected AgentError ' + code + ', got ' + String(thrown));
  assert.equal(thrown.code, code, 'wrong code; message: ' + thrown.message);
  assert.equal(thrown.name, 'AgentError');
  assert.equal(thrown.reason, reason);
  assert.ok(thrown.message.length > 0);
  return thrown;
}

/** Anything thrown must be one of our typed errors. */
function onlyAgentErrors(fn: () => unknown, what: string): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (!(e instanceof AgentError)) assert.fail(what + ' threw ' + (e instanceof Error ? e.name + ': ' + e.message : String(e)));
    return false;
  }
}

function chat(body: string, msgId: Uint8Array | null = null): Uint8Array {
  const m: ChatMessage = {
    chatVRange: { min: 1, max: 9 },
    msgId: msgId,
    event: { type: 'x.msg.new', container: { content: textContent(body), ttl: null, live: null, other: {} } },
  };
  return encodeChatMessage(m);
}

function info(name: string): Uint8Array {
  const m: ChatMessage = {
    chatVRange: { min: 1, max: 9 },
    msgId: null,
    event: { type: 'x.info', profile: { displayName: name, fullName: '', shortDescr: null, image: null, contactLink: null, preferences: null } },
  };
  return encodeChatMessage(m, MAX_ENCODED_INFO_LENGTH);
}

// ---- A party of the conversation --------------------------------------------------------------

interface Party {
  readonly c: Crypto;
  readonly random: ScriptedRandom;
  ratchet: Ratchet | null;
  send: SendChainState;
  recv: ReceiveChainState | null;
  /** The queue we receive on: our per-queue e2e pair and, after the first confirmation, the secret. */
  rcvKeys: KeyPair;
  rcvSecret: Uint8Array | null;
  /** The queue we send to. */
  sndKeys: SendQueueKeys | null;
  sndE2e: KeyPair | null;
  sent: { [id: number]: PreparedMessage };
}

function party(c: Crypto, random: ScriptedRandom, rcvKeys: KeyPair): Party {
  return { c, random, ratchet: null, send: initialSendChain(), recv: null, rcvKeys, rcvSecret: null, sndKeys: null, sndE2e: null, sent: {} };
}

function rcvQueue(p: Party): ReceiveQueueKeys {
  return { e2eDhSecret: p.rcvSecret, e2ePrivateKey: p.rcvKeys.privateKey, senderCanSecure: true, smpClientVersion: 4 };
}

/** One A_MSG (or other AMessage) from `from`, numbered, sealed, opened and checked by `to`. */
function deliver(from: Party, to: Party, m: Parameters<typeof prepareAgentMessage>[2], pq = false): { opened: OpenedEnvelope; message: AgentMessage; bytes: Uint8Array; integrity: string } {
  const sealed = seal(from, m, pq);
  return receive(to, sealed);
}

function seal(from: Party, m: Parameters<typeof prepareAgentMessage>[2], pq = false): Uint8Array {
  const p = prepareAgentMessage(from.c, from.send, m);
  from.send = p.next;
  from.sent[p.sndMsgId] = p;
  const s = sealMessage(from.c, from.random, from.ratchet as Ratchet, from.sndKeys as SendQueueKeys, p.bytes, { agentVersion: 7, pqSupport: pq });
  assert.equal(s.envelope.length, 16043, 'every message envelope is 16043 bytes');
  return s.envelope;
}

function receive(to: Party, envelope: Uint8Array): { opened: OpenedEnvelope; message: AgentMessage; bytes: Uint8Array; integrity: string } {
  const opened = openEnvelope(to.c, envelope, rcvQueue(to));
  assert.equal(opened.action, 'message');
  assert.equal(opened.envelope.kind, 'message');
  assert.equal(opened.envelope.agentVersion, 7);
  if (opened.envelope.kind !== 'message') throw new Error('unreachable');
  const r = openAgentMessage(to.ratchet as Ratchet, opened.envelope.encAgentMessage);
  if (r.message.type !== 'message') throw new Error('unreachable');
  const integrity = checkMsgIntegrity(to.recv as ReceiveChainState, r.message.header.sndMsgId, r.message.header.prevMsgHash);
  to.recv = recordReceived(to.c, r.message.header.sndMsgId, r.bytes);
  return { opened, message: r.message, bytes: r.bytes, integrity: integrity.kind };
}

// -----------------------------------------------------------------------------------------------

describe('agent crypto layers: sizes (agent.md §6.5)', () => {
  it('EncRatchetMessage: 15982 for messages with and without PQ, 14974 / 13470 for confirmations', () => {
    assert.equal(encRatchetMessageLength(3, false, 15840), 15982);
    assert.equal(encRatchetMessageLength(3, true, 13618), 15982);
    assert.equal(encRatchetMessageLength(3, false, 14832), 14974);
    assert.equal(encRatchetMessageLength(3, true, 11106), 13470);
    // EncMessageHeader 124 / 2346 inside: 2 + 124 + 16 + 15840.
    assert.equal(encRatchetMessageLength(3, false, 0) - 2 - 16, 124);
    assert.equal(encRatchetMessageLength(3, true, 0) - 2 - 16, 2346);
    // v2: 1-byte length prefixes, never the large header.
    assert.equal(encRatchetMessageLength(2, true, 100), 1 + (2 + 16 + 16 + 1 + 88) + 16 + 100);
  });

  it('ClientMsgEnvelope: 16043 bytes for messages (SEND limit 16048), 15992 with a PubHeader key', () => {
    assert.equal(clientMsgEnvelopeLength(16000, false), 16043);
    assert.ok(clientMsgEnvelopeLength(16000, false) <= 16048);
    assert.equal(clientMsgEnvelopeLength(15904, true), 2 + 1 + 1 + 44 + 24 + 16 + 15904);
    // 'M' envelope (+3) and ClientMessage (+'_') need 15986 + 2 <= 16000.
    assert.ok(1 + 3 + encRatchetMessageLength(3, true, 13618) + 2 <= 16000);
    // The PQ confirmation with KEM 'A' parameters (2344) and a legacy 'K' header still fits 15904.
    assert.ok(2 + 44 + 3 + 2344 + encRatchetMessageLength(3, true, 11106) + 2 <= 15904);
  });
});

for (const backend of BACKENDS) {
  describe('agent crypto layers on the ' + backend.name + ' backend', function () {
    this.timeout(60000);

    /**
     * The handshake of agent.md §5.1 with the vectors' keys: the initiator A has X3DH keys a1, a2
     * and queue QA with e2e key = per_queue_box receiver; the joiner B has b1, b2, b3 and the
     * per_queue_box sender key for QA. QB's keys are random.
     */
    function handshake(): { a: Party; b: Party; confirmation: Uint8Array; reply: Uint8Array; linkKey2: KeyPair } {
      const ca = backend.make(new ScriptedRandom([PRIV('a1'), PRIV('a2')], 101));
      const rb = new ScriptedRandom([PRIV('b1'), PRIV('b2'), PRIV('b3')], 202);
      const cb = backend.make(rb);
      const ra = new ScriptedRandom([], 303);
      const dhA: KeyPair = { privateKey: hex(BOX.receiver_private), publicKey: ca.x25519PublicKey(hex(BOX.receiver_private)) };
      const dhB: KeyPair = { privateKey: hex(BOX.sender_private), publicKey: cb.x25519PublicKey(hex(BOX.sender_private)) };
      const link = generateInitiatorParams(ca, 3, false);
      const a = party(ca, ra, dhA);

      // Joiner: X3DH, its ratchet (b3), its reply queue QB, the confirmation 'D' on QA.
      const replyParams = generateJoinerParams(cb, 3, replyKem(3, link.params.kem, false));
      const ratchetB = Ratchet.initJoiner(cb, { current: 3, max: 3 }, x3dhJoiner(cb, replyParams.keys, link.params), link.params.key2);
      assert.equal(rb.pending, 0, 'b3 came from the Random');
      const b = party(cb, rb, cb.x25519KeyPair());
      b.ratchet = ratchetB;
      b.sndE2e = dhB;
      b.sndKeys = { e2eDhSecret: cb.x25519(dhB.privateKey, dhA.publicKey), smpClientVersion: 4 };
      const qb: SmpQueueInfo = { clientVersion: 4, server: SERVER, senderId: hex('5b'.repeat(24)), dhPublicKey: b.rcvKeys.publicKey, queueMode: 'messaging' };
      const conf = prepareHeaderless(cb, b.send, { type: 'conn-info-reply', queues: [qb], connInfo: info('bob') });
      b.send = conf.next;
      const sealedConf = sealConfirmation(cb, rb, b.ratchet, b.sndKeys, conf.bytes, {
        agentVersion: 7,
        pqSupport: false,
        e2eParams: replyParams.params,
        e2ePublicKey: dhB.publicKey,
        senderKey: null,
      });
      assert.equal(sealedConf.envelope.length, 15992);
      assert.equal(sealedConf.pqEncrypted, false);

      // Initiator: opens QA with its key and the PubHeader key, runs X3DH, decrypts 'D'.
      const opened = openEnvelope(ca, sealedConf.envelope, rcvQueue(a));
      assert.equal(opened.action, 'confirmation');
      assert.equal(opened.smpClientVersion, 4);
      assert.equal(toHex(opened.e2ePublicKey as Uint8Array), toHex(dhB.publicKey));
      assert.equal(opened.senderKey, null);
      assert.equal(toHex(opened.e2eDhSecret), toHex(ca.x25519(dhA.privateKey, dhB.publicKey)));
      if (opened.envelope.kind !== 'confirmation' || opened.envelope.e2eParams === null) throw new Error('expected the joiner confirmation');
      assert.equal(opened.envelope.agentVersion, 7);
      assert.deepEqual(opened.envelope.e2eParams, replyParams.params);
      a.rcvSecret = opened.e2eDhSecret;
      a.ratchet = Ratchet.initInitiator(ca, { current: 3, max: 3 }, x3dhInitiator(ca, link.keys, opened.envelope.e2eParams), link.keys.key2, false);
      const connInfo = openConnInfo(a.ratchet, opened.envelope.encConnInfo);
      assert.equal(toHex(connInfo.bytes), toHex(conf.bytes));
      assert.equal(connInfo.message.type, 'conn-info-reply');
      if (connInfo.message.type !== 'conn-info-reply') throw new Error('unreachable');
      assert.deepEqual(connInfo.message.queues, [qb]);
      a.recv = receiveChainFromConfirmation(ca, connInfo.bytes);

      // Initiator's reply 'I' on QB with a fresh e2e pair.
      a.sndE2e = ca.x25519KeyPair();
      a.sndKeys = { e2eDhSecret: ca.x25519(a.sndE2e.privateKey, qb.dhPublicKey), smpClientVersion: qb.clientVersion };
      const aConf = prepareHeaderless(ca, a.send, { type: 'conn-info', connInfo: info('alice') });
      a.send = aConf.next;
      const sealedReply = sealConfirmation(ca, ra, a.ratchet, a.sndKeys, aConf.bytes, {
        agentVersion: 7,
        pqSupport: false,
        e2eParams: null,
        e2ePublicKey: a.sndE2e.publicKey,
        senderKey: null,
      });
      assert.equal(sealedReply.envelope.length, 15992);
      const openedReply = openEnvelope(cb, sealedReply.envelope, rcvQueue(b));
      assert.equal(openedReply.action, 'confirmation');
      if (openedReply.envelope.kind !== 'confirmation') throw new Error('expected the initiator confirmation');
      assert.equal(openedReply.envelope.e2eParams, null);
      b.rcvSecret = openedReply.e2eDhSecret;
      const replyInfo = openConnInfo(b.ratchet, openedReply.envelope.encConnInfo);
      assert.deepEqual(replyInfo.message, { type: 'conn-info', connInfo: info('alice') });
      b.recv = receiveChainFromConfirmation(cb, replyInfo.bytes);
      return { a, b, confirmation: sealedConf.envelope, reply: sealedReply.envelope, linkKey2: link.keys.key2 };
    }

    it('seals the joiner confirmation with the per_queue_box key and the ratchet-first-message header', () => {
      const ca = backend.make(new ScriptedRandom([PRIV('a1'), PRIV('a2')], 1));
      const rb = new ScriptedRandom([PRIV('b1'), PRIV('b2'), PRIV('b3')], 2);
      const cb = backend.make(rb);
      const link = generateInitiatorParams(ca, 3, false);
      const reply = generateJoinerParams(cb, 3, null);
      const joiner = Ratchet.initJoiner(cb, { current: 3, max: 3 }, x3dhJoiner(cb, reply.keys, link.params), link.params.key2);
      const secret = cb.x25519(hex(BOX.sender_private), cb.x25519PublicKey(hex(BOX.receiver_private)));
      const agentMsg = encodeAgentMessage({ type: 'conn-info', connInfo: info('bob') });
      // The nonce is drawn after the ratchet step: script it to the vector's.
      const nonceRandom = new ScriptedRandom([hex(BOX.nonce)], 3);
      const sealed = sealConfirmation(cb, nonceRandom, joiner, { e2eDhSecret: secret, smpClientVersion: 4 }, agentMsg, {
        agentVersion: 7,
        pqSupport: false,
        e2eParams: reply.params,
        e2ePublicKey: cb.x25519PublicKey(hex(BOX.sender_private)),
        senderKey: null,
      });
      const env = decodeClientMsgEnvelope(sealed.envelope);
      assert.equal(toHex(env.nonce), BOX.nonce);
      assert.deepEqual(env.header.version, 4);
      // The box opens with the vector's key pair (the receiver's side of the same secret).
      const plain = cbDecrypt(cb, cb.x25519(hex(BOX.receiver_private), env.header.e2ePubDhKey?.raw as Uint8Array), env.nonce, env.encBody);
      assert.ok(plain !== null);
      // Same key and nonce as the vector: the XSalsa20 keystream is the vector's, so the first
      // bytes of our box XOR the vector's box equal our padded plaintext XOR the vector's.
      const padded = new Uint8Array(BOX.padded_len);
      padded.set([0, 5]);
      padded.set(hex(BOX.message), 2);
      padded.fill(0x23, 7);
      const ours = new Uint8Array(BOX.padded_len);
      ours.set([plain.length >> 8, plain.length & 0xff]);
      ours.set(plain.subarray(0, BOX.padded_len - 2), 2);
      const vbox = hex(BOX.box).subarray(16);
      for (let i = 0; i < BOX.padded_len; i++) assert.equal(env.encBody[16 + i] ^ vbox[i], ours[i] ^ padded[i], 'keystream byte ' + i);

      const cm = decodeClientMessage(plain);
      assert.equal(cm.senderKey, null);
      // '_' ‖ BE16 7 ‖ 'C' ‖ '1' params(142 - 1) ‖ EncRatchetMessage
      assert.equal(toHex(cm.body.subarray(0, 4)), '0007' + '43' + '31');
      const enc = cm.body.subarray(3 + 142);
      assert.equal(enc.length, 14974);
      // The encrypted header is the vector's byte for byte: same keys, same first chain step.
      assert.equal(toHex(enc.subarray(0, 2 + 124)), FIRST.message.substring(0, 2 * (2 + 124)));
      // And the body keystream (CTR under mk and the message IV) is the vector's too.
      const m = decodeEncRatchetMessage(enc);
      const vm = decodeEncRatchetMessage(hex(FIRST.message));
      const vPadded = new Uint8Array(FIRST.body_padded_len);
      vPadded.set([0, 5]);
      vPadded.set(hex(FIRST.plaintext), 2);
      vPadded.fill(0x23, 7);
      // Our body is pad(agentMsg, 14832): its first 100 bytes, '#' filler included.
      const oPadded = new Uint8Array(FIRST.body_padded_len).fill(0x23);
      oPadded.set([agentMsg.length >> 8, agentMsg.length & 0xff]);
      oPadded.set(agentMsg.subarray(0, FIRST.body_padded_len - 2), 2);
      for (let i = 0; i < FIRST.body_padded_len; i++) assert.equal(m.body[i] ^ vm.body[i], oPadded[i] ^ vPadded[i], 'body keystream byte ' + i);
    });

    it('opens the per_queue_box vector: the box authenticates, its "hello" is not a ClientMessage', () => {
      const c = backend.make(seeded(4));
      const senderPub = c.x25519PublicKey(hex(BOX.sender_private));
      const bytes = encodeClientMsgEnvelope({ header: { version: 4, e2ePubDhKey: { alg: 'x25519', raw: senderPub } }, nonce: hex(BOX.nonce), encBody: hex(BOX.box) });
      const q = { e2eDhSecret: null, e2ePrivateKey: hex(BOX.receiver_private), senderCanSecure: true, smpClientVersion: 4 };
      expectAgentError(() => openEnvelope(c, bytes, q), 'bad-client-message');
      const forged = hex(BOX.box);
      forged[20] ^= 1;
      const bad = encodeClientMsgEnvelope({ header: { version: 4, e2ePubDhKey: { alg: 'x25519', raw: senderPub } }, nonce: hex(BOX.nonce), encBody: forged });
      expectAgentError(() => openEnvelope(c, bad, q), 'box-failed');
    });

    it('runs the handshake and a conversation: integrity ok, receipts ok, chat JSON decoded', () => {
      const { a, b } = handshake();
      // B (joiner) may send first, right after its confirmation (agent v7); then both ways.
      const msgId = hex('000102030405060708090a0b');
      const first = deliver(b, a, { type: 'A_MSG', body: chat('hello', msgId) });
      assert.equal(first.integrity, 'ok');
      if (first.message.type !== 'message' || first.message.message.type !== 'A_MSG') throw new Error('expected A_MSG');
      assert.equal(first.message.header.sndMsgId, 2);
      const items = decodeChatBody(first.message.message.body, null);
      assert.equal(items.length, 1);
      assert.ok(items[0].ok);
      if (items[0].ok) {
        assert.equal(toHex(items[0].message.msgId as Uint8Array), toHex(msgId));
        assert.deepEqual(items[0].message.event, { type: 'x.msg.new', container: { content: textContent('hello'), ttl: null, live: null, other: {} } });
      }
      // The §6.5 rows inside one sealed message: ClientMessage 15986 = '_' ‖ envelope 15985.
      const sealed = seal(b, { type: 'A_MSG', body: chat('sizes') });
      const env = decodeClientMsgEnvelope(sealed);
      const clientMessage = cbDecrypt(b.c, (b.sndKeys as SendQueueKeys).e2eDhSecret, env.nonce, env.encBody);
      assert.ok(clientMessage !== null);
      assert.equal(env.encBody.length, 16 + 16000);
      assert.equal(clientMessage.length, 15986);
      assert.equal(decodeClientMessage(clientMessage).body.length, 15985);
      assert.equal(receive(a, sealed).integrity, 'ok');
      // A receipts the first message; B checks the receipt against what it sent.
      const rcpt = createReceipt(a.c, 7, first.message, first.bytes);
      assert.ok(rcpt !== null);
      const got = deliver(a, b, rcpt as NonNullable<typeof rcpt>);
      assert.equal(got.integrity, 'ok');
      if (got.message.type !== 'message' || got.message.message.type !== 'A_RCVD') throw new Error('expected A_RCVD');
      assert.equal(checkReceipt(b.sent[2].record, got.message.message.receipts[0]), 'ok');
      // A few more rounds, alternating, each with a DH ratchet step.
      for (let i = 0; i < 3; i++) {
        assert.equal(deliver(a, b, { type: 'A_MSG', body: chat('from a ' + i) }).integrity, 'ok');
        assert.equal(deliver(b, a, { type: 'A_MSG', body: chat('from b ' + i) }).integrity, 'ok');
      }
      // Ids: A sent its confirmation (1), the receipt (2) and three messages; B its confirmation and five.
      assert.equal(a.send.lastSndMsgId, 5);
      assert.equal(b.send.lastSndMsgId, 6);
    });

    it('delivers out of order: the ratchet skips, integrity reports the gap, then the late one as bad-id', () => {
      const { a, b } = handshake();
      const m2 = seal(b, { type: 'A_MSG', body: chat('two') });
      const m3 = seal(b, { type: 'A_MSG', body: chat('three') });
      const m4 = seal(b, { type: 'A_MSG', body: chat('four') });
      assert.equal(receive(a, m3).integrity, 'skipped');
      assert.equal(receive(a, m4).integrity, 'ok');
      assert.equal(receive(a, m2).integrity, 'bad-id');
      // The same envelope again: the ratchet calls it a duplicate and changes nothing.
      const before = toHex((a.ratchet as Ratchet).serialize());
      const opened = openEnvelope(a.c, m4, rcvQueue(a));
      if (opened.envelope.kind !== 'message') throw new Error('unreachable');
      const encAgentMessage = opened.envelope.encAgentMessage;
      expectRatchetError(() => openAgentMessage(a.ratchet as Ratchet, encAgentMessage), 'duplicate');
      assert.equal(toHex((a.ratchet as Ratchet).serialize()), before);
    });

    it('accepts a repeated confirmation after the handshake (a lost ACK), and nothing else with a key', () => {
      const { a, b, confirmation } = handshake();
      const again = openEnvelope(a.c, confirmation, rcvQueue(a));
      assert.equal(again.action, 'repeat-confirmation');
      // Before any secret, a message without a PubHeader key cannot be opened at all.
      const m = seal(b, { type: 'A_MSG', body: chat('x') });
      expectAgentError(() => openEnvelope(a.c, m, { ...rcvQueue(a), e2eDhSecret: null }), 'not-accepted', 'no-keys');
    });

    it('refuses a PubHeader key that is a low-order point', () => {
      const { confirmation } = handshake();
      const env = decodeClientMsgEnvelope(confirmation);
      const weak = encodeClientMsgEnvelope({ ...env, header: { version: 4, e2ePubDhKey: { alg: 'x25519', raw: new Uint8Array(32) } } });
      const c = backend.make(seeded(10));
      expectAgentError(() => openEnvelope(c, weak, { e2eDhSecret: null, e2ePrivateKey: hex(BOX.receiver_private), senderCanSecure: true, smpClientVersion: 4 }), 'bad-key');
    });

    it('refuses a fast-handshake confirmation on a queue the sender cannot secure; accepts the legacy one', () => {
      const { confirmation } = handshake();
      const c = backend.make(seeded(5));
      const q = { e2eDhSecret: null, e2ePrivateKey: hex(BOX.receiver_private), senderCanSecure: false, smpClientVersion: 4 };
      expectAgentError(() => openEnvelope(c, confirmation, q), 'not-accepted', 'missing-sender-key');

      // The legacy form: PrivHeader 'K' with the sender key, same box size.
      const rb = new ScriptedRandom([], 6);
      const cb = backend.make(rb);
      const link = generateInitiatorParams(cb, 3, false);
      const reply = generateJoinerParams(cb, 3, null);
      const joiner = Ratchet.initJoiner(cb, { current: 3, max: 3 }, x3dhJoiner(cb, reply.keys, link.params), link.params.key2);
      const senderKey = decodePublicKey(hex(vectorCase('encoding.json', 'sample_ed25519_spki').der as string));
      const dhB = cb.x25519KeyPair();
      const sealed = sealConfirmation(cb, rb, joiner, { e2eDhSecret: cb.x25519(dhB.privateKey, cb.x25519PublicKey(hex(BOX.receiver_private))), smpClientVersion: 4 },
        encodeAgentMessage({ type: 'conn-info-reply', queues: [{ clientVersion: 4, server: SERVER, senderId: hex('01'), dhPublicKey: dhB.publicKey, queueMode: null }], connInfo: info('b') }),
        { agentVersion: 7, pqSupport: false, e2eParams: reply.params, e2ePublicKey: dhB.publicKey, senderKey: senderKey });
      assert.equal(sealed.envelope.length, 15992);
      const opened = openEnvelope(c, sealed.envelope, q);
      assert.equal(opened.action, 'confirmation');
      assert.deepEqual(opened.senderKey, senderKey);
    });

    it('sends a contact request to an address: ephemeral key, 15904 box, no ratchet', () => {
      const c = backend.make(seeded(7));
      const address = c.x25519KeyPair();
      const connReq = parseConnectionLink(WORKED_URI);
      const bytes = sealInvitation(c, seeded(8), { dhPublicKey: address.publicKey, smpClientVersion: 4 }, 7, connReq, hex('7b7d'));
      assert.equal(bytes.length, 15992);
      const opened = openEnvelope(c, bytes, { e2eDhSecret: null, e2ePrivateKey: address.privateKey, senderCanSecure: false, smpClientVersion: 4 });
      assert.equal(opened.action, 'invitation');
      assert.deepEqual(opened.envelope, { kind: 'invitation', agentVersion: 7, connReq: connReq, connInfo: hex('7b7d') });
      expectAgentError(() => sealInvitation(c, seeded(9), { dhPublicKey: new Uint8Array(32), smpClientVersion: 4 }, 7, connReq, hex('7b7d')), 'bad-key');
    });

    it("sends a ratchet key ('R') on an established queue, numbered like any message", () => {
      const { a, b } = handshake();
      const params = generateJoinerParams(b.c, 3, null).params;
      const info = prepareHeaderless(b.c, b.send, { type: 'ratchet-info', info: new Uint8Array(0) });
      const bytes = sealRatchetKey(b.c, b.random, b.sndKeys as SendQueueKeys, params, info.bytes);
      assert.equal(bytes.length, 16043);
      const opened = openEnvelope(a.c, bytes, rcvQueue(a));
      assert.equal(opened.action, 'ratchet-key');
      assert.deepEqual(opened.envelope, { kind: 'ratchet-key', agentVersion: 7, e2eParams: params, info: hex('52') });
      assert.equal(info.sndMsgId, 2);
    });

    it('refuses an unknown SMP client version in the PubHeader unless it is at most the agreed one', () => {
      const { a, b } = handshake();
      const q = b.sndKeys as SendQueueKeys;
      b.sndKeys = { ...q, smpClientVersion: 5 };
      const m = seal(b, { type: 'A_MSG', body: chat('v5') });
      expectAgentError(() => openEnvelope(a.c, m, rcvQueue(a)), 'version');
      assert.equal(openEnvelope(a.c, m, { ...rcvQueue(a), smpClientVersion: 5 }).action, 'message');
    });

    it('reports an authentic message of the wrong kind, saying the ratchet advanced', () => {
      const { a, b } = handshake();
      // A confirmation-kind AgentMessage inside an 'M' envelope (built with the layers by hand).
      const wrong = prepareHeaderless(b.c, b.send, { type: 'conn-info', connInfo: hex('7b7d') });
      const enc = (b.ratchet as Ratchet).encrypt(wrong.bytes, 15840);
      const e = expectAgentError(() => openAgentMessage(a.ratchet as Ratchet, enc.message), 'unexpected-agent-message');
      assert.equal(e.ratchetAdvanced, true);
      // ... and garbage that decrypts: not an AgentMessage at all.
      const garbage = (b.ratchet as Ratchet).encrypt(hex('ff00'), 15840);
      const g = expectAgentError(() => openAgentMessage(a.ratchet as Ratchet, garbage.message), 'bad-agent-message');
      assert.equal(g.ratchetAdvanced, true);
      // A connection-info open of an ordinary message is refused the same way.
      const hello = (b.ratchet as Ratchet).encrypt(prepareAgentMessage(b.c, b.send, { type: 'HELLO' }).bytes, 14832);
      assert.equal(expectAgentError(() => openConnInfo(a.ratchet as Ratchet, hello.message), 'unexpected-agent-message').ratchetAdvanced, true);
    });

    it('refuses oversized messages before touching the ratchet', () => {
      const { b } = handshake();
      const r = b.ratchet as Ratchet;
      const before = toHex(r.serialize());
      const big = prepareAgentMessage(b.c, b.send, { type: 'A_MSG', body: new Uint8Array(15840 - 2 - 42) });
      expectAgentError(() => sealMessage(b.c, b.random, r, b.sndKeys as SendQueueKeys, big.bytes, { agentVersion: 7, pqSupport: false }), 'message-too-large');
      assert.equal(toHex(r.serialize()), before);
      // Exactly at the limit it fits (and the box still does).
      const fits = prepareAgentMessage(b.c, b.send, { type: 'A_MSG', body: new Uint8Array(15840 - 2 - 43) });
      assert.equal(fits.bytes.length, 15838);
      assert.equal(sealMessage(b.c, b.random, r, b.sndKeys as SendQueueKeys, fits.bytes, { agentVersion: 7, pqSupport: false }).envelope.length, 16043);
      // The wrong kind of AgentMessage for the envelope is a caller bug.
      assert.throws(() => sealMessage(b.c, b.random, r, b.sndKeys as SendQueueKeys, encodeAgentMessage({ type: 'conn-info', connInfo: new Uint8Array(0) }), { agentVersion: 7, pqSupport: false }), /AgentMessage 'M'/);
      assert.throws(() => sealConfirmation(b.c, b.random, r, b.sndKeys as SendQueueKeys, big.bytes, { agentVersion: 7, pqSupport: false, e2eParams: null, e2ePublicKey: new Uint8Array(32), senderKey: null }), /'I' or 'D'/);
    });

    it('gives only AgentError for mutated and random envelopes, and never changes the ratchet', () => {
      const { a, b } = handshake();
      const good = seal(b, { type: 'A_MSG', body: chat('fuzz') });
      const expected = openEnvelope(a.c, good, rcvQueue(a)).envelope;
      const ratchet = a.ratchet as Ratchet;
      const before = toHex(ratchet.serialize());
      const rng = prng(0xa9e);
      let opened = 0;
      for (let i = 0; i < 300; i++) {
        const bytes = i % 3 === 0 ? randomBytes(rng, randomInt(rng, 200)) : mutate(rng, good);
        if (!onlyAgentErrors(() => openEnvelope(a.c, bytes, rcvQueue(a)), 'mutation ' + i)) continue;
        // Only the PubHeader version is outside the box: anything that opens is the same message.
        assert.deepEqual(openEnvelope(a.c, bytes, rcvQueue(a)).envelope, expected, 'mutation ' + i);
        opened++;
      }
      assert.ok(opened < 30, 'opened ' + opened);
      assert.equal(toHex(ratchet.serialize()), before);
      assert.equal(receive(a, good).integrity, 'ok');
    });
  });
}

describe('agent crypto layers with PQ (node backend)', function () {
  this.timeout(120000);
  const backend = BACKENDS[BACKENDS.length - 1];

  it("seals a PQ confirmation with KEM 'A' parameters (2344 bytes) and PQ-sized messages", () => {
    const ca = backend.make(seeded(11));
    const cb = backend.make(seeded(12));
    const link = generateInitiatorParams(ca, 3, true);
    const replyParams = generateJoinerParams(cb, 3, replyKem(3, link.params.kem, true));
    assert.equal(replyParams.params.kem?.kind, 'accepted');
    const joiner = Ratchet.initJoiner(cb, { current: 3, max: 3 }, x3dhJoiner(cb, replyParams.keys, link.params), link.params.key2);
    const dhA = ca.x25519KeyPair();
    const dhB = cb.x25519KeyPair();
    const conf = encodeAgentMessage({ type: 'conn-info-reply', queues: [{ clientVersion: 4, server: SERVER, senderId: hex('02'), dhPublicKey: dhB.publicKey, queueMode: 'messaging' }], connInfo: info('pq') });
    const sealed = sealConfirmation(cb, seeded(13), joiner, { e2eDhSecret: cb.x25519(dhB.privateKey, dhA.publicKey), smpClientVersion: 4 }, conf, {
      agentVersion: 7,
      pqSupport: true,
      e2eParams: replyParams.params,
      e2ePublicKey: dhB.publicKey,
      senderKey: null,
    });
    assert.equal(sealed.pqEncrypted, true);
    assert.equal(sealed.envelope.length, 15992);
    const opened = openEnvelope(ca, sealed.envelope, { e2eDhSecret: null, e2ePrivateKey: dhA.privateKey, senderCanSecure: true, smpClientVersion: 4 });
    if (opened.envelope.kind !== 'confirmation' || opened.envelope.e2eParams === null) throw new Error('expected a confirmation');
    // ClientMessage = '_' ‖ 3 ‖ 2344 ‖ 13470 (agent.md §6.3, §6.5).
    assert.equal(opened.envelope.encConnInfo.length, 13470);
    const initiator = Ratchet.initInitiator(ca, { current: 3, max: 3 }, x3dhInitiator(ca, link.keys, opened.envelope.e2eParams), link.keys.key2, true);
    const got = openConnInfo(initiator, opened.envelope.encConnInfo);
    assert.equal(got.pqEncrypted, true);
    assert.deepEqual(decodeAgentMessage(got.bytes), decodeAgentMessage(conf));

    // A PQ message both ways: EncRatchetMessage 15982 in a 16043-byte envelope.
    const sndA = { e2eDhSecret: ca.x25519(dhA.privateKey, dhB.publicKey), smpClientVersion: 4 };
    const m = prepareAgentMessage(cb, { lastSndMsgId: 1, lastMsgHash: cb.sha256(conf) }, { type: 'A_MSG', body: chat('pq hello') });
    const s = sealMessage(cb, seeded(14), joiner, sndA, m.bytes, { agentVersion: 7, pqSupport: true });
    assert.equal(s.envelope.length, 16043);
    const o = openEnvelope(ca, s.envelope, { e2eDhSecret: sndA.e2eDhSecret, e2ePrivateKey: dhA.privateKey, senderCanSecure: true, smpClientVersion: 4 });
    if (o.envelope.kind !== 'message') throw new Error('expected a message');
    assert.equal(o.envelope.encAgentMessage.length, 15982);
    const r = openAgentMessage(initiator, o.envelope.encAgentMessage);
    assert.equal(r.pqEncrypted, true);
    assert.equal(toHex(r.bytes), toHex(m.bytes));
    // The initiator answers after its first receive; its sending chain is PQ too.
    const back = prepareAgentMessage(ca, initialSendChain(), { type: 'A_MSG', body: chat('pq back') });
    const sb = sealMessage(ca, seeded(15), initiator, { e2eDhSecret: sndA.e2eDhSecret, smpClientVersion: 4 }, back.bytes, { agentVersion: 7, pqSupport: true });
    assert.equal(sb.pqEncrypted, true);
    const ob = openEnvelope(cb, sb.envelope, { e2eDhSecret: sndA.e2eDhSecret, e2ePrivateKey: dhB.privateKey, senderCanSecure: true, smpClientVersion: 4 });
    if (ob.envelope.kind !== 'message') throw new Error('expected a message');
    assert.equal(ob.envelope.encAgentMessage.length, 15982);
    assert.equal(toHex(openAgentMessage(joiner, ob.envelope.encAgentMessage).bytes), toHex(back.bytes));
  });
});
