import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { DecodeError } from '../../../firmware/encoding/errors';
import { decodeCommand, encodeCommand } from '../../../firmware/smp/commands';
import { encodeResponse } from '../../../firmware/smp/responses';
import {
  authCmdsSMPVersion,
  authorizedBytes,
  blockedEntitySMPVersion,
  clientNoticesSMPVersion,
  currentClientSMPRelayVersion,
  decodeBatch,
  decodeBlock,
  decodeTransmissionAuth,
  deletedEventSMPVersion,
  encodeBatch,
  encodeBlock,
  encodeTransmission,
  encryptedBlockSMPVersion,
  minServerSMPRelayVersion,
  newNtfCredsSMPVersion,
  packTransmissions,
  parseTransmission,
  proxiedSMPRelayVRange,
  proxyServerHandshakeSMPVersion,
  sendingProxySMPVersion,
  serviceCertsSMPVersion,
  shortLinksSMPVersion,
  SMP_BATCH_BUDGET,
  SMP_BLOCK_CONTENT_MAX,
  SMP_BLOCK_SIZE,
  SMP_ENCRYPTED_BLOCK_CONTENT_MAX,
  sndAuthKeySMPVersion,
  supportedClientSMPRelayVRange,
  TransmissionError,
  type PackedBatch,
  type TransmissionParams,
} from '../../../firmware/smp/transmission';
import { expectDecodeError, expectEncodeError, hex, loadVectors, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';
import { ascii, bytes } from './helpers';

const V18: TransmissionParams = { version: 18, sessionId: bytes(32, 0xee) };

function sha256(b: Uint8Array): string {
  return nodeCrypto.createHash('sha256').update(b).digest('hex');
}

/** The counts of the packed batches, with 'E' for a large-message entry. */
function shape(batches: PackedBatch[]): Array<number | string> {
  return batches.map((b) => (b.ok ? b.count : 'E'));
}

describe('SMP transmissions and blocks', () => {
  it('names the version constants as upstream Transport.hs does (smp.md §4.5)', () => {
    assert.deepEqual(
      [minServerSMPRelayVersion, authCmdsSMPVersion, sendingProxySMPVersion, sndAuthKeySMPVersion, deletedEventSMPVersion,
        encryptedBlockSMPVersion, blockedEntitySMPVersion, proxyServerHandshakeSMPVersion, shortLinksSMPVersion,
        serviceCertsSMPVersion, newNtfCredsSMPVersion, clientNoticesSMPVersion, currentClientSMPRelayVersion],
      [6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 18],
    );
    assert.deepEqual(supportedClientSMPRelayVRange, { min: 6, max: 18 });
    assert.deepEqual(proxiedSMPRelayVRange, { min: 8, max: 17 });
    assert.equal(SMP_BLOCK_SIZE, 16384);
    assert.equal(SMP_BATCH_BUDGET, 16384 - 19);
  });

  describe('the PING block vector (smp-ping-block.json)', () => {
    const v = vectorCase('smp-ping-block.json', 'ping_block_unencrypted');

    it('encodes transmission, batch and the whole 16384-byte block byte for byte', () => {
      const t = encodeTransmission(V18, { authorization: new Uint8Array(0), corrId: hex(v.corr_id), entityId: new Uint8Array(0), command: encodeCommand(18, { type: 'PING' }) });
      assert.equal(toHex(t), v.transmission);
      const content = encodeBatch([t]);
      assert.equal(toHex(content), v.block_content);
      assert.equal(content.length, v.block_content_len);
      const block = encodeBlock(content);
      assert.equal(block.length, v.block_len);
      // First 32 bytes: the word16 length, then the content.
      assert.equal(toHex(block.subarray(0, 32)), '0022' + v.block_content.slice(0, 60));
      assert.ok(block.subarray(2 + content.length).every((b) => b === parseInt(v.pad_byte, 16)));
      assert.equal(sha256(block), v.block_sha256);
    });

    it('decodes the block back to the PING command', () => {
      const block = encodeBlock(hex(v.block_content));
      const items = decodeBatch(decodeBlock(block));
      assert.equal(items.length, 1);
      const raw = parseTransmission(V18, items[0]);
      assert.equal(toHex(raw.corrId), v.corr_id);
      assert.equal(raw.entityId.length, 0);
      assert.equal(decodeTransmissionAuth(raw.authorization), null);
      assert.deepEqual(decodeCommand(18, raw.command), { type: 'PING' });
    });
  });

  describe('the signed SUB vector (smp-command-auth.json)', () => {
    const file = 'smp-command-auth.json';
    const common = vectorCase(file, 'authorized_bytes_sub');
    const inputs = (): { sessionId: Uint8Array; corrId: Uint8Array; entityId: Uint8Array; command: Uint8Array } => {
      // common_inputs is a file-level member, not a case.
      const f = (loadVectors(file) as unknown as { common_inputs: { [k: string]: string } }).common_inputs;
      return { sessionId: hex(f.session_id), corrId: hex(f.corr_id), entityId: hex(f.entity_id), command: hex(f.command) };
    };

    it('builds the authorized bytes: short(sessionId) ‖ short(corrId) ‖ short(entityId) ‖ "SUB"', () => {
      const i = inputs();
      assert.deepEqual(encodeCommand(18, { type: 'SUB' }), i.command);
      const a = authorizedBytes(i.sessionId, i.corrId, i.entityId, i.command);
      assert.equal(toHex(a), common.authorized);
      assert.equal(a.length, common.authorized_len);
    });

    it('builds the 119-byte v18 transmission and 122-byte block content with the serviceSig byte', () => {
      const i = inputs();
      const sig = hex(vectorCase(file, 'ed25519_signature_sub').signature);
      const expected = vectorCase(file, 'signed_sub_block_content_v18');
      const t = encodeTransmission({ version: 18, sessionId: i.sessionId }, { authorization: sig, corrId: i.corrId, entityId: i.entityId, command: i.command });
      assert.equal(toHex(t), expected.transmission);
      assert.equal(t.length, expected.transmission_len);
      assert.equal(t[65], 0x30, "the serviceSig field is '0' right after the 64-byte signature");
      const content = encodeBatch([t]);
      assert.equal(toHex(content), expected.block_content);
      assert.equal(content.length, expected.block_content_len);
    });

    it('parses the transmission back; the authorized bytes verify the vector signature', () => {
      const i = inputs();
      const expected = vectorCase(file, 'signed_sub_block_content_v18');
      const raw = parseTransmission({ version: 18, sessionId: i.sessionId }, hex(expected.transmission));
      assert.equal(raw.serviceSig, null);
      assert.equal(raw.sessionId, null);
      assert.deepEqual(raw.corrId, i.corrId);
      assert.deepEqual(raw.entityId, i.entityId);
      assert.deepEqual(raw.command, i.command);
      assert.equal(toHex(raw.authorized), common.authorized);
      const auth = decodeTransmissionAuth(raw.authorization);
      assert.ok(auth !== null);
      assert.equal(auth.kind, 'ed25519');
      // An independent check that `authorized` is what was signed: Node's Ed25519.
      const pub = vectorCase(file, 'ed25519_signature_sub').ed25519_public;
      const key = nodeCrypto.createPublicKey({ key: Buffer.from('302a300506032b6570032100' + pub, 'hex'), format: 'der', type: 'spki' });
      assert.ok(nodeCrypto.verify(null, raw.authorized, key, auth.bytes));
    });

    it('lays out the X25519 authenticator case (80 bytes) the same way', () => {
      const i = inputs();
      const authenticator = hex(vectorCase(file, 'x25519_authenticator_sub').authenticator);
      const t = encodeTransmission({ version: 18, sessionId: i.sessionId }, { authorization: authenticator, corrId: i.corrId, entityId: i.entityId, command: i.command });
      assert.equal(t.length, 81 + 1 + 25 + 25 + 3);
      assert.equal(t[81], 0x30);
      const raw = parseTransmission({ version: 18, sessionId: i.sessionId }, t);
      assert.deepEqual(decodeTransmissionAuth(raw.authorization), { kind: 'x25519', bytes: authenticator });
      assert.equal(toHex(raw.authorized), common.authorized);
    });
  });

  describe('layouts by version (smp.md §6.1)', () => {
    const corrId = bytes(24, 1);
    const entityId = bytes(24, 2);
    const command = ascii('SUB');
    const sig = bytes(64, 9);

    it('v6 sends the session ID and has no serviceSig; its authorized bytes are what follows the authorization', () => {
      const p = { version: 6, sessionId: bytes(32, 7) };
      const t = encodeTransmission(p, { authorization: sig, corrId, entityId, command });
      assert.equal(toHex(t), '40' + '09'.repeat(64) + '20' + '07'.repeat(32) + '18' + '01'.repeat(24) + '18' + '02'.repeat(24) + '535542');
      const raw = parseTransmission(p, t);
      assert.deepEqual(raw.sessionId, p.sessionId);
      assert.equal(raw.serviceSig, null);
      assert.deepEqual(raw.authorized, authorizedBytes(p.sessionId, corrId, entityId, command));
      assert.deepEqual(raw.authorized, t.subarray(65));
      // A v6 peer naming another session ID parses; the caller answers SESSION.
      const other = parseTransmission({ version: 6, sessionId: bytes(32, 8) }, t);
      assert.deepEqual(other.sessionId, p.sessionId);
    });

    it('v7..15 neither sends the session ID nor has a serviceSig field', () => {
      for (const v of [7, 11, 15]) {
        const p = { version: v, sessionId: bytes(32, 7) };
        const t = encodeTransmission(p, { authorization: sig, corrId, entityId, command });
        assert.equal(toHex(t), '40' + '09'.repeat(64) + '18' + '01'.repeat(24) + '18' + '02'.repeat(24) + '535542');
        const raw = parseTransmission(p, t);
        assert.equal(raw.sessionId, null);
        assert.deepEqual(raw.authorized, authorizedBytes(p.sessionId, corrId, entityId, command));
      }
    });

    it("v16+ has '0' after a non-empty authorization only", () => {
      for (const v of [16, 17, 18]) {
        const p = { version: v, sessionId: bytes(32, 7) };
        const signed = encodeTransmission(p, { authorization: sig, corrId, entityId, command });
        assert.equal(signed[65], 0x30);
        assert.equal(signed.length, 65 + 1 + 25 + 25 + 3);
        const unsigned = encodeTransmission(p, { authorization: new Uint8Array(0), corrId, entityId, command });
        assert.equal(toHex(unsigned.subarray(0, 2)), '0018');
        const raw = parseTransmission(p, unsigned);
        assert.equal(raw.authorization.length, 0);
        assert.equal(raw.authorized.length, 0, 'nothing to verify, so nothing is copied');
      }
    });

    it('carries and parses a service signature (v16+, non-empty authorization)', () => {
      const svc = bytes(64, 0x55);
      const t = encodeTransmission(V18, { authorization: sig, serviceSig: svc, corrId, entityId, command });
      assert.equal(toHex(t.subarray(65, 67)), '3140');
      const raw = parseTransmission(V18, t);
      assert.deepEqual(raw.serviceSig, svc);
      assert.deepEqual(raw.authorized, authorizedBytes(V18.sessionId, corrId, entityId, command), 'the serviceSig is not authorized');
      expectEncodeError(() => encodeTransmission(V18, { authorization: new Uint8Array(0), serviceSig: svc, corrId, entityId, command }), 'invalid-value');
      expectEncodeError(() => encodeTransmission({ version: 15, sessionId: V18.sessionId }, { authorization: sig, serviceSig: svc, corrId, entityId, command }), 'invalid-value');
      expectEncodeError(() => encodeTransmission(V18, { authorization: sig, serviceSig: bytes(63, 1), corrId, entityId, command }), 'invalid-value');
    });

    it('refuses authorizations of a length the peer cannot classify', () => {
      for (const n of [1, 32, 63, 65, 79, 81, 113, 115, 255]) {
        expectEncodeError(() => encodeTransmission(V18, { authorization: bytes(n, 1), corrId, entityId, command }), 'invalid-value');
      }
    });
  });

  describe('parsing errors the server answers with BLOCK', () => {
    it('classifies authorization lengths: 0, 64, 114, 80 and nothing else', () => {
      assert.equal(decodeTransmissionAuth(new Uint8Array(0)), null);
      assert.equal(decodeTransmissionAuth(bytes(64, 1))?.kind, 'ed25519');
      assert.equal(decodeTransmissionAuth(bytes(114, 1))?.kind, 'ed448');
      assert.equal(decodeTransmissionAuth(bytes(80, 1))?.kind, 'x25519');
      for (const n of [1, 63, 65, 79, 81, 113, 115, 200, 255]) expectDecodeError(() => decodeTransmissionAuth(bytes(n, 1)), 'invalid-value');
    });

    it('a bad authorization length still parses, so the BLOCK answer can carry the corrId', () => {
      const t = concatBytes([new Uint8Array([3, 1, 2, 3, 0x30, 1, 0xab, 0, 0x4f, 0x4b])]);
      const raw = parseTransmission(V18, t);
      assert.deepEqual(raw.corrId, new Uint8Array([0xab]));
      expectDecodeError(() => decodeTransmissionAuth(raw.authorization), 'invalid-value');
    });

    it("a missing serviceSig byte at v16+ shifts the parse into an error", () => {
      const v15 = encodeTransmission({ version: 15, sessionId: V18.sessionId }, { authorization: bytes(64, 9), corrId: bytes(24, 1), entityId: bytes(24, 2), command: ascii('SUB') });
      expectDecodeError(() => parseTransmission(V18, v15), 'invalid-value');
    });

    it('refuses a serviceSig that is not maybe(64-byte signature)', () => {
      const base = '40' + '09'.repeat(64);
      expectDecodeError(() => parseTransmission(V18, hex(base + '32' + '00' + '00')), 'invalid-value');
      expectDecodeError(() => parseTransmission(V18, hex(base + '31' + '3f' + '01'.repeat(63) + '0000')), 'invalid-value');
    });

    it('refuses truncated transmissions', () => {
      expectDecodeError(() => parseTransmission(V18, new Uint8Array(0)), 'truncated');
      expectDecodeError(() => parseTransmission(V18, hex('00')), 'truncated');
      expectDecodeError(() => parseTransmission(V18, hex('0018' + '01'.repeat(23))), 'truncated');
      expectDecodeError(() => parseTransmission({ version: 6, sessionId: bytes(32, 1) }, hex('0000' + '05')), 'truncated');
    });
  });

  describe('batches', () => {
    it('round-trips 1..255 items and refuses 0 or 256', () => {
      const items = [hex('00'), new Uint8Array(0), bytes(300, 7)];
      const content = encodeBatch(items);
      assert.equal(toHex(content.subarray(0, 4)), '030001' + '00');
      assert.deepEqual(decodeBatch(content), items);
      assert.equal(decodeBatch(encodeBatch(new Array(255).fill(hex('aa')))).length, 255);
      expectEncodeError(() => encodeBatch([]), 'invalid-value');
      expectEncodeError(() => encodeBatch(new Array(256).fill(hex('aa'))), 'invalid-value');
    });

    it('requires a non-zero count and the exact end', () => {
      expectDecodeError(() => decodeBatch(new Uint8Array(0)), 'truncated');
      expectDecodeError(() => decodeBatch(hex('00')), 'invalid-value');
      expectDecodeError(() => decodeBatch(hex('010001aa00')), 'trailing-bytes');
      expectDecodeError(() => decodeBatch(hex('020001aa')), 'truncated');
      expectDecodeError(() => decodeBatch(hex('010005aaaa')), 'truncated');
    });
  });

  describe('blocks', () => {
    it('pads to 16384 with "#" and accepts up to 16382 content bytes', () => {
      const max = encodeBlock(bytes(SMP_BLOCK_CONTENT_MAX, 1));
      assert.equal(max.length, SMP_BLOCK_SIZE);
      assert.equal(toHex(max.subarray(0, 2)), '3ffe');
      assert.deepEqual(decodeBlock(max), bytes(SMP_BLOCK_CONTENT_MAX, 1));
      const empty = encodeBlock(new Uint8Array(0));
      assert.equal(empty[2], 0x23);
      assert.equal(decodeBlock(empty).length, 0);
      assert.throws(() => encodeBlock(bytes(SMP_BLOCK_CONTENT_MAX + 1, 1)), (e: unknown) => e instanceof TransmissionError && e.code === 'large-message');
    });

    it('refuses blocks of the wrong size or with an impossible length', () => {
      expectDecodeError(() => decodeBlock(new Uint8Array(SMP_BLOCK_SIZE - 1)), 'invalid-value');
      expectDecodeError(() => decodeBlock(new Uint8Array(SMP_BLOCK_SIZE + 1)), 'invalid-value');
      const bad = new Uint8Array(SMP_BLOCK_SIZE);
      bad[0] = 0x3f;
      bad[1] = 0xff;
      expectDecodeError(() => decodeBlock(bad), 'truncated');
    });
  });

  describe('packing (BatchingTests.hs counts, computed from the encoders)', () => {
    const rng = prng(0x5eed);

    /** A v18 (or v6) SUB signed with a random Ed25519-sized signature, as upstream's randomSUB. */
    function sub(p: TransmissionParams): Uint8Array {
      return encodeTransmission(p, { authorization: randomBytes(rng, 64), corrId: randomBytes(rng, 24), entityId: randomBytes(rng, 24), command: encodeCommand(p.version, { type: 'SUB' }) });
    }
    /** SEND with a body of n bytes; above the SEND limit the command bytes are built by hand, as upstream's test does. */
    function send(p: TransmissionParams, n: number, authLen: number): Uint8Array {
      const body = randomBytes(rng, n);
      const command = n <= 16048 ? encodeCommand(p.version, { type: 'SEND', flags: { notification: false }, body }) : concatBytes([ascii('SEND F '), body]);
      return encodeTransmission(p, { authorization: randomBytes(rng, authLen), corrId: randomBytes(rng, 24), entityId: randomBytes(rng, 24), command });
    }
    const v6: TransmissionParams = { version: 6, sessionId: randomBytes(rng, 32) };

    function checkBatches(batches: PackedBatch[], items: Uint8Array[]): void {
      for (const b of batches) {
        if (!b.ok) continue;
        assert.ok(b.content.length <= SMP_ENCRYPTED_BLOCK_CONTENT_MAX);
        assert.deepEqual(decodeBatch(b.content), items.slice(b.start, b.start + b.count));
      }
    }

    it('a v18 Ed25519-signed SUB is 121 bytes on the wire: 135 per block, 300 pack as 30 + 135 + 135', () => {
      const subs = Array.from({ length: 300 }, () => sub(V18));
      assert.equal(2 + subs[0].length, 121);
      const batches = packTransmissions(subs);
      assert.deepEqual(shape(batches), [30, 135, 135]);
      assert.deepEqual(batches.map((b) => (b.ok ? b.start : -1)), [0, 30, 165]);
      checkBatches(batches, subs);
    });

    it('v6 (session ID in every transmission): 106 per block, 250 pack as 38 + 106 + 106', () => {
      const subs = Array.from({ length: 250 }, () => sub(v6));
      assert.equal(2 + subs[0].length, 153);
      const batches = packTransmissions(subs);
      assert.deepEqual(shape(batches), [38, 106, 106]);
      checkBatches(batches, subs);
    });

    it('breaks on a message that does not fit: v18 (X25519-authorized SEND of 8000) 33 + 68, v6 47 + 54', () => {
      const cmds = [...Array.from({ length: 60 }, () => sub(V18)), send(V18, 8000, 80), ...Array.from({ length: 40 }, () => sub(V18))];
      assert.deepEqual(shape(packTransmissions(cmds)), [33, 68]);
      checkBatches(packTransmissions(cmds), cmds);
      const cmds6 = [...Array.from({ length: 60 }, () => sub(v6)), send(v6, 8000, 64), ...Array.from({ length: 40 }, () => sub(v6))];
      assert.deepEqual(shape(packTransmissions(cmds6)), [47, 54]);
    });

    it('a 17000-byte SEND is "large": it becomes an error entry and the rest still pack', () => {
      const big = send(V18, 17000, 80);
      const subs1 = Array.from({ length: 60 }, () => sub(V18));
      const subs2 = Array.from({ length: 150 }, () => sub(V18));
      const batches = packTransmissions([...subs1, big, ...subs2]);
      assert.deepEqual(shape(batches), [60, 'E', 15, 135]);
      const err = batches[1];
      assert.ok(!err.ok);
      assert.equal(err.index, 60);
      assert.ok(err.error instanceof TransmissionError);
      assert.equal(err.error.code, 'large-message');
      assert.deepEqual(shape(packTransmissions([big, ...subs1, ...subs2])), ['E', 75, 135]);
      const big6 = send(v6, 17000, 64);
      const s6a = Array.from({ length: 50 }, () => sub(v6));
      const s6b = Array.from({ length: 150 }, () => sub(v6));
      assert.deepEqual(shape(packTransmissions([...s6a, big6, ...s6b])), [50, 'E', 44, 106]);
      assert.deepEqual(shape(packTransmissions([big6, ...s6a, ...s6b])), ['E', 94, 106]);
    });

    it('255 ENDs fit one block (300 pack as 45 + 255); 80 NMSGs do (200 pack as 40 + 80 + 80)', () => {
      const end = (): Uint8Array => encodeTransmission(V18, { authorization: new Uint8Array(0), corrId: new Uint8Array(0), entityId: randomBytes(rng, 24), command: encodeResponse(18, { type: 'END' }) });
      const ends = Array.from({ length: 300 }, end);
      assert.deepEqual(shape(packTransmissions(ends)), [45, 255]);
      const nmsg = (): Uint8Array => encodeTransmission(V18, {
        authorization: new Uint8Array(0),
        corrId: new Uint8Array(0),
        entityId: randomBytes(rng, 24),
        command: encodeResponse(18, { type: 'NMSG', nonce: randomBytes(rng, 24), encMeta: randomBytes(rng, 144) }),
      });
      assert.deepEqual(shape(packTransmissions(Array.from({ length: 200 }, nmsg))), [40, 80, 80]);
    });

    it('4 SOKs and a maximal MSG share a block; 5 SOKs do not', () => {
      const sok = (): Uint8Array => encodeTransmission(V18, { authorization: new Uint8Array(0), corrId: randomBytes(rng, 24), entityId: randomBytes(rng, 24), command: encodeResponse(18, { type: 'SOK', serviceId: null }) });
      const msg = encodeTransmission(V18, {
        authorization: new Uint8Array(0),
        corrId: randomBytes(rng, 24),
        entityId: randomBytes(rng, 24),
        command: encodeResponse(18, { type: 'MSG', msgId: randomBytes(rng, 24), encBody: randomBytes(rng, 16048) }),
      });
      assert.equal(packTransmissions([sok(), sok(), sok(), sok(), msg]).length, 1);
      assert.equal(packTransmissions([sok(), sok(), sok(), sok(), sok(), msg]).length, 2);
    });

    it('packs nothing from nothing and keeps order for random sizes', () => {
      assert.deepEqual(packTransmissions([]), []);
      for (let round = 0; round < 20; round++) {
        const items = Array.from({ length: 1 + randomInt(rng, 400) }, () => randomBytes(rng, randomInt(rng, 3) === 0 ? randomInt(rng, 17000) : randomInt(rng, 200)));
        const batches = packTransmissions(items);
        let next = 0;
        for (const b of batches) {
          if (b.ok) {
            assert.equal(b.start, next);
            assert.ok(b.count >= 1 && b.count <= 255);
            next += b.count;
          } else {
            assert.equal(b.index, next);
            assert.ok(items[next].length + 2 > SMP_BATCH_BUDGET);
            next += 1;
          }
        }
        assert.equal(next, items.length);
        checkBatches(batches, items);
      }
    });
  });

  it('fuzz: random and mutated input gives DecodeErrors only', () => {
    const rng = prng(0xb10c);
    const good = encodeBatch([encodeTransmission(V18, { authorization: bytes(64, 3), corrId: bytes(24, 1), entityId: bytes(24, 2), command: ascii('SUB') })]);
    for (let i = 0; i < 3000; i++) {
      let input: Uint8Array;
      if (i % 2 === 0) input = randomBytes(rng, randomInt(rng, 300));
      else {
        input = new Uint8Array(good);
        for (let k = 0; k < 1 + randomInt(rng, 4); k++) input[randomInt(rng, input.length)] = randomInt(rng, 256);
        input = input.subarray(0, randomInt(rng, input.length + 1));
      }
      onlyDecodeErrors(() => decodeBatch(input), 'decodeBatch');
      for (const v of [6, 7, 16, 18]) {
        onlyDecodeErrors(() => decodeTransmissionAuth(parseTransmission({ version: v, sessionId: bytes(32, 0) }, input).authorization), 'parseTransmission');
      }
    }
  });

  it('DecodeErrors are the encoding layer class', () => {
    let caught: unknown = null;
    try {
      decodeBatch(hex('00'));
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof DecodeError);
  });
});
