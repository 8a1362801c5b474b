import assert from 'node:assert/strict';
import { decode, Encoder } from '../../../firmware/encoding/binary';
import { toHex } from '../../../firmware/encoding/bytes';
import {
  AddressError,
  chooseTransportHost,
  effectivePort,
  isValidBasicAuth,
  parseSmpServer,
  parseTransportHost,
  printSmpServer,
  readProtocolServer,
  SMP_DEFAULT_PORT,
  writeProtocolServer,
  type AddressErrorCode,
  type SmpServer,
  type TransportHost,
} from '../../../firmware/smp/address';
import { expectDecodeError, expectEncodeError, hex, onlyDecodeErrors, prng, randomBytes, randomInt, vectorCase } from '../encoding/helpers';

const FP = vectorCase('cert-fingerprints.json', 'fixture_ed448_ca');
const FP_B64 = FP.fingerprint_b64url as string; // padded: "LcJU…RwjI="
const FP_BYTES = hex(FP.fingerprint);

function expectAddressError(text: string, code: AddressErrorCode): AddressError {
  let thrown: unknown = null;
  try {
    parseSmpServer(text);
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof AddressError, 'expected AddressError ' + code + ' for ' + JSON.stringify(text) + ', got ' + String(thrown));
  assert.equal(thrown.code, code, JSON.stringify(text) + ': ' + thrown.message);
  assert.equal(thrown.name, 'AddressError');
  return thrown;
}

function host(text: string): TransportHost {
  return parseTransportHost(text);
}

function encodeServer(s: SmpServer): Uint8Array {
  const e = new Encoder();
  writeProtocolServer(e, s);
  return e.finish();
}

