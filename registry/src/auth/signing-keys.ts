// Token signing keys from PEM files (EC P-256/P-384, RSA, Ed25519). The first
// key signs; every key verifies, so a rotated-out key keeps validating the tokens
// it signed until they expire.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function algorithmFor(key: KeyObject): string {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return 'ES256';
      if (curve === 'secp384r1') return 'ES384';
      throw new Error(`unsupported EC curve ${curve}`);
    }
    case 'rsa':
      return 'RS256';
    case 'ed25519':
      return 'EdDSA';
    default:
      throw new Error(`unsupported key type ${key.asymmetricKeyType}`);
  }
}

export function signingKeyFromPem(kid: string, pem: string | Buffer): SigningKey {
  const privateKey = createPrivateKey(pem);
  return { kid, alg: algorithmFor(privateKey), privateKey, publicKey: createPublicKey(privateKey) };
}

export async function loadSigningKeys(entries: readonly { kid: string; privateKeyFile: string }[]): Promise<SigningKey[]> {
  return Promise.all(entries.map(async ({ kid, privateKeyFile }) => {
    try {
      return signingKeyFromPem(kid, await readFile(privateKeyFile));
    } catch (err) {
      throw new Error(`auth.signingKeys ${kid} (${privateKeyFile}): ${(err as Error).message}`);
    }
  }));
}

/** A throwaway P-256 key for `npm start` without configured keys (tokens die with the process). */
export function ephemeralSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `ephemeral-${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url').slice(0, 12)}`;
  return { kid, alg: 'ES256', privateKey, publicKey };
}
