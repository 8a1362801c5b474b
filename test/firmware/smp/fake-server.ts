/**
 * An in-process SMP server for the transport tests: node:tls on 127.0.0.1 configured like the
 * reference router (smp.md §3.1), doing the server's half of §4 and §5 with the firmware's own
 * encoders (hellos, signed key, blocks, block cipher with role 'server'), plus hooks to break
 * each rule the client checks.
 *
 * Its honest path computes everything from first principles on its side of the socket: the
 * session id is its real tls-unique (getPeerFinished), the session key is signed with the TLS
 * leaf's private key, and the block-cipher secret is X25519(server private, client hello key).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { ed448 } from '@noble/curves/ed448.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import * as tls from 'node:tls';
import type { Crypto } from '../../../hal/crypto';
import { createNodeCrypto } from '../../../hal/node/crypto';
import { createNodeRandom } from '../../../hal/node/random';
import { sbEncryptNoPad } from '../../../firmware/crypto/box';
import { concatBytes } from '../../../firmware/encoding/bytes';
import type { VersionRange } from '../../../firmware/encoding/binary';
import type { SmpServer } from '../../../firmware/smp/address';
import { decryptBlock, encryptBlock, initBlockCipher, type BlockCipher } from '../../../firmware/smp/block-cipher';
import { encodeCommand } from '../../../firmware/smp/commands';
import { decodeClientHello, encodeServerHello, isVersionInRange, type ClientHello } from '../../../firmware/smp/handshake';
import { encodeResponse } from '../../../firmware/smp/responses';
import {
  decodeBatch,
  decodeBlock,
  encodeBatch,
  encodeBlock,
  encodeTransmission,
  parseTransmission,
  SMP_BLOCK_SIZE,
  supportedServerSMPRelayVRange,
  type RawTransmission,
} from '../../../firmware/smp/transmission';
import { buildCertificate, encodeSignedKey, keyIdentifier, type SignatureAlgorithm } from '../../../firmware/x509/certificate';
import { pem, privateKeyPem } from '../../hal/node/tls-chain';

// ---------------------------------------------------------------------------------------------
// Certificate chains of any length

export interface Signer {
  alg: SignatureAlgorithm;
  seed: Uint8Array;
  raw: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

export function makeSigner(alg: SignatureAlgorithm): Signer {
  const seed = new Uint8Array(randomBytes(alg === 'ed25519' ? 32 : 57));
  const curve = alg === 'ed25519' ? ed25519 : ed448;
  return { alg, seed, raw: curve.getPublicKey(seed), sign: (m) => curve.sign(m, seed) };
}

export interface ServerChain {
  alg: SignatureAlgorithm;
  /** DER, leaf first, as the server sends them in TLS. */
  certs: Uint8Array[];
  /** The leaf's key: TLS signs with it and so does the honest server hello. */
  leaf: Signer;
  /** The leaf private key as node:tls wants it. */
  keyPem: string;
  /** The address fingerprint a client needs: SHA-256 of the identity certificate (index 1, or the unsent issuer of a 1-certificate chain). */
  keyHash: Uint8Array;
}

export interface ChainOptions {
  /** How many certificates the server presents (SMP accepts 2..4). */
  length?: number;
  /** Sign the leaf with a stranger's key while still naming the identity certificate as its issuer. */
  leafSignedByStranger?: boolean;
  /** Sign the leaf with the identity key but name another issuer in it. */
  leafIssuerName?: string;
  /** Make the identity certificate an end-entity (CA:FALSE) certificate that still signs the leaf. */
  identityNotCA?: boolean;
}

let serial = 1;

function certificate(alg: SignatureAlgorithm, subject: Signer, subjectName: string, issuer: Signer, issuerName: string, isCA: boolean, signWith: Signer): Uint8Array {
  const now = Date.now();
  const subjectKey = { alg, raw: subject.raw };
  const issuerKey = { alg, raw: issuer.raw };
  return buildCertificate({
    serial: new Uint8Array([0x30, (serial >> 8) & 0xff, serial++ & 0xff]),
    signatureAlgorithm: alg,
    issuer: { commonName: issuerName, organization: 'SimpleX' },
    subject: { commonName: subjectName, organization: isCA ? 'SimpleX' : null },
    notBefore: now - 60000,
    notAfter: now + 999999 * 86400000,
    publicKey: subjectKey,
    isCA,
    subjectKeyId: keyIdentifier(sha256, subjectKey),
    authorityKeyId: keyIdentifier(sha256, issuerKey),
    sign: signWith.sign,
  });
}

