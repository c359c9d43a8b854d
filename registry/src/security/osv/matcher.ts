// The built-in matcher: an inventory (or any list of purls) against a
// VulnDatabase. It reads no layer: everything it needs is in the purls.
import type { Inventory } from '../inventory/model.js';
import type { VulnDatabase } from './database.js';
import { osvQueryOfPurl } from './query.js';
import { affectedHit } from './ranges.js';
import { severityOf, type Cvss, type Severity } from './severity.js';

export interface Finding {
  readonly id: string;
  readonly aliases: readonly string[];
  /** The installed package as the SBOM names it. */
  readonly purl: string;
  readonly packageName: string;
  readonly installedVersion: string;
  /** How the advisory named it (source package for Debian/Alpine, PEP 503 for PyPI). */
  readonly ecosystem: string;
  readonly osvName: string;
  readonly fixedVersion?: string;
  readonly severity: Severity;
  readonly cvss: Cvss;
  readonly summary?: string;
  readonly links: readonly string[];
}

export interface MatchablePackage {
  readonly purl: string;
  readonly name: string;
  readonly version: string;
}

/** Findings for one package, one per advisory (the first affected entry that matches decides). */
export function matchPackage(db: VulnDatabase, pkg: MatchablePackage): Finding[] {
  return db.remember(`${pkg.purl}\0${pkg.name}\0${pkg.version}`, () => computeMatches(db, pkg));
}

function computeMatches(db: VulnDatabase, pkg: MatchablePackage): Finding[] {
  const query = osvQueryOfPurl(pkg.purl);
  if (!query) return [];
  const seen = new Set<string>();
  const findings: Finding[] = [];
  for (const { vuln, affected } of db.candidates(query.ecosystem, query.name)) {
    if (seen.has(vuln.id)) continue;
    const hit = affectedHit(affected, query.ecosystem, query.version);
    if (!hit) continue;
    seen.add(vuln.id);
    const { severity, cvss } = severityOf(vuln, affected);
    findings.push({
      id: vuln.id,
      aliases: vuln.aliases ?? [],
      purl: pkg.purl,
      packageName: pkg.name,
      installedVersion: pkg.version,
      ecosystem: query.ecosystem,
      osvName: query.name,
      fixedVersion: hit.fixed,
      severity,
      cvss,
      summary: vuln.summary ?? vuln.details?.split('\n')[0],
      links: (vuln.references ?? []).map((r) => r.url),
    });
  }
  return findings;
}

/** Every finding of an inventory, sorted by package then advisory. */
export function matchInventory(db: VulnDatabase, inventory: Pick<Inventory, 'packages'>): Finding[] {
  const out: Finding[] = [];
  for (const pkg of inventory.packages) out.push(...matchPackage(db, pkg));
  return out.sort((a, b) => (a.purl === b.purl ? a.id.localeCompare(b.id) : a.purl.localeCompare(b.purl)));
}

/** The key a finding is announced under: one event per new (digest, advisory, package). */
export function findingKey(f: Pick<Finding, 'id' | 'purl'>): string {
  return `${f.id} ${f.purl}`;
}

/** Findings in `current` whose key was not in `previous`: what a new DB adds. */
export function newFindings(previous: Iterable<string>, current: readonly Finding[]): Finding[] {
  const before = new Set(previous);
  return current.filter((f) => !before.has(findingKey(f)));
}
