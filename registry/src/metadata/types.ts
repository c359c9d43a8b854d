// What the index's API takes and returns. Digests are strings ("sha256:…"), times
// epoch milliseconds.
import type { RefKind, TagAction } from './engine/tables.js';

export type { RefKind, TagAction };

export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** Something a manifest needs: a blob (config, layer, other blob) or a child manifest. */
export interface ManifestRef {
  readonly digest: string;
  readonly kind: RefKind;
  /** The blob's size, recorded in `blobs` (from the descriptor). */
  readonly size?: number;
}

export interface ManifestRecord {
  readonly repo: string;
  readonly digest: string;
  readonly mediaType: string;
  /** Size of the manifest body. */
  readonly size: number;
  readonly artifactType?: string;
  readonly configDigest?: string;
  /** `created` of the image config. */
  readonly created?: number;
  readonly subject?: string;
  readonly annotations?: Record<string, string>;
  /** An image's platform (from its config), or an index's children's. */
  readonly platforms?: Platform[];
  readonly refs: readonly ManifestRef[];
}

/** Who and when, for every write. */
export interface WriteContext {
  readonly actor?: string;
  /** Defaults to now. */
  readonly at?: number;
  /** Recorded when the write creates the repository: `local` (default) or `cache:<upstream>`. */
  readonly origin?: string;
  /** A write-journal entry (`openIntent`) this write completes: removed in the same transaction. */
  readonly intent?: number;
}

export interface ManifestInfo {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly configDigest?: string;
  readonly created?: number;
  readonly subject?: string;
  readonly annotations?: Record<string, string>;
  readonly platforms?: Platform[];
  readonly pushedAt: number;
}

export interface TagInfo {
  readonly tag: string;
  readonly digest: string;
  readonly pushedAt: number;
  readonly pushedBy?: string;
  /** From the manifest; absent when the index has the tag but not (yet) the manifest. */
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly size?: number;
  readonly created?: number;
  readonly platforms?: Platform[];
  /** Last pull of the tag's manifest, by this tag, another tag or its digest. */
  readonly lastPulledAt?: number;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass back as `last`/`cursor` for the next page; absent on the last page. */
  readonly next?: string;
}

export interface TagHistoryEntry {
  readonly id: number;
  readonly tag: string;
  readonly action: TagAction;
  readonly digest?: string;
  readonly previousDigest?: string;
  readonly actor?: string;
  readonly at: number;
}

export interface RepositoryStatus {
  readonly name: string;
  readonly createdAt: number;
  readonly lastPushAt?: number;
  readonly origin: string;
  readonly tagCount: number;
  readonly manifestCount: number;
  /** Each unique digest linked in the repository (manifests and layers) once. */
  readonly sizeBytes: number;
}

export type RepositorySort = 'name' | 'lastPush' | 'size';

export interface RepositoryListQuery {
  /** Substring of the name. */
  readonly search?: string;
  /** name ascending (default), lastPush newest first, size largest first (ties by name, descending). */
  readonly sort?: RepositorySort;
  readonly limit?: number;
  readonly cursor?: string;
  /** Only names this accepts (the caller's pull rights); runs in the process. */
  readonly filter?: (name: string) => boolean;
  /** With `filter`: rows read at most before a short page is returned with `next` (default 20,000). */
  readonly maxScan?: number;
}

export interface CatalogQuery {
  readonly n?: number;
  /** Names after this one. */
  readonly last?: string;
  /** Repository patterns (`team-a/**`): only matching names are listed. */
  readonly allow?: readonly string[];
  /** A further filter applied in the process (e.g. the caller's pull grant). */
  readonly filter?: (name: string) => boolean;
  /** With `filter`: rows read at most before a short page is returned with `next` (default 20,000). */
  readonly maxScan?: number;
}

export interface ReferrerDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
}

export interface Usage {
  readonly bytes: number;
  /** Unique digests counted. */
  readonly digests: number;
  readonly repositories: number;
}

export interface LinkedBlob {
  readonly size: number;
  readonly linkedAt: number;
}

