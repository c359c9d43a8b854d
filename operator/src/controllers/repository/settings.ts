// A Repository's spec as the registry config's `repositories:` entry — the part of
// the Repository reconciler that decides what the registry enforces. The entry is
// validated with the registry's own schema, so the operator can never render a
// setting the registry would refuse; what it cannot render fails closed.
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

export interface RenderedRepository {
  /** What the registry is given for the repository. */
  readonly entry: RepositorySettingsEntry;
  /**
   * What in the spec could not be rendered, each naming its field and what is
   * enforced in its place; empty when the entry is the spec as written.
   */
  readonly problems: readonly string[];
}

function retentionOf(r: NonNullable<Repository['spec']['retention']>): NonNullable<RepositorySettingsEntry['retention']> {
  let untagged: number | undefined;
  if (r.untaggedOlderThan !== undefined) {
    try {
      untagged = parseDurationSeconds(r.untaggedOlderThan);
    } catch (err) {
      throw new Error(`spec.retention.untaggedOlderThan: ${(err as Error).message}`);
    }
  }
  return {
    ...(r.keepLastTags !== undefined ? { keepLastTags: r.keepLastTags } : {}),
    ...(r.keepTagPatterns?.length ? { keepTagPatterns: [...r.keepTagPatterns] } : {}),
    ...(untagged !== undefined ? { untaggedOlderThanSeconds: untagged } : {}),
    dryRun: r.dryRun ?? true,
  };
}

/** The safe stand-in for a part of the spec that cannot be rendered, and how to say so. */
const FAIL_CLOSED: Record<string, { effect: string; apply: (e: RepositorySettingsEntry, reason: string) => void }> = {
  // Dropping a pull policy would let every image through: refuse them all instead.
  security: { effect: 'every pull of its images is refused until it is fixed (pushes, signatures and SBOMs are not)', apply: (e, reason) => { e.security = { denyAll: { reason } }; } },
  // Mutable tags could be overwritten: make every tag immutable instead.
  immutableTags: { effect: 'every tag is immutable until it is fixed', apply: (e) => { e.immutableTags = ['*']; } },
  // Without retention nothing is deleted.
  retention: { effect: 'retention deletes nothing until it is fixed', apply: (e) => { delete e.retention; } },
  quotaBytes: { effect: 'no quota applies until it is fixed', apply: (e) => { delete e.quotaBytes; } },
  anonymousPull: { effect: 'anonymous pulls are refused until it is fixed', apply: (e) => { delete e.anonymousPull; } },
};

/**
 * A Repository's spec as the registry config's `repositories:` entry, failing
 * closed: a part the registry would refuse (or that names a key the Registry does
 * not trust) is replaced by its safe stand-in (FAIL_CLOSED) and reported, never
 * silently dropped. `trustKeys`: the Registry's trusted key names, which
 * spec.security.requireSignature may name. Throws a TerminalError only when not
 * even the stand-in can be rendered (a name the registry refuses).
 */
export function renderRepository(repo: Repository, trustKeys: readonly string[] = []): RenderedRepository {
  const { spec } = repo;
  const entry: RepositorySettingsEntry = { match: spec.name };
  const failed = new Map<string, string>();
  const part = (field: string, render: () => void) => {
    try {
      render();
    } catch (err) {
      failed.set(field, (err as Error).message);
    }
  };
  if (spec.visibility === 'public') entry.anonymousPull = true;
  if (spec.immutability?.enabled) {
    // The CRD: "all tags when empty".
    entry.immutableTags = spec.immutability.tagPatterns?.length ? [...spec.immutability.tagPatterns] : ['*'];
  }
  const { retention, quota, security } = spec;
  if (retention) part('retention', () => { entry.retention = retentionOf(retention); });
  if (quota) {
    part('quotaBytes', () => {
      try {
        entry.quotaBytes = parseQuantityBytes(quota.size);
      } catch (err) {
        throw new Error(`spec.quota.size: ${(err as Error).message}`);
      }
    });
  }
  if (security) part('security', () => { entry.security = repositorySecurity(security, trustKeys); });
  // What each part passed on its own may still fail the registry's schema (a tag pattern it refuses).
  const checked = repositorySettingsSchema.safeParse(entry);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      const field = String(issue.path[0] ?? '(root)');
      if (!failed.has(field)) failed.set(field, `spec: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
  }
  const problems: string[] = [];
  for (const [field, message] of failed) {
    const stand = FAIL_CLOSED[field];
    if (!stand) throw new TerminalError(message);
    const reason = `${message}; ${stand.effect}`;
    stand.apply(entry, `Repository ${repo.metadata.namespace ?? ''}/${repo.metadata.name}: ${reason}`.slice(0, 2048));
    problems.push(reason);
  }
  const final = repositorySettingsSchema.safeParse(entry);
  if (!final.success) throw new TerminalError(`spec: ${final.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return { entry, problems };
}

/** The entry for a spec that renders as written; a TerminalError naming every problem otherwise. */
export function repositorySettings(repo: Repository, trustKeys: readonly string[] = []): RepositorySettingsEntry {
  const { entry, problems } = renderRepository(repo, trustKeys);
  if (problems.length) throw new TerminalError(problems.join('; '));
  return entry;
}

/**
 * The `repositories:` block for one Registry from its Repository objects: every
 * live one that references it, a spec that cannot be rendered as written failing
 * closed (renderRepository), in a stable order (by repository name) so the
 * rendered config, and its hash, do not change between reconciles.
 */
export function repositoriesBlock(registryName: string, repositories: readonly Repository[], trustKeys: readonly string[] = []): { entries: RepositorySettingsEntry[]; invalid: { repository: Repository; reason: string }[] } {
  const entries: RepositorySettingsEntry[] = [];
  const invalid: { repository: Repository; reason: string }[] = [];
  const mine = repositories
    .filter((r) => r.spec.registryRef.name === registryName && !r.metadata.deletionTimestamp)
    .sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
  for (const repository of mine) {
    try {
      const rendered = renderRepository(repository, trustKeys);
      entries.push(rendered.entry);
      if (rendered.problems.length) invalid.push({ repository, reason: rendered.problems.join('; ') });
    } catch (err) {
      // Not even a refusal can be rendered for a name the registry refuses; no repository has that name.
      invalid.push({ repository, reason: (err as Error).message });
    }
  }
  return { entries, invalid };
}
