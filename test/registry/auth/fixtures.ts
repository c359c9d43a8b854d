// Shared set-up for the auth tests: a work folder with signing keys, an admin
// password file and a policy file written the way the operator renders it.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import type { PolicyFile } from '#contract/auth/policy-file.js';
import { hashSecret } from '#contract/auth/secret-hash.js';

/** Cheap scrypt parameters: the tests exercise logic, not the work factor. */
export const FAST_HASH = { N: 1024, r: 8, p: 1 } as const;
export const ADMIN = { username: 'admin', password: 'admin-pass-1' } as const;
export const SERVICE = 'berth-test';
export const ISSUER = 'berth-test-issuer';

export interface KeyFile {
  readonly kid: string;
  readonly file: string;
  readonly pem: string;
}

export interface AuthWorkspace {
  readonly dir: string;
  readonly keys: KeyFile[];
  readonly policyFile: string;
  readonly adminPasswordFile: string;
  /** Writes the policy atomically (write + rename), as a ConfigMap update would land. */
  writePolicy(policy: PolicyFile | string): Promise<void>;
  config(extra?: { auth?: Partial<NonNullable<RegistryConfigInput['auth']>>; repositories?: RegistryConfigInput['repositories'] }): RegistryConfigInput;
}

export function newKeyPem(type: 'ec' | 'rsa' = 'ec'): string {
  const { privateKey } = type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export async function robot(name: string, ...secrets: { secret: string; expiresAt?: string }[]) {
  return {
    name,
    secrets: await Promise.all(secrets.map(async (s) => ({ hash: await hashSecret(s.secret, FAST_HASH), ...(s.expiresAt ? { expiresAt: s.expiresAt } : {}) }))),
  };
}

export async function authWorkspace(keyCount = 1): Promise<AuthWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-auth-'));
  const keys: KeyFile[] = [];
  for (let i = 0; i < keyCount; i++) {
    const pem = newKeyPem(i % 2 === 0 ? 'ec' : 'rsa');
    const file = join(dir, `key-${i}.pem`);
    await writeFile(file, pem);
    keys.push({ kid: `kid-${i}`, file, pem });
  }
  const adminPasswordFile = join(dir, 'admin-password');
  await writeFile(adminPasswordFile, `${ADMIN.password}\n`);
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, '{}\n');
  let n = 0;
  return {
    dir, keys, policyFile, adminPasswordFile,
    async writePolicy(policy) {
      const tmp = join(dir, `.policy-${n++}.tmp`);
      await writeFile(tmp, typeof policy === 'string' ? policy : yaml.dump(policy));
      await rename(tmp, policyFile);
    },
    config(extra = {}) {
      return {
        log: { level: 'info', accessLog: false },
        ...(extra.repositories ? { repositories: extra.repositories } : {}),
        auth: {
          enabled: true,
          service: SERVICE,
          issuer: ISSUER,
          signingKeys: keys.map((k) => ({ kid: k.kid, privateKeyFile: k.file })),
          admin: { username: ADMIN.username, passwordFile: adminPasswordFile },
          policyFile,
          ...extra.auth,
        },
      };
    },
  };
}

/** Polls until `check` passes or the deadline passes (then its last error is thrown). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
