// Registry.spec.security: the config's `security` block (scanning, the
// vulnerability database, trusted keys) and the Secrets it reads. Each trusted
// key is one key of a Secret, mounted as a folder of its own (never subPath, so
// a rotated key reaches the pod); keys only ever come from Secrets. Absent from
// the config unless the spec sets it, so a Registry without it renders (and
// hashes) as before.
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { parseDurationSeconds } from '../../api/duration.js';
import type { Registry, SecretKeySelector } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';

export const SECURITY_DIR = '/etc/berth/security';
export const DEFAULT_TRUST_KEY = 'cosign.pub';
const DEFAULT_AUTHORIZATION_KEY = 'authorization';

type Volume = { volume: Record<string, unknown>; mount: Record<string, unknown> };

const trustKeyDir = (i: number) => `${SECURITY_DIR}/trust-${i}`;
const adapterDir = `${SECURITY_DIR}/harbor-adapter`;

function seconds(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDurationSeconds(value);
  } catch (err) {
    throw new TerminalError(`spec.security.${field}: ${(err as Error).message}`);
  }
}

/** Names of the Registry's trusted keys (what requireSignature.keys and vulnDB.signedBy may name). */
export function trustKeyNames(reg: Registry): string[] {
  return (reg.spec.security?.trust?.keys ?? []).map((k) => k.name);
}

export function scanningEnabled(reg: Registry): boolean {
  return reg.spec.security?.scanning?.enabled ?? false;
}

export function securityConfig(reg: Registry): Pick<RegistryConfigInput, 'security'> {
  const sec = reg.spec.security;
  if (!sec) return {};
  const scanning = sec.scanning ?? {};
  const db = sec.vulnDB ?? {};
  const adapter = scanning.harborAdapter;
  const refresh = seconds(db.refreshInterval, 'vulnDB.refreshInterval');
  const maxAge = seconds(db.maxAge, 'vulnDB.maxAge');
  return {
    security: {
      scanning: {
        enabled: scanning.enabled ?? false,
        backend: scanning.backend ?? 'builtin',
        ...(scanning.concurrency !== undefined ? { concurrency: scanning.concurrency } : {}),
        ...(adapter ? { harborAdapter: { url: adapter.url, ...(adapter.authorizationSecretRef ? { authorizationFile: `${adapterDir}/authorization` } : {}) } } : {}),
      },
      vulnDB: {
        ...(db.repository ? { repository: db.repository } : {}),
        ...(db.tag ? { tag: db.tag } : {}),
        ...(refresh !== undefined ? { refreshIntervalSeconds: refresh } : {}),
        ...(maxAge !== undefined ? { maxAgeSeconds: maxAge } : {}),
        signedBy: db.signedBy ?? [],
      },
      trust: { keys: (sec.trust?.keys ?? []).map((k, i) => ({ name: k.name, keyFile: `${trustKeyDir(i)}/key.pem` })) },
    },
  };
}

function secretVolume(name: string, dir: string, ref: SecretKeySelector, defaultKey: string, path: string): Volume {
  return {
    volume: { name, secret: { secretName: ref.name, items: [{ key: ref.key ?? defaultKey, path }], defaultMode: 0o440 } },
    mount: { name, mountPath: dir, readOnly: true },
  };
}

/** The trusted keys' Secrets and the adapter's authorization, as volumes of the registry's pods. */
export function securityVolumes(reg: Registry): Volume[] {
  const sec = reg.spec.security;
  const out = (sec?.trust?.keys ?? []).map((k, i) => secretVolume(`trust-key-${i}`, trustKeyDir(i), k.secretRef, DEFAULT_TRUST_KEY, 'key.pem'));
  const auth = sec?.scanning?.harborAdapter?.authorizationSecretRef;
  if (auth) out.push(secretVolume('harbor-adapter', adapterDir, auth, DEFAULT_AUTHORIZATION_KEY, 'authorization'));
  return out;
}
