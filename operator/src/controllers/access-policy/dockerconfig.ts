// The `.dockerconfigjson` of a pull secret: one `auths` entry per hostname the
// registry is reached by, all with the same robot credential.
import type { AccessPolicy, Registry } from '../../api/types.js';
import { serviceImageHosts } from '../registry/names.js';

export interface Credential {
  username: string;
  password: string;
}

/** In-cluster Service names (with the port, as image references spell them) plus configured extra hosts. */
export function registryHosts(reg: Registry, policy: AccessPolicy): string[] {
  return [...new Set([...serviceImageHosts(reg), ...(policy.spec.additionalHosts ?? [])])];
}

export function renderDockerConfig(hosts: string[], cred: Credential): string {
  const auth = Buffer.from(`${cred.username}:${cred.password}`, 'utf8').toString('base64');
  const auths = Object.fromEntries(hosts.map((h) => [h, { username: cred.username, password: cred.password, auth }]));
  return JSON.stringify({ auths });
}

/**
 * The robot credential a pull secret holds, if every entry agrees on it. A Secret
 * edited by hand may hold anything; whatever cannot be read yields undefined.
 */
export function readDockerConfig(base64: string | undefined, username: string): Credential | undefined {
  if (!base64) return undefined;
  try {
    const doc = JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as { auths?: Record<string, { username?: string; password?: string; auth?: string }> };
    for (const entry of Object.values(doc.auths ?? {})) {
      let user = entry.username;
      let pass = entry.password;
      if ((!user || !pass) && entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) [user, pass] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
      }
      if (user === username && pass) return { username: user, password: pass };
    }
  } catch {
    return undefined;
  }
  return undefined;
}
