import assert from 'node:assert/strict';
import { concatBytes, toHex } from '../../../firmware/encoding/bytes';
import { commandErrorOf, decodeErrorType, encodeErrorType, type ErrorType } from '../../../firmware/smp/errors';
import { checkResponseEntity, decodeResponse, encodeResponse, type BrokerMsg } from '../../../firmware/smp/responses';
import { expectDecodeError, expectEncodeError, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';
import { ascii, bytes, expectParseError, fakeKey, onlyParseErrors, sampleX25519 } from './helpers';

const DH = sampleX25519();
const DH_HEX = '2c' + vectorCase('encoding.json', 'sample_x25519_spki').der;

function h(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}

function roundTrip(v: number, msg: BrokerMsg, expectedHex?: string): void {
  const b = encodeResponse(v, msg);
  if (expectedHex !== undefined) assert.equal(toHex(b), expectedHex, msg.type + ' v' + v);
  const back = decodeResponse(v, b);
  assert.deepEqual(back, msg, msg.type + ' v' + v);
  assert.deepEqual(encodeResponse(v, back), b, msg.type + ' v' + v + ' re-encodes identically');
}

/** Every error of the §7.4 grammar that survives an encode/decode round trip unchanged. */
function allErrors(): ErrorType[] {
  const out: ErrorType[] = [];
  for (const t of ['BLOCK', 'SESSION', 'AUTH', 'SERVICE', 'CRYPTO', 'QUOTA', 'NO_MSG', 'LARGE_MSG', 'EXPIRED', 'INTERNAL', 'DUPLICATE_']) {
    out.push({ type: t } as ErrorType);
  }
  for (const c of ['UNKNOWN', 'SYNTAX', 'PROHIBITED', 'NO_AUTH', 'HAS_AUTH', 'NO_ENTITY'] as const) out.push({ type: 'CMD', cmdErr: c });
  out.push({ type: 'STORE', storeErr: 'disk full: ünïcode ✓' });
  out.push({ type: 'STORE', storeErr: '' });
  out.push({ type: 'BLOCKED', blockInfo: { reason: 'spam', notice: null } });
  out.push({ type: 'BLOCKED', blockInfo: { reason: 'content', notice: { ttl: 3600 } } });
  out.push({ type: 'BLOCKED', blockInfo: { reason: 'content', notice: { ttl: null } } });
  out.push({ type: 'PROXY', proxyErr: { type: 'BASIC_AUTH' } });
  out.push({ type: 'PROXY', proxyErr: { type: 'NO_SESSION' } });
  out.push({ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'AUTH' } } });
  out.push({ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TIMEOUT' } } } } });
  const broker = (b: Extract<ErrorType, { type: 'PROXY' }>['proxyErr']): ErrorType => ({ type: 'PROXY', proxyErr: b });
  out.push(broker({ type: 'BROKER', brokerErr: { type: 'RESPONSE', respErr: 'bad response' } }));
  out.push(broker({ type: 'BROKER', brokerErr: { type: 'UNEXPECTED', respErr: '\u00ff\u0000x' } }));
  out.push(broker({ type: 'BROKER', brokerErr: { type: 'NETWORK', networkError: null } }));
  out.push(broker({ type: 'BROKER', brokerErr: { type: 'HOST' } }));
  out.push(broker({ type: 'BROKER', brokerErr: { type: 'NO_SERVICE' } }));
  out.push(broker({ type: 'BROKER', brokerErr: { type: 'TIMEOUT' } }));
  for (const t of ['BLOCK', 'VERSION', 'LARGE_MSG', 'SESSION', 'NO_AUTH'] as const) out.push(broker({ type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: t } } }));
  for (const e of ['PARSE', 'IDENTITY', 'BAD_AUTH', 'BAD_SERVICE'] as const) {
    out.push(broker({ type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: e } } }));
  }
  return out;
}