/**
 * [leaf, identity, operator..., root]: each certificate issued and signed by the next one, the
 * last self-signed. A 1-certificate chain is a leaf whose issuer is not sent.
 */
export function makeServerChain(alg: SignatureAlgorithm, options: ChainOptions = {}): ServerChain {
  const length = options.length ?? 2;
  const names: string[] = ['127.0.0.1', 'SMP server CA'];
  for (let i = 2; i < Math.max(length, 2); i++) names.push('SMP operator ' + i);
  const signers: Signer[] = names.map(() => makeSigner(alg));
  const top = names.length - 1;
  const certs: Uint8Array[] = [];
  for (let i = 0; i <= top; i++) {
    const issuer = i === top ? i : i + 1;
    const signWith = i === 0 && options.leafSignedByStranger ? makeSigner(alg) : signers[issuer];
    const issuerName = i === 0 && options.leafIssuerName !== undefined ? options.leafIssuerName : names[issuer];
    const isCA = i > 0 && !(i === 1 && options.identityNotCA);
    certs.push(certificate(alg, signers[i], names[i], signers[issuer], issuerName, isCA, signWith));
  }
  return {
    alg,
    certs: certs.slice(0, length),
    leaf: signers[0],
    keyPem: privateKeyPem(alg, signers[0].seed),
    keyHash: new Uint8Array(sha256(certs[1])),
  };
}

// ---------------------------------------------------------------------------------------------
// The server

export interface FakeServerOptions {
  chain: ServerChain;
  /** ALPN protocols the server accepts; [] configures none (then none is selected). Default: the router's list. */
  alpn?: string[];
  /** The range in the server hello. Default 6..18. */
  versionRange?: VersionRange;
  /** false: never send a hello. */
  sendHello?: boolean;
  /** The chain put in the hello; null leaves certChainPubKey out. Default: the TLS chain. */
  helloChain?: Uint8Array[] | null;
  /** Replaces the hello's session id (default: the real tls-unique). */
  sessionId?: (tlsUnique: Uint8Array) => Uint8Array;
  /** Signs the session key; default: the TLS leaf key. */
  signSessionKey?: (signed: Uint8Array) => Uint8Array;
  /** Replaces the signed-key DER altogether. */
  signedKeyDer?: Uint8Array;
  /** Replaces the whole hello block (sent as is). */
  helloBlock?: Uint8Array;
  /** Rewrites the honest hello's content (e.g. truncates it) before it is put in a block. */
  helloTransform?: (content: Uint8Array) => Uint8Array;
  /** Bytes written right after the hello, in the same write (so in the same TLS record as its end). */
  afterHello?: Uint8Array;
  /** Writes the hello block in two writes, the second starting at this offset. */
  helloSplitAt?: number;
}

export interface FakeSession {
  readonly socket: tls.TLSSocket;
  readonly tlsUnique: Uint8Array;
  /** The client hello block's content, byte for byte, and its parse. */
  helloContent: Uint8Array | null;
  clientHello: ClientHello | null;
  version: number;
  cipher: BlockCipher | null;
  /** Every transmission received after the hellos, parsed for the negotiated version. */
  readonly received: RawTransmission[];
  /** Blocks received after the hellos, and how many transmissions each carried. */
  readonly batchSizes: number[];
  /** Bytes received that did not make a whole block. */
  partial: number;
  closed: boolean;
  /** The server's X25519 hello key (public half), as signed in its hello. */
  readonly dhPublicKey: Uint8Array;
  /** X25519 of the server's and the client's hello keys, when the client sent one. */
  helloSecret: Uint8Array | null;
  /** Anything the server could not process (a test fails when this is not empty). */
  readonly errors: string[];
  /** One block of content, encrypted when the session is (advancing the chain), else plain. */
  sendContent(content: Uint8Array): void;
  sendTransmissions(transmissions: Uint8Array[]): void;
  /** A block's worth of random bytes that still advances the server's send chain. */
  sendGarbageBlock(): void;
  /** An encrypted block whose padded plaintext declares `declaredLength` content bytes. */
  sendBadPaddingBlock(declaredLength: number): void;
  write(bytes: Uint8Array): void;
  /** A PONG transmission answering `corrId` in this session's layout. */
  pong(corrId: Uint8Array): Uint8Array;
  end(): void;
}

