// The stored form of a scan result (scan_results.report): the findings and their
// counts per severity, each advisory counted once at its highest severity. The
// API serves it in Harbor's schema; the UI reads the same row.
import type { AggregatedFinding } from '../security/osv/aggregate.js';
import type { Finding } from '../security/osv/matcher.js';
import { SEVERITIES, severityRank, type Severity } from '../security/osv/severity.js';

export type StoredFinding = Finding & { readonly platforms?: AggregatedFinding['platforms'] };

export interface StoredReport {
  /** The backend that matched, and the database (or adapter) the result is against. */
  readonly backend: string;
  readonly scannedAt: string;
  readonly findings: readonly StoredFinding[];
  readonly counts: Readonly<Record<Severity, number>>;
  /** How the inventory was obtained: Berth's indexer, or a user-pushed SBOM (`sbom:<digest>`). */
  readonly source?: string;
}

export interface FailedReport {
  readonly reason: string;
}

/** Distinct advisories per severity; an advisory found at several severities counts at its highest. */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const highest = new Map<string, Severity>();
  for (const f of findings) {
    const seen = highest.get(f.id);
    if (!seen || severityRank(f.severity) > severityRank(seen)) highest.set(f.id, f.severity);
  }
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const s of highest.values()) counts[s]++;
  return counts;
}

export function storedReport(backend: string, findings: readonly StoredFinding[], source: string | undefined, at = new Date()): StoredReport {
  return { backend, scannedAt: at.toISOString(), findings, counts: countBySeverity(findings), ...(source ? { source } : {}) };
}

export function parseStoredReport(text: string | undefined): StoredReport | undefined {
  if (!text) return undefined;
  const r = JSON.parse(text) as Partial<StoredReport>;
  return Array.isArray(r.findings) ? (r as StoredReport) : undefined;
}