function samplesAt(v: number): BrokerMsg[] {
  const out: BrokerMsg[] = [
    { type: 'LNK', senderId: bytes(24, 1), fixedData: bytes(500, 2), userData: new Uint8Array(0) },
    { type: 'SOKS', count: 0 },
    { type: 'SOKS', count: 9007199254740991 },
    { type: 'ENDS', count: 42 },
    { type: 'MSG', msgId: bytes(24, 3), encBody: bytes(16122, 4) },
    { type: 'MSG', msgId: bytes(24, 3), encBody: new Uint8Array(0) },
    { type: 'NID', notifierId: bytes(24, 5), srvNtfDhKey: DH },
    { type: 'NMSG', nonce: bytes(24, 6), encMeta: bytes(144, 7) },
    { type: 'PKEY', sessionId: bytes(32, 8), versionRange: { min: 8, max: 17 }, certChainPubKey: { certChain: [bytes(400, 9), bytes(300, 10)], signedKey: bytes(122, 11) } },
    { type: 'RRES', encFwdResponse: bytes(16300, 12) },
    { type: 'PRES', encResponse: bytes(16242, 13) },
    { type: 'END' },
    { type: 'INFO', info: '{"qiSnd":false,"qiNtf":false,"qiSize":0}' },
    { type: 'OK' },
    { type: 'PONG' },
  ];
  if (v >= 10) out.push({ type: 'DELD' });
  if (v >= 16) out.push({ type: 'SOK', serviceId: null }, { type: 'SOK', serviceId: bytes(24, 14) });
  const ids = { type: 'IDS' as const, rcvId: bytes(24, 1), sndId: bytes(24, 2), rcvPublicDhKey: DH, queueMode: null, linkId: null, serviceId: null, serverNtfCreds: null };
  if (v < 9) out.push(ids);
  else if (v < 15) out.push({ ...ids, queueMode: 'messaging' }, { ...ids, queueMode: 'contact' });
  else {
    out.push(ids, { ...ids, queueMode: 'contact', linkId: bytes(24, 3) });
    if (v >= 16) out.push({ ...ids, queueMode: 'messaging', serviceId: bytes(24, 4) });
    if (v >= 17) out.push({ ...ids, queueMode: 'messaging', serverNtfCreds: { notifierId: bytes(24, 5), rcvNtfDhKey: DH } });
  }
  for (const error of allErrors()) {
    if (error.type === 'BLOCKED' && (v < 12 || (v < 18 && error.blockInfo.notice !== null))) continue;
    out.push({ type: 'ERR', error });
  }
  return out;
}

