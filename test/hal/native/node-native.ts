/**
 * A Node implementation of the native-layer contract (hal/native-api.ts), built over the
 * project's Node crypto backend (OpenSSL through node:crypto, plus the portable XSalsa20 and
 * sntrup761 code it already uses) and node:tls through the Node Net backend.
 *
 * It exists so that the contract has a reference implementation in CI: the conformance suite
 * (conformance.ts) runs against it, and the hal/espruino adapters run on Node over it. It models
 * a board without a camera (camera: null), like the T-Deck Plus.
 *
 * Argument checks follow the contract: a wrong size or type throws a plain Error naming the
 * function, exactly what a C jswrap function does with jsExceptionHere.
 */
import { createHmac, hkdfSync, pbkdf2Sync, randomFillSync } from 'node:crypto';
import { CryptoError } from '../../../hal/crypto';
import type { Crypto } from '../../../hal/crypto';
import {
  NATIVE_API_VERSION,
  NATIVE_MAX_RANDOM_BYTES,
  SNTRUP761_ENC_RANDOM_BYTES,
} from '../../../hal/native-api';
import type {
  NativeApi,
  NativeCloseCode,
  NativeHash,
  NativeKemKeyPair,
  NativeTlsConnection,
  NativeTlsEvents,
} from '../../../hal/native-api';
import { NetError } from '../../../hal/net';
import type { NetErrorCode, TlsSocket } from '../../../hal/net';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createNodeNet } from '../../../hal/node/net';
import { createNodeRandom } from '../../../hal/node/random';
import {
  sntrup761Decapsulate,
  sntrup761Encapsulate,
  sntrup761KeyPair,
} from '../../../hal/portable/sntrup761';

const X25519_BASE = new Uint8Array(32);
X25519_BASE[0] = 9;
const X448_BASE = new Uint8Array(56);
X448_BASE[0] = 5;
const ZERO16 = new Uint8Array(16);

function fail(fn: string, what: string): never {
  throw new Error(fn + ': ' + what);
}

function bytes(fn: string, name: string, v: unknown, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(fn, name + ' must be a Uint8Array');
  if (length !== undefined && v.length !== length) fail(fn, name + ' must be ' + length + ' bytes, got ' + v.length);
  return v;
}

function integer(fn: string, name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || v !== Math.floor(v) || v < min || v > max) {
    fail(fn, name + ' must be an integer in ' + min + '..' + max);
  }
  return v;
}

function hashOf(fn: string, h: unknown): NativeHash {
  if (h !== 'sha256' && h !== 'sha512') fail(fn, 'hash must be "sha256" or "sha512"');
  return h;
}

function hashLength(h: NativeHash): number {
  return h === 'sha256' ? 32 : 64;
}

