/**
 * Short links (agent.md §4.6): the link data sealed and opened byte for byte with its checks, and
 * end to end through the local router: a short invitation made by one agent is joined by another
 * (LKEY in place of SKEY), and the typed refusals for a tampered key, a deleted queue, garbage.
 */
import assert from 'node:assert/strict';
import { encodeConnectionRequest, type ConnectionRequest } from '../../../firmware/agent/connection-link';
import { parseShortLink, renderShortLink, type ShortLink } from '../../../firmware/agent/short-link';
import {
  FIXED_DATA_PADDED_LENGTH,
  openLinkData,
  restoreWithPresets,
  sealInvitationLinkData,
  shortLinkKeys,
  ShortLinkError,
  USER_DATA_PADDED_LENGTH,
} from '../../../firmware/agent/short-link-resolve';
import { SUPPORTED_AGENT_VRANGE, SUPPORTED_E2E_VRANGE, SUPPORTED_SMP_CLIENT_VRANGE } from '../../../firmware/agent/versions';
import { generateInitiatorParams } from '../../../firmware/agent/x3dh';
import { sbEncrypt } from '../../../firmware/crypto/box';
import type { SmpServer } from '../../../firmware/smp/address';
import { shortLinkPresetServers } from '../../../firmware/smp/presets';
import { crypto, Party, profile, random, useLocalRouter } from './agent-helpers';

const SERVER: SmpServer = { hosts: [{ kind: 'domain', host: 'smp.example.net' }] as SmpServer['hosts'], port: 5223, keyHash: new Uint8Array(32).fill(7) };

function request(senderId: Uint8Array): ConnectionRequest {
  const x = generateInitiatorParams(crypto, 3, false, null);
  return {
    mode: 'invitation',
    agentVRange: SUPPORTED_AGENT_VRANGE,
    queues: [{ smpClientVRange: SUPPORTED_SMP_CLIENT_VRANGE, server: SERVER, senderId: senderId, dhPublicKey: crypto.x25519KeyPair().publicKey, queueMode: 'messaging' }],
    clientData: null,
    e2e: { versionRange: SUPPORTED_E2E_VRANGE, key1: x.params.key1, key2: x.params.key2, kem: null },
  };
}

function sealed(userData: Uint8Array = new Uint8Array([1, 2, 3])) {
  const senderId = random.bytes(24);
  const req = request(senderId);
  const root = crypto.ed25519KeyPair();
  const data = sealInvitationLinkData(crypto, random, root, SUPPORTED_AGENT_VRANGE, req, userData);
  const link: ShortLink = { scheme: 'https', type: 'invitation', server: SERVER, linkId: random.bytes(24), linkKey: data.linkKey };
  return { req, root, data, link, senderId, sbKey: shortLinkKeys(crypto, link).sbKey };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ShortLinkError, 'a ShortLinkError, not ' + String(e));
    return e.code;
  }
  assert.fail('no error');
}

