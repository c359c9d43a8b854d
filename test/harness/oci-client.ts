// The tests' OCI client over fetch: blobs, image and index manifests built in
// memory, and a client bound to one registry (with optional headers, such as
// credentials) that uploads blobs monolithically (`POST ?digest=`), pushes images,
// reads manifests and checks that pushed content is still whole.
import { createHash, randomBytes } from 'node:crypto';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar';

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Content with its digest: a blob, or a manifest's body. */
export interface Blob {
  readonly digest: string;
  readonly content: Buffer;
}

export function blob(content: Buffer | string): Blob {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return { digest: sha256(bytes), content: bytes };
}

export function randomBlob(size = 1024): Blob {
  return blob(randomBytes(size));
}

/** An image config that no other test image shares. */
export function randomConfig(): Blob {
  return blob(JSON.stringify({ architecture: 'amd64', os: 'linux', n: randomBytes(8).toString('hex') }));
}

export interface Image {
  /** The manifest's digest. */
  readonly digest: string;
  readonly manifest: Blob;
  readonly config: Blob;
  readonly layers: readonly Blob[];
}

/** An OCI image manifest over a config and layers; `extra` adds top-level fields (subject, artifactType, annotations). */
export function ociImage(config: Blob, layers: readonly Blob[], extra: Record<string, unknown> = {}): Image {
  const manifest = blob(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.content.length },
    layers: layers.map((l) => ({ mediaType: OCI_LAYER, digest: l.digest, size: l.content.length })),
    ...extra,
  }));
  return { digest: manifest.digest, manifest, config, layers };
}

/** A fresh image: a unique config and `layers` random layers of `layerSize` bytes. */
export function randomImage(options: { layers?: number; layerSize?: number; extra?: Record<string, unknown> } = {}): Image {
  const layers = Array.from({ length: options.layers ?? 1 }, () => randomBlob(options.layerSize ?? 1024));
  return ociImage(randomConfig(), layers, options.extra);
}

/** An OCI index over platform manifests, one made-up architecture each. */
export function indexManifest(children: readonly { digest: string; manifest: Blob }[]): Blob {
  return blob(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: children.map((c, i) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: c.manifest.content.length, platform: { os: 'linux', architecture: `arch${i}` } })),
  }));
}

export type RequestHeaders = Record<string, string>;

/** A registry's answer, its body read. */
export interface Answer {
  readonly status: number;
  /** The reason phrase of the status line. */
  readonly statusText: string;
  readonly headers: Headers;
  readonly body: Buffer;
  readonly text: string;
}

export class OciClient {
  constructor(readonly url: string, readonly headers: RequestHeaders = {}) {}

  /** The same registry with `headers` added to (or replacing) this client's. */
  withHeaders(headers: RequestHeaders): OciClient {
    return new OciClient(this.url, { ...this.headers, ...headers });
  }

  /** One request as given (redirects are returned, not followed). */
  call(method: string, path: string, headers: RequestHeaders = {}, body?: Buffer): Promise<Answer> {
    return this.send(method, path, headers, body, 'manual');
  }

  /** A monolithic blob upload (`POST ?digest=`); 201 when stored. */
  uploadBlob(repo: string, b: Blob): Promise<Answer> {
    return this.call('POST', `/v2/${repo}/blobs/uploads/?digest=${b.digest}`, { 'Content-Type': 'application/octet-stream' }, b.content);
  }

  async blobStatus(repo: string, digest: string): Promise<number> {
    return (await this.call('HEAD', `/v2/${repo}/blobs/${digest}`)).status;
  }

  putManifest(repo: string, reference: string, manifest: Blob | Buffer, mediaType = OCI_MANIFEST): Promise<Answer> {
    return this.call('PUT', `/v2/${repo}/manifests/${reference}`, { 'Content-Type': mediaType }, Buffer.isBuffer(manifest) ? manifest : manifest.content);
  }

  /** Uploads a blob; throws unless it was stored. */
  async pushBlob(repo: string, b: Blob): Promise<Blob> {
    const res = await this.uploadBlob(repo, b);
    if (res.status !== 201) throw new Error(`blob upload to ${repo} answered ${res.status}: ${res.text}`);
    return b;
  }

  getManifest(repo: string, reference: string): Promise<Answer> {
    return this.call('GET', `/v2/${repo}/manifests/${reference}`, { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` });
  }

  /**
   * Uploads the image's blobs, then its manifest under `tag` (or by digest when
   * `tag` is undefined, as clients push platform images and signatures). Stops at
   * the first refusal and returns it; otherwise the manifest PUT's answer.
   */
  async push(repo: string, tag: string | undefined, img: Image): Promise<Answer> {
    for (const b of [img.config, ...img.layers]) {
      const uploaded = await this.uploadBlob(repo, b);
      if (uploaded.status !== 201) return uploaded;
    }
    return this.putManifest(repo, tag ?? img.digest, img.manifest);
  }

  /** Like push, but throws unless every step succeeded; returns the image. */
  async pushImage(repo: string, tag: string | undefined, img: Image = randomImage()): Promise<Image> {
    const res = await this.push(repo, tag, img);
    if (res.status !== 201) throw new Error(`push ${repo}:${tag ?? img.digest} answered ${res.status}: ${res.text}`);
    return img;
  }

  /** Pulls a manifest and the given blobs; returns what is missing or corrupt (nothing when whole). */
  async missingContent(repo: string, digest: string, blobs: readonly Blob[]): Promise<string[]> {
    const problems: string[] = [];
    const m = await this.getManifest(repo, digest);
    if (m.status !== 200 || sha256(m.body) !== digest) problems.push(`manifest ${digest}: ${m.status}`);
    for (const b of blobs) {
      const res = await this.send('GET', `/v2/${repo}/blobs/${b.digest}`, {}, undefined, 'follow'); // as a client pulls: storage may redirect
      if (res.status !== 200 || !res.body.equals(b.content)) problems.push(`blob ${b.digest}: ${res.status}`);
    }
    return problems;
  }

  private async send(method: string, path: string, headers: RequestHeaders, body: Buffer | undefined, redirect: RequestInit['redirect']): Promise<Answer> {
    const res = await fetch(`${this.url}${path}`, { method, headers: { ...this.headers, ...headers }, body, redirect });
    const bytes = Buffer.from(await res.arrayBuffer());
    return { status: res.status, statusText: res.statusText, headers: res.headers, body: bytes, text: bytes.toString('utf8') };
  }
}
