// Matching an obtained inventory with the backend and storing the result per
// (digest, database): an image's findings, an index's the union of its
// platform manifests' (each child's stored too), an unsupported or non-image
// artifact's reason. Each (digest, advisory) is recorded once; `announce` marks the ones a
// re-match found, and those are returned so they can be announced exactly once.
import type { MetadataIndex, ScanResultRecord } from '../metadata/index.js';
import { LruCache } from '../storage/lru-cache.js';
import { aggregateFindings } from '../security/osv/aggregate.js';
import type { Finding } from '../security/osv/matcher.js';
import { severityRank } from '../security/osv/severity.js';
import { BackendUnavailableError, type MatchBackend } from './backends/backend.js';
import type { ImageInventory, Obtained } from './inventories.js';
import { parseStoredReport, storedReport, type StoredFinding, type StoredReport } from './report.js';

export interface StoredResult {
  readonly digest: string;
  readonly key: string;
  readonly status: ScanResultRecord['status'];
  readonly report?: StoredReport;
  /** Why, when unsupported, not applicable or failed. */
  readonly reason?: string;
  readonly updatedAt: number;
}

export interface MatchOutcome {
  readonly result: StoredResult;
  /** Advisories never seen in this digest before (announced when `announce` was set). */
  readonly added: readonly Finding[];
}

/** Results read on the pull path, cached briefly (a re-scan on another replica is seen within this time). */
const CACHE_TTL_MS = 60_000;

export class Results {
  private readonly cache = new LruCache<{ result: StoredResult; at: number }>(8192);

  constructor(private readonly index: MetadataIndex, private readonly backend: MatchBackend, private readonly now: () => number = Date.now) {}

  /** The result for the backend's current database, when there is one. */
  async current(digest: string): Promise<StoredResult | undefined> {
    const key = this.backend.resultKey();
    if (!key) return undefined;
    const cacheKey = `${digest} ${key}`;
    const hit = this.cache.get(cacheKey);
    if (hit && this.now() - hit.at < CACHE_TTL_MS) return hit.result;
    const row = await this.index.scanResult(digest, key);
    if (!row) return undefined;
    const result = resultOf(row);
    this.cache.set(cacheKey, { result, at: this.now() });
    return result;
  }

  /**
   * `reuseChildren`: an index's children already have results against the
   * current database (a re-match goes through images first), so only the
   * aggregate is made.
   */
  async matchAndStore(repo: string, obtained: Obtained, mediaType: string, options: { announce: boolean; reuseChildren?: boolean }): Promise<MatchOutcome> {
    if (obtained.kind === 'unsupported' || obtained.kind === 'not-applicable') {
      const key = this.backend.resultKey();
      if (!key) throw new BackendUnavailableError('no vulnerability database is loaded');
      return { result: await this.store(obtained.record.digest, key, obtained.kind, { reason: obtained.record.body ?? obtained.kind }), added: [] };
    }
    if (obtained.kind === 'image') return this.matchImage(repo, obtained.image, mediaType, options);
    const children: { digest: string; platform?: ImageInventory['inventory']['platform']; findings: readonly Finding[] }[] = [];
    let key: string | undefined;
    for (const child of obtained.children) {
      const stored = options.reuseChildren ? await this.current(child.record.digest) : undefined;
      const childResult = stored?.status === 'done' ? stored : (await this.matchImage(repo, child, childMediaType(mediaType), options)).result;
      key ??= childResult.key;
      children.push({ digest: child.record.digest, platform: child.inventory.platform, findings: childResult.report?.findings ?? [] });
    }
    key ??= this.backend.resultKey();
    if (!key) throw new BackendUnavailableError('no vulnerability database is loaded');
    const findings = aggregateFindings(children);
    return this.record(obtained.record.digest, key, findings, obtained.record.source, options.announce);
  }

  private async matchImage(repo: string, image: ImageInventory, mediaType: string, options: { announce: boolean }): Promise<MatchOutcome> {
    const { key, findings } = await this.backend.match({ repo, digest: image.record.digest, mediaType, inventory: image.inventory, sbom: () => image.sbom() });
    return this.record(image.record.digest, key, findings, image.record.source, options.announce);
  }

  private async record(digest: string, key: string, findings: readonly StoredFinding[], source: string, announce: boolean): Promise<MatchOutcome> {
    const report = storedReport(this.backend.name, findings, source === 'indexer' ? undefined : source, new Date(this.now()));
    const result = await this.store(digest, key, 'done', report);
    const addedIds = new Set(await this.index.recordSightings(digest, sightingsOf(findings), key, announce, this.now()));
    const seen = new Set<string>();
    const added = findings.filter((f) => addedIds.has(f.id) && !seen.has(f.id) && seen.add(f.id));
    return { result, added };
  }

  /** Records a scan that failed for good (a corrupt layer): reported, and treated as pending by policies. */
  async storeFailure(digest: string, reason: string): Promise<void> {
    const key = this.backend.resultKey();
    if (key) await this.store(digest, key, 'failed', { reason });
  }

  private async store(digest: string, key: string, status: StoredResult['status'], report: StoredReport | { reason: string }): Promise<StoredResult> {
    const updatedAt = this.now();
    await this.index.putScanResult({ digest, dbDigest: key, status, report: JSON.stringify(report), updatedAt });
    const result: StoredResult = 'findings' in report
      ? { digest, key, status, report, updatedAt }
      : { digest, key, status, reason: report.reason, updatedAt };
    this.cache.set(`${digest} ${key}`, { result, at: updatedAt });
    return result;
  }
}

function resultOf(row: ScanResultRecord): StoredResult {
  if (row.status === 'done') return { digest: row.digest, key: row.dbDigest, status: row.status, report: parseStoredReport(row.report), updatedAt: row.updatedAt };
  let reason: string = row.status;
  try {
    reason = (JSON.parse(row.report ?? '{}') as { reason?: string }).reason ?? reason;
  } catch {
    // keep the status as the reason
  }
  return { digest: row.digest, key: row.dbDigest, status: row.status, reason, updatedAt: row.updatedAt };
}

/** One sighting per advisory: its highest severity and the first package it was found in. */
function sightingsOf(findings: readonly Finding[]): { vulnId: string; severity: string; package: string }[] {
  const byId = new Map<string, { vulnId: string; severity: string; package: string }>();
  for (const f of findings) {
    const seen = byId.get(f.id);
    if (!seen) byId.set(f.id, { vulnId: f.id, severity: f.severity, package: `${f.packageName}@${f.installedVersion}` });
    else if (severityRank(f.severity) > severityRank(seen.severity as Finding['severity'])) byId.set(f.id, { ...seen, severity: f.severity });
  }
  return [...byId.values()];
}

/** The media type of an index's children, for the backend (adapters consume image manifests). */
function childMediaType(indexType: string): string {
  return indexType === 'application/vnd.docker.distribution.manifest.list.v2+json'
    ? 'application/vnd.docker.distribution.manifest.v2+json'
    : 'application/vnd.oci.image.manifest.v1+json';
}
