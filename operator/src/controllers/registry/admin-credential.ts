// The registry's admin identity: the operator's credential for the admin API
// (repository status and deletes for Repository objects) and a break-glass login
// for people (`kubectl get secret <registry>-admin`). The password lives only in
// the Secret; the config carries its scrypt hash, read back from the Secret so the
// config (and its hash) stays the same across reconciles.
import { randomBytes } from 'node:crypto';
import { hashSecret } from '#contract/auth/secret-hash.js';
import { ROBOT_SCRYPT } from '../access-policy/credentials.js';

export const ADMIN_USERNAME = 'admin';

export interface AdminCredential {
  username: string;
  password: string;
  /** What the registry verifies against (auth.admin.passwordHash). */
  passwordHash: string;
}

/** 256 random bits: a low scrypt cost suffices, as for robots (see access-policy/credentials). */
export async function generateAdminCredential(): Promise<AdminCredential> {
  const password = randomBytes(32).toString('base64url');
  return { username: ADMIN_USERNAME, password, passwordHash: await hashSecret(password, ROBOT_SCRYPT) };
}

export function adminCredentialFromSecret(secret: { data?: Record<string, string> } | undefined): AdminCredential | undefined {
  const get = (k: string) => (secret?.data?.[k] ? Buffer.from(secret.data[k], 'base64').toString('utf8') : undefined);
  const username = get('username');
  const password = get('password');
  const passwordHash = get('passwordHash');
  return username && password && passwordHash ? { username, password, passwordHash } : undefined;
}

export function adminSecretData(cred: AdminCredential): Record<string, string> {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return { username: b64(cred.username), password: b64(cred.password), passwordHash: b64(cred.passwordHash) };
}
