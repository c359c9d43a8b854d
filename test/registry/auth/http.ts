// Small HTTP helpers for the auth tests: tokens from the token endpoint, and the
// registry operations each matrix cell performs (pull, push, delete, catalog, mount).
import { createHash, randomBytes } from 'node:crypto';
import { basic, SERVICE } from './fixtures.js';

export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Blob {
  readonly digest: string;
  readonly data: Buffer;
}

export function blob(data: Buffer | string): Blob {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return { digest: sha256(buf), data: buf };
}

export function randomBlob(size = 256): Blob {
  return blob(randomBytes(size));
}

/** A minimal OCI image manifest over a config and one layer. */
export function manifest(config: Blob, layer: Blob, annotation = 'x'): Blob {
  return blob(JSON.stringify({
    schemaVersion: 2, mediaType: MANIFEST_TYPE,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.data.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layer.digest, size: layer.data.length }],
    annotations: { 'berth.test/annotation': annotation },
  }));
}

export type Headers = Record<string, string>;

export interface TokenResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: globalThis.Headers;
}

export async function fetchToken(url: string, scopes: readonly string[], credentials?: { username: string; password: string }, extra: Record<string, string> = {}): Promise<TokenResponse> {
  const q = new URLSearchParams({ service: SERVICE, ...extra });
  for (const s of scopes) q.append('scope', s);
  const res = await fetch(`${url}/auth/token?${q.toString()}`, { headers: credentials ? { Authorization: basic(credentials.username, credentials.password) } : {} });
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers };
}

export async function postToken(url: string, form: Record<string, string>): Promise<TokenResponse> {
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown>, headers: res.headers };
}

export interface Result {
  readonly status: number;
  readonly headers: globalThis.Headers;
  readonly text: string;
}

export async function call(url: string, method: string, path: string, headers: Headers = {}, body?: Buffer): Promise<Result> {
  const res = await fetch(`${url}${path}`, { method, headers, body, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Monolithic blob upload (POST ?digest=). */
export function putBlob(url: string, repo: string, b: Blob, headers: Headers = {}): Promise<Result> {
  return call(url, 'POST', `/v2/${repo}/blobs/uploads/?digest=${b.digest}`, { ...headers, 'Content-Type': 'application/octet-stream' }, b.data);
}

export function putManifest(url: string, repo: string, ref: string, m: Blob, headers: Headers = {}): Promise<Result> {
  return call(url, 'PUT', `/v2/${repo}/manifests/${ref}`, { ...headers, 'Content-Type': MANIFEST_TYPE }, m.data);
}

export function getManifest(url: string, repo: string, ref: string, headers: Headers = {}): Promise<Result> {
  return call(url, 'GET', `/v2/${repo}/manifests/${ref}`, { ...headers, Accept: MANIFEST_TYPE });
}

/** Pushes config, layer and manifest under a tag; throws unless every step succeeds. */
export async function pushImage(url: string, repo: string, tag: string, headers: Headers, layer: Blob = randomBlob(), annotation = tag): Promise<{ manifest: Blob; layer: Blob }> {
  const config = blob(`{"architecture":"amd64","os":"linux","annotation":"${annotation}"}`);
  for (const b of [config, layer]) {
    const r = await putBlob(url, repo, b, headers);
    if (r.status !== 201) throw new Error(`push ${repo} blob: ${r.status} ${r.text}`);
  }
  const m = manifest(config, layer, annotation);
  const r = await putManifest(url, repo, tag, m, headers);
  if (r.status !== 201) throw new Error(`push ${repo}:${tag} manifest: ${r.status} ${r.text}`);
  return { manifest: m, layer };
}
