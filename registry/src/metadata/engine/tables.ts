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

export interface ScanResultsTable {
  digest: string;
  db_digest: string;
  status: string;
  report: string | null;
  updated_at: number;
}

export interface SignatureVerdictsTable {
  digest: string;
  keyset: string;
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
  scan_results: ScanResultsTable;
  signature_verdicts: SignatureVerdictsTable;
  audit: AuditTable;
  write_intents: WriteIntentsTable;
  berth_schema_version: SchemaVersionTable;
}
