// Reads of supply-chain results: point reads for the pull path (a result, a
// verdict), slices of stored inventories for re-matching, and the announced
// advisories of a repository's tagged images for the operator's Events.
import type { Db } from '../engine/engine.js';
import type { InventoryKind, InventoryRecord, KnownVulnerability, Page, Platform, ScanResultRecord, ScanStatus, SignatureVerdictRecord } from '../types.js';
import { pageSize } from './cursor.js';
import { defined, parseJson } from './rows.js';

type InventoryRow = {
  digest: string; kind: string; source: string; indexer: string; sbom_digest: string | null;
  platform: string | null; children: string | null; body: string | null; created_at: number;
};

function inventoryRecord(r: InventoryRow): InventoryRecord {
  return defined<InventoryRecord>({
    digest: r.digest,
    kind: r.kind as InventoryKind,
    source: r.source,
    indexer: r.indexer,
    sbomDigest: r.sbom_digest ?? undefined,
    platform: parseJson<Platform>(r.platform),
    children: parseJson<string[]>(r.children),
    body: r.body ?? undefined,
    createdAt: r.created_at,
  });
}

export async function getInventory(db: Db, digest: string): Promise<InventoryRecord | undefined> {
  const row = await db.selectFrom('inventories').selectAll().where('digest', '=', digest).executeTakeFirst();
  return row && inventoryRecord(row);
}

/** Inventories of one kind after `after`, by digest. */
export async function inventorySlice(db: Db, kind: InventoryKind, after: string, limit: number): Promise<InventoryRecord[]> {
  const rows = await db.selectFrom('inventories').selectAll().where('kind', '=', kind).where('digest', '>', after)
    .orderBy('digest').limit(limit).execute();
  return rows.map(inventoryRecord);
}

export async function getScanResult(db: Db, digest: string, dbDigest: string): Promise<ScanResultRecord | undefined> {
  const r = await db.selectFrom('scan_results').selectAll().where('digest', '=', digest).where('db_digest', '=', dbDigest).executeTakeFirst();
  return r && defined<ScanResultRecord>({ digest: r.digest, dbDigest: r.db_digest, status: r.status as ScanStatus, report: r.report ?? undefined, updatedAt: r.updated_at });
}

export interface ScanCounts {
  readonly inventories: number;
  readonly results: number;
}

export async function scanCounts(db: Db, dbDigest: string | undefined): Promise<ScanCounts> {
  const inv = await db.selectFrom('inventories').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst();
  const res = dbDigest === undefined ? undefined
    : await db.selectFrom('scan_results').select((eb) => eb.fn.countAll<number>().as('n')).where('db_digest', '=', dbDigest).executeTakeFirst();
  return { inventories: Number(inv?.n ?? 0), results: Number(res?.n ?? 0) };
}

/** Advisories announced (found by a re-match) in manifests tagged in `repo`, after id `after`, oldest first, with those tags. */
export async function announcedVulnerabilities(db: Db, repo: string, after: number, limit?: number): Promise<Page<KnownVulnerability & { tags: string[] }>> {
  const n = pageSize(limit, 100, 1000);
  const rows = await db.selectFrom('known_vulnerabilities as k').selectAll('k')
    .where('k.announced', '=', 1).where('k.id', '>', after)
    .where((eb) => eb.exists(eb.selectFrom('tags as t').select('t.tag').where('t.repo', '=', repo).whereRef('t.digest', '=', 'k.digest')))
    .orderBy('k.id').limit(n + 1).execute();
  const items: (KnownVulnerability & { tags: string[] })[] = [];
  for (const r of rows.slice(0, n)) {
    const tags = await db.selectFrom('tags').select('tag').where('repo', '=', repo).where('digest', '=', r.digest).orderBy('tag').execute();
    items.push({
      id: Number(r.id), digest: r.digest, vulnId: r.vuln_id, severity: r.severity, package: r.package, dbDigest: r.db_digest,
      announced: true, firstSeen: r.first_seen, tags: tags.map((t) => t.tag),
    });
  }
  return defined({ items, next: rows.length > n ? String(items.at(-1)!.id) : undefined });
}

export async function getSignatureVerdict(db: Db, repo: string, digest: string, keyset: string): Promise<SignatureVerdictRecord | undefined> {
  const r = await db.selectFrom('signature_verdicts').selectAll().where('repo', '=', repo).where('digest', '=', digest).where('keyset', '=', keyset).executeTakeFirst();
  return r && { repo: r.repo, digest: r.digest, keyset: r.keyset, signed: r.signed === 1, verdict: r.verdict, updatedAt: r.updated_at };
}

/** Repositories holding a manifest, with its tags in each. */
export async function placesOf(db: Db, digest: string): Promise<{ repo: string; tags: string[] }[]> {
  const repos = await db.selectFrom('manifests').select('repo').where('digest', '=', digest).orderBy('repo').execute();
  const out: { repo: string; tags: string[] }[] = [];
  for (const { repo } of repos) {
    const tags = await db.selectFrom('tags').select('tag').where('repo', '=', repo).where('digest', '=', digest).orderBy('tag').execute();
    out.push({ repo, tags: tags.map((t) => t.tag) });
  }
  return out;
}

/** Indexes in the repository that list `digest` as a child. */
export async function indexesListing(db: Db, repo: string, digest: string): Promise<string[]> {
  const rows = await db.selectFrom('manifest_refs').select('digest')
    .where('ref_digest', '=', digest).where('repo', '=', repo).where('kind', '=', 'manifest').orderBy('digest').execute();
  return rows.map((r) => r.digest);
}
