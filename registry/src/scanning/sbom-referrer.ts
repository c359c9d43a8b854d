// SBOMs as OCI referrers (artifactType application/vnd.cyclonedx+json), the form
// `oras discover`, `trivy --sbom-sources oci` and the UI find them in. Berth's
// own carries the annotation dev.berth.sbom.indexer and is pushed through the
// write path (quotas, events and the index follow it like any push); a user's
// SBOM is anything else of that artifact type, and is used as is.
import { createHash } from 'node:crypto';
import { MediaType } from '../manifest/media-types.js';
import type { MetadataIndex } from '../metadata/index.js';
import { parseDigest } from '../reference.js';
import { CYCLONEDX_MEDIA_TYPE } from '../security/inventory/cyclonedx.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WritePath } from '../write/write-path.js';
import type { Actor } from '../write/write-events.js';

export const SBOM_INDEXER_ANNOTATION = 'dev.berth.sbom.indexer';
const TITLE = 'org.opencontainers.image.title';
const EMPTY_CONFIG = Buffer.from('{}');
/** A user's SBOM larger than this is not read. */
const MAX_SBOM_BYTES = 64 * 1024 * 1024;

/** Who Berth's own writes are attributed to (events, audit, tag history). */
export const SCANNER_ACTOR: Actor = { subject: 'berth:scanner' };

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Subject {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface SbomReferrer {
  readonly digest: string;
  readonly ours: boolean;
}

/** The referrer manifest for an SBOM: deterministic, so the same SBOM is the same referrer digest. */
export function sbomManifest(subject: Subject, sbom: Buffer, indexer: string): Buffer {
  return Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: MediaType.OCI_MANIFEST,
    artifactType: CYCLONEDX_MEDIA_TYPE,
    config: { mediaType: MediaType.OCI_EMPTY, digest: sha256(EMPTY_CONFIG), size: EMPTY_CONFIG.length },
    layers: [{ mediaType: CYCLONEDX_MEDIA_TYPE, digest: sha256(sbom), size: sbom.length, annotations: { [TITLE]: 'sbom.cdx.json' } }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { [SBOM_INDEXER_ANNOTATION]: indexer },
  }));
}

export class SbomReferrers {
  constructor(private readonly storage: RegistryStorage, private readonly index: MetadataIndex, private readonly writes: WritePath) {}

  /** The CycloneDX referrers of a subject, ours told apart from users'. */
  async list(repo: string, subject: string): Promise<SbomReferrer[]> {
    const page = await this.index.referrers(repo, subject, { artifactType: CYCLONEDX_MEDIA_TYPE });
    return page.items.map((r) => ({ digest: r.digest, ours: r.annotations?.[SBOM_INDEXER_ANNOTATION] !== undefined }));
  }

  /** The JSON of a user's SBOM referrer (its first CycloneDX layer). */
  async read(repo: string, referrer: string): Promise<string | undefined> {
    const m = await this.storage.manifests.get(repo, referrer);
    const doc = JSON.parse(m.body.toString('utf8')) as { layers?: { mediaType?: string; digest: string; size?: number }[] };
    const layer = doc.layers?.find((l) => l.mediaType === CYCLONEDX_MEDIA_TYPE) ?? doc.layers?.[0];
    const d = layer && parseDigest(layer.digest);
    if (!d || (layer.size ?? 0) > MAX_SBOM_BYTES) return undefined;
    return (await this.storage.blobs.read(d)).toString('utf8');
  }

  /** Pushes Berth's SBOM as a referrer of `subject` through the write path; returns the referrer's digest. */
  async attach(repo: string, subject: Subject, sbomJson: string, indexer: string): Promise<string> {
    const sbom = Buffer.from(sbomJson);
    for (const blob of [EMPTY_CONFIG, sbom]) {
      await this.writes.blobs.putMonolithic(repo, parseDigest(sha256(blob))!, blob, blob.length, SCANNER_ACTOR);
    }
    const body = sbomManifest(subject, sbom, indexer);
    const pushed = await this.writes.manifests.put(repo, sha256(body), body, MediaType.OCI_MANIFEST, [], SCANNER_ACTOR);
    return pushed.digest.value;
  }
}
