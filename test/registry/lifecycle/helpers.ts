// Push and pull helpers for lifecycle tests: blobs go up monolithically (as
// `POST ?digest=`), manifests are built from given blob digests, and a client-like
// push checks each blob with HEAD first and uploads only what is missing.
import { randomBytes } from 'node:crypto';
import { sha256 } from '../api/helpers.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export interface Blob {
  readonly digest: string;
  readonly content: Buffer;
}

export function makeBlob(size = 1024): Blob {
  const content = randomBytes(size);
  return { digest: sha256(content), content };
}

/** Uploads a blob in one request; returns the HTTP status (201, or the refusal). */
export async function uploadBlob(url: string, repo: string, blob: Blob): Promise<number> {
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${blob.digest}`, {
    method: 'POST', body: blob.content, headers: { 'Content-Type': 'application/octet-stream' },
  });
  await res.arrayBuffer();
  return res.status;
}

export async function blobStatus(url: string, repo: string, digest: string): Promise<number> {
  const res = await fetch(`${url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  return res.status;
}

/** An OCI image manifest over a config blob and layer blobs (plus an optional subject). */
export function imageManifest(config: Blob, layers: Blob[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.content.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l.digest, size: l.content.length })),
    ...extra,
  }));
}

export function indexManifest(children: { digest: string; size: number }[]): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: children.map((c, i) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: c.size, platform: { os: 'linux', architecture: `arch${i}` } })),
  }));
}

export async function putManifest(url: string, repo: string, reference: string, body: Buffer, mediaType = OCI_MANIFEST): Promise<Response> {
  return fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', body, headers: { 'Content-Type': mediaType } });
}

/**
 * Pushes blobs (config + layers) and a manifest under a tag, or by its digest when
 * `tag` is undefined (untagged, as clients push platform images and signatures).
 * Returns the manifest digest and body; throws on any refusal.
 */
export async function pushImage(url: string, repo: string, tag: string | undefined, config: Blob, layers: Blob[], extra: Record<string, unknown> = {}): Promise<{ digest: string; body: Buffer }> {
  for (const b of [config, ...layers]) {
    const status = await uploadBlob(url, repo, b);
    if (status !== 201) throw new Error(`blob upload answered ${status}`);
  }
  const body = imageManifest(config, layers, extra);
  const res = await putManifest(url, repo, tag ?? sha256(body), body);
  if (res.status !== 201) throw new Error(`manifest push answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
  return { digest: sha256(body), body };
}

/** Pulls a manifest and every blob it names; returns what is missing or corrupt. */
export async function missingContent(url: string, repo: string, digest: string, blobs: Blob[]): Promise<string[]> {
  const problems: string[] = [];
  const m = await fetch(`${url}/v2/${repo}/manifests/${digest}`, { headers: { Accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } });
  const body = Buffer.from(await m.arrayBuffer());
  if (m.status !== 200 || sha256(body) !== digest) problems.push(`manifest ${digest}: ${m.status}`);
  for (const b of blobs) {
    const res = await fetch(`${url}/v2/${repo}/blobs/${b.digest}`);
    const content = Buffer.from(await res.arrayBuffer());
    if (res.status !== 200 || !content.equals(b.content)) problems.push(`blob ${b.digest}: ${res.status}`);
  }
  return problems;
}

export async function runGc(url: string, dryRun = false, headers: Record<string, string> = {}): Promise<GcResponse> {
  const res = await fetch(`${url}/admin/gc?dryRun=${dryRun}`, { method: 'POST', headers });
  if (res.status !== 200) throw new Error(`GC answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as GcResponse;
}

export interface GcResponse {
  status: 'done';
  report: {
    dryRun: boolean; repositories: number; manifestsMarked: number; blobsMarked: number; blobsDeleted: number; bytesFreed: number;
    layerLinksDeleted: number; restored: number; recovered: number; aborted: boolean; durationSeconds: number;
    manifestsDeleted: { repository: string; digest: string; reason: string }[];
  };
  retention?: { deleted: { kind: string; name: string }[]; wouldDelete: { kind: string; name: string }[] };
}

export async function quotaUsed(url: string, scope: string): Promise<number> {
  const res = await fetch(`${url}/admin/quotas`);
  const body = (await res.json()) as { quotas: { scope: string; usedBytes: number }[] };
  const entry = body.quotas.find((q) => q.scope === scope);
  if (!entry) throw new Error(`no quota scope ${scope}`);
  return entry.usedBytes;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