export interface PullRecord {
  readonly repo: string;
  readonly digest: string;
  /** The tag pulled; omit for a pull by digest. */
  readonly tag?: string;
  readonly at: number;
}

export interface AuditEntry {
  readonly time: number;
  readonly actor?: string;
  readonly action: string;
  readonly repository?: string;
  readonly digest?: string;
  readonly tag?: string;
  readonly result: string;
  readonly detail?: Record<string, unknown>;
}

export interface AuditRecord extends AuditEntry {
  readonly id: number;
}

export interface AuditQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly repository?: string;
  readonly digest?: string;
  readonly tag?: string;
  readonly result?: string;
  /** Inclusive lower bound on time. */
  readonly since?: number;
  /** Exclusive upper bound on time. */
  readonly until?: number;
  readonly limit?: number;
  /** Entries older than this cursor (newest first). */
  readonly cursor?: string;
  /** Only records this accepts (the caller's pull rights); runs in the process. */
  readonly filter?: (record: AuditRecord) => boolean;
  /** With `filter`: rows read at most before a short page is returned with `next` (default 20,000). */
  readonly maxScan?: number;
}

/** A manifest in a repository. */
export interface ManifestKey {
  readonly repo: string;
  readonly digest: string;
}

/** Something a manifest references, with its size when the index knows the blob. */
export interface ReferencedBlob {
  readonly kind: RefKind;
  readonly digest: string;
  readonly size?: number;
}

export interface ReferrerCount {
  /** '' for a referrer without an artifact type. */
  readonly artifactType: string;
  readonly count: number;
}

/** A scan's stored result (scan_results), its report as stored. */
export interface ScanResult {
  readonly digest: string;
  readonly dbDigest: string;
  readonly status: string;
  readonly report?: unknown;
  readonly updatedAt: number;
}

/** A signature check's stored verdict for one key set (signature_verdicts). */
export interface SignatureVerdict {
  readonly digest: string;
  readonly keyset: string;
  readonly verdict?: unknown;
  readonly updatedAt: number;
}

// ---- supply chain (0003-supply-chain.ts; docs/supply-chain.md) ----

/** `unsupported`: possibly an image, not scanned (too large, unreadable); `not-applicable`: not an image (scanning/scan-target.ts). */
export type InventoryKind = 'image' | 'index' | 'unsupported' | 'not-applicable';

/** What an image holds, stored once per manifest digest. */
export interface InventoryRecord {
  readonly digest: string;
  readonly kind: InventoryKind;
  /** `indexer`, or `sbom:<referrer digest>` when a user-pushed SBOM was used as is. */
  readonly source: string;
  readonly indexer: string;
  /** The SBOM referrer Berth attached. */
  readonly sbomDigest?: string;
  readonly platform?: Platform;
  /** An index's platform manifests. */
  readonly children?: readonly string[];
  /** The inventory as JSON (image), or why it is unsupported or not applicable. */
  readonly body?: string;
  readonly createdAt: number;
}

export type ScanStatus = 'done' | 'unsupported' | 'not-applicable' | 'failed';

export interface ScanResultRecord {
  readonly digest: string;
  /** The database or backend the result is against. */
  readonly dbDigest: string;
  readonly status: ScanStatus;
  /** JSON: {findings, counts} when done, {reason} otherwise. */
  readonly report?: string;
  readonly updatedAt: number;
}

/** An advisory found in a digest, recorded once per (digest, advisory). */
export interface KnownVulnerability {
  readonly id: number;
  readonly digest: string;
  readonly vulnId: string;
  readonly severity: string;
  readonly package: string;
  readonly dbDigest: string;
  /** True when a re-match against a newer database found it (it was announced). */
  readonly announced: boolean;
  readonly firstSeen: number;
}

export interface SignatureVerdictRecord {
  readonly repo: string;
  readonly digest: string;
  readonly keyset: string;
  readonly signed: boolean;
  /** JSON of the verification result (evidence per signature). */
  readonly verdict: string;
  readonly updatedAt: number;
}
