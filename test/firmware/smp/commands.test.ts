import assert from 'node:assert/strict';
import * as nodeCrypto from 'node:crypto';
import { encodePublicKey } from '../../../firmware/crypto/keys';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { parseSmpServer } from '../../../firmware/smp/address';
import { checkCredentials, decodeCommand, encodeCommand, maxMessageLength, type Command } from '../../../firmware/smp/commands';
import { commandErrorOf } from '../../../firmware/smp/errors';
import { expectEncodeError, hex, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';
import { ascii, bytes, expectParseError, fakeKey, onlyParseErrors, sampleEd25519, sampleX25519 } from './helpers';

const ED = sampleEd25519();
const DH = sampleX25519();
const ED_HEX = '2c' + vectorCase('encoding.json', 'sample_ed25519_spki').der;
const DH_HEX = '2c' + vectorCase('encoding.json', 'sample_x25519_spki').der;
const FP = vectorCase('cert-fingerprints.json', 'fixture_ed448_ca');
const RELAY = parseSmpServer('smp://' + FP.fingerprint_b64url + '@smp.example,xyz.onion:443').server;

function h(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}

/** Encodes at v, checks the bytes, decodes, and checks the decoded command and its re-encoding. */
function roundTrip(v: number, cmd: Command, expectedHex?: string): void {
  const b = encodeCommand(v, cmd);
  if (expectedHex !== undefined) assert.equal(toHex(b), expectedHex, cmd.type + ' v' + v);
  const back = decodeCommand(v, b);
  assert.deepEqual(back, cmd, cmd.type + ' v' + v);
  assert.deepEqual(encodeCommand(v, back), b, cmd.type + ' v' + v + ' re-encodes identically');
}

/** One of every command that version v can carry, with each optional field set and unset. */
function samplesAt(v: number): Command[] {
  const out: Command[] = [
    { type: 'SUB' }, { type: 'SUBS' }, { type: 'LDEL' }, { type: 'NDEL' }, { type: 'GET' }, { type: 'OFF' }, { type: 'DEL' },
    { type: 'QUE' }, { type: 'PING' }, { type: 'LGET' }, { type: 'NSUB' }, { type: 'NSUBS' },
    { type: 'KEY', senderKey: ED },
    { type: 'KEY', senderKey: fakeKey('ed448', 3) },
    { type: 'SKEY', senderKey: DH },
    { type: 'LKEY', senderKey: ED },
    { type: 'RKEY', recipientKeys: [ED] },
    { type: 'RKEY', recipientKeys: [ED, DH, fakeKey('ed448', 4)] },
    { type: 'LSET', linkId: bytes(24, 1), fixedData: bytes(300, 2), userData: new Uint8Array(0) },
    { type: 'NKEY', notifierKey: ED, rcvNtfDhKey: DH },
    { type: 'ACK', msgId: bytes(24, 9) },
    { type: 'ACK', msgId: new Uint8Array(0) },
    { type: 'SEND', flags: { notification: true }, body: ascii('hello') },
    { type: 'SEND', flags: { notification: false }, body: new Uint8Array(0) },
    { type: 'SEND', flags: { notification: false }, body: bytes(maxMessageLength(v), 0x20) },
    { type: 'PRXY', server: RELAY, basicAuth: null },
    { type: 'PRXY', server: RELAY, basicAuth: 'pass' },
    { type: 'PFWD', version: 17, ephemeralKey: DH, encTransmission: bytes(16242, 5) },
    { type: 'RFWD', encFwdTransmission: bytes(100, 6) },
  ];
  const base = { rcvAuthKey: ED, rcvDhKey: DH, subMode: 'subscribe' as const, ntfCreds: null };
  // v9..14 carry the mode as a Bool, so "no QueueReqData" is written as contact mode ('F') and reads back as that.
  if (v < 9 || v >= 15) {
    out.push({ type: 'NEW', ...base, basicAuth: null, queueReqData: null });
    out.push({ type: 'NEW', ...base, rcvAuthKey: DH, basicAuth: 'pw', subMode: 'only-create', queueReqData: null });
  }
  if (v >= 9) {
    out.push({ type: 'NEW', ...base, basicAuth: null, queueReqData: { mode: 'messaging', link: null } });
    out.push({ type: 'NEW', ...base, basicAuth: 'pw', queueReqData: { mode: 'contact', link: null } });
  }
  if (v >= 15) {
    out.push({ type: 'NEW', ...base, basicAuth: null, queueReqData: { mode: 'messaging', link: { senderId: bytes(24, 1), fixedData: bytes(10, 2), userData: bytes(400, 3) } } });
    out.push({ type: 'NEW', ...base, basicAuth: null, queueReqData: { mode: 'contact', link: { linkId: bytes(24, 4), senderId: bytes(24, 1), fixedData: bytes(10, 2), userData: new Uint8Array(0) } } });
  }
  if (v >= 17) out.push({ type: 'NEW', ...base, basicAuth: null, queueReqData: null, ntfCreds: { notifierKey: ED, rcvNtfDhKey: DH } });
  return out;
}

describe('SMP commands (smp.md §7)', () => {
  it('round-trips every command at every version 6..18 and re-encodes to identical bytes', () => {
    let n = 0;
    for (let v = 6; v <= 18; v++) {
      for (const cmd of samplesAt(v)) {
        roundTrip(v, cmd);
        n++;
      }
    }
    assert.ok(n > 400);
  });

  describe('exact encodings', () => {
    it('commands without parameters are their tag alone', () => {
      for (const tag of ['SUB', 'SUBS', 'LDEL', 'NDEL', 'GET', 'OFF', 'DEL', 'QUE', 'PING', 'LGET', 'NSUB', 'NSUBS']) {
        roundTrip(18, { type: tag } as Command, h(tag));
      }
    });

    it('keys are short(SPKI DER) after one space', () => {
      roundTrip(18, { type: 'KEY', senderKey: ED }, h('KEY ') + ED_HEX);
      roundTrip(18, { type: 'SKEY', senderKey: ED }, h('SKEY ') + ED_HEX);
      roundTrip(18, { type: 'LKEY', senderKey: DH }, h('LKEY ') + DH_HEX);
      roundTrip(18, { type: 'RKEY', recipientKeys: [ED, DH] }, h('RKEY ') + '02' + ED_HEX + DH_HEX);
      roundTrip(18, { type: 'NKEY', notifierKey: ED, rcvNtfDhKey: DH }, h('NKEY ') + ED_HEX + DH_HEX);
    });

    it('ACK, LSET, SEND (no space between flags reserve and body other than the one SP), PRXY, PFWD, RFWD', () => {
      roundTrip(18, { type: 'ACK', msgId: ascii('1234') }, h('ACK ') + '04' + h('1234'));
      roundTrip(18, { type: 'LSET', linkId: bytes(2, 1), fixedData: bytes(1, 2), userData: bytes(3, 3) }, h('LSET ') + '020101' + '000102' + '0003030303');
      roundTrip(18, { type: 'SEND', flags: { notification: true }, body: ascii('hello') }, h('SEND T hello'));
      roundTrip(18, { type: 'SEND', flags: { notification: false }, body: ascii(' x ') }, h('SEND F  x '));
      roundTrip(18, { type: 'PRXY', server: RELAY, basicAuth: 'pw' },
        h('PRXY ') + '02' + '0b' + h('smp.example') + '09' + h('xyz.onion') + '03' + h('443') + '20' + FP.fingerprint + '31' + '02' + h('pw'));
      roundTrip(18, { type: 'PRXY', server: RELAY, basicAuth: null }, h('PRXY ') + '02' + '0b' + h('smp.example') + '09' + h('xyz.onion') + '03' + h('443') + '20' + FP.fingerprint + '30');
      roundTrip(18, { type: 'PFWD', version: 17, ephemeralKey: DH, encTransmission: bytes(3, 9) }, h('PFWD ') + '0011' + DH_HEX + '090909');
      roundTrip(18, { type: 'RFWD', encFwdTransmission: bytes(2, 8) }, h('RFWD ') + '0808');
    });

    it('NEW in each version form (v17+, v15-16, v9-14, v6-8)', () => {
      const head = h('NEW ') + ED_HEX + DH_HEX;
      const messaging = { type: 'NEW' as const, rcvAuthKey: ED, rcvDhKey: DH, basicAuth: null, subMode: 'subscribe' as const, queueReqData: { mode: 'messaging' as const, link: null }, ntfCreds: null };
      // "A typical messaging queue ends … '0' 'S' '1' 'M' '0' '0'" (smp.md §7.1)
      roundTrip(18, messaging, head + h('0S1M00'));
      roundTrip(17, { ...messaging, ntfCreds: { notifierKey: ED, rcvNtfDhKey: DH } }, head + h('0S1M01') + ED_HEX + DH_HEX);
      roundTrip(16, messaging, head + h('0S1M0'));
      roundTrip(15, { ...messaging, basicAuth: 'pw', subMode: 'only-create' }, head + '31' + '02' + h('pw') + h('C1M0'));
      roundTrip(15, { ...messaging, queueReqData: { mode: 'contact', link: { linkId: bytes(1, 0xaa), senderId: bytes(1, 0xbb), fixedData: bytes(1, 0xcc), userData: new Uint8Array(0) } } },
        head + h('0S1C1') + '01aa' + '01bb' + '0001cc' + '0000');
      roundTrip(14, messaging, head + h('0ST'));
      roundTrip(9, { ...messaging, queueReqData: { mode: 'contact', link: null } }, head + h('0SF'));
      roundTrip(9, { ...messaging, basicAuth: 'pw' }, head + '31' + '02' + h('pw') + h('ST'));
      roundTrip(8, { ...messaging, queueReqData: null }, head + h('S'));
      roundTrip(6, { ...messaging, queueReqData: null, basicAuth: 'pw' }, head + h('A') + '02' + h('pw') + h('S'));
    });

    it('NEW v9-14 decodes the sndSecure bool into a queue mode; v15+ with no QueueReqData is null', () => {
      const head = h('NEW ') + ED_HEX + DH_HEX;
      const t = decodeCommand(12, Buffer.from(head + h('0ST'), 'hex'));
      assert.ok(t.type === 'NEW');
      assert.deepEqual(t.queueReqData, { mode: 'messaging', link: null });
      const f = decodeCommand(12, Buffer.from(head + h('0SF'), 'hex'));
      assert.ok(f.type === 'NEW');
      assert.deepEqual(f.queueReqData, { mode: 'contact', link: null });
      const absent = { type: 'NEW' as const, rcvAuthKey: ED, rcvDhKey: DH, basicAuth: null, subMode: 'subscribe' as const, queueReqData: null, ntfCreds: null };
      assert.equal(toHex(encodeCommand(12, absent)), head + h('0SF'), 'no QueueReqData is contact mode (senderCanSecure Nothing = False)');
      const none = decodeCommand(18, Buffer.from(head + h('0S00'), 'hex'));
      assert.ok(none.type === 'NEW');
      assert.equal(none.queueReqData, null);
    });

    it('NEW with link data carries the client-chosen sender ID SHA3-384(corrId)[0..24] (smp-nonce-and-ids.json)', () => {
      const v = vectorCase('smp-nonce-and-ids.json', 'sender_id_from_corr_id');
      assert.equal(nodeCrypto.createHash('sha3-384').update(hex(v.corr_id)).digest('hex').slice(0, 48), v.sender_id);
      const cmd: Command = {
        type: 'NEW', rcvAuthKey: ED, rcvDhKey: DH, basicAuth: null, subMode: 'subscribe', ntfCreds: null,
        queueReqData: { mode: 'messaging', link: { senderId: hex(v.sender_id), fixedData: bytes(2, 1), userData: bytes(1, 2) } },
      };
      roundTrip(18, cmd, h('NEW ') + ED_HEX + DH_HEX + h('0S1M1') + '18' + v.sender_id + '00020101' + '000102' + '30');
    });

    it('refuses NEW fields the negotiated version cannot carry instead of dropping them', () => {
      const base = { type: 'NEW' as const, rcvAuthKey: ED, rcvDhKey: DH, basicAuth: null, subMode: 'subscribe' as const, queueReqData: null, ntfCreds: null };
      expectEncodeError(() => encodeCommand(16, { ...base, ntfCreds: { notifierKey: ED, rcvNtfDhKey: DH } }), 'invalid-value');
      expectEncodeError(() => encodeCommand(14, { ...base, queueReqData: { mode: 'messaging', link: { senderId: bytes(24, 1), fixedData: bytes(1, 1), userData: bytes(1, 1) } } }), 'invalid-value');
      expectEncodeError(() => encodeCommand(8, { ...base, queueReqData: { mode: 'contact', link: null } }), 'invalid-value');
      expectEncodeError(() => encodeCommand(18, { ...base, basicAuth: 'bad pass' }), 'invalid-value');
      expectEncodeError(() => encodeCommand(18, { ...base, subMode: 'x' as 'subscribe' }), 'invalid-value');
    });
  });

  describe('SEND', () => {
    it('skips reserved flag bytes up to the space (MsgFlags) and re-encodes canonically', () => {
      const cmd = decodeCommand(18, ascii('SEND TXYZ hello'));
      assert.deepEqual(cmd, { type: 'SEND', flags: { notification: true }, body: ascii('hello') });
      assert.equal(toHex(encodeCommand(18, cmd)), h('SEND T hello'));
      assert.deepEqual(decodeCommand(18, ascii('SEND F ')), { type: 'SEND', flags: { notification: false }, body: new Uint8Array(0) });
    });

    it('applies the body limit of the version: 16048 (v11+), 16064 (v8-10), 16088 (below)', () => {
      const limits: Array<[number, number]> = [[18, 16048], [11, 16048], [10, 16064], [8, 16064], [7, 16088], [6, 16088]];
      for (const [v, limit] of limits) {
        assert.equal(maxMessageLength(v), limit);
        encodeCommand(v, { type: 'SEND', flags: { notification: false }, body: bytes(limit, 1) });
        expectEncodeError(() => encodeCommand(v, { type: 'SEND', flags: { notification: false }, body: bytes(limit + 1, 1) }), 'too-long');
      }
      // The parser still reads a larger body: the server answers it with ERR LARGE_MSG, not SYNTAX.
      const big = decodeCommand(18, concatBytes([ascii('SEND F '), bytes(16049, 1)]));
      assert.ok(big.type === 'SEND' && big.body.length > maxMessageLength(18));
    });

    it('refuses a SEND without the space before the body or with a bad flag', () => {
      expectParseError(() => decodeCommand(18, ascii('SEND T')), 'bad-syntax');
      expectParseError(() => decodeCommand(18, ascii('SEND Thello')), 'bad-syntax');
      expectParseError(() => decodeCommand(18, ascii('SEND X hello')), 'bad-syntax');
      expectParseError(() => decodeCommand(18, ascii('SEND ')), 'bad-syntax');
      expectParseError(() => decodeCommand(18, ascii('SEND')), 'bad-syntax');
    });
  });

  describe('parse errors: unknown tag vs syntax (smp.md §6.5, ServerTests serverSyntaxTests)', () => {
    it('an unknown tag, a response tag or a tag with junk is CMD UNKNOWN', () => {
      for (const s of ['HELLO', 'OK', 'PONG', 'IDS x', 'SUB=', 'sub', '', ' SUB', 'SUBSCRIBE', 'NEW\x00']) {
        const e = expectParseError(() => decodeCommand(18, ascii(s)), 'unknown-command');
        assert.equal(commandErrorOf(e), 'UNKNOWN');
      }
    });

    it('a known tag with missing, extra or malformed parameters is CMD SYNTAX', () => {
      const cases = [
        'SUB ', 'SUB x', 'PING ', 'NEW', 'NEW ', 'KEY', 'KEY ', 'ACK', 'ACK ', 'ACK \x05abc', 'ACK \x01ab', 'RKEY \x00', 'LSET \x01a',
        'SEND', 'PFWD \x00', 'PRXY ', 'NKEY ',
      ];
      for (const s of cases) {
        const e = expectParseError(() => decodeCommand(18, ascii(s)), 'bad-syntax');
        assert.equal(commandErrorOf(e), 'SYNTAX');
      }
      // "many parameters" (serverSyntaxTests): a valid KEY followed by more bytes.
      expectParseError(() => decodeCommand(18, Buffer.from(h('KEY ') + ED_HEX + '00', 'hex')), 'bad-syntax');
      expectParseError(() => decodeCommand(18, Buffer.from(h('KEY ') + '0141' + ED_HEX, 'hex')), 'bad-syntax');
    });

    it('keys must be of an algorithm the field admits', () => {
      const x448 = '44' + toHex(encodePublicKey('x448', bytes(56, 1)));
      expectParseError(() => decodeCommand(18, Buffer.from(h('KEY ') + x448, 'hex')), 'bad-syntax');
      expectParseError(() => decodeCommand(18, Buffer.from(h('NKEY ') + ED_HEX + ED_HEX, 'hex')), 'bad-syntax');
      expectParseError(() => decodeCommand(18, Buffer.from(h('PFWD ') + '0011' + ED_HEX + '00', 'hex')), 'bad-syntax');
      expectEncodeError(() => encodeCommand(18, { type: 'KEY', senderKey: fakeKey('x448', 1) }), 'invalid-value');
      expectEncodeError(() => encodeCommand(18, { type: 'NKEY', notifierKey: ED, rcvNtfDhKey: ED }), 'invalid-value');
    });

    it('a password with a forbidden character is a syntax error', () => {
      const head = h('NEW ') + ED_HEX + DH_HEX;
      expectParseError(() => decodeCommand(18, Buffer.from(head + '31' + '03' + h('a b') + h('S00'), 'hex')), 'bad-syntax');
      expectParseError(() => decodeCommand(6, Buffer.from(head + h('A') + '03' + h('a@b') + h('S'), 'hex')), 'bad-syntax');
    });

    it('a version-gated NEW read at the wrong version does not parse', () => {
      const v18 = encodeCommand(18, { type: 'NEW', rcvAuthKey: ED, rcvDhKey: DH, basicAuth: null, subMode: 'subscribe', queueReqData: { mode: 'messaging', link: null }, ntfCreds: null });
      expectParseError(() => decodeCommand(14, v18), 'bad-syntax');
      expectParseError(() => decodeCommand(8, v18), 'bad-syntax');
      const v14 = encodeCommand(14, { type: 'NEW', rcvAuthKey: ED, rcvDhKey: DH, basicAuth: null, subMode: 'subscribe', queueReqData: { mode: 'messaging', link: null }, ntfCreds: null });
      expectParseError(() => decodeCommand(18, v14), 'bad-syntax');
    });
  });

  it('credential rules (smp.md §6.4)', () => {
    const q = bytes(24, 1);
    const none = new Uint8Array(0);
    const newCmd: Command = { type: 'NEW', rcvAuthKey: ED, rcvDhKey: DH, basicAuth: null, subMode: 'subscribe', queueReqData: null, ntfCreds: null };
    assert.equal(checkCredentials(newCmd, true, none), null);
    assert.equal(checkCredentials(newCmd, false, none), 'NO_AUTH');
    assert.equal(checkCredentials(newCmd, true, q), 'HAS_AUTH');
    const send: Command = { type: 'SEND', flags: { notification: false }, body: none };
    assert.equal(checkCredentials(send, false, q), null);
    assert.equal(checkCredentials(send, true, q), null);
    assert.equal(checkCredentials(send, true, none), 'NO_ENTITY');
    for (const cmd of [{ type: 'PING' }, { type: 'PRXY', server: RELAY, basicAuth: null }, { type: 'RFWD', encFwdTransmission: none }] as Command[]) {
      assert.equal(checkCredentials(cmd, false, none), null);
      assert.equal(checkCredentials(cmd, true, none), 'HAS_AUTH');
      assert.equal(checkCredentials(cmd, false, q), 'HAS_AUTH');
    }
    for (const cmd of [{ type: 'LGET' }, { type: 'PFWD', version: 17, ephemeralKey: DH, encTransmission: none }] as Command[]) {
      assert.equal(checkCredentials(cmd, false, q), null);
      assert.equal(checkCredentials(cmd, false, none), 'NO_ENTITY');
      assert.equal(checkCredentials(cmd, true, q), 'HAS_AUTH');
    }
    for (const cmd of [{ type: 'SUB' }, { type: 'NSUB' }, { type: 'KEY', senderKey: ED }, { type: 'ACK', msgId: q }, { type: 'SKEY', senderKey: ED }] as Command[]) {
      assert.equal(checkCredentials(cmd, true, q), null);
      assert.equal(checkCredentials(cmd, false, q), 'NO_AUTH');
      assert.equal(checkCredentials(cmd, true, none), 'NO_AUTH');
    }
  });

  it('fuzz: garbage and mutated commands give ProtocolParseErrors only; whatever decodes re-encodes', () => {
    const rng = prng(0xc0de);
    const corpus: Array<[number, Uint8Array]> = [];
    for (const v of [6, 9, 15, 18]) for (const cmd of samplesAt(v)) if (cmd.type !== 'SEND' || cmd.body.length < 100) corpus.push([v, encodeCommand(v, cmd)]);
    let decoded = 0;
    for (let i = 0; i < 6000; i++) {
      const [v, good] = corpus[randomInt(rng, corpus.length)];
      let input: Uint8Array;
      if (i % 4 === 0) input = concatBytes([ascii(['NEW ', 'SEND ', 'PRXY ', 'KEY ', 'ACK ', 'RKEY ', 'PFWD '][randomInt(rng, 7)]), randomBytes(rng, randomInt(rng, 120))]);
      else {
        input = new Uint8Array(good);
        for (let k = 0; k < 1 + randomInt(rng, 3); k++) input[randomInt(rng, input.length)] = randomInt(rng, 256);
        if (randomInt(rng, 2) === 0) input = input.subarray(0, randomInt(rng, input.length + 1));
      }
      onlyParseErrors(() => {
        const cmd = decodeCommand(v, input);
        decoded++;
        const again = encodeCommand(v, cmd);
        if (cmd.type === 'SEND') assert.deepEqual(decodeCommand(v, again), cmd);
        else assert.deepEqual(again, input, 'decoded ' + cmd.type + ' re-encodes to the same bytes');
      }, 'decodeCommand');
    }
    assert.ok(decoded > 100, 'the mutations also produce valid commands (' + decoded + ')');
  });
});
