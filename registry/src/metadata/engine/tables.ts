// Row types of the index's tables, as kysely sees them (the DDL is in
// migrations/). Times are epoch milliseconds; JSON columns hold text, so both
// engines store and return the same thing. docs/metadata.md describes each table.
import type { Generated } from 'kysely';

export interface RepositoriesTable {
  name: string;
  created_at: number;
  /** 0 until the first manifest or tag push. */
  last_push_at: number;
  /** `local`, or `cache:<upstream>` for a pull-through cache's repository. */
  origin: string;
  // Counters kept by every write in the same transaction, so status is one row read.
  tag_count: Generated<number>;
  manifest_count: Generated<number>;
  /** Sum of the sizes of the unique digests linked in the repository (manifests and layers). */
  size_bytes: Generated<number>;
}

export interface ManifestsTable {
  repo: string;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  size: number;
  config_digest: string | null;
  /** `created` of the image config. */
  created: number | null;
  subject: string | null;
  /** JSON object of string annotations. */
  annotations: string | null;
  /** JSON array of {os, architecture, variant?}: an image's own, or an index's children's. */
  platforms: string | null;
  pushed_at: number;
}

export type RefKind = 'config' | 'layer' | 'blob' | 'manifest';

export interface ManifestRefsTable {
  repo: string;
  digest: string;
  ref_digest: string;
  kind: RefKind;
}

export interface BlobsTable {
  digest: string;
  size: number;
}

export interface LayerLinksTable {
  repo: string;
  digest: string;
  linked_at: number;
}

export interface TagsTable {
  repo: string;
  tag: string;
  digest: string;
  pushed_at: number;
  pushed_by: string | null;
}

export type TagAction = 'push' | 'delete' | 'restore';

export interface TagHistoryTable {
  id: Generated<number>;
  repo: string;
  tag: string;
  /** The digest the tag points to after the change; null for a delete. */
  digest: string | null;
  previous_digest: string | null;
  action: TagAction;
  actor: string | null;
  at: number;
}

export interface PullsTable {
  repo: string;
  digest: string;
  /** The tag pulled, or '' for a pull by digest. */
  tag: string;
  last_pulled_at: number;
}

/** What an image holds (0003-supply-chain.ts); content-addressed, so written once per digest. */
export interface InventoriesTable {
  digest: string;
  /** `image` (body holds the inventory), `index` (children lists its platform manifests), `unsupported` or `not-applicable` (body: why). */
  kind: string;
  /** `indexer`, or `sbom:<referrer digest>` for a user-pushed SBOM used as is. */
  source: string;
  indexer: string;
  /** The SBOM referrer Berth attached, when it did. */
  sbom_digest: string | null;
  /** JSON {os, architecture, variant?}. */
  platform: string | null;
  /** JSON array of child manifest digests (an index). */
  children: string | null;
  body: string | null;
  created_at: number;
}

export interface ScanResultsTable {
  digest: string;
  /** The database (or backend) the findings are against: the DB artifact's manifest digest for the built-in matcher. */
  db_digest: string;
  /** `done`, `unsupported`, `not-applicable` or `failed`. */
  status: string;
  /** JSON {findings, counts} (done) or {reason} (unsupported, not-applicable, failed). */
  report: string | null;
  updated_at: number;
}

export interface KnownVulnerabilitiesTable {
  id: Generated<number>;
  digest: string;
  vuln_id: string;
  severity: string;
  package: string;
  db_digest: string;
  /** 1 when found by a re-match against a newer database (announced), 0 when the push's own scan found it. */
  announced: number;
  first_seen: number;
}

export interface SignatureVerdictsTable {
  repo: string;
  digest: string;
  /** Which keys and how many signatures the verdict is about. */
  keyset: string;
  signed: number;
  /** JSON VerificationResult. */
  verdict: string;
  updated_at: number;
}

export interface AuditTable {
  id: Generated<number>;
  time: number;
  actor: string | null;
  action: string;
  repository: string | null;
  digest: string | null;
  tag: string | null;
  result: string;
  detail: string | null;
}

/** A registry write whose storage commit may be ahead of the index (0002-write-intents.ts). */
export interface WriteIntentsTable {
  id: Generated<number>;
  repo: string;
  operation: string;
  started_at: number;
}

/** A garbage-collection run in progress, announced to writers (0004-gc-runs.ts). */
export interface GcRunsTable {
  id: Generated<number>;
  started_at: number;
  heartbeat_at: number;
}

/** One row (id 1): how many runs were ever announced (migrations/0005-gc-announcements.ts). */
export interface GcAnnouncementsTable {
  id: number;
  announced: number;
}

export interface SchemaVersionTable {
  version: number;
  name: string;
  applied_at: number;
}

export interface IndexTables {
  repositories: RepositoriesTable;
  manifests: ManifestsTable;
  manifest_refs: ManifestRefsTable;
  blobs: BlobsTable;
  layer_links: LayerLinksTable;
  tags: TagsTable;
  tag_history: TagHistoryTable;
  pulls: PullsTable;
  inventories: InventoriesTable;
  scan_results: ScanResultsTable;
  known_vulnerabilities: KnownVulnerabilitiesTable;
  signature_verdicts: SignatureVerdictsTable;
  audit: AuditTable;
  write_intents: WriteIntentsTable;
  gc_runs: GcRunsTable;
  gc_announcements: GcAnnouncementsTable;
  berth_schema_version: SchemaVersionTable;
}
