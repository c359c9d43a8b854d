// The `repositories:` block of the config, resolved per repository. An entry's
// `match` is an exact name or a prefix pattern (`team-a/**`); a repository takes the
// immutable tags and retention of every entry it matches, and counts against the
// quota of every matching entry that sets one (its own and its team's).
import { compileRepositoryPattern } from '#contract/auth/repository-pattern.js';
import type { RegistryConfig } from '#contract/config/schema.js';
import { compileTagPattern } from './tag-pattern.js';

type Entry = RegistryConfig['repositories'][number];
export type RetentionRule = NonNullable<Entry['retention']>;
export type RepositorySecurityRule = NonNullable<Entry['security']>;

export interface QuotaScope {
  /** The entry's `match`, which names the scope. */
  readonly key: string;
  readonly limitBytes: number;
  readonly pattern: RegExp;
}

interface Compiled {
  readonly entry: Entry;
  readonly pattern: RegExp;
  /** `pattern` minus the quota-exempt namespaces. */
  readonly quotaPattern: RegExp;
  readonly immutable: RegExp[];
}

export interface SettingsOptions {
  /**
   * Namespaces whose repositories count against no quota scope: a pull-through
   * cache's (`docker.io`), whose bytes count against the cache's own size limit.
   */
  readonly quotaExemptNamespaces?: readonly string[];
}

export class RepositorySettings {
  private readonly compiled: Compiled[];

  constructor(entries: readonly Entry[], options: SettingsOptions = {}) {
    const namespaces = options.quotaExemptNamespaces ?? [];
    const exempt = namespaces.length ? `(?!(?:${namespaces.map((n) => n.replace(/[.-]/g, '\\$&')).join('|')})/)` : '';
    this.compiled = entries.map((entry) => {
      const pattern = compileRepositoryPattern(entry.match);
      return {
        entry, pattern,
        quotaPattern: exempt ? new RegExp(`^${exempt}(?:${pattern.source})`) : pattern,
        immutable: entry.immutableTags.map(compileTagPattern),
      };
    });
  }

  private matching(repo: string): Compiled[] {
    return this.compiled.filter((c) => c.pattern.test(repo));
  }

  /** The first immutable-tag pattern (as written) the tag matches, or undefined. */
  immutablePattern(repo: string, tag: string): string | undefined {
    for (const c of this.matching(repo)) {
      const i = c.immutable.findIndex((re) => re.test(tag));
      if (i >= 0) return c.entry.immutableTags[i];
    }
    return undefined;
  }

  /** Every immutable-tag pattern (as written) that applies to the repository. */
  immutablePatterns(repo: string): string[] {
    return this.matching(repo).flatMap((c) => c.entry.immutableTags);
  }

  hasImmutableTags(repo: string): boolean {
    return this.matching(repo).some((c) => c.immutable.length > 0);
  }

  retentionRules(repo: string): { match: string; rule: RetentionRule }[] {
    return this.matching(repo).flatMap((c) => (c.entry.retention ? [{ match: c.entry.match, rule: c.entry.retention }] : []));
  }

  /** The pull policies and allowlists of every entry the repository matches, with the entry's `match`. */
  securityRules(repo: string): { match: string; rule: RepositorySecurityRule }[] {
    return this.matching(repo).flatMap((c) => (c.entry.security ? [{ match: c.entry.match, rule: c.entry.security }] : []));
  }

  /** Quota scopes of a repository, in a fixed order (locks are taken in this order). */
  quotaScopes(repo: string): QuotaScope[] {
    return this.allQuotaScopes().filter((s) => s.pattern.test(repo));
  }

  allQuotaScopes(): QuotaScope[] {
    return this.compiled
      .filter((c) => c.entry.quotaBytes !== undefined)
      .map((c) => ({ key: c.entry.match, limitBytes: c.entry.quotaBytes!, pattern: c.quotaPattern }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get hasRetention(): boolean {
    return this.compiled.some((c) => c.entry.retention);
  }
}
