// Retention rules per repository: keep the newest N tags (by when the tag was last
// pushed) and every tag matching a keep pattern, delete the other tags, then delete
// untagged manifests older than an age that nothing kept refers to (index children
// and referrers of kept manifests stay). Immutable tags are always kept. A rule in
// dry-run mode (the default) only reports what it would delete.
import { liveManifests } from '../manifest/liveness.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseDigest, type Digest } from '../reference.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { RepositorySettings, RetentionRule } from './repository-settings.js';
import { compileTagPattern, matchesAny } from './tag-pattern.js';

export interface RetentionDeletion {
  readonly repository: string;
  readonly rule: string;
  readonly kind: 'tag' | 'manifest';
  /** The tag, or the manifest digest. */
  readonly name: string;
  readonly reason: string;
}

export interface RetentionReport {
  readonly dryRun: boolean;
  readonly repositories: number;
  readonly deleted: RetentionDeletion[];
  readonly wouldDelete: RetentionDeletion[];
}

/** Carries out deletions through the write path, so events, quotas and the index follow. Each returns false when the object was already gone. */
export interface RetentionExecutor {
  deleteTag(repo: string, tag: string, reason: string): Promise<boolean>;
  deleteManifest(repo: string, digest: Digest, reason: string): Promise<boolean>;
}

export class Retention {
  constructor(
    private readonly settings: RepositorySettings,
    private readonly storage: RegistryStorage,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Applies every rule; `dryRun` forces reporting only, whatever the rules say. */
  async apply(options: { dryRun: boolean; now?: number }, executor: RetentionExecutor): Promise<RetentionReport> {
    const report: RetentionReport = { dryRun: options.dryRun, repositories: 0, deleted: [], wouldDelete: [] };
    if (!this.settings.hasRetention) return report;
    for (const repo of await this.storage.repositories.list()) {
      const rules = this.settings.retentionRules(repo);
      if (!rules.length) continue;
      (report as { repositories: number }).repositories++;
      for (const { match, rule } of rules) {
        const dry = options.dryRun || rule.dryRun;
        const actions = await this.plan(repo, match, rule, options.now ?? Date.now());
        for (const action of actions) {
          if (dry) {
            report.wouldDelete.push(action);
            continue;
          }
          if (await this.execute(repo, action, executor)) {
            report.deleted.push(action);
            this.metrics.retentionDeleted.inc({ kind: action.kind });
          }
        }
      }
    }
    if (report.deleted.length) this.log.info({ msg: 'retention deleted content', count: report.deleted.length });
    return report;
  }

  private async plan(repo: string, match: string, rule: RetentionRule, now: number): Promise<RetentionDeletion[]> {
    const out: RetentionDeletion[] = [];
    const tagTargets = new Map<string, Digest>();
    const tagTimes = new Map<string, number>();
    for (const tag of (await this.storage.tags.list(repo)) ?? []) {
      const d = await this.storage.tags.resolve(repo, tag);
      if (!d) continue;
      tagTargets.set(tag, d);
      tagTimes.set(tag, (await this.storage.tags.writtenAt(repo, tag)) ?? 0);
    }
    const deletedTags = new Set<string>();
    if (rule.keepLastTags !== undefined || rule.keepTagPatterns.length) {
      const keepPatterns = rule.keepTagPatterns.map(compileTagPattern);
      const newest = [...tagTargets.keys()]
        .sort((a, b) => (tagTimes.get(b)! - tagTimes.get(a)!) || (a < b ? 1 : -1))
        .slice(0, rule.keepLastTags ?? 0);
      for (const tag of tagTargets.keys()) {
        if (newest.includes(tag) || matchesAny(keepPatterns, tag) || this.settings.immutablePattern(repo, tag)) continue;
        deletedTags.add(tag);
        out.push({ repository: repo, rule: match, kind: 'tag', name: tag, reason: 'not among the newest tags nor matching a keep pattern' });
      }
    }
    if (rule.untaggedOlderThanSeconds !== undefined) {
      const cutoff = now - rule.untaggedOlderThanSeconds * 1000;
      const nodes = await this.storage.manifests.graph(repo);
      // Kept: what the surviving tags reach, and young manifests (not retention's business yet).
      const roots = [...tagTargets].filter(([tag]) => !deletedTags.has(tag)).map(([, d]) => d.value);
      for (const [value, { meta }] of nodes) if (Date.parse(meta.pushedAt) >= cutoff) roots.push(value);
      const kept = liveManifests(nodes, roots);
      for (const value of nodes.keys()) {
        if (!kept.has(value)) {
          out.push({ repository: repo, rule: match, kind: 'manifest', name: value, reason: `untagged for longer than ${rule.untaggedOlderThanSeconds}s` });
        }
      }
    }
    return out;
  }

  private async execute(repo: string, action: RetentionDeletion, executor: RetentionExecutor): Promise<boolean> {
    if (action.kind === 'tag') return executor.deleteTag(repo, action.name, action.reason);
    const d = parseDigest(action.name);
    return d ? executor.deleteManifest(repo, d, action.reason) : false;
  }
}