/** A fresh, plain Uint8Array (node:crypto hands back Buffers that may share a pool). */
function own(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/**
 * A reader over caller-supplied randomness that reports exhaustion by throwing a private marker,
 * so the portable sntrup761 code can run unchanged and "ran out" becomes the contract's null.
 */
class RandomExhausted {}

function reader(random: Uint8Array): (n: number) => Uint8Array {
  let pos = 0;
  return (n: number): Uint8Array => {
    if (pos + n > random.length) throw new RandomExhausted();
    const out = new Uint8Array(random.subarray(pos, pos + n));
    pos += n;
    return out;
  };
}

function keyPairFrom(random: Uint8Array): NativeKemKeyPair | null {
  try {
    return sntrup761KeyPair(reader(random));
  } catch (e) {
    if (e instanceof RandomExhausted) return null;
    throw e;
  }
}

/** The raw X25519/X448 function: the Node backend refuses an all-zero result, the contract returns it. */
function rawDh(fn: string, agree: (k: Uint8Array, u: Uint8Array) => Uint8Array, size: number, k: unknown, u: unknown): Uint8Array {
  const scalar = bytes(fn, 'scalar', k, size);
  const point = bytes(fn, 'u', u, size);
  try {
    return agree(scalar, point);
  } catch (e) {
    if (e instanceof CryptoError && e.code === 'weak-key') return new Uint8Array(size);
    throw e;
  }
}

export interface NodeNativeOptions {
  /** The Crypto backend to build on; defaults to the Node backend over the OS random source. */
  crypto?: Crypto;
}

export function createNodeNative(options: NodeNativeOptions = {}): NativeApi {
  const c = options.crypto ?? createNodeCrypto(createNodeRandom());
  const net = createNodeNet();

  const secretbox = (fn: string, key: unknown, nonce: unknown, data: unknown): [Uint8Array, Uint8Array, Uint8Array] => [
    bytes(fn, 'key', key, 32),
    bytes(fn, 'nonce', nonce, 24),
    bytes(fn, 'data', data),
  ];

  function boxKey(fn: string, publicKey: unknown, privateKey: unknown): Uint8Array {
    const shared = rawDh(fn, c.x25519, 32, privateKey, publicKey);
    let zero = 0;
    for (let i = 0; i < shared.length; i++) zero |= shared[i];
    if (zero === 0) fail(fn, 'low-order public key');
    return c.hsalsa20(shared, ZERO16);
  }

  return {
    apiVersion: NATIVE_API_VERSION,
    camera: null,

    randomBytes(n: number): Uint8Array {
      const out = new Uint8Array(integer('randomBytes', 'n', n, 0, NATIVE_MAX_RANDOM_BYTES));
      randomFillSync(out);
      return out;
    },

    sha256: (data) => c.sha256(bytes('sha256', 'data', data)),
    sha512: (data) => c.sha512(bytes('sha512', 'data', data)),
    sha3_256: (data) => c.sha3_256(bytes('sha3_256', 'data', data)),
    sha3_384: (data) => c.sha3_384(bytes('sha3_384', 'data', data)),
    hmac(hash, key, data) {
      const h = hashOf('hmac', hash);
      return own(createHmac(h, bytes('hmac', 'key', key)).update(bytes('hmac', 'data', data)).digest());
    },
    hkdf(hash, salt, ikm, info, length) {
      const h = hashOf('hkdf', hash);
      integer('hkdf', 'length', length, 1, 255 * hashLength(h));
      bytes('hkdf', 'salt', salt);
      bytes('hkdf', 'ikm', ikm);
      bytes('hkdf', 'info', info);
      if (h === 'sha512') return c.hkdfSha512(salt, ikm, info, length);
      if (info.length > 1024) fail('hkdf', 'info longer than 1024 bytes');
      return new Uint8Array(hkdfSync('sha256', ikm, salt, info, length));
    },
    pbkdf2(hash, password, salt, iterations, length) {
      const h = hashOf('pbkdf2', hash);
      integer('pbkdf2', 'iterations', iterations, 1, 10000000);
      integer('pbkdf2', 'length', length, 1, 1024);
      return own(pbkdf2Sync(bytes('pbkdf2', 'password', password), bytes('pbkdf2', 'salt', salt), iterations, length, h));
    },

    x25519: (scalar, u) => rawDh('x25519', c.x25519, 32, scalar, u),
    x448: (scalar, u) => rawDh('x448', c.x448, 56, scalar, u),

    ed25519PublicKey: (seed) => c.ed25519PublicKey(bytes('ed25519PublicKey', 'seed', seed, 32)),
    ed25519Sign: (seed, message) =>
      c.ed25519Sign(bytes('ed25519Sign', 'seed', seed, 32), bytes('ed25519Sign', 'message', message)),
    ed25519Verify(publicKey, message, signature) {
      if (!(publicKey instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
      return c.ed25519Verify(publicKey, bytes('ed25519Verify', 'message', message), signature);
    },
    ed448PublicKey: (seed) => c.ed448PublicKey(bytes('ed448PublicKey', 'seed', seed, 57)),
    ed448Sign: (seed, message) => c.ed448Sign(bytes('ed448Sign', 'seed', seed, 57), bytes('ed448Sign', 'message', message)),
    ed448Verify(publicKey, message, signature) {
      if (!(publicKey instanceof Uint8Array) || !(signature instanceof Uint8Array)) return false;
      return c.ed448Verify(publicKey, bytes('ed448Verify', 'message', message), signature);
    },

    aes256GcmSeal(key, iv, plaintext, aad) {
      bytes('aes256GcmSeal', 'key', key, 32);
      integer('aes256GcmSeal', 'IV length', bytes('aes256GcmSeal', 'iv', iv).length, 12, 128);
      return c.aes256GcmEncrypt(key, iv, bytes('aes256GcmSeal', 'plaintext', plaintext), bytes('aes256GcmSeal', 'aad', aad));
    },
    aes256GcmOpen(key, iv, tagAndCiphertext, aad) {
      bytes('aes256GcmOpen', 'key', key, 32);
      integer('aes256GcmOpen', 'IV length', bytes('aes256GcmOpen', 'iv', iv).length, 12, 128);
      bytes('aes256GcmOpen', 'box', tagAndCiphertext);
      return c.aes256GcmDecrypt(key, iv, tagAndCiphertext, bytes('aes256GcmOpen', 'aad', aad));
    },

    hsalsa20: (key, input) => c.hsalsa20(bytes('hsalsa20', 'key', key, 32), bytes('hsalsa20', 'input', input, 16)),
    secretboxSeal(key, nonce, plaintext) {
      const a = secretbox('secretboxSeal', key, nonce, plaintext);
      return c.xsalsa20Poly1305Seal(a[0], a[1], a[2]);
    },
    secretboxOpen(key, nonce, box) {
      const a = secretbox('secretboxOpen', key, nonce, box);
      return c.xsalsa20Poly1305Open(a[0], a[1], a[2]);
    },
    cryptoBoxSeal(publicKey, privateKey, nonce, plaintext) {
      const k = boxKey('cryptoBoxSeal', publicKey, privateKey);
      const a = secretbox('cryptoBoxSeal', k, nonce, plaintext);
      return c.xsalsa20Poly1305Seal(a[0], a[1], a[2]);
    },
    cryptoBoxOpen(publicKey, privateKey, nonce, box) {
      const k = boxKey('cryptoBoxOpen', publicKey, privateKey);
      const a = secretbox('cryptoBoxOpen', k, nonce, box);
      return c.xsalsa20Poly1305Open(a[0], a[1], a[2]);
    },
    sbSeal(key, nonce, plaintext) {
      const a = secretbox('sbSeal', key, nonce, plaintext);
      return c.xsalsa20Poly1305Seal(c.hsalsa20(a[0], ZERO16), a[1], a[2]);
    },
    sbOpen(key, nonce, box) {
      const a = secretbox('sbOpen', key, nonce, box);
      return c.xsalsa20Poly1305Open(c.hsalsa20(a[0], ZERO16), a[1], a[2]);
    },

    sntrup761KeyPair: (random) => keyPairFrom(bytes('sntrup761KeyPair', 'random', random)),
    sntrup761KeyPairAsync(random, done) {
      const input = new Uint8Array(bytes('sntrup761KeyPairAsync', 'random', random));
      if (typeof done !== 'function') fail('sntrup761KeyPairAsync', 'done must be a function');
      // Off the current call, like the device's background task; setImmediate lets pending I/O run first.
      setImmediate(() => done(keyPairFrom(input)));
    },
    sntrup761Encapsulate(publicKey, random) {
      bytes('sntrup761Encapsulate', 'public key', publicKey, 1158);
      bytes('sntrup761Encapsulate', 'random', random, SNTRUP761_ENC_RANDOM_BYTES);
      return sntrup761Encapsulate(publicKey, reader(random));
    },
    sntrup761Decapsulate: (secretKey, ciphertext) =>
      sntrup761Decapsulate(bytes('sntrup761Decapsulate', 'secret key', secretKey, 1763), bytes('sntrup761Decapsulate', 'ciphertext', ciphertext, 1039)),

    tlsConnect(host: string, port: number, alpn: string[], timeoutMs: number, events: NativeTlsEvents): NativeTlsConnection {
      if (typeof host !== 'string' || host.length === 0) fail('tlsConnect', 'host must be a non-empty string');
      integer('tlsConnect', 'port', port, 1, 65535);
      integer('tlsConnect', 'timeoutMs', timeoutMs, 1, 0x7fffffff);
      if (!Array.isArray(alpn)) fail('tlsConnect', 'alpn must be an array of strings');
      let socket: TlsSocket | null = null;
      let abandoned = false;
      let closed = false;
      const finish = (code: NativeCloseCode, message: string): void => {
        if (closed) return;
        closed = true;
        events.onClose(code, message);
      };
      net
        .connectTls(
          { host, port, alpn: alpn.slice(), timeoutMs },
          {
            onData: (data: Uint8Array) => {
              if (!closed) events.onData(data);
            },
            onClose: (error: NetError | null) => finish(error === null ? '' : (error.code as NetErrorCode), error === null ? 'closed' : error.message),
          },
        )
        .then(
          (s: TlsSocket) => {
            if (abandoned) {
              s.close();
              return;
            }
            socket = s;
            events.onOpen({
              protocol: s.protocol,
              alpn: s.alpn ?? '',
              peerCertificates: s.peerCertificates.map((der) => new Uint8Array(der)),
              tlsUnique: new Uint8Array(s.tlsUnique),
            });
          },
          (e: unknown) => {
            if (e instanceof NetError) finish(e.code as NetErrorCode, e.message);
            else finish('io', 'TLS connection to ' + host + ':' + port + ' failed');
          },
        );
      return {
        write(data: Uint8Array): void {
          bytes('write', 'data', data);
          if (socket !== null && !closed) socket.write(data);
        },
        close(): void {
          if (socket !== null) {
            socket.close();
            return;
          }
          if (abandoned || closed) return;
          // A connect still in progress: the contract still promises exactly one onClose.
          abandoned = true;
          setImmediate(() => finish('io', 'TLS connection to ' + host + ':' + port + ' closed before it was established'));
        },
      };
    },
  };
}
