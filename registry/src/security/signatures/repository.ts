// What the verifier needs from a repository: manifests by digest or tag, blobs,
// the referrers of a digest and the tags. The registry implements it over its
// stores; tests implement it over HTTP against a running registry.

import type { Descriptor as OciDescriptor } from '../../manifest/parse.js';

/** A descriptor whose platform, when present, names at least an OS and an architecture. */
export type Descriptor = OciDescriptor<{ readonly os: string; readonly architecture: string }>;

export interface StoredManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
}

export interface RepositoryReader {
  /** A manifest by digest or tag, or undefined when there is none. */
  getManifest(reference: string): Promise<StoredManifest | undefined>;
  /** A blob's bytes (signature payloads and bundles are small; implementations bound the size). */
  getBlob(digest: string): Promise<Buffer>;
  /** Descriptors of the manifests whose subject is `digest` (OCI 1.1 referrers). */
  listReferrers(digest: string): Promise<readonly Descriptor[]>;
  listTags(): Promise<readonly string[]>;
  /**
   * Digests of the indexes in this repository that list `digest`. Optional: a
   * metadata index answers it directly; without it the verifier reads the
   * tagged manifests.
   */
  indexesListing?(digest: string): Promise<readonly string[]>;
}

export interface ManifestJson {
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config?: Descriptor;
  readonly layers?: readonly Descriptor[];
  readonly manifests?: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Record<string, string>;
}

export function parseManifest(m: StoredManifest): ManifestJson {
  return JSON.parse(m.bytes.toString('utf8')) as ManifestJson;
}
