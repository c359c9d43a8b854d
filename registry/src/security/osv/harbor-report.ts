// Findings in Harbor's vulnerability report schema (pluggable scanner API,
// `application/vnd.security.vulnerability.report; version=1.1`), so Harbor's UI,
// its CLI clients and policy tooling read Berth's results as a scanner's.
import type { Finding } from './matcher.js';
import { severityRank, type Severity } from './severity.js';

export const HARBOR_REPORT_MEDIA_TYPE = 'application/vnd.security.vulnerability.report; version=1.1';

export interface HarborVulnerabilityItem {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  readonly fix_version: string;
  readonly severity: Severity;
  readonly description: string;
  readonly links: readonly string[];
  readonly preferred_cvss?: Finding['cvss'];
  readonly cwe_ids?: readonly string[];
  readonly vendor_attributes: Record<string, unknown>;
}

export interface HarborVulnerabilityReport {
  readonly generated_at: string;
  readonly artifact: { readonly repository: string; readonly digest: string; readonly mime_type: string };
  readonly scanner: { readonly name: string; readonly vendor: string; readonly version: string };
  readonly severity: Severity;
  readonly vulnerabilities: readonly HarborVulnerabilityItem[];
}

export interface ReportContext {
  readonly repository: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly scannerVersion: string;
  readonly dbDigest: string;
  readonly generatedAt?: Date;
  /** Only findings at or above this severity; the report's overall severity is still the highest of all. */
  readonly minSeverity?: Severity;
}

export function toHarborReport(findings: readonly Finding[], ctx: ReportContext): HarborVulnerabilityReport {
  const highest = findings.reduce<Severity>((s, f) => (severityRank(f.severity) > severityRank(s) ? f.severity : s), 'None');
  const min = ctx.minSeverity ? severityRank(ctx.minSeverity) : -1;
  return {
    generated_at: (ctx.generatedAt ?? new Date()).toISOString(),
    artifact: { repository: ctx.repository, digest: ctx.digest, mime_type: ctx.mediaType },
    scanner: { name: 'Berth', vendor: 'Berth', version: ctx.scannerVersion },
    severity: highest,
    vulnerabilities: findings
      .filter((f) => severityRank(f.severity) >= min)
      .map((f) => ({
        id: f.id,
        package: f.packageName,
        version: f.installedVersion,
        fix_version: f.fixedVersion ?? '',
        severity: f.severity,
        description: f.summary ?? '',
        links: f.links,
        ...(Object.keys(f.cvss).length ? { preferred_cvss: f.cvss } : {}),
        vendor_attributes: { purl: f.purl, aliases: f.aliases, osv_ecosystem: f.ecosystem, osv_package: f.osvName, vulndb: ctx.dbDigest },
      })),
  };
}
