// Distribution API operations the workloads are made of, written once and run
// unchanged against every server.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { HttpClient, sliceParts } from './http-client.js';

const OCTETS = { 'Content-Type': 'application/octet-stream' };

function withDigest(location: URL, digest: string): URL {
  const u = new URL(location);
  u.searchParams.set('digest', digest);
  return u;
}

async function startUpload(client: HttpClient, repo: string): Promise<URL> {
  const res = await client.expect(202, 'POST', `/v2/${repo}/blobs/uploads/`);
  return client.resolve(res.headers.location!);
}

/** POST, then one PUT carrying the whole blob. */
export async function pushMonolithic(client: HttpClient, repo: string, parts: readonly Buffer[], digest: string): Promise<void> {
  const location = await startUpload(client, repo);
  await client.expect(201, 'PUT', withDigest(location, digest), { body: parts, headers: OCTETS });
}

/** POST, `chunks` PATCHes with Content-Range, then a PUT without body. */
export async function pushChunked(client: HttpClient, repo: string, parts: readonly Buffer[], digest: string, chunks: number): Promise<void> {
  let location = await startUpload(client, repo);
  const size = parts.reduce((n, b) => n + b.length, 0);
  const step = Math.ceil(size / chunks);
  for (let start = 0; start < size; start += step) {
    const end = Math.min(start + step, size);
    const res = await client.expect(202, 'PATCH', location, {
      body: sliceParts(parts, start, end),
      headers: { ...OCTETS, 'Content-Range': `${start}-${end - 1}` },
    });
    location = client.resolve(res.headers.location!);
  }
  await client.expect(201, 'PUT', withDigest(location, digest));
}

/** GETs a blob, drains it and checks the byte count. */
export async function pullBlob(client: HttpClient, repo: string, digest: string, size: number): Promise<void> {
  const res = await client.request('GET', `/v2/${repo}/blobs/${digest}`);
  if (res.status !== 200 || res.bytes !== size) throw new Error(`GET blob ${digest}: status ${res.status}, ${res.bytes} of ${size} bytes`);
}

/**
 * Blob contents sharing one random base: each blob is base + a unique 16-byte
 * suffix, so every upload is new content, while its digest costs only a hash-state
 * copy (computed before the timed part).
 */
export class BlobFactory {
  private readonly base: Buffer;
  private readonly baseHash: Hash;
  private counter = 0;
  private readonly run = randomBytes(8);

  constructor(readonly size: number) {
    this.base = randomBytes(size - 16);
    this.baseHash = createHash('sha256').update(this.base);
  }

  next(): { parts: Buffer[]; digest: string } {
    const suffix = Buffer.alloc(16);
    this.run.copy(suffix, 0);
    suffix.writeBigUInt64BE(BigInt(this.counter++), 8);
    const digest = `sha256:${this.baseHash.copy().update(suffix).digest('hex')}`;
    return { parts: [this.base, suffix], digest };
  }
}

export const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface SmallImage {
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  readonly config: Buffer;
  readonly configDigest: string;
  readonly layer: Buffer;
  readonly layerDigest: string;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A small valid OCI image (config + one random layer, 4 KiB by default) for the request-rate, listing and GC workloads. */
export function smallImage(layerBytes = 4096): SmallImage {
  const layer = randomBytes(layerBytes);
  const config = Buffer.from(JSON.stringify({ created: '2026-01-01T00:00:00Z', architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
  }));
  return { manifest, manifestDigest: sha256(manifest), config, configDigest: sha256(config), layer, layerDigest: sha256(layer) };
}

export async function pushSmallImage(client: HttpClient, repo: string, image: SmallImage, tag: string): Promise<void> {
  await pushMonolithic(client, repo, [image.config], image.configDigest);
  await pushMonolithic(client, repo, [image.layer], image.layerDigest);
  await putManifest(client, repo, image, tag);
}

export async function putManifest(client: HttpClient, repo: string, image: SmallImage, reference: string): Promise<void> {
  await client.expect(201, 'PUT', `/v2/${repo}/manifests/${reference}`, { body: [image.manifest], headers: { 'Content-Type': OCI_MANIFEST } });
}

/** Makes `repo` hold the small image by cross-repository mounts plus a manifest PUT. */
export async function mountSmallImage(client: HttpClient, from: string, repo: string, image: SmallImage, tag: string): Promise<void> {
  for (const d of [image.configDigest, image.layerDigest]) {
    await client.expect(201, 'POST', `/v2/${repo}/blobs/uploads/?mount=${d}&from=${from}`);
  }
  await putManifest(client, repo, image, tag);
}
