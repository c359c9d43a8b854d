// Trusted public keys (PEM, from Secrets) and the signature check for each key
// type cosign signs with: ECDSA P-256/384/521 (SHA-256/384/512, DER or raw
// r||s signatures), RSA PKCS#1 v1.5 or PSS with SHA-256, and Ed25519.
import { createHash, createPublicKey, verify, constants, type KeyObject } from 'node:crypto';

export interface TrustedKey {
  /** The name policies refer to (Registry.spec.security.trust.keys[].name). */
  readonly name: string;
  readonly key: KeyObject;
  /** base64(sha256(SPKI DER)): what sigstore bundles put in publicKey.hint. */
  readonly hint: string;
}

export function trustedKey(name: string, pem: string | Buffer): TrustedKey {
  const key = createPublicKey(pem);
  if (key.type !== 'public') throw new Error(`trusted key ${name} is not a public key`);
  const spki = key.export({ type: 'spki', format: 'der' });
  return { name, key, hint: createHash('sha256').update(spki).digest('base64') };
}

const ECDSA_HASH: Record<string, string> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

/** Whether `signature` over `data` verifies with `key`. Never throws: a malformed signature is a failed one. */
export function verifyWithKey(key: KeyObject, data: Buffer, signature: Buffer): boolean {
  try {
    const type = key.asymmetricKeyType;
    if (type === 'ed25519') return verify(null, data, key, signature);
    if (type === 'ec') {
      const hash = ECDSA_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!hash) return false;
      return verify(hash, data, key, signature) || verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    }
    if (type === 'rsa') {
      return verify('sha256', data, key, signature)
        || verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, signature);
    }
    return false;
  } catch {
    return false;
  }
}
