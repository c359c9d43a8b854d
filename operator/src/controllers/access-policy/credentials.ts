// Robot secrets: 256 random bits, shown only to the namespace pull secret. The
// registry's policy file gets a salted scrypt hash; the operator's state keeps a
// SHA-256 digest to recognise the secret in a pull secret again without paying
// scrypt. With 256-bit random secrets neither can be reversed or guessed, which
// is also why a low scrypt cost is enough here (it protects low-entropy
// passwords, not random keys) and keeps 1,000 namespaces fast to mint for.
import { createHash, randomBytes } from 'node:crypto';
import { hashSecret } from '#contract/auth/secret-hash.js';

export const ROBOT_SCRYPT = { N: 256, r: 8, p: 1 } as const;

export interface StoredSecret {
  /** Random, non-secret handle (logged and shown in events instead of the secret). */
  id: string;
  /** hex SHA-256 of the secret. */
  digest: string;
  /** What the registry verifies against. */
  hash: string;
  createdAt: string;
  /** When a pull secret first held it; later secrets replace earlier ones. */
  activatedAt?: string;
  /** Set when a successor is activated: the registry refuses it from then on. */
  expiresAt?: string;
}

export interface Minted {
  stored: StoredSecret;
  password: string;
}

export function digestOf(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('hex');
}

export async function mintSecret(now: Date): Promise<Minted> {
  const password = randomBytes(32).toString('base64url');
  const hash = await hashSecret(password, ROBOT_SCRYPT);
  return { password, stored: { id: randomBytes(6).toString('hex'), digest: digestOf(password), hash, createdAt: now.toISOString() } };
}
