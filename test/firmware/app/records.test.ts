import assert from 'node:assert/strict';
import {
  decodeContact,
  decodeHistoryEntry,
  decodeSavedWifi,
  decodeSettings,
  DEFAULT_SETTINGS,
  encodeContact,
  encodeHistoryEntry,
  encodeSavedWifi,
  encodeSettings,
  type HistoryEntry,
} from '../../../firmware/app/records';
import { codeDigits, decimalDigits, sameSecurityCode, securityCodeOf } from '../../../firmware/app/security-code';

function hex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/** Every strict prefix and the record with a byte appended must be refused as 'bad-record'. */
function rejectsDamage(bytes: Uint8Array, decode: (b: Uint8Array) => unknown): void {
  for (let n = 0; n < bytes.length; n++) assert.throws(() => decode(bytes.subarray(0, n)), { name: 'AppError', code: 'bad-record' }, 'prefix ' + n);
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.throws(() => decode(longer), { name: 'AppError', code: 'bad-record' });
  const other = new Uint8Array(bytes);
  other[0] = 2;
  assert.throws(() => decode(other), { name: 'AppError', code: 'bad-record' }, 'unknown format');
}

describe('firmware/app/records', () => {
  it('contact: fixed bytes, round trip, damage refused', () => {
    const c = { name: 'Bob', state: 'ready' as const, unread: 3, verified: true, muted: false, created: 1700000000000 };
    const bytes = encodeContact(c);
    assert.equal(Buffer.from(bytes).toString('hex'), '0103426f620200000003010000018bcfe56800');
    assert.deepEqual(decodeContact(bytes), c);
    rejectsDamage(bytes, decodeContact);
    assert.throws(() => decodeContact(hex('0103426f620900000003010000018bcfe56800')), { code: 'bad-record' }, 'unknown state');
    assert.throws(() => decodeContact(hex('0103426f620200000003040000018bcfe56800')), { code: 'bad-record' }, 'unknown flags');
  });

  it('history entries: messages and state changes round trip; damage refused', () => {
    const m: HistoryEntry = { kind: 'message', seq: 7, outgoing: true, time: 1700000000000, agentMsgId: 5, text: 'héllo' };
    const s: HistoryEntry = { kind: 'state', seq: 7, agentMsgId: 5, delivery: 'failed', errorName: 'SmpCommandError', errorCode: 'quota' };
    for (const e of [m, s]) {
      const b = encodeHistoryEntry(e);
      assert.deepEqual(decodeHistoryEntry(b), e);
      rejectsDamage(b, decodeHistoryEntry);
    }
    assert.equal(Buffer.from(encodeHistoryEntry(m)).toString('hex'), '014d01000000070000018bcfe5680000000005000668c3a96c6c6f');
    assert.throws(() => decodeHistoryEntry(hex('0158')), { code: 'bad-record' });
    assert.throws(() => decodeHistoryEntry(hex('014d01000000070000018bcfe5680000000005000268ff')), { name: 'AppError', code: 'bad-record' }, 'bad UTF-8');
  });

  it('settings and saved Wi-Fi round trip; damage refused', () => {
    const st = { ...DEFAULT_SETTINGS, utcOffsetMinutes: -300, privateRouting: 'unknown' as const };
    assert.deepEqual(decodeSettings(encodeSettings(st)), st);
    rejectsDamage(encodeSettings(st), decodeSettings);
    const w = [{ ssid: 'lab', password: 'pw' }, { ssid: 'open', password: '' }];
    assert.deepEqual(decodeSavedWifi(encodeSavedWifi(w)), w);
    rejectsDamage(encodeSavedWifi(w), decodeSavedWifi);
  });
});

describe('firmware/app/security-code', () => {
  it('writes big-endian integers in decimal without BigInt', () => {
    assert.equal(decimalDigits(new Uint8Array([0, 0])), '0');
    assert.equal(decimalDigits(new Uint8Array([1, 0])), '256');
    assert.equal(decimalDigits(hex('0186a0')), '100000');
    assert.equal(decimalDigits(new Uint8Array(32).fill(0xff)), '115792089237316195423570985008687907853269984665640564039457584007913129639935');
    for (let i = 0; i < 50; i++) {
      const b = new Uint8Array(32);
      for (let k = 0; k < 32; k++) b[k] = (i * 37 + k * 101) & 255;
      assert.equal(decimalDigits(b), BigInt('0x' + Buffer.from(b).toString('hex')).toString(10));
    }
  });

  it('groups digits by five as the apps do, and compares ignoring spaces', () => {
    const code = securityCodeOf(new Uint8Array(32).fill(0xff));
    assert.equal(code, '11579 20892 37316 19542 35709 85008 68790 78532 69984 66564 05640 39457 58400 79131 29639 935');
    assert.equal(codeDigits(code), '115792089237316195423570985008687907853269984665640564039457584007913129639935');
    assert.ok(sameSecurityCode(code, codeDigits(code)));
    assert.ok(!sameSecurityCode(code, code.slice(0, -1)));
    assert.ok(!sameSecurityCode(code, code.slice(0, -1) + '6'));
  });
});