function decodeServer(b: Uint8Array): SmpServer {
  const r = decode(b, readProtocolServer);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('SMP server addresses (smp.md §2)', () => {
  describe('text form', () => {
    it('parses a plain address and prints it back exactly', () => {
      const text = 'smp://' + FP_B64 + '@smp.simplex.im';
      const a = parseSmpServer(text);
      assert.deepEqual(a.server.keyHash, FP_BYTES);
      assert.deepEqual(a.server.hosts, [{ kind: 'domain', host: 'smp.simplex.im' }]);
      assert.equal(a.server.port, null);
      assert.equal(a.basicAuth, null);
      assert.equal(effectivePort(a.server), SMP_DEFAULT_PORT);
      assert.equal(printSmpServer(a.server), text);
    });

    it('accepts the fingerprint unpadded and always prints it padded', () => {
      const text = 'smp://' + FP_B64.replace(/=+$/, '') + '@smp.simplex.im';
      const a = parseSmpServer(text);
      assert.deepEqual(a.server.keyHash, FP_BYTES);
      assert.equal(printSmpServer(a.server), 'smp://' + FP_B64 + '@smp.simplex.im');
      const dev = vectorCase('cert-fingerprints.json', 'simplego_dev');
      assert.deepEqual(parseSmpServer('smp://' + dev.fingerprint_b64url + '@' + dev.host).server.keyHash, hex(dev.fingerprint));
    });

    it('keeps the port exactly when the address names one (strEncodeServer), even the default', () => {
      const explicit = parseSmpServer('smp://' + FP_B64 + '@example.com:5223');
      assert.equal(explicit.server.port, 5223);
      assert.equal(printSmpServer(explicit.server), 'smp://' + FP_B64 + '@example.com:5223');
      const web = parseSmpServer('smp://' + FP_B64 + '@example.com:443');
      assert.equal(effectivePort(web.server), 443);
      // A.decimal then show: leading zeros disappear.
      assert.equal(parseSmpServer('smp://' + FP_B64 + '@example.com:0443').server.port, 443);
    });

    it('parses several hosts sharing one port, and a password', () => {
      const onion = 'beccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid.onion';
      const text = 'smp://' + FP_B64 + ':s3cret.Pass_word@smp4.simplex.im,' + onion + ',192.168.0.1:5224';
      const a = parseSmpServer(text);
      assert.equal(a.basicAuth, 's3cret.Pass_word');
      assert.deepEqual(a.server.hosts, [
        { kind: 'domain', host: 'smp4.simplex.im' },
        { kind: 'onion', host: onion },
        { kind: 'ipv4', host: '192.168.0.1' },
      ]);
      assert.equal(a.server.port, 5224);
      assert.equal(printSmpServer(a.server, a.basicAuth), text);
    });

    it('reports what is wrong, with a typed code', () => {
      expectAddressError('ntf://' + FP_B64 + '@example.com', 'bad-scheme');
      expectAddressError('xftp://' + FP_B64 + '@example.com', 'bad-scheme');
      expectAddressError('SMP://' + FP_B64 + '@example.com', 'bad-scheme');
      expectAddressError('smp:/' + FP_B64 + '@example.com', 'bad-scheme');
      expectAddressError('https://example.com', 'bad-scheme');
      expectAddressError('', 'bad-scheme');
      expectAddressError('smp://@example.com', 'bad-fingerprint');
      expectAddressError('smp://' + FP_B64.slice(0, 20) + '@example.com', 'bad-fingerprint');
      expectAddressError('smp://' + FP_B64 + FP_B64 + '@example.com', 'bad-fingerprint');
      expectAddressError('smp://' + FP_B64.replace('=', '') + 'A@example.com', 'bad-fingerprint');
      expectAddressError('smp://' + FP_B64.replace('-', '+') + '@example.com', 'bad-fingerprint');
      expectAddressError('smp://' + FP_B64 + 'example.com', 'bad-fingerprint');
      expectAddressError('smp://' + FP_B64, 'bad-host');
      expectAddressError('smp://' + FP_B64 + ':@example.com', 'bad-password');
      expectAddressError('smp://' + FP_B64 + ':pa ss@example.com', 'bad-password');
      expectAddressError('smp://' + FP_B64 + ':pa/ss@example.com', 'bad-password');
      expectAddressError('smp://' + FP_B64 + ':pa:ss@example.com', 'bad-password');
      expectAddressError('smp://' + FP_B64 + ':pässword@example.com', 'bad-password');
      expectAddressError('smp://' + FP_B64 + ':password', 'bad-host');
      expectAddressError('smp://' + FP_B64 + '@', 'bad-host');
      expectAddressError('smp://' + FP_B64 + '@example.com,', 'bad-host');
      expectAddressError('smp://' + FP_B64 + '@a.com,,b.com', 'bad-host');
      expectAddressError('smp://' + FP_B64 + '@example.com/path', 'bad-host');
      expectAddressError('smp://' + FP_B64 + '@exa mple.com', 'bad-host');
      expectAddressError('smp://' + FP_B64 + '@example.com:', 'bad-port');
      expectAddressError('smp://' + FP_B64 + '@example.com:http', 'bad-port');
      expectAddressError('smp://' + FP_B64 + '@example.com:0', 'bad-port');
      expectAddressError('smp://' + FP_B64 + '@example.com:65536', 'bad-port');
      expectAddressError('smp://' + FP_B64 + '@example.com:99999999999999999999', 'bad-port');
      expectAddressError('smp://' + FP_B64 + '@example.com:5223x', 'bad-port');
      expectAddressError('smp://' + FP_B64 + '@example.com:5223:1', 'bad-port');
    });

    it('never puts the password in an error message', () => {
      const e = expectAddressError('smp://' + FP_B64 + ':hunter2 secret@example.com', 'bad-password');
      assert.ok(!e.message.includes('hunter2'));
      assert.ok(!e.message.includes('secret'));
    });
  });

  describe('hosts, tried in upstream order', () => {
    it('IPv4 needs every part 0..255, else the text is a domain name (EncodingTests.hs)', () => {
      assert.deepEqual(host('192.168.0.1'), { kind: 'ipv4', host: '192.168.0.1' });
      assert.deepEqual(host('192.168.1'), { kind: 'domain', host: '192.168.1' });
      assert.deepEqual(host('192.256.0.1'), { kind: 'domain', host: '192.256.0.1' });
      assert.deepEqual(host('192.168.0.-1'), { kind: 'domain', host: '192.168.0.-1' });
      assert.throws(() => host('192.168.0.0.1'), AddressError);
      // Leading zeros are decimal, as attoparsec's `decimal` reads them; printed canonically.
      assert.deepEqual(host('010.001.0.1'), { kind: 'ipv4', host: '10.1.0.1' });
      assert.deepEqual(host('255.255.255.255'), { kind: 'ipv4', host: '255.255.255.255' });
      // Stricter than upstream, which would read this as 1.2.3.0 (its last part is a Word8).
      assert.throws(() => host('1.2.3.256'), (e: unknown) => e instanceof AddressError && e.code === 'bad-host');
      // Once IPv4 matched, a suffix is an error (no going back to the domain form).
      assert.throws(() => host('1.2.3.4x'), AddressError);
    });

    it('IPv6 bracketed or bare, printed as iproute shows it (RFC 5952)', () => {
      const cases: Array<[string, string]> = [
        ['[::1]', '::1'],
        ['::1', '::1'],
        ['[2001:DB8:0:0:0:0:0:1]', '2001:db8::1'],
        ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
        ['[fe80::]', 'fe80::'],
        ['[::]', '::'],
        ['[1:0:0:2:0:0:0:3]', '1:0:0:2::3'],
        ['[1:0:2:0:3:0:4:0]', '1:0:2:0:3:0:4:0'],
        ['[::ffff:192.0.2.1]', '::ffff:192.0.2.1'],
        ['[::ffff:c000:201]', '::ffff:192.0.2.1'],
        ['[2001:db8::192.0.2.1]', '2001:db8::c000:201'],
        ['[::192.0.2.1]', '::192.0.2.1'],
        ['[::0.0.0.1]', '::1'],
        ['[1:2:3:4:5:6:7::]', '1:2:3:4:5:6:7:0'],
      ];
      for (const [input, canonical] of cases) assert.deepEqual(host(input), { kind: 'ipv6', host: canonical }, input);
      for (const bad of ['[::1::2]', '[1:2:3:4:5:6:7:8:9]', '[12345::]', '[:1]', '[1:]', '[::01.2.3.4]', '[::1.2.3]', '[g::1]', '[]', '[::1']) {
        assert.throws(() => host(bad), AddressError, bad);
      }
    });

    it('a bare IPv6 host takes ":port" with it, as upstream does; printing brackets it', () => {
      const a = parseSmpServer('smp://' + FP_B64 + '@::1:5223');
      // ::1:5223 is an "IPv4-compatible" address, which iproute shows in dotted form.
      assert.deepEqual(a.server.hosts, [{ kind: 'ipv6', host: '::0.1.82.35' }]);
      assert.equal(a.server.port, null);
      const b = parseSmpServer('smp://' + FP_B64 + '@[::1]:5223');
      assert.deepEqual(b.server.hosts, [{ kind: 'ipv6', host: '::1' }]);
      assert.equal(b.server.port, 5223);
      assert.equal(printSmpServer(b.server), 'smp://' + FP_B64 + '@[::1]:5223');
      assert.deepEqual(parseSmpServer(printSmpServer(b.server)).server, b.server);
      const c = parseSmpServer('smp://' + FP_B64 + '@[::ffff:1.2.3.4]');
      assert.equal(printSmpServer(c.server), 'smp://' + FP_B64 + '@[::ffff:1.2.3.4]');
      assert.deepEqual(parseSmpServer(printSmpServer(c.server)).server, c.server);
      assert.equal(printSmpServer(parseSmpServer('smp://' + FP_B64 + '@[::1]').server), 'smp://' + FP_B64 + '@::1');
    });

    it('hex-looking names that are not IPv6 fall through to the domain form', () => {
      assert.deepEqual(host('cafe.example'), { kind: 'domain', host: 'cafe.example' });
      const a = parseSmpServer('smp://' + FP_B64 + '@dead:443');
      assert.deepEqual(a.server.hosts, [{ kind: 'domain', host: 'dead' }]);
      assert.equal(a.server.port, 443);
    });

    it('onion hosts are lower-case [a-z0-9]*.onion with no subdomains', () => {
      const onion = 'beccx4yfxxbvyhqypaavemqurytl6hozr47wfc7uuecacjqdvwpw2xid.onion';
      assert.deepEqual(host(onion), { kind: 'onion', host: onion });
      assert.throws(() => host(onion.toUpperCase().replace('.ONION', '.onion')), AddressError);
      assert.throws(() => host('sub.' + onion), AddressError);
      assert.throws(() => host('bèccx.onion'), AddressError);
      assert.throws(() => host(onion + '.com'), AddressError);
    });

    it('domains stop at ": # , ; / space" and must be printable ASCII', () => {
      assert.deepEqual(host('smp.simplex.im'), { kind: 'domain', host: 'smp.simplex.im' });
      for (const bad of ['smp,simplex.im', 'smp:simplex.im', 'smp#simplex.im', 'smp simplex.im', 'smp\nsimplex.im', 'smp;x', 'exämple.com', '', 'a'.repeat(256)]) {
        assert.throws(() => host(bad), AddressError, JSON.stringify(bad));
      }
      assert.deepEqual(host('a'.repeat(255)).kind, 'domain');
    });
  });

  describe('host choice (chooseTransportHost)', () => {
    const onion = { kind: 'onion' as const, host: 'abc.onion' };
    const dom = { kind: 'domain' as const, host: 'smp.example' };
    const ip = { kind: 'ipv4' as const, host: '1.2.3.4' };

    it('without SOCKS takes the first non-onion host, with SOCKS the first onion host', () => {
      assert.deepEqual(chooseTransportHost([onion, dom, ip], false), dom);
      assert.deepEqual(chooseTransportHost([dom, onion], true), onion);
    });

    it('falls back to the first host unless a matching host is required', () => {
      assert.deepEqual(chooseTransportHost([onion], false), onion);
      assert.equal(chooseTransportHost([onion], false, true), null);
      assert.deepEqual(chooseTransportHost([dom, ip], true), dom);
      assert.equal(chooseTransportHost([dom, ip], true, true), null);
      assert.equal(chooseTransportHost([], false), null);
    });
  });

  describe('binary ProtocolServer form', () => {
    it('is nonempty(short(host)) ‖ short(port, empty when absent) ‖ short(keyHash32)', () => {
      const a = parseSmpServer('smp://' + FP_B64 + '@smp.example,1.2.3.4');
      const b = encodeServer(a.server);
      assert.equal(toHex(b), '02' + '0b' + Buffer.from('smp.example').toString('hex') + '07' + Buffer.from('1.2.3.4').toString('hex') + '00' + '20' + FP.fingerprint);
      assert.deepEqual(decodeServer(b), a.server);
      const p = parseSmpServer('smp://' + FP_B64 + '@[::1]:443').server;
      const pb = encodeServer(p);
      assert.equal(toHex(pb), '01' + '03' + Buffer.from('::1').toString('hex') + '03' + Buffer.from('443').toString('hex') + '20' + FP.fingerprint);
      assert.deepEqual(decodeServer(pb), p);
      // Upstream writes IPv6 bare; one ending in dotted IPv4 is still read back.
      const m = parseSmpServer('smp://' + FP_B64 + '@[::ffff:1.2.3.4]').server;
      const mb = encodeServer(m);
      assert.equal(toHex(mb.subarray(0, 16)), '01' + '0e' + Buffer.from('::ffff:1.2.3.4').toString('hex'));
      assert.deepEqual(decodeServer(mb), m);
    });

    it('refuses malformed or non-canonical fields', () => {
      const fp = '20' + FP.fingerprint;
      const h = (s: string): string => Buffer.from(s).toString('hex');
      expectDecodeError(() => decodeServer(hex('00' + '00' + fp)), 'invalid-value'); // no hosts
      expectDecodeError(() => decodeServer(hex('01' + '00' + '00' + fp)), 'invalid-value'); // empty host
      expectDecodeError(() => decodeServer(hex('01' + '08' + h('01.2.3.4') + '00' + fp)), 'invalid-value');
      expectDecodeError(() => decodeServer(hex('01' + '05' + h('[::1]') + '00' + fp)), 'invalid-value');
      expectDecodeError(() => decodeServer(hex('01' + '05' + h('a b.c') + '00' + fp)), 'invalid-value');
      expectDecodeError(() => decodeServer(hex('01' + '01' + h('a') + '04' + h('0443') + fp)), 'invalid-value');
      expectDecodeError(() => decodeServer(hex('01' + '01' + h('a') + '05' + h('https') + fp)), 'invalid-value');
      expectDecodeError(() => decodeServer(hex('01' + '01' + h('a') + '05' + h('65536') + fp)), 'invalid-value');
      expectDecodeError(() => decodeServer(hex('01' + '01' + h('a') + '00' + '1f' + FP.fingerprint.slice(2))), 'invalid-value');
      expectDecodeError(() => decodeServer(hex('01' + '01' + h('a') + '00' + fp.slice(0, -2))), 'truncated');
    });

    it('refuses to encode what the peer could not read', () => {
      const good = parseSmpServer('smp://' + FP_B64 + '@smp.example').server;
      expectEncodeError(() => encodeServer({ ...good, keyHash: new Uint8Array(31) }), 'invalid-value');
      expectEncodeError(() => encodeServer({ ...good, hosts: [] }), 'invalid-value');
      expectEncodeError(() => encodeServer({ ...good, hosts: [{ kind: 'domain', host: 'bad host' }] }), 'invalid-value');
      expectEncodeError(() => encodeServer({ ...good, hosts: [{ kind: 'ipv4', host: 'smp.example' }] }), 'invalid-value');
      expectEncodeError(() => encodeServer({ ...good, port: 70000 }), 'invalid-value');
      expectEncodeError(() => printSmpServer(good, 'bad pass'), 'invalid-value');
    });
  });

  it('basic auth character rules (BasicAuth: printable, not space, "@", ":" or "/")', () => {
    assert.ok(isValidBasicAuth('abc-XYZ_012.~!#$%^&*()+={}[]|;<>?,"\''));
    for (const bad of ['', 'a b', 'a@b', 'a:b', 'a/b', 'a\tb', 'ä', '\x7f']) assert.ok(!isValidBasicAuth(bad), JSON.stringify(bad));
  });

  it('fuzz: garbage text gives AddressErrors only; garbage bytes DecodeErrors only', () => {
    const rng = prng(0xadd7);
    const alphabet = 'smp:/@[],.:#;0123456789abcdefABCDEF-_=onion ' + FP_B64;
    const seeds = ['smp://' + FP_B64 + ':pw@a.b,[::1],x.onion:5223', 'smp://' + FP_B64 + '@1.2.3.4'];
    for (let i = 0; i < 3000; i++) {
      let text: string;
      if (i % 2 === 0) {
        text = '';
        const n = randomInt(rng, 60);
        for (let k = 0; k < n; k++) text += alphabet.charAt(randomInt(rng, alphabet.length));
      } else {
        const chars = seeds[i % 4 === 1 ? 0 : 1].split('');
        for (let k = 0; k < 1 + randomInt(rng, 3); k++) chars[randomInt(rng, chars.length)] = alphabet.charAt(randomInt(rng, alphabet.length));
        text = chars.join('');
      }
      try {
        const a = parseSmpServer(text);
        // Whatever parses prints and re-parses to the same server.
        assert.deepEqual(parseSmpServer(printSmpServer(a.server, a.basicAuth)), a);
      } catch (e) {
        assert.ok(e instanceof AddressError, JSON.stringify(text) + ' threw ' + String(e));
      }
      const bytes = i % 2 === 0 ? randomBytes(rng, randomInt(rng, 80)) : encodeServer(parseSmpServer(seeds[1]).server).map((b) => (randomInt(rng, 10) === 0 ? randomInt(rng, 256) : b));
      onlyDecodeErrors(() => decode(bytes, readProtocolServer), 'readProtocolServer');
    }
  });
});