describe('short links: link data', () => {
  it('seals and opens: the request comes back byte for byte, and the parts have the padded sizes', () => {
    const s = sealed();
    assert.equal(s.data.fixedData.length, 24 + 16 + FIXED_DATA_PADDED_LENGTH);
    assert.equal(s.data.userData.length, 24 + 16 + USER_DATA_PADDED_LENGTH);
    const opened = openLinkData(crypto, s.link, s.sbKey, { senderId: s.senderId, fixedData: s.data.fixedData, userData: s.data.userData });
    assert.deepEqual(encodeConnectionRequest(opened.request), encodeConnectionRequest(s.req));
    assert.deepEqual(opened.userData, new Uint8Array([1, 2, 3]));
    const long = new Uint8Array(300).fill(0x41);
    const s2 = sealed(long);
    assert.deepEqual(openLinkData(crypto, s2.link, s2.sbKey, { senderId: s2.senderId, fixedData: s2.data.fixedData, userData: s2.data.userData }).userData, long);
  });

  it('derives the keys as §4.6 says (HKDF-SHA512 with the two info strings)', () => {
    const s = sealed();
    assert.deepEqual(s.sbKey, crypto.hkdfSha512(new Uint8Array(0), s.link.linkKey, new TextEncoder().encode('SimpleXInvLink'), 32));
    const contact: ShortLink = { scheme: 'https', type: 'contact', server: SERVER, linkId: null, linkKey: s.link.linkKey };
    const okm = crypto.hkdfSha512(new Uint8Array(0), s.link.linkKey, new TextEncoder().encode('SimpleXContactLink'), 56);
    const k = shortLinkKeys(crypto, contact);
    assert.deepEqual(k.linkId, okm.subarray(0, 24));
    assert.deepEqual(k.sbKey, okm.subarray(24));
    assert.equal(code(() => shortLinkKeys(crypto, { ...contact, type: 'group' })), 'unsupported-type');
  });

  it('refuses a wrong key, another queue, data under the right key that does not hash to it, and a forged signature', () => {
    const s = sealed();
    const reply = { senderId: s.senderId, fixedData: s.data.fixedData, userData: s.data.userData };
    const badKey = new Uint8Array(s.sbKey);
    badKey[0] ^= 1;
    assert.equal(code(() => openLinkData(crypto, s.link, badKey, reply)), 'bad-decryption');
    assert.equal(code(() => openLinkData(crypto, s.link, s.sbKey, { ...reply, senderId: random.bytes(24) })), 'wrong-queue');
    // Another link's data, re-boxed under this link's key: opens, but hashes to the other key.
    const other = sealed();
    const reboxed = { senderId: other.senderId, fixedData: rebox(other.data.fixedData, other.sbKey, s.sbKey), userData: rebox(other.data.userData, other.sbKey, s.sbKey) };
    assert.equal(code(() => openLinkData(crypto, s.link, s.sbKey, reboxed)), 'hash-mismatch');
    // The right fixed data, but user data signed by someone else.
    const mixed = { senderId: s.senderId, fixedData: s.data.fixedData, userData: rebox(other.data.userData, other.sbKey, s.sbKey) };
    assert.equal(code(() => openLinkData(crypto, s.link, s.sbKey, mixed)), 'bad-signature');
  });

  it('refuses truncated, oversized-length and garbage data with a typed error, never a crash', () => {
    const s = sealed();
    const reply = { senderId: s.senderId, fixedData: s.data.fixedData, userData: s.data.userData };
    for (const n of [0, 1, 39, 40, 100, reply.fixedData.length - 1]) {
      const c = code(() => openLinkData(crypto, s.link, s.sbKey, { ...reply, fixedData: reply.fixedData.subarray(0, n) }));
      assert.ok(c === 'malformed-data' || c === 'bad-decryption', c);
    }
    for (let i = 0; i < 50; i++) {
      const g = random.bytes(1 + (random.bytes(1)[0] << 4));
      const c = code(() => openLinkData(crypto, s.link, s.sbKey, { ...reply, fixedData: g }));
      assert.ok(c === 'malformed-data' || c === 'bad-decryption', c);
    }
    // Authentic boxes around garbage: a length prefix beyond the data, and no signature.
    const nonce = random.bytes(24);
    const badPad = new Uint8Array(FIXED_DATA_PADDED_LENGTH).fill(0xff);
    assert.equal(code(() => openLinkData(crypto, s.link, s.sbKey, { ...reply, fixedData: concat(nonce, rawBox(s.sbKey, nonce, badPad)) })), 'malformed-data');
    assert.equal(code(() => openLinkData(crypto, s.link, s.sbKey, { ...reply, fixedData: concat(nonce, sbEncrypt(crypto, s.sbKey, nonce, random.bytes(30), 2008)) })), 'malformed-data');
  });

  it('restores a preset host, and refuses an unknown host that names no fingerprint', () => {
    const presets = shortLinkPresetServers();
    const bare = parseShortLink('https://smp8.simplex.im/a#' + 'A'.repeat(43));
    const restored = restoreWithPresets(bare, presets);
    assert.equal(restored.server.keyHash.length, 32);
    const unknown = parseShortLink('https://smp.nowhere.example/a#' + 'A'.repeat(43));
    assert.equal(code(() => restoreWithPresets(unknown, presets)), 'unknown-preset-host');
  });
});

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Opens a part under one key and boxes its padded plaintext under another (a router swapping data). */
function rebox(part: Uint8Array, from: Uint8Array, to: Uint8Array): Uint8Array {
  const nonce = part.subarray(0, 24);
  const k1 = crypto.hsalsa20(from, new Uint8Array(16));
  const padded = crypto.xsalsa20Poly1305Open(k1, nonce, part.subarray(24));
  assert.ok(padded !== null);
  return concat(nonce, rawBox(to, nonce, padded));
}

