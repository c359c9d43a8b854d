// Writes of supply-chain results: inventories, scan results, the first sighting
// of each (digest, advisory), signature verdicts, and their removal when GC
// deletes the manifest they describe. None of them is a repository fact, so no
// counter or invalidation is involved.
import type { Db } from '../engine/engine.js';
import type { InventoryRecord, ScanResultRecord, SignatureVerdictRecord } from '../types.js';
import { chunks } from '../engine/statement-shapes.js';

export async function putInventory(db: Db, r: InventoryRecord): Promise<void> {
  const row = {
    digest: r.digest,
    kind: r.kind,
    source: r.source,
    indexer: r.indexer,
    sbom_digest: r.sbomDigest ?? null,
    platform: r.platform ? JSON.stringify(r.platform) : null,
    children: r.children ? JSON.stringify(r.children) : null,
    body: r.body ?? null,
    created_at: r.createdAt,
  };
  const { digest: _key, ...update } = row;
  await db.insertInto('inventories').values(row).onConflict((oc) => oc.column('digest').doUpdateSet(update)).execute();
}

export async function setInventorySbom(db: Db, digest: string, sbomDigest: string): Promise<void> {
  await db.updateTable('inventories').set({ sbom_digest: sbomDigest }).where('digest', '=', digest).execute();
}

export async function putScanResult(db: Db, r: ScanResultRecord): Promise<void> {
  const row = { digest: r.digest, db_digest: r.dbDigest, status: r.status, report: r.report ?? null, updated_at: r.updatedAt };
  await db.insertInto('scan_results').values(row)
    .onConflict((oc) => oc.columns(['digest', 'db_digest']).doUpdateSet({ status: row.status, report: row.report, updated_at: row.updated_at }))
    .execute();
}

/** Removes a digest's results against other databases: only the current one is kept. */
export async function pruneScanResults(db: Db, digest: string, keepDbDigest: string): Promise<void> {
  await db.deleteFrom('scan_results').where('digest', '=', digest).where('db_digest', '!=', keepDbDigest).execute();
}

export interface Sighting {
  readonly vulnId: string;
  readonly severity: string;
  readonly package: string;
}

/**
 * Records advisories found in a digest; returns those never seen in it before.
 * The unique (digest, advisory) key makes this the one place that decides what is
 * new: two replicas re-matching at once insert each pair once, and only the one
 * whose insert wins announces it.
 */
export async function recordSightings(db: Db, digest: string, sightings: readonly Sighting[], dbDigest: string, announce: boolean, at: number): Promise<string[]> {
  const added: string[] = [];
  for (const slice of chunks([...sightings].sort((a, b) => (a.vulnId < b.vulnId ? -1 : a.vulnId > b.vulnId ? 1 : 0)), 64)) {
    const rows = await db.insertInto('known_vulnerabilities')
      .values(slice.map((s) => ({ digest, vuln_id: s.vulnId, severity: s.severity, package: s.package, db_digest: dbDigest, announced: announce ? 1 : 0, first_seen: at })))
      .onConflict((oc) => oc.columns(['digest', 'vuln_id']).doNothing())
      .returning('vuln_id')
      .execute();
    added.push(...rows.map((r) => r.vuln_id));
  }
  return added;
}

export async function putSignatureVerdict(db: Db, r: SignatureVerdictRecord): Promise<void> {
  const row = { repo: r.repo, digest: r.digest, keyset: r.keyset, signed: r.signed ? 1 : 0, verdict: r.verdict, updated_at: r.updatedAt };
  await db.insertInto('signature_verdicts').values(row)
    .onConflict((oc) => oc.columns(['repo', 'digest', 'keyset']).doUpdateSet({ signed: row.signed, verdict: row.verdict, updated_at: row.updated_at }))
    .execute();
}

/** Every supply-chain row about these digests (GC deleted their manifests). */
export async function forgetSecurity(db: Db, digests: readonly string[]): Promise<void> {
  for (const slice of chunks(digests, 256)) {
    await db.deleteFrom('inventories').where('digest', 'in', slice).execute();
    await db.deleteFrom('scan_results').where('digest', 'in', slice).execute();
    await db.deleteFrom('known_vulnerabilities').where('digest', 'in', slice).execute();
    await db.deleteFrom('signature_verdicts').where('digest', 'in', slice).execute();
  }
}
