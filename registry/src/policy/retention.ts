// Retention rules per repository: keep the newest N tags (by when the tag was last
// pushed) and every tag matching a keep pattern, delete the other tags, then delete
// untagged manifests older than an age that nothing kept refers to (index children
// and referrers of kept manifests stay). Immutable tags are always kept. A rule in
// dry-run mode (the default) only reports what it would delete.
import { Code, hasCode } from '../errors.js';
import { parseDigest, type Digest } from '../reference.js';
import { referencesOf } from '../gc/references.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/metrics.js';
import { isNotFound } from '../storage/driver/driver.js';
import type { ManifestMeta } from '../storage/manifest-store.js';
import { paths } from '../storage/paths.js';
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

export class Retention {
  constructor(
    private readonly settings: RepositorySettings,
    private readonly storage: RegistryStorage,
    private readonly log: Logger,
    private readonly onDelete: (d: RetentionDeletion) => void = () => undefined,
    private readonly metrics?: Metrics,
  ) {}

  /** Applies every rule; `dryRun` forces reporting only, whatever the rules say. */
  async apply(options: { dryRun: boolean; now?: number }): Promise<RetentionReport> {
    const report: RetentionReport = { dryRun: options.dryRun, repositories: 0, deleted: [], wouldDelete: [] };
    if (!this.settings.hasRetention) return report;
    for (const repo of await this.storage.catalog.list()) {
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
          if (await this.execute(repo, action)) {
            report.deleted.push(action);
            this.metrics?.retentionDeleted.inc({ kind: action.kind });
            this.onDelete(action);
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
      tagTimes.set(tag, await this.modTime(paths.tag(repo, tag)));
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
      const metas = new Map<string, { digest: Digest; meta: ManifestMeta }>();
      for (const d of await this.storage.manifests.list(repo)) {
        const meta = await this.storage.manifests.meta(repo, d);
        if (meta) metas.set(d.value, { digest: d, meta });
      }
      const kept = new Set<string>();
      const keep = async (value: string): Promise<void> => {
        if (kept.has(value) || !metas.has(value)) return;
        kept.add(value);
        const body = await this.storage.blobs.read(metas.get(value)!.digest).catch(() => undefined);
        if (body) for (const child of referencesOf(body).manifests) await keep(child.value);
      };
      for (const [tag, d] of tagTargets) if (!deletedTags.has(tag)) await keep(d.value);
      for (const [value, { meta }] of metas) {
        if (Date.parse(meta.pushedAt) >= cutoff) await keep(value); // young manifests are not retention's business yet
      }
      for (let changed = true; changed;) {
        changed = false;
        for (const [value, { meta }] of metas) {
          if (!kept.has(value) && meta.subject && kept.has(meta.subject)) {
            await keep(value);
            changed = true;
          }
        }
      }
      for (const [value] of metas) {
        if (!kept.has(value)) {
          out.push({ repository: repo, rule: match, kind: 'manifest', name: value, reason: `untagged for longer than ${rule.untaggedOlderThanSeconds}s` });
        }
      }
    }
    return out;
  }

  private async execute(repo: string, action: RetentionDeletion): Promise<boolean> {
    if (action.kind === 'tag') return this.storage.tags.delete(repo, action.name);
    const d = parseDigest(action.name);
    if (!d) return false;
    try {
      await this.storage.manifests.delete(repo, d);
      return true;
    } catch (err) {
      if (hasCode(err, Code.MANIFEST_UNKNOWN)) return false;
      throw err;
    }
  }

  private async modTime(path: string): Promise<number> {
    try {
      return (await this.storage.driver.stat(path)).modTime.getTime();
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
  }
}
