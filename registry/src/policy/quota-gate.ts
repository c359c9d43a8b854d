// What the write path asks of quotas. With no quota configured the gate is a
// no-op, so the write path never checks whether quotas are on.
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Digest } from '../reference.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { QuotaManager, type QuotaStatus } from './quota.js';
import type { RepositorySettings } from './repository-settings.js';

export interface QuotaGate {
  /** Reserves a chunk's bytes before they are written; returns what to call once the write ended. QUOTA_EXCEEDED when over. */
  reserveChunk(repo: string, uploadId: string, bytes: number): Promise<() => Promise<void>>;
  /** Re-reads an upload's stored size (after a write that reserved nothing). */
  refreshUpload(repo: string, uploadId: string): Promise<void>;
  /** Admits content about to be linked; returns what to call once the commit ended. QUOTA_EXCEEDED when over. */
  admit(repo: string, digest: Digest, size: number, uploadId?: string): Promise<(committed: boolean) => Promise<void>>;
  /** Forgets cached usage (after deletes and failures); every scope when `repo` is undefined. */
  invalidate(repo?: string): void;
  status(): Promise<QuotaStatus[]>;
  /** The scopes a repository counts against. */
  scopesOf(repo: string): string[];
}

const settled = async (): Promise<void> => undefined;

export const NO_QUOTAS: QuotaGate = {
  reserveChunk: async () => settled,
  refreshUpload: settled,
  admit: async () => settled,
  invalidate: () => undefined,
  status: async () => [],
  scopesOf: () => [],
};

export function createQuotaGate(settings: RepositorySettings, storage: RegistryStorage, index: MetadataIndex, metrics: Metrics): QuotaGate {
  return settings.allQuotaScopes().length ? new QuotaManager(settings, storage, index, metrics) : NO_QUOTAS;
}
