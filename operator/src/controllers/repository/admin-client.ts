// The registry's admin API as the Repository reconciler uses it: read one
// repository's figures, delete a repository's content. It reaches the registry at
// its Service (or at an override, for an operator running outside the cluster)
// with the admin identity from the `<registry>-admin` Secret.
import http from 'node:http';
import https from 'node:https';
import type { Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { SecretObject } from '../../kube/types.js';
import { adminCredentialFromSecret } from '../registry/admin-credential.js';
import { registryNames } from '../registry/names.js';

/** What `GET /admin/repositories/<name>` answers (registry/src/policy/repository-status.ts). */
export interface RepositoryReport {
  name: string;
  tagCount: number;
  manifestCount: number;
  sizeBytes: number;
  quotas: Array<{ scope: string; limitBytes: number; usedBytes: number }>;
  lastPushTime?: string;
}

export interface AdminTarget {
  /** e.g. http://main.team.svc:5000 */
  baseUrl: string;
  /** The admin identity; absent when the registry's auth is off. */
  credentials?: { username: string; password: string };
  /** PEM CA bundle for an https registry with a private CA (the self-signed certificate). */
  ca?: string;
}

export class RegistryUnreachableError extends Error {}

/** How to reach the registry's admin API: its Service (or an override), its CA, the admin identity when auth is on. */
export async function adminTarget(client: KubeClient, reg: Registry, registryUrls?: ReadonlyMap<string, string>): Promise<AdminTarget> {
  const ns = reg.metadata.namespace!;
  const names = registryNames(reg.metadata.name);
  const scheme = reg.spec.tls ? 'https' : 'http';
  const baseUrl = registryUrls?.get(`${ns}/${reg.metadata.name}`) ?? `${scheme}://${names.service}.${ns}.svc:${reg.spec.service?.port ?? 5000}`;
  let ca: string | undefined;
  if (reg.spec.tls) {
    const tls = await client.getOptional<SecretObject>('v1', 'Secret', reg.spec.tls.secretRef?.name ?? names.tls, ns);
    const pem = tls?.data?.['ca.crt'] ?? (reg.spec.tls.selfSigned ? tls?.data?.['tls.crt'] : undefined);
    if (pem) ca = Buffer.from(pem, 'base64').toString('utf8');
  }
  if (!(reg.spec.auth?.enabled ?? true)) return { baseUrl, ca };
  const admin = adminCredentialFromSecret(await client.getOptional<SecretObject>('v1', 'Secret', names.admin, ns));
  if (!admin) throw new RegistryUnreachableError(`Secret ${names.admin} not found yet`);
  return { baseUrl, credentials: { username: admin.username, password: admin.password }, ca };
}

const TIMEOUT_MS = 10_000;

interface Answer { status: number; body: string }

function send(target: AdminTarget, method: string, path: string): Promise<Answer> {
  const url = new URL(path, target.baseUrl);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (target.credentials) headers.Authorization = `Basic ${Buffer.from(`${target.credentials.username}:${target.credentials.password}`).toString('base64')}`;
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { method, headers, timeout: TIMEOUT_MS, ...(target.ca ? { ca: target.ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => reject(new RegistryUnreachableError(`${method} ${url.href}: ${err.message}`)));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', (err) => reject(new RegistryUnreachableError(`${method} ${url.href}: ${err.message}`)));
    req.end();
  });
}

function isNameUnknown(a: Answer): boolean {
  return a.status === 404 && a.body.includes('NAME_UNKNOWN');
}

function fail(method: string, path: string, a: Answer): never {
  throw new RegistryUnreachableError(`${method} ${path} answered ${a.status}: ${a.body.slice(0, 300)}`);
}

const repoPath = (name: string) => `/admin/repositories/${name.split('/').map(encodeURIComponent).join('/')}`;

/** The repository's figures; undefined when it holds nothing yet (never pushed, or deleted). */
export async function readRepository(target: AdminTarget, name: string): Promise<RepositoryReport | undefined> {
  const a = await send(target, 'GET', repoPath(name));
  if (a.status === 200) return JSON.parse(a.body) as RepositoryReport;
  if (isNameUnknown(a)) return undefined;
  return fail('GET', repoPath(name), a);
}

/** What `GET /admin/security/repositories/<name>` answers (registry/src/api/admin-security.ts). */
export interface RepositorySecurityReport {
  counts: Record<string, number>;
  tags: number;
  scannedTags: number;
  lastMatch?: string;
  database?: string;
  top: Array<{ id: string; severity: string; package: string; tags: string[] }>;
  /** `signers`: the checked keys whose signature verified for the image (absent when the registry checks no key). */
  images: Array<{ digest: string; tags: string[]; scanned: boolean; vulnerabilities: Array<{ id: string; severity: string }>; signers?: string[] }>;
  signatures: { keys: string[]; unsignedTags?: number };
  vulnDB: { state: string; digest?: string; ageSeconds?: number; stale: boolean; reason?: string };
}

const securityPath = (name: string) => `/admin/security/repositories/${name.split('/').map(encodeURIComponent).join('/')}`;

/** The repository's vulnerability and signature summary; undefined when it holds nothing yet. */
export async function readRepositorySecurity(target: AdminTarget, name: string): Promise<RepositorySecurityReport | undefined> {
  const a = await send(target, 'GET', securityPath(name));
  if (a.status === 200) return JSON.parse(a.body) as RepositorySecurityReport;
  if (isNameUnknown(a)) return undefined;
  return fail('GET', securityPath(name), a);
}

/** What `GET /admin/upstreams` answers (registry/src/mirror/reachability.ts). */
export interface UpstreamReport {
  host: string;
  url: string;
  reachable: boolean;
  detail: string;
}

/** Whether each of the pull-through cache's upstreams answers the registry now. */
export async function readUpstreams(target: AdminTarget): Promise<UpstreamReport[]> {
  const a = await send(target, 'GET', '/admin/upstreams');
  if (a.status === 200) return (JSON.parse(a.body) as { upstreams: UpstreamReport[] }).upstreams;
  return fail('GET', '/admin/upstreams', a);
}

/** Deletes the repository's tags, manifests and links (content goes with the next GC); true if there was any. */
export async function deleteRepositoryContent(target: AdminTarget, name: string): Promise<boolean> {
  const a = await send(target, 'DELETE', repoPath(name));
  if (a.status === 202) return true;
  if (isNameUnknown(a)) return false;
  return fail('DELETE', repoPath(name), a);
}