describe('SMP server messages (smp.md §7.3)', () => {
  it('round-trip at every version 6..18 and re-encode to identical bytes', () => {
    let n = 0;
    for (let v = 6; v <= 18; v++) {
      for (const msg of samplesAt(v)) {
        roundTrip(v, msg);
        n++;
      }
    }
    assert.ok(n > 600);
  });

  describe('exact encodings', () => {
    it('MSG has no space between msgId and body', () => {
      roundTrip(18, { type: 'MSG', msgId: bytes(2, 0xaa), encBody: ascii('xyz') }, h('MSG ') + '02aaaa' + h('xyz'));
    });

    it('SOK is "SOK" SP maybe(short(serviceId)) from v16, OK below', () => {
      roundTrip(18, { type: 'SOK', serviceId: null }, h('SOK 0'));
      roundTrip(16, { type: 'SOK', serviceId: bytes(1, 7) }, h('SOK 1') + '0107');
      assert.equal(toHex(encodeResponse(15, { type: 'SOK', serviceId: null })), h('OK'));
      assert.deepEqual(decodeResponse(15, encodeResponse(15, { type: 'SOK', serviceId: null })), { type: 'OK' });
    });

    it('DELD from v10, END below', () => {
      roundTrip(10, { type: 'DELD' }, h('DELD'));
      assert.equal(toHex(encodeResponse(9, { type: 'DELD' })), h('END'));
    });

    it('IDS in each version form', () => {
      const ids = { type: 'IDS' as const, rcvId: bytes(1, 1), sndId: bytes(1, 2), rcvPublicDhKey: DH, queueMode: 'messaging' as const, linkId: bytes(1, 3), serviceId: bytes(1, 4), serverNtfCreds: { notifierId: bytes(1, 5), rcvNtfDhKey: DH } };
      const head = h('IDS ') + '0101' + '0102' + DH_HEX;
      roundTrip(17, ids, head + h('1M') + '31' + '0103' + '31' + '0104' + '31' + '0105' + DH_HEX);
      roundTrip(16, { ...ids, serverNtfCreds: null }, head + h('1M') + '310103' + '310104');
      roundTrip(15, { ...ids, serviceId: null, serverNtfCreds: null }, head + h('1M') + '310103');
      roundTrip(15, { ...ids, queueMode: null, linkId: null, serviceId: null, serverNtfCreds: null }, head + h('00'));
      roundTrip(14, { ...ids, linkId: null, serviceId: null, serverNtfCreds: null }, head + h('T'));
      roundTrip(9, { ...ids, queueMode: 'contact', linkId: null, serviceId: null, serverNtfCreds: null }, head + h('F'));
      roundTrip(8, { ...ids, queueMode: null, linkId: null, serviceId: null, serverNtfCreds: null }, head);
      // Like the reference server, newer fields are left out for an older client.
      assert.equal(toHex(encodeResponse(8, ids)), head);
      assert.equal(toHex(encodeResponse(14, ids)), head + h('T'));
    });

    it('NID, NMSG, PKEY, SOKS/ENDS (binary int64), RRES, PRES, INFO', () => {
      roundTrip(18, { type: 'NID', notifierId: bytes(2, 1), srvNtfDhKey: DH }, h('NID ') + '020101' + DH_HEX);
      roundTrip(18, { type: 'NMSG', nonce: bytes(24, 2), encMeta: bytes(2, 3) }, h('NMSG ') + '02'.repeat(24) + '020303');
      roundTrip(18, { type: 'PKEY', sessionId: bytes(1, 4), versionRange: { min: 8, max: 17 }, certChainPubKey: { certChain: [bytes(1, 5)], signedKey: bytes(2, 6) } },
        h('PKEY ') + '0104' + '00080011' + '01' + '000105' + '00020606');
      roundTrip(18, { type: 'SOKS', count: 258 }, h('SOKS ') + '0000000000000102');
      roundTrip(18, { type: 'ENDS', count: 1 }, h('ENDS ') + '0000000000000001');
      roundTrip(18, { type: 'RRES', encFwdResponse: bytes(2, 7) }, h('RRES ') + '0707');
      roundTrip(18, { type: 'PRES', encResponse: new Uint8Array(0) }, h('PRES '));
      roundTrip(18, { type: 'INFO', info: '{}' }, h('INFO {}'));
    });
  });

  describe('ERR and the §7.4 grammar', () => {
    it('writes the words with single spaces', () => {
      const cases: Array<[ErrorType, string]> = [
        [{ type: 'AUTH' }, 'AUTH'],
        [{ type: 'CMD', cmdErr: 'SYNTAX' }, 'CMD SYNTAX'],
        [{ type: 'STORE', storeErr: 'oops' }, 'STORE oops'],
        [{ type: 'BLOCKED', blockInfo: { reason: 'spam', notice: null } }, 'BLOCKED reason=spam'],
        [{ type: 'BLOCKED', blockInfo: { reason: 'content', notice: { ttl: 60 } } }, 'BLOCKED reason=content,notice={"ttl":60}'],
        [{ type: 'BLOCKED', blockInfo: { reason: 'spam', notice: { ttl: null } } }, 'BLOCKED reason=spam,notice={}'],
        [{ type: 'PROXY', proxyErr: { type: 'NO_SESSION' } }, 'PROXY NO_SESSION'],
        [{ type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'QUOTA' } } }, 'PROXY PROTOCOL QUOTA'],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'HANDSHAKE', handshakeErr: 'IDENTITY' } } } }, 'PROXY BROKER TRANSPORT HANDSHAKE IDENTITY'],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'TRANSPORT', transportErr: { type: 'VERSION' } } } }, 'PROXY BROKER TRANSPORT VERSION'],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'RESPONSE', respErr: 'bad' } } }, 'PROXY BROKER RESPONSE \x03bad'],
        [{ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NETWORK', networkError: null } } }, 'PROXY BROKER NETWORK'],
      ];
      for (const [err, text] of cases) {
        assert.equal(toHex(encodeErrorType(err)), h(text), text);
        assert.deepEqual(decodeErrorType(ascii(text)), err, text);
        roundTrip(18, { type: 'ERR', error: err }, h('ERR ' + text));
      }
    });

    it('accepts the old CMD NO_QUEUE as NO_ENTITY', () => {
      assert.deepEqual(decodeResponse(18, ascii('ERR CMD NO_QUEUE')), { type: 'ERR', error: { type: 'CMD', cmdErr: 'NO_ENTITY' } });
    });

    it('reads NETWORK details but writes the bare word, as upstream does', () => {
      const details: Array<[string, unknown]> = [
        ['CONNECT \x07refused', { type: 'CONNECT', detail: 'refused' }],
        ['TLS \x02\xffx', { type: 'TLS', detail: '\u00ffx' }],
        ['UNKNOWNCA', { type: 'UNKNOWNCA' }],
        ['FAILED', { type: 'FAILED' }],
        ['TIMEOUT', { type: 'TIMEOUT' }],
        ['SUBSCRIBE \x00', { type: 'SUBSCRIBE', detail: '' }],
      ];
      for (const [text, networkError] of details) {
        const err = decodeErrorType(ascii('PROXY BROKER NETWORK ' + text));
        assert.deepEqual(err, { type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'NETWORK', networkError } } });
        assert.equal(toHex(encodeErrorType(err)), h('PROXY BROKER NETWORK'));
      }
    });

    it('downgrades BLOCKED for older clients: no notice below v18, AUTH below v12', () => {
      const blocked: BrokerMsg = { type: 'ERR', error: { type: 'BLOCKED', blockInfo: { reason: 'spam', notice: { ttl: 5 } } } };
      assert.equal(toHex(encodeResponse(18, blocked)), h('ERR BLOCKED reason=spam,notice={"ttl":5}'));
      assert.equal(toHex(encodeResponse(17, blocked)), h('ERR BLOCKED reason=spam'));
      assert.equal(toHex(encodeResponse(12, blocked)), h('ERR BLOCKED reason=spam'));
      assert.equal(toHex(encodeResponse(11, blocked)), h('ERR AUTH'));
      // Nested errors are passed on as they are: only the top-level error is downgraded.
      const nested: BrokerMsg = { type: 'ERR', error: { type: 'PROXY', proxyErr: { type: 'PROTOCOL', protocolErr: { type: 'BLOCKED', blockInfo: { reason: 'spam', notice: null } } } } };
      assert.equal(toHex(encodeResponse(11, nested)), h('ERR PROXY PROTOCOL BLOCKED reason=spam'));
    });

    it('accepts a notice JSON with extra fields and whitespace; refuses what aeson would refuse', () => {
      assert.deepEqual(decodeErrorType(ascii('BLOCKED reason=spam,notice= {"ttl": 7, "x": [1]} ')), { type: 'BLOCKED', blockInfo: { reason: 'spam', notice: { ttl: 7 } } });
      assert.deepEqual(decodeErrorType(ascii('BLOCKED reason=spam,notice={"ttl":null}')), { type: 'BLOCKED', blockInfo: { reason: 'spam', notice: { ttl: null } } });
      for (const bad of ['{"ttl":1.5}', '{"ttl":"1"}', '[1]', 'null', '{', '', '{"ttl":1e400}']) {
        expectDecodeError(() => decodeErrorType(ascii('BLOCKED reason=spam,notice=' + bad)), 'invalid-value');
      }
    });

    it('refuses anything outside the grammar', () => {
      const bad = [
        '', 'AUTH ', 'AUTH x', 'auth', 'FOO', 'CMD', 'CMD ', 'CMD FOO', 'CMD SYNTAX ', 'PROXY', 'PROXY FOO', 'PROXY PROTOCOL', 'PROXY BROKER',
        'PROXY BROKER NETWORK ', 'PROXY BROKER NETWORK FOO', 'PROXY BROKER RESPONSE', 'PROXY BROKER RESPONSE \x09ab',
        'PROXY BROKER TRANSPORT HANDSHAKE', 'PROXY BROKER TRANSPORT HANDSHAKE FOO', 'PROXY BROKER TRANSPORT FOO', 'PROXY BROKER TIMEOUT x',
        'BLOCKED', 'BLOCKED ', 'BLOCKED reason=other', 'BLOCKED reason=spamx', 'BLOCKED reason=spam,', 'BLOCKED reason=spam,notice',
        'STORE', 'BLOCK\x00', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ];
      for (const s of bad) assert.throws(() => decodeErrorType(ascii(s)), (e: unknown) => e instanceof Error && e.name === 'DecodeError', JSON.stringify(s));
      expectDecodeError(() => decodeErrorType(concatBytes([ascii('STORE '), new Uint8Array([0xff])])), 'bad-utf8');
    });

    it('caps nesting so a hostile block cannot exhaust the stack', () => {
      const nest = (n: number): string => 'PROXY PROTOCOL '.repeat(n) + 'AUTH';
      assert.equal(decodeErrorType(ascii(nest(8))).type, 'PROXY');
      expectDecodeError(() => decodeErrorType(ascii(nest(9))), 'invalid-value');
      expectParseError(() => decodeResponse(18, ascii('ERR ' + nest(1000))), 'bad-syntax');
    });

    it('refuses to encode values outside the grammar', () => {
      expectEncodeError(() => encodeErrorType({ type: 'FOO' } as unknown as ErrorType), 'invalid-value');
      expectEncodeError(() => encodeErrorType({ type: 'CMD', cmdErr: 'NO_QUEUE' } as unknown as ErrorType), 'invalid-value');
      expectEncodeError(() => encodeErrorType({ type: 'PROXY', proxyErr: { type: 'BROKER', brokerErr: { type: 'RESPONSE', respErr: '€' } } }), 'invalid-value');
      expectEncodeError(() => encodeErrorType({ type: 'BLOCKED', blockInfo: { reason: 'spam', notice: { ttl: 0.5 } } }), 'invalid-value');
    });
  });

  describe('parse errors', () => {
    it('a command tag or junk tag is unknown; bad parameters are syntax', () => {
      for (const s of ['SUB', 'NEW x', 'HELLO', '', 'ok', 'OK=']) expectParseError(() => decodeResponse(18, ascii(s)), 'unknown-command');
      for (const s of ['OK ', 'PONG x', 'END ', 'MSG', 'MSG ', 'ERR', 'ERR ', 'IDS ', 'SOK', 'SOK 2', 'SOKS \x00', 'NMSG ' + 'a'.repeat(23), 'PKEY \x00\x00\x01\x00\x00']) {
        const e = expectParseError(() => decodeResponse(18, ascii(s)), 'bad-syntax');
        assert.equal(commandErrorOf(e), 'SYNTAX');
      }
      expectParseError(() => decodeResponse(18, concatBytes([ascii('INFO '), new Uint8Array([0xc0])])), 'bad-syntax');
      expectParseError(() => decodeResponse(18, ascii('SOKS \x7f' + '\xff'.repeat(7))), 'bad-syntax'); // beyond 2^53
    });

    it('DH keys in responses must be X25519', () => {
      const ed = '2c' + vectorCase('encoding.json', 'sample_ed25519_spki').der;
      expectParseError(() => decodeResponse(18, Buffer.from(h('NID ') + '0101' + ed, 'hex')), 'bad-syntax');
      expectEncodeError(() => encodeResponse(18, { type: 'NID', notifierId: bytes(1, 1), srvNtfDhKey: fakeKey('ed25519', 1) }), 'invalid-value');
    });
  });

  it('entity rules on the client side (smp.md §6.4)', () => {
    const q = bytes(24, 1);
    const none = new Uint8Array(0);
    assert.equal(checkResponseEntity({ type: 'ERR', error: { type: 'AUTH' } }, none), null);
    assert.equal(checkResponseEntity({ type: 'PONG' }, none), null);
    assert.equal(checkResponseEntity({ type: 'PONG' }, q), 'HAS_AUTH');
    assert.equal(checkResponseEntity({ type: 'OK' }, q), null);
    assert.equal(checkResponseEntity({ type: 'OK' }, none), 'NO_ENTITY');
    assert.equal(checkResponseEntity({ type: 'RRES', encFwdResponse: none }, q), 'HAS_AUTH');
  });

  it('fuzz: garbage and mutated messages give ProtocolParseErrors only; whatever decodes re-encodes', () => {
    const rng = prng(0x7e5b);
    const corpus: Array<[number, Uint8Array]> = [];
    for (const v of [6, 9, 12, 15, 18]) {
      for (const msg of samplesAt(v)) {
        const b = encodeResponse(v, msg);
        if (b.length < 2000) corpus.push([v, b]);
      }
    }
    let decoded = 0;
    for (let i = 0; i < 6000; i++) {
      const [v, good] = corpus[randomInt(rng, corpus.length)];
      let input: Uint8Array;
      if (i % 4 === 0) input = concatBytes([ascii(['ERR ', 'IDS ', 'PKEY ', 'MSG ', 'ERR PROXY ', 'ERR BLOCKED '][randomInt(rng, 6)]), randomBytes(rng, randomInt(rng, 80))]);
      else {
        input = new Uint8Array(good);
        for (let k = 0; k < 1 + randomInt(rng, 3); k++) input[randomInt(rng, input.length)] = randomInt(rng, 256);
        if (randomInt(rng, 2) === 0) input = input.subarray(0, randomInt(rng, input.length + 1));
      }
      onlyParseErrors(() => {
        const msg = decodeResponse(v, input);
        decoded++;
        const again = encodeResponse(v, msg);
        const canonical = !(msg.type === 'ERR' && (JSON.stringify(msg.error).includes('NETWORK') || JSON.stringify(msg.error).includes('notice') || toHex(input).includes(h('NO_QUEUE'))));
        if (canonical) assert.deepEqual(again, input, 'decoded ' + msg.type + ' re-encodes to the same bytes');
        else assert.deepEqual(decodeResponse(v, again).type, msg.type);
      }, 'decodeResponse');
    }
    assert.ok(decoded > 100, 'the mutations also produce valid messages (' + decoded + ')');
  });
});
