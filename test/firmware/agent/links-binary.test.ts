import assert from 'node:assert/strict';
import { decode, Encoder, type VersionRange } from '../../../firmware/encoding/binary';
import { toHex } from '../../../firmware/encoding/bytes';
import { DecodeError } from '../../../firmware/encoding/errors';
import {
  decodeConnectionRequest,
  encodeConnectionRequest,
  parseConnectionLink,
  readConnectionRequest,
  type ConnectionRequest,
} from '../../../firmware/agent/connection-link';
import { encodePublicKey } from '../../../firmware/crypto/keys';
import { LinkError } from '../../../firmware/agent/link-errors';
import { readQueueUri, writeQueueUri, type QueueMode, type SmpQueueUri } from '../../../firmware/agent/queue-uri';
import { prng, randomBytes, randomInt } from '../encoding/helpers';
import {
  contact,
  expectLinkError,
  invitation,
  onlyLinkErrors,
  queue,
  randomRequest,
  SRV,
  SRV1,
  worked,
} from './links-fixtures';

function ascii(s: string): string {
  return Buffer.from(s, 'latin1').toString('hex');
}

function queueBytes(q: SmpQueueUri): Uint8Array {
  const e = new Encoder();
  writeQueueUri(e, q);
  return e.finish();
}

function decodeQueue(bytes: Uint8Array): SmpQueueUri {
  const r = decode(bytes, readQueueUri);
  if (!r.ok) throw r.error;
  return r.value;
}

/** The mode a queue comes back with from the binary form, by agent.md §4.5 (queueModeSuffix). */
function binaryMode(vr: VersionRange, mode: QueueMode | null): QueueMode | null {
  if (vr.min >= 4) return mode;
  if (vr.min >= 3 || (vr.max >= 3 && mode === 'messaging')) return mode === 'messaging' ? 'messaging' : 'contact';
  return null;
}

/** Inside ConnReqUriData a queue without a mode is read as a contact queue (upstream's patch). */
function requestAfterBinary(r: ConnectionRequest): ConnectionRequest {
  return {
    mode: r.mode,
    agentVRange: r.agentVRange,
    queues: r.queues.map((q) => ({ ...q, queueMode: binaryMode(q.smpClientVRange, q.queueMode) ?? 'contact' })),
    clientData: r.clientData,
    e2e: r.e2e,
  };
}

