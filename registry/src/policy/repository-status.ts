// What the operator's Repository reconciler reports for a repository: the
// storage figures plus the quota scopes it counts against.
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { RepositorySummary } from '../storage/repository-store.js';
import type { QuotaGate } from './quota-gate.js';
import type { QuotaStatus } from './quota.js';

export interface RepositoryStatus extends RepositorySummary {
  readonly name: string;
  readonly quotas: QuotaStatus[];
}

export async function repositoryStatus(storage: RegistryStorage, quota: QuotaGate, repo: string): Promise<RepositoryStatus> {
  const summary = await storage.repositories.summary(repo);
  const scopes = new Set(quota.scopesOf(repo));
  const quotas = scopes.size ? (await quota.status()).filter((q) => scopes.has(q.scope)) : [];
  return { name: repo, ...summary, quotas };
}
