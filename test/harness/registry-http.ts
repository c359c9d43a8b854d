// A small OCI Distribution client over fetch: what the security tests need to
// read a repository as the verifier does (RepositoryReader) and to write the
// forged artifacts (tampered and replayed signatures) no real client would.
import { createHash } from 'node:crypto';
import type { Descriptor, RepositoryReader, StoredManifest } from '../../registry/src/security/signatures/repository.js';

const ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json', 'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class RegistryRepository implements RepositoryReader {
  /** Requests made, by kind: lets a test bound what one verification reads. */
  readonly requests: string[] = [];

  constructor(private readonly base: string, readonly name: string) {}

  private async req(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    this.requests.push(`${method} ${path}`);
    return fetch(`${this.base}/v2/${this.name}/${path}`, { ...init, method });
  }

  async getManifest(reference: string): Promise<StoredManifest | undefined> {
    const res = await this.req('GET', `manifests/${reference}`, { headers: { Accept: ACCEPT } });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET manifest ${reference}: ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return { digest: res.headers.get('docker-content-digest') ?? sha256(bytes), mediaType: res.headers.get('content-type') ?? '', bytes };
  }

  async getBlob(digest: string): Promise<Buffer> {
    const res = await this.req('GET', `blobs/${digest}`);
    if (!res.ok) throw new Error(`GET blob ${digest}: ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    if (sha256(bytes) !== digest) throw new Error(`blob ${digest} does not match its digest`);
    return bytes;
  }

  async listReferrers(digest: string): Promise<readonly Descriptor[]> {
    const res = await this.req('GET', `referrers/${digest}`);
    if (!res.ok) throw new Error(`GET referrers ${digest}: ${res.status}`);
    return ((await res.json()) as { manifests?: Descriptor[] }).manifests ?? [];
  }

  async listTags(): Promise<readonly string[]> {
    const res = await this.req('GET', 'tags/list');
    if (res.status === 404) return [];
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }

  async putBlob(content: Buffer): Promise<string> {
    const digest = sha256(content);
    const start = await this.req('POST', 'blobs/uploads/');
    if (start.status !== 202) throw new Error(`POST upload: ${start.status}`);
    const loc = new URL(start.headers.get('location')!, this.base);
    loc.searchParams.set('digest', digest);
    this.requests.push(`PUT ${loc.pathname}`);
    const put = await fetch(loc, { method: 'PUT', body: content, headers: { 'Content-Type': 'application/octet-stream' } });
    if (put.status !== 201) throw new Error(`PUT blob: ${put.status} ${await put.text()}`);
    return digest;
  }

  async putManifest(reference: string, manifest: Buffer, mediaType: string): Promise<string> {
    const res = await this.req('PUT', `manifests/${reference}`, { body: manifest, headers: { 'Content-Type': mediaType } });
    if (res.status !== 201) throw new Error(`PUT manifest ${reference}: ${res.status} ${await res.text()}`);
    return sha256(manifest);
  }
}
