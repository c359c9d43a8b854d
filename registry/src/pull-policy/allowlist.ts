// A repository's CVE allowlist: entries that preventVulnerable ignores until
// they expire. An entry names an advisory id or any of its aliases (a CVE id
// covers the GHSA or DSA that aliases it). Expired entries no longer apply,
// and allowlisted findings stay in every report, flagged.
import { expiryTime, type CveAllowlistEntry } from '#contract/config/security.js';
import type { Finding } from '../security/osv/matcher.js';

export class Allowlist {
  private readonly entries: readonly { id: string; until: number; entry: CveAllowlistEntry }[];

  constructor(entries: readonly CveAllowlistEntry[]) {
    this.entries = entries.map((entry) => ({ id: entry.id.toUpperCase(), until: entry.expires ? expiryTime(entry.expires) ?? 0 : Infinity, entry }));
  }

  /** The entry that covers the finding at `now`, if any. */
  covering(finding: Pick<Finding, 'id' | 'aliases'>, now: number): CveAllowlistEntry | undefined {
    const ids = new Set([finding.id, ...finding.aliases].map((x) => x.toUpperCase()));
    return this.entries.find((e) => ids.has(e.id) && now < e.until)?.entry;
  }

  /** Entries that have expired at `now` (reported, never applied). */
  expired(now: number): CveAllowlistEntry[] {
    return this.entries.filter((e) => now >= e.until).map((e) => e.entry);
  }

  static readonly EMPTY = new Allowlist([]);
}
