// What the operator's Repository reconciler reports, read from storage: tag and
// manifest counts, the repository's own size (each unique digest once), the quota
// scopes it counts against, and when it was last pushed to. Also the admin delete
// of a whole repository (a Repository with `deletionPolicy: Delete`).
import { isNotFound } from '../storage/driver/driver.js';
import { baseName, paths } from '../storage/paths.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { QuotaManager, QuotaStatus } from './quota.js';
import type { RepositorySettings } from './repository-settings.js';

export interface RepositoryStatus {
  readonly name: string;
  readonly tagCount: number;
  readonly manifestCount: number;
  readonly sizeBytes: number;
  readonly quotas: QuotaStatus[];
  readonly lastPushTime?: string;
}

export async function repositoryExists(storage: RegistryStorage, repo: string): Promise<boolean> {
  try {
    const children = (await storage.driver.list(paths.repository(repo))).map(baseName);
    return children.some((c) => c === '_manifests' || c === '_layers' || c === '_tags');
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

export async function repositoryStatus(storage: RegistryStorage, settings: RepositorySettings, quota: QuotaManager, repo: string): Promise<RepositoryStatus> {
  const tags = (await storage.tags.list(repo)) ?? [];
  const manifests = await storage.manifests.list(repo);
  const sizes = new Map<string, number>();
  let lastPush = 0;
  for (const d of manifests) {
    const meta = await storage.manifests.meta(repo, d);
    if (meta) lastPush = Math.max(lastPush, Date.parse(meta.pushedAt) || 0);
  }
  for (const d of [...manifests, ...(await storage.blobs.links(repo))]) {
    if (sizes.has(d.value)) continue;
    const size = await storage.blobs.globalSize(d);
    if (size !== undefined) sizes.set(d.value, size);
  }
  const scopes = new Set(settings.quotaScopes(repo).map((s) => s.key));
  const quotas = scopes.size ? (await quota.status()).filter((q) => scopes.has(q.scope)) : [];
  let sizeBytes = 0;
  for (const s of sizes.values()) sizeBytes += s;
  return {
    name: repo, tagCount: tags.length, manifestCount: manifests.length, sizeBytes, quotas,
    ...(lastPush ? { lastPushTime: new Date(lastPush).toISOString() } : {}),
  };
}

/**
 * Deletes every tag, manifest link, layer link and referrer entry of the repository
 * (nested repositories below it stay); the content goes with the next GC run.
 */
export async function deleteRepository(storage: RegistryStorage, repo: string): Promise<void> {
  for (const marker of ['_tags', '_manifests', '_layers', '_referrers']) {
    try {
      await storage.driver.delete(`${paths.repository(repo)}/${marker}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
}
