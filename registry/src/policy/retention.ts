// Retention rules per repository: keep the newest N tags (by when the tag was last
// pushed) and every tag matching a keep pattern, delete the other tags, then delete
// untagged manifests older than an age that nothing kept refers to (index children
// and referrers of kept manifests stay). Immutable tags are always kept. A rule in
// dry-run mode (the default) only reports what it would delete.
import { liveManifests, type LivenessNode } from '../manifest/liveness.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseDigest, type Digest } from '../reference.js';
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
    private readonly index: MetadataIndex,
    private readonly log: Logger,
    private readonly metrics: Metrics,
  ) {}

  /** Applies every rule; `dryRun` forces reporting only, whatever the rules say. */
  async apply(options: { dryRun: boolean; now?: number }, executor: RetentionExecutor): Promise<RetentionReport> {
    const report: RetentionReport = { dryRun: options.dryRun, repositories: 0, deleted: [], wouldDelete: [] };
    if (!this.settings.hasRetention) return report;
    for await (const names of this.index.repositoryNames()) {
      for (const repo of names) await this.applyTo(repo, options, executor, report);
    }
    if (report.deleted.length) this.log.info({ msg: 'retention deleted content', count: report.deleted.length });
    return report;
  }

  private async applyTo(repo: string, options: { dryRun: boolean; now?: number }, executor: RetentionExecutor, report: RetentionReport): Promise<void> {
    const rules = this.settings.retentionRules(repo);
    if (!rules.length) return;
    (report as { repositories: number }).repositories++;
    for (const { match, rule } of rules) {
      const dry = options.dryRun || rule.dryRun;
      for (const action of await this.plan(repo, match, rule, options.now ?? Date.now())) {
        if (dry) {
          report.wouldDelete.push(action);
        } else if (await this.execute(repo, action, executor)) {
          report.deleted.push(action);
          this.metrics.retentionDeleted.inc({ kind: action.kind });
        }
      }
    }
  }

  private async plan(repo: string, match: string, rule: RetentionRule, now: number): Promise<RetentionDeletion[]> {
    const out: RetentionDeletion[] = [];
    const graph = await this.index.repositoryGraph(repo);
    const deletedTags = new Set<string>();
    if (rule.keepLastTags !== undefined || rule.keepTagPatterns.length) {
      const keepPatterns = rule.keepTagPatterns.map(compileTagPattern);
      const newest = [...graph.tags.keys()]
        .sort((a, b) => (graph.tags.get(b)!.pushedAt - graph.tags.get(a)!.pushedAt) || (a < b ? 1 : -1))
        .slice(0, rule.keepLastTags ?? 0);
      for (const tag of graph.tags.keys()) {
        if (newest.includes(tag) || matchesAny(keepPatterns, tag) || this.settings.immutablePattern(repo, tag)) continue;
        deletedTags.add(tag);
        out.push({ repository: repo, rule: match, kind: 'tag', name: tag, reason: 'not among the newest tags nor matching a keep pattern' });
      }
    }
    if (rule.untaggedOlderThanSeconds !== undefined) {
      const cutoff = now - rule.untaggedOlderThanSeconds * 1000;
      const nodes = new Map<string, LivenessNode>();
      for (const [digest, m] of graph.manifests) nodes.set(digest, { subject: m.subject, children: graph.children.get(digest) ?? [] });
      // Kept: what the surviving tags reach, and young manifests (not retention's business yet).
      const roots = [...graph.tags].filter(([tag]) => !deletedTags.has(tag)).map(([, t]) => t.digest);
      for (const [digest, m] of graph.manifests) if (m.pushedAt >= cutoff) roots.push(digest);
      const kept = liveManifests(nodes, roots);
      for (const digest of graph.manifests.keys()) {
        if (!kept.has(digest)) {
          out.push({ repository: repo, rule: match, kind: 'manifest', name: digest, reason: `untagged for longer than ${rule.untaggedOlderThanSeconds}s` });
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
