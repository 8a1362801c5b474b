import type { Crypto } from '../../hal/crypto';
import { equalBytes } from '../encoding/bytes';
import { DerError } from '../x509/der';
import {
  CertificateError,
  KEY_USAGE_KEY_CERT_SIGN,
  isIssuedBy,
  parseCertificate,
  parseSignedKey,
  verifyCertificateSignature,
  verifySignedKey,
  type Certificate,
  type SignedKey,
  type SubjectPublicKey,
} from '../x509/certificate';
import type { CertChainPubKey } from './handshake';
import { SmpTransportError } from './transport-api';

/**
 * Who the server is (smp.md §3.4-§3.6, §4.2): the checks that tie a TLS connection to the
 * fingerprint in an SMP address, and the server hello's session key to that connection.
 *
 * The fingerprint pins the identity certificate (chain[1]); everything else has to hang off it
 * by signatures, because TLS itself verified nothing (SMP routers are self-signed, hal/net.ts).
 * Without the signature checks, anyone holding a copy of the public identity certificate could
 * present it next to a leaf of their own.
 */

/** SMP chains are [leaf, identity] plus up to two certificates above the identity (smp.md §3.4). */
export const MIN_CHAIN_LENGTH = 2;
export const MAX_CHAIN_LENGTH = 4;

/**
 * Checks the chain the server presented in TLS, leaf first, against the address fingerprint and
 * returns the leaf certificate's public key (the key the hello's session key must be signed with).
 *
 * Throws SmpTransportError:
 * - 'bad-chain': not 2..4 certificates; a certificate that does not parse; a certificate not
 *   issued and signed by the next one; an issuer that is not a CA; a leaf that is not X.509 v3;
 * - 'unknown-ca': SHA-256 of chain[1]'s DER differs from `keyHash`.
 *
 * Like the reference client (crypton-x509-validation defaults with the chain's last certificate
 * as the only trust anchor), every link up to the anchor is checked. Validity dates are not: the
 * device may not know the time before NTP, and the identity certificate is pinned anyway.
 */
export function verifyServerChain(crypto: Crypto, chain: readonly Uint8Array[], keyHash: Uint8Array): SubjectPublicKey {
  const n = chain.length;
  if (n < MIN_CHAIN_LENGTH || n > MAX_CHAIN_LENGTH) {
    throw new SmpTransportError(
      'bad-chain',
      'the server presented ' + n + ' certificate' + (n === 1 ? '' : 's') + '; an SMP server presents ' + MIN_CHAIN_LENGTH + ' to ' + MAX_CHAIN_LENGTH +
        ' (server certificate, identity certificate, optional operator certificates)',
    );
  }
  // The pin comes first: a server that is not the one in the address learns nothing from which
  // later rule its chain would have broken.
  if (!equalBytes(crypto.sha256(chain[1]), keyHash)) {
    throw new SmpTransportError('unknown-ca', "the server's identity certificate does not match the fingerprint in the server address");
  }
  const certs: Certificate[] = [];
  for (let i = 0; i < n; i++) certs.push(parseChainCertificate(chain[i], i));
  if (certs[0].version !== 3) {
    throw new SmpTransportError('bad-chain', 'the server certificate is X.509 v' + certs[0].version + ', not v3');
  }
  for (let i = 0; i + 1 < n; i++) {
    const cert = certs[i];
    const issuer = certs[i + 1];
    if (!issuer.isCA) throw new SmpTransportError('bad-chain', 'certificate ' + (i + 1) + ' of the chain is not a CA certificate but issues certificate ' + i);
    if (issuer.keyUsage >= 0 && (issuer.keyUsage & KEY_USAGE_KEY_CERT_SIGN) === 0) {
      throw new SmpTransportError('bad-chain', 'certificate ' + (i + 1) + ' of the chain may not sign certificates (keyUsage lacks keyCertSign)');
    }
    if (!isIssuedBy(cert, issuer)) {
      throw new SmpTransportError('bad-chain', 'certificate ' + i + ' of the chain names a different issuer than certificate ' + (i + 1));
    }
    if (!verifyCertificateSignature(crypto, cert, issuer.publicKey)) {
      throw new SmpTransportError('bad-chain', 'certificate ' + i + ' of the chain is not signed by certificate ' + (i + 1));
    }
  }
  return certs[0].publicKey;
}

/**
 * Checks the server hello's certChainPubKey against the TLS connection and returns the server's
 * raw 32-byte X25519 session key (a fresh copy).
 *
 * The hello's chain must be the TLS chain, certificate for certificate: the reference server
 * sends the same one, and a different chain here would be a second identity claim nobody checks.
 * The session key must be signed by the TLS leaf key (`leafKey` from verifyServerChain), which
 * binds it to this TLS session.
 *
 * Throws SmpTransportError 'bad-chain' (the chains differ) or 'bad-signed-key' (the signed key
 * does not parse or its signature does not verify).
 */
export function verifyHelloSessionKey(crypto: Crypto, hello: CertChainPubKey, tlsChain: readonly Uint8Array[], leafKey: SubjectPublicKey): Uint8Array {
  const helloChain = hello.certChain;
  let same = helloChain.length === tlsChain.length;
  for (let i = 0; same && i < helloChain.length; i++) same = equalBytes(helloChain[i], tlsChain[i]);
  if (!same) throw new SmpTransportError('bad-chain', 'the certificate chain in the server hello differs from the one the server presented in TLS');
  let signedKey: SignedKey;
  try {
    signedKey = parseSignedKey(hello.signedKey);
  } catch (e) {
    if (e instanceof DerError || e instanceof CertificateError) {
      throw new SmpTransportError('bad-signed-key', "the server hello's signed session key is malformed: " + e.message);
    }
    throw e;
  }
  if (!verifySignedKey(crypto, signedKey, leafKey)) {
    throw new SmpTransportError('bad-signed-key', "the server hello's session key is not signed by the server certificate's key");
  }
  return new Uint8Array(signedKey.publicKey);
}

function parseChainCertificate(der: Uint8Array, index: number): Certificate {
  try {
    return parseCertificate(der);
  } catch (e) {
    if (e instanceof DerError || e instanceof CertificateError) {
      throw new SmpTransportError('bad-chain', 'certificate ' + index + ' of the chain is malformed: ' + e.message);
    }
    throw e;
  }
}
