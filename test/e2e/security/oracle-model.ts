// What osv-scanner v2.5.0 answers, modelled on Berth's matcher with its three
// known defects switched on (and, for `scan source -L`, its reading of
// CycloneDX component names). The oracle test requires osv-scanner's output to
// equal this model exactly, so every disagreement with Berth is one of the
// named defects, not an unexplained difference.
import { normalizeName, ecosystemsMatch, parseEcosystem } from '../../../registry/src/security/osv/ecosystem.js';
import { osvQueryOfPurl } from '../../../registry/src/security/osv/query.js';
import { affectedHit } from '../../../registry/src/security/osv/ranges.js';
import type { OsvAffected, OsvVulnerability } from '../../../registry/src/security/osv/schema.js';
import type { Inventory } from '../../../registry/src/security/inventory/model.js';
import { normalizePythonName } from '../../../registry/src/security/versions/pep440.js';

export interface Quirks {
  /** PyPI: the installed name is normalized, the advisory's is not. */
  readonly pypiNameAsWritten: boolean;
  /** A range that is not ECOSYSTEM/SEMVER ends the search. */
  readonly stopAtGitRange: boolean;
  /** Debian: compare the binary package's version. */
  readonly debianBinaryVersion: boolean;
  /** SBOM input: the CycloneDX component name, not purl upstream=, names OS packages. */
  readonly sbomComponentName: boolean;
}

export const BERTH: Quirks = { pypiNameAsWritten: false, stopAtGitRange: false, debianBinaryVersion: false, sbomComponentName: false };
export const OSV_SCANNER_IMAGE: Quirks = { pypiNameAsWritten: true, stopAtGitRange: true, debianBinaryVersion: true, sbomComponentName: false };
export const OSV_SCANNER_SBOM: Quirks = { ...OSV_SCANNER_IMAGE, sbomComponentName: true };

/** "<ecosystem base>|<name as matched>|<advisory id>" */
export type FindingKey = string;

function affects(a: OsvAffected, ecosystem: string, version: string, q: Quirks): boolean {
  let ranges = a.ranges ?? [];
  if (q.stopAtGitRange) {
    const stop = ranges.findIndex((r) => r.type !== 'ECOSYSTEM' && r.type !== 'SEMVER');
    if (stop >= 0) ranges = ranges.slice(0, stop);
  }
  if (!ranges.length && !a.versions?.length) return false;
  return !!affectedHit({ ...a, ranges }, ecosystem, version);
}

export function modelFindings(docs: readonly OsvVulnerability[], inventory: Inventory, q: Quirks): Set<FindingKey> {
  const out = new Set<FindingKey>();
  for (const pkg of inventory.packages) {
    const query = osvQueryOfPurl(pkg.purl);
    if (!query) continue;
    const base = parseEcosystem(query.ecosystem).base;
    const os = base === 'Debian' || base === 'Alpine';
    const name = q.sbomComponentName && os ? pkg.name : query.name;
    const version = (q.debianBinaryVersion && base === 'Debian') || (q.sbomComponentName && os) ? pkg.version : query.version;
    for (const doc of docs) {
      if (doc.withdrawn) continue;
      for (const a of doc.affected ?? []) {
        if (!a.package || !ecosystemsMatch(a.package.ecosystem, query.ecosystem)) continue;
        const advisoryName = base === 'PyPI' ? (q.pypiNameAsWritten ? a.package.name : normalizePythonName(a.package.name)) : normalizeName(base, a.package.name);
        if (advisoryName !== name) continue;
        if (affects(a, query.ecosystem, version, q)) {
          out.add(`${base}|${name}|${doc.id}`);
          break;
        }
      }
    }
  }
  return out;
}
