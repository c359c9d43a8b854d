// A matching backend: given an image's inventory (and its SBOM), the findings.
// The inventory and the SBOM are always Berth's own (or the user's SBOM); the
// backend decides only which advisories apply. Results are stored under the
// backend's `resultKey`: the database's digest for the built-in matcher, so a
// new database means new results, found without reading a layer.
import type { Inventory } from '../../security/inventory/model.js';
import type { Finding } from '../../security/osv/matcher.js';

export interface MatchTarget {
  readonly repo: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly inventory: Inventory;
  /** The CycloneDX JSON of the inventory (or the user's SBOM as pushed). */
  sbom(): string;
}

export interface MatchBackend {
  readonly name: 'builtin' | 'osv-scanner' | 'harbor-adapter';
  /** What results are stored under right now; undefined while the backend cannot match (no database loaded). */
  resultKey(): string | undefined;
  /** Whether a new vulnerability database changes this backend's results (then stored inventories are re-matched). */
  readonly followsVulnDb: boolean;
  /** Findings and the key they are stored under (read once, so a database swapped mid-scan cannot mislabel them). */
  match(target: MatchTarget): Promise<MatchResult>;
}

export interface MatchResult {
  readonly key: string;
  readonly findings: Finding[];
}

/** A backend that cannot match at the moment (no database, adapter unreachable): the scan is left pending. */
export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}
