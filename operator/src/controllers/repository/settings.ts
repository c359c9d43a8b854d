// A Repository's spec as the registry config's `repositories:` entry — the part of
// the Repository reconciler that decides what the registry enforces. The entry is
// validated with the registry's own schema, so the operator can never render a
// setting the registry would refuse.
import { repositorySettingsSchema } from '#contract/config/schema.js';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { parseDurationSeconds } from '../../api/duration.js';
import type { Repository } from '../../api/types.js';
import { TerminalError } from '../../runtime/errors.js';
import { repositorySecurity } from '../pull-policy.js';

export type RepositorySettingsEntry = NonNullable<RegistryConfigInput['repositories']>[number];

const SUFFIX: Record<string, number> = {
  '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50,
};

/** Parses a Kubernetes quantity as the CRD allows it for `quota.size` ("10Gi", "1.5G", "500000") into bytes. */
export function parseQuantityBytes(text: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(text);
  if (!m) throw new Error(`invalid quantity "${text}" (expected e.g. 10Gi, 500M)`);
  return Math.floor(Number(m[1]) * SUFFIX[m[2] ?? '']);
}

/** `trustKeys`: the Registry's trusted key names, which spec.security.requireSignature may name. */
export function repositorySettings(repo: Repository, trustKeys: readonly string[] = []): RepositorySettingsEntry {
  const { spec } = repo;
  const entry: RepositorySettingsEntry = { match: spec.name };
  if (spec.visibility === 'public') entry.anonymousPull = true;
  if (spec.immutability?.enabled) {
    // The CRD: "all tags when empty".
    entry.immutableTags = spec.immutability.tagPatterns?.length ? [...spec.immutability.tagPatterns] : ['*'];
  }
  if (spec.retention) {
    const r = spec.retention;
    let untagged: number | undefined;
    if (r.untaggedOlderThan !== undefined) {
      try {
        untagged = parseDurationSeconds(r.untaggedOlderThan);
      } catch (err) {
        throw new TerminalError(`spec.retention.untaggedOlderThan: ${(err as Error).message}`);
      }
    }
    entry.retention = {
      ...(r.keepLastTags !== undefined ? { keepLastTags: r.keepLastTags } : {}),
      ...(r.keepTagPatterns?.length ? { keepTagPatterns: [...r.keepTagPatterns] } : {}),
      ...(untagged !== undefined ? { untaggedOlderThanSeconds: untagged } : {}),
      dryRun: r.dryRun ?? true,
    };
  }
  if (spec.quota) {
    try {
      entry.quotaBytes = parseQuantityBytes(spec.quota.size);
    } catch (err) {
      throw new TerminalError(`spec.quota.size: ${(err as Error).message}`);
    }
  }
  if (spec.security) entry.security = repositorySecurity(spec.security, trustKeys);
  const checked = repositorySettingsSchema.safeParse(entry);
  if (!checked.success) {
    throw new TerminalError(`spec: ${checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return entry;
}

/**
 * The `repositories:` block for one Registry from its Repository objects: only live
 * ones that reference it and whose spec is valid, in a stable order (by repository
 * name) so the rendered config, and its hash, do not change between reconciles.
 */
export function repositoriesBlock(registryName: string, repositories: readonly Repository[], trustKeys: readonly string[] = []): { entries: RepositorySettingsEntry[]; invalid: { repository: Repository; reason: string }[] } {
  const entries: RepositorySettingsEntry[] = [];
  const invalid: { repository: Repository; reason: string }[] = [];
  const mine = repositories
    .filter((r) => r.spec.registryRef.name === registryName && !r.metadata.deletionTimestamp)
    .sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
  for (const repository of mine) {
    try {
      entries.push(repositorySettings(repository, trustKeys));
    } catch (err) {
      invalid.push({ repository, reason: (err as Error).message });
    }
  }
  return { entries, invalid };
}