export interface FakeServer {
  readonly port: number;
  readonly sessions: FakeSession[];
  /** The address a client connects to: 127.0.0.1, this port, the chain's fingerprint. */
  readonly address: SmpServer;
  close(): Promise<void>;
}

const serverCrypto: Crypto = createNodeCrypto(createNodeRandom());
const EMPTY = new Uint8Array(0);
/** PING has the same bytes at every version. */
const PING = Buffer.from(encodeCommand(18, { type: 'PING' }));

export async function startFakeServer(options: FakeServerOptions): Promise<FakeServer> {
  const chain = options.chain;
  const alpn = options.alpn ?? ['smp/1', 'h2', 'http/1.1'];
  const tlsOptions: tls.TlsOptions = {
    key: chain.keyPem,
    cert: chain.certs.map((der) => pem('CERTIFICATE', der)).join(''),
    minVersion: 'TLSv1.3',
    ciphers: 'TLS_CHACHA20_POLY1305_SHA256',
    ecdhCurve: 'X448:X25519',
    sigalgs: 'ed448:ed25519',
    requestCert: true,
    rejectUnauthorized: false,
  };
  if (alpn.length > 0) tlsOptions.ALPNProtocols = alpn;
  const sessions: FakeSession[] = [];
  const tcp: Socket[] = [];
  const server = tls.createServer(tlsOptions);
  server.on('tlsClientError', () => undefined);
  server.on('connection', (s: Socket) => tcp.push(s));
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    socket.on('error', () => undefined);
    sessions.push(runSession(socket, options));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    sessions,
    address: { hosts: [{ kind: 'ipv4', host: '127.0.0.1' }], port, keyHash: chain.keyHash },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of tcp) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function runSession(socket: tls.TLSSocket, options: FakeServerOptions): FakeSession {
  const chain = options.chain;
  const range = options.versionRange ?? supportedServerSMPRelayVRange;
  const finished = socket.getPeerFinished();
  if (finished === undefined) throw new Error('no tls-unique on the server side');
  const tlsUnique = new Uint8Array(finished);
  const dhKey = serverCrypto.x25519KeyPair();
  let pending: Uint8Array = new Uint8Array(0);

  const session: FakeSession = {
    socket,
    tlsUnique,
    helloContent: null,
    clientHello: null,
    version: 0,
    cipher: null,
    received: [],
    batchSizes: [],
    partial: 0,
    closed: false,
    dhPublicKey: dhKey.publicKey,
    helloSecret: null,
    errors: [],
    sendContent(content) {
      session.write(session.cipher !== null ? encryptBlock(serverCrypto, session.cipher.send, content) : encodeBlock(content));
    },
    sendTransmissions(ts) {
      session.sendContent(encodeBatch(ts));
    },
    sendGarbageBlock() {
      if (session.cipher !== null) encryptBlock(serverCrypto, session.cipher.send, EMPTY);
      session.write(new Uint8Array(randomBytes(SMP_BLOCK_SIZE)));
    },
    sendBadPaddingBlock(declaredLength) {
      const cipher = session.cipher;
      if (cipher === null) throw new Error('sendBadPaddingBlock needs block encryption');
      // The chain step, written out here rather than borrowed from block-cipher.ts, so the
      // client's decryption is checked against an independent derivation.
      const out = serverCrypto.hkdfSha512(EMPTY, cipher.send.chainKey, new TextEncoder().encode('SimpleXSbChain'), 88);
      cipher.send.chainKey = out.slice(0, 32);
      const padded = new Uint8Array(SMP_BLOCK_SIZE - 16).fill(0x23);
      padded[0] = declaredLength >> 8;
      padded[1] = declaredLength & 0xff;
      session.write(sbEncryptNoPad(serverCrypto, out.slice(32, 64), out.slice(64, 88), padded));
    },
    write(bytes) {
      if (!socket.destroyed) socket.write(Buffer.from(bytes));
    },
    pong(corrId) {
      return encodeTransmission(
        { version: session.version, sessionId: tlsUnique },
        { authorization: EMPTY, corrId, entityId: EMPTY, command: encodeResponse(session.version, { type: 'PONG' }) },
      );
    },
    end() {
      socket.end();
    },
  };

  socket.on('close', () => {
    session.closed = true;
  });
  socket.on('data', (data: Buffer) => {
    pending = concatBytes([pending, new Uint8Array(data)]);
    while (pending.length >= SMP_BLOCK_SIZE) {
      const block = pending.subarray(0, SMP_BLOCK_SIZE);
      pending = pending.slice(SMP_BLOCK_SIZE);
      try {
        onBlock(block);
      } catch (e) {
        session.errors.push(e instanceof Error ? e.name + ': ' + e.message : String(e));
        socket.destroy();
        return;
      }
    }
    session.partial = pending.length;
  });

  function onBlock(block: Uint8Array): void {
    if (session.helloContent === null) {
      session.helloContent = new Uint8Array(decodeBlock(block));
      const hello = decodeClientHello(session.helloContent);
      session.clientHello = hello;
      // The reference server drops the connection silently on a wrong fingerprint or version.
      if (Buffer.compare(Buffer.from(hello.keyHash), Buffer.from(chain.keyHash)) !== 0 || !isVersionInRange(hello.version, range)) {
        socket.destroy();
        return;
      }
      session.version = hello.version;
      if (hello.authPubKey !== null) session.helloSecret = serverCrypto.x25519(dhKey.privateKey, hello.authPubKey.raw);
      if (hello.version >= 11 && hello.authPubKey !== null && !hello.proxyServer) {
        session.cipher = initBlockCipher(serverCrypto, tlsUnique, serverCrypto.x25519(dhKey.privateKey, hello.authPubKey.raw), 'server');
      }
      return;
    }
    let content: Uint8Array;
    if (session.cipher !== null) {
      const opened = decryptBlock(serverCrypto, session.cipher.receive, block);
      if (opened === null) throw new Error('fake server: a client block did not decrypt');
      content = opened;
    } else {
      content = decodeBlock(block);
    }
    const items = decodeBatch(content);
    session.batchSizes.push(items.length);
    const replies: Uint8Array[] = [];
    for (const item of items) {
      const t = parseTransmission({ version: session.version, sessionId: tlsUnique }, item);
      session.received.push(t);
      if (Buffer.from(t.command).equals(PING)) replies.push(session.pong(t.corrId));
    }
    // Answers go back as the reference server batches them: as many per block as fit.
    while (replies.length > 0) session.sendTransmissions(replies.splice(0, 200));
  }

  if (options.sendHello !== false) {
    let helloBlock = options.helloBlock;
    if (helloBlock === undefined) {
      const helloChain = options.helloChain === undefined ? chain.certs : options.helloChain;
      const signedKey = options.signedKeyDer ?? encodeSignedKey(dhKey.publicKey, chain.alg, options.signSessionKey ?? chain.leaf.sign);
      const content = encodeServerHello({
        versionRange: range,
        sessionId: options.sessionId ? options.sessionId(tlsUnique) : tlsUnique,
        certChainPubKey: helloChain === null ? null : { certChain: helloChain, signedKey },
      });
      helloBlock = encodeBlock(options.helloTransform ? options.helloTransform(content) : content);
    }
    const split = options.helloSplitAt ?? 0;
    if (split > 0) session.write(helloBlock.subarray(0, split));
    const rest = helloBlock.subarray(split);
    session.write(options.afterHello ? concatBytes([rest, options.afterHello]) : rest);
  }
  return session;
}