describe('connection links: binary forms (agent.md §4.5)', () => {
  it('encodes the worked example field by field', () => {
    const r = parseConnectionLink(worked.uri);
    const q = worked.queue;
    const expected =
      ascii('I') +
      '0002' + '0007' + // agent range 2-7
      '01' + // NonEmpty: one queue
      '0001' + '0004' + // SMP client range 1-4
      '02' + '0e' + ascii('smp.simplex.im') + '3e' + ascii(q.srv) + // hosts
      '04' + ascii('5223') + // port as text
      '04' + q.key_hash + // key hash (4 bytes in this fixture)
      '04' + q.sender_id +
      '2c' + q.dh_x25519_spki +
      ascii('T') + // min < 3, max >= 3, messaging queue: Bool True
      ascii('0') + // no client data
      '0001' + '0001' + // e2e range 1
      '44' + worked.e2e.x3dh_key1_x448_spki +
      '44' + worked.e2e.x3dh_key2_x448_spki +
      ascii('0'); // KEM Maybe, present in the URI form even at v1
    const bytes = encodeConnectionRequest(r);
    assert.equal(toHex(bytes), expected);
    assert.deepEqual(decodeConnectionRequest(bytes), r);
  });

  it('writes the queue mode suffix by version and reads it back', () => {
    const ranges: VersionRange[] = [
      { min: 1, max: 1 }, { min: 1, max: 2 }, { min: 1, max: 3 }, { min: 1, max: 4 },
      { min: 2, max: 4 }, { min: 3, max: 3 }, { min: 3, max: 4 }, { min: 4, max: 4 },
    ];
    const modes: Array<QueueMode | null> = [null, 'messaging', 'contact'];
    let checked = 0;
    for (const vr of ranges) {
      for (const mode of modes) {
        const q = queue(vr, SRV1, mode);
        const bytes = queueBytes(q);
        const plain = queueBytes(queue(vr, SRV1, null));
        let suffix = '';
        if (vr.min >= 4) suffix = mode === 'messaging' ? 'M' : mode === 'contact' ? 'C' : '';
        else if (vr.min >= 3 || (vr.max >= 3 && mode === 'messaging')) suffix = mode === 'messaging' ? 'T' : 'F';
        const plainLen = vr.min >= 3 && vr.min < 4 ? plain.length - 1 : plain.length;
        assert.equal(toHex(bytes.subarray(plainLen)), ascii(suffix), 'suffix for ' + vr.min + '-' + vr.max + ' ' + mode);
        assert.deepEqual(decodeQueue(bytes), { ...q, queueMode: binaryMode(vr, mode) });
        checked++;
      }
    }
    assert.equal(checked, 24);
  });

  it('round-trips the upstream smpEncodingTest cases, with the contact patch in ConnReqUriData', () => {
    const v14 = { min: 1, max: 4 };
    const v24 = { min: 2, max: 4 };
    const noPort = { hosts: SRV.hosts, port: null, keyHash: SRV.keyHash };
    for (const q of [queue(v14, SRV, 'messaging'), queue(v14, SRV, null), queue(v14, SRV1, 'messaging'), queue(v24, SRV, 'messaging'),
      queue(v24, noPort, 'messaging'), queue({ min: 1, max: 1 }, SRV, null)]) {
      assert.deepEqual(decodeQueue(queueBytes(q)), q);
    }
    // A contact queue below v3 loses its mode in SMPQueueUri (upstream notes this test fails) ...
    assert.equal(decodeQueue(queueBytes(queue(v14, SRV, 'contact'))).queueMode, null);
    // ... and ConnReqUriData restores it.
    const cr = contact([queue(v14, SRV, 'contact')]);
    assert.deepEqual(decodeConnectionRequest(encodeConnectionRequest(cr)), cr);
    const requests = [
      invitation([queue(v14, SRV, 'messaging')]),
      invitation([queue(v14, SRV1, 'messaging')]),
      invitation([queue(v14, SRV, 'messaging'), queue(v14, SRV, 'messaging')]),
      invitation([queue(v24, SRV, 'messaging')]),
      invitation([queue(v14, SRV, 'messaging')], { min: 2, max: 7 }, '{}'),
      contact([queue(v14, SRV, 'messaging')]),
      contact([queue(v24, SRV, 'messaging'), queue(v24, SRV, 'messaging')]),
      contact([queue(v14, SRV, 'messaging')], { min: 2, max: 2 }),
      contact([queue(v14, SRV, 'messaging')], { min: 2, max: 7 }, '{"type":"group_link", "group_link_id":"abc"}'),
    ];
    for (const r of requests) assert.deepEqual(decodeConnectionRequest(encodeConnectionRequest(r)), r);
    // A queue without a mode comes back as a contact queue inside a request.
    const noQm = invitation([queue(v14, SRV, null)]);
    assert.equal(decodeConnectionRequest(encodeConnectionRequest(noQm)).queues[0].queueMode, 'contact');
  });

  it('round-trips random requests (KEM proposal always framed by its Maybe)', () => {
    const rng = prng(0x51e7);
    for (let n = 0; n < 150; n++) {
      const r = randomRequest(rng);
      const bytes = encodeConnectionRequest(r);
      assert.deepEqual(decodeConnectionRequest(bytes), requestAfterBinary(r));
      if (r.e2e !== null && r.e2e.kem !== null) {
        // ... 'P' large(1158-byte key) at the end.
        assert.equal(toHex(bytes.subarray(bytes.length - 1162, bytes.length - 1158)), ascii('1P') + '0486');
      }
    }
  });

  it('keeps client data as UTF-8 in a large field and refuses invalid UTF-8', () => {
    const r = contact([queue({ min: 4, max: 4 }, SRV1, 'contact')], { min: 2, max: 7 }, 'caf\u00e9 \ud83d\ude00');
    const bytes = encodeConnectionRequest(r);
    const tail = bytes.subarray(bytes.length - 13);
    assert.equal(toHex(tail), ascii('1') + '000a' + '636166c3a920f09f9880');
    assert.deepEqual(decodeConnectionRequest(bytes), r);
    const bad = new Uint8Array(bytes);
    bad[bytes.length - 5] = 0xff;
    const err = expectLinkError(() => decodeConnectionRequest(bad), 'bad-binary');
    assert.ok(err.wrapped instanceof DecodeError);
  });

  it('refuses a KEM ciphertext in an invitation, a bad tag, trailing bytes and too many queues', () => {
    const r = parseConnectionLink(worked.uri);
    const bytes = encodeConnectionRequest(r);
    // Replace the final Maybe '0' with '1' 'A' large(ct) large(pk).
    const e = new Encoder();
    e.raw(bytes.subarray(0, bytes.length - 1)).ascii('1A').large(new Uint8Array(1039)).large(new Uint8Array(1158));
    assert.match(expectLinkError(() => decodeConnectionRequest(e.finish()), 'bad-binary').message, /KEM ciphertext/);
    const badTag = new Uint8Array(bytes);
    badTag[0] = 0x58;
    assert.match(expectLinkError(() => decodeConnectionRequest(badTag), 'bad-binary').message, /neither 'I' nor 'C'/);
    const trailing = new Uint8Array(bytes.length + 1);
    trailing.set(bytes);
    assert.equal(expectLinkError(() => decodeConnectionRequest(trailing), 'bad-binary').wrapped!.code, 'trailing-bytes');
    // An Ed448 key where the second X448 key belongs.
    const wrongAlg = new Encoder()
      .raw(bytes.subarray(0, bytes.length - 1 - 69))
      .short(encodePublicKey('ed448', new Uint8Array(57)))
      .ascii('0')
      .finish();
    expectLinkError(() => decodeConnectionRequest(wrongAlg), 'bad-key');

    const q = queueBytes(queue({ min: 4, max: 4 }, SRV1, 'messaging'));
    const many = new Encoder().ascii('C').versionRange({ min: 2, max: 7 }).u8(9);
    for (let k = 0; k < 9; k++) many.raw(q);
    many.ascii('0');
    const err = expectLinkError(() => decodeConnectionRequest(many.finish()), 'bad-binary');
    assert.match(err.message, /9 queues, more than 8/);
  });

  it('refuses every truncation and survives mutated bytes with LinkError only', () => {
    const rng = prng(7);
    const samples = [encodeConnectionRequest(parseConnectionLink(worked.uri)), encodeConnectionRequest(randomRequest(prng(3), true))];
    for (const bytes of samples) {
      for (let n = 0; n < bytes.length; n++) {
        const err = onlyLinkErrors(() => decodeConnectionRequest(bytes.subarray(0, n)), 'prefix ' + n);
        assert.ok(err !== null, 'a ' + n + '-byte prefix decoded');
        assert.ok(err.code === 'truncated' || err.code === 'bad-binary' || err.code === 'bad-key', err.code);
      }
    }
    let decoded = 0;
    for (let n = 0; n < 3000; n++) {
      const bytes = new Uint8Array(samples[n % 2]);
      const edits = 1 + randomInt(rng, 3);
      for (let k = 0; k < edits; k++) bytes[randomInt(rng, bytes.length)] = randomInt(rng, 256);
      if (onlyLinkErrors(() => decodeConnectionRequest(bytes), 'mutation ' + n) === null) decoded++;
    }
    // Some mutations land in key bytes and still decode; most do not.
    assert.ok(decoded > 0 && decoded < 3000, 'decoded ' + decoded);
    for (let n = 0; n < 500; n++) onlyLinkErrors(() => decodeConnectionRequest(randomBytes(rng, randomInt(rng, 300))), 'random ' + n);
    // Errors from inside a larger decoder stay DecodeError (readConnectionRequest is for embedding).
    const r = decode(samples[0].subarray(0, 10), readConnectionRequest);
    assert.ok(!r.ok && r.error instanceof DecodeError && !(r.error instanceof LinkError));
  });
});
