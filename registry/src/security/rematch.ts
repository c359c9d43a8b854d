// Re-match, not re-scan: stored inventories (or the CycloneDX SBOMs that are
// their stored form) against a new database. No layer is opened: the purls
// carry everything the matcher needs.
import { inventoryFromCycloneDx } from './inventory/cyclonedx.js';
import type { Inventory } from './inventory/model.js';
import type { VulnDatabase } from './osv/database.js';
import { findingKey, matchInventory, newFindings, type Finding } from './osv/matcher.js';

export interface StoredInventory {
  readonly digest: string;
  /** The inventory itself, or its CycloneDX JSON (ours or a user-pushed SBOM). */
  readonly inventory: Inventory | string;
  /** Finding keys already announced for this digest (from the previous match). */
  readonly previousKeys?: Iterable<string>;
}

export interface RematchResult {
  readonly digest: string;
  readonly dbDigest: string;
  readonly findings: readonly Finding[];
  /** Findings not in previousKeys: each gets exactly one event. */
  readonly added: readonly Finding[];
  readonly keys: readonly string[];
}

export async function* rematch(stored: AsyncIterable<StoredInventory> | Iterable<StoredInventory>, db: VulnDatabase): AsyncGenerator<RematchResult> {
  for await (const s of stored) {
    const inventory = typeof s.inventory === 'string' ? inventoryFromCycloneDx(s.inventory, s.digest) : s.inventory;
    const findings = matchInventory(db, inventory);
    yield {
      digest: s.digest,
      dbDigest: db.digest,
      findings,
      added: s.previousKeys ? newFindings(s.previousKeys, findings) : findings,
      keys: findings.map(findingKey),
    };
  }
}