function rawBox(key: Uint8Array, nonce: Uint8Array, padded: Uint8Array): Uint8Array {
  return crypto.xsalsa20Poly1305Seal(crypto.hsalsa20(key, new Uint8Array(16)), nonce, padded);
}

describe('short links: end to end through the router', function () {
  this.timeout(60000);
  const env = useLocalRouter();

  const party = (name: string): Party => env.party(name);


  it('a short invitation made by one agent is joined by the other: both connect and messages flow', async () => {
    const alice = party('alice');
    const bob = party('bob');
    await alice.agent.start();
    await bob.agent.start();
    const inv = await alice.agent.createInvitation(profile('alice'), { short: true });
    assert.ok(inv.link.startsWith('https://'), inv.link);
    const parsed = parseShortLink(inv.link);
    assert.equal(parsed.type, 'invitation');
    assert.equal(renderShortLink(parsed), inv.link);
    const bobConn = await bob.agent.joinInvitation(inv.link, profile('bob'));
    await alice.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === inv.connId), 'alice connected');
    await bob.waitFor((es) => es.some((e) => e.type === 'connected' && e.connId === bobConn), 'bob connected');
    const ac = alice.agent.connections().find((c) => c.connId === inv.connId);
    assert.equal(ac?.profile?.displayName, 'bob');
    alice.agent.sendText(inv.connId, 'hi bob');
    bob.agent.sendText(bobConn, 'hi alice');
    await bob.waitFor((es) => es.some((e) => e.type === 'message' && e.text === 'hi bob'), 'bob got it');
    await alice.waitFor((es) => es.some((e) => e.type === 'message' && e.text === 'hi alice'), 'alice got it');
    // One-time: the queue is secured with bob's LKEY key, so another LKEY is refused.
    const carol = party('carol');
    await carol.agent.start();
    await assert.rejects(carol.agent.joinInvitation(inv.link, profile('carol')), (e: unknown) => e instanceof ShortLinkError && e.code === 'link-gone');
  });

  it('a tampered link key is refused as undecryptable; a deleted queue as gone', async () => {
    const alice = party('alice');
    const bob = party('bob');
    await alice.agent.start();
    await bob.agent.start();
    const inv = await alice.agent.createInvitation(profile('alice'), { short: true });
    const parsed = parseShortLink(inv.link);
    const key = new Uint8Array(parsed.linkKey);
    key[5] ^= 0x20;
    const tampered = renderShortLink({ ...parsed, linkKey: key });
    await assert.rejects(bob.agent.joinInvitation(tampered, profile('bob')), (e: unknown) => e instanceof ShortLinkError && e.code === 'bad-decryption');
    assert.equal(bob.agent.connections().length, 0, 'nothing is created for a refused link');

    const inv2 = await alice.agent.createInvitation(profile('alice'), { short: true });
    await alice.agent.deleteConnection(inv2.connId);
    await assert.rejects(bob.agent.joinInvitation(inv2.link, profile('bob')), (e: unknown) => e instanceof ShortLinkError && e.code === 'link-gone');
  });
});
