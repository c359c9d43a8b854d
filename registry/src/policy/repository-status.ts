// What the operator's Repository reconciler reports for a repository: the index's
// figures (kept by every write, so one row read whatever the repository's size)
// plus the quota scopes it counts against.
import type { MetadataIndex } from '../metadata/index.js';
import type { QuotaGate } from './quota-gate.js';
import type { QuotaStatus } from './quota.js';

export interface RepositoryStatus {
  readonly name: string;
  readonly tagCount: number;
  readonly manifestCount: number;
  /** Every unique digest linked in the repository (manifests and blobs) once. */
  readonly sizeBytes: number;
  readonly lastPushTime?: string;
  readonly quotas: QuotaStatus[];
}

/** The repository's status, or undefined when the index does not know it. */
export async function repositoryStatus(index: MetadataIndex, quota: QuotaGate, repo: string): Promise<RepositoryStatus | undefined> {
  const row = await index.repositoryStatus(repo);
  if (!row) return undefined;
  const scopes = new Set(quota.scopesOf(repo));
  const quotas = scopes.size ? (await quota.status()).filter((q) => scopes.has(q.scope)) : [];
  return {
    name: repo, tagCount: row.tagCount, manifestCount: row.manifestCount, sizeBytes: row.sizeBytes, quotas,
    ...(row.lastPushAt ? { lastPushTime: new Date(row.lastPushAt).toISOString() } : {}),
  };
}
