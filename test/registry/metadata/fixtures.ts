// Digests and records for the index suite.
import { createHash } from 'node:crypto';
import type { IndexOptions } from '../../../registry/src/metadata/config.js';
import type { ManifestRecord, ManifestRef, MetadataIndex, Platform } from '../../../registry/src/metadata/index.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';

/** A well-formed sha256 digest derived from `seed`. */
export function digest(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

export interface IndexUnderTest {
  /** Options of a fresh, empty database: open as many instances on it as a test needs. */
  readonly options: IndexOptions;
  cleanup(): Promise<void>;
}

/** An image manifest with a config and layers, each blob of the given size. */
export function image(repo: string, seed: string, opts: {
  layers?: string[]; size?: number; created?: number; subject?: string; artifactType?: string; platform?: Platform;
  annotations?: Record<string, string>;
} = {}): ManifestRecord {
  const config = digest(`${seed}/config`);
  const layers = opts.layers ?? [digest(`${seed}/layer`)];
  const refs: ManifestRef[] = [{ digest: config, kind: 'config', size: 100 }, ...layers.map((d) => ({ digest: d, kind: 'layer' as const, size: 1000 }))];
  return {
    repo,
    digest: digest(`${seed}/manifest`),
    mediaType: OCI_MANIFEST,
    size: opts.size ?? 500,
    configDigest: config,
    artifactType: opts.artifactType ?? OCI_CONFIG,
    refs,
    ...(opts.created !== undefined ? { created: opts.created } : {}),
    ...(opts.subject ? { subject: opts.subject } : {}),
    ...(opts.platform ? { platforms: [opts.platform] } : {}),
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
}

/** An index over child manifest digests. */
export function indexOf(repo: string, seed: string, children: { digest: string; platform: Platform }[]): ManifestRecord {
  return {
    repo,
    digest: digest(`${seed}/index`),
    mediaType: OCI_INDEX,
    size: 300,
    refs: children.map((c) => ({ digest: c.digest, kind: 'manifest' as const })),
    platforms: children.map((c) => c.platform),
  };
}

/** Links an image's blobs, then records it (the order the write path follows). */
export async function pushImage(index: MetadataIndex, m: ManifestRecord, tags: string[] = [], at?: number): Promise<void> {
  for (const r of m.refs) if (r.kind !== 'manifest') await index.linkBlob(m.repo, r.digest, r.size ?? 0, { at });
  await index.recordManifest(m, { tags, at, actor: 'ci' });
}

/** The stored counters match a recount from the rows. */
export async function expectConsistent(index: MetadataIndex, repo: string): Promise<void> {
  const status = await index.repositoryStatus(repo);
  const counted = await index.countRepository(repo);
  expect(status && { tagCount: status.tagCount, manifestCount: status.manifestCount, sizeBytes: status.sizeBytes }).toEqual(counted);
}

/** Every item of an async page generator. */
export async function collect<T>(pages: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}
