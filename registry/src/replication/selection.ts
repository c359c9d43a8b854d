// Which tags a sync or replication rule copies: the tag globs minus the excluded
// ones, then only semantic versions inside the rule's range (a leading "v" is
// fine), then the newest N (by version when the tags are versions, else by name).
import semver from 'semver';
import { compileTagPattern, matchesAny } from '../policy/tag-pattern.js';

export interface TagSelection {
  readonly tags: readonly string[];
  readonly excludeTags: readonly string[];
  readonly semver?: string;
  readonly newest?: number;
}

export class TagSelector {
  private readonly include: RegExp[];
  private readonly exclude: RegExp[];

  constructor(private readonly rule: TagSelection) {
    this.include = rule.tags.map(compileTagPattern);
    this.exclude = rule.excludeTags.map(compileTagPattern);
  }

  /** Whether one tag qualifies, before "newest N" (a push is judged by this). */
  matches(tag: string): boolean {
    if (!matchesAny(this.include, tag) || matchesAny(this.exclude, tag)) return false;
    if (this.rule.semver === undefined) return true;
    const version = semver.valid(tag.replace(/^v/, ''), { loose: true });
    return version !== null && semver.satisfies(version, this.rule.semver, { loose: true });
  }

  /** The tags to copy out of all of a repository's tags. */
  select(all: readonly string[]): string[] {
    const chosen = all.filter((t) => this.matches(t));
    if (this.rule.newest === undefined) return chosen.sort();
    return chosen.sort(newestFirst).slice(0, this.rule.newest).sort();
  }
}

/** Versions newest first (any version before any non-version), then names in reverse order. */
function newestFirst(a: string, b: string): number {
  const va = semver.valid(a.replace(/^v/, ''), { loose: true });
  const vb = semver.valid(b.replace(/^v/, ''), { loose: true });
  if (va && vb) return semver.rcompare(va, vb, true) || (a < b ? 1 : -1);
  if (va) return -1;
  if (vb) return 1;
  return a < b ? 1 : a > b ? -1 : 0;
}
