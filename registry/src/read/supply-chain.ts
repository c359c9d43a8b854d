// What the supply-chain features stored, read for people: a scan result as a
// severity summary and a list of vulnerabilities (the stored report's findings,
// scanning/report.ts; a Harbor v1.1 report's `vulnerabilities` are read too), and
// signature verdicts as signed or not, by whom.
// Stored rows are read leniently: a report or verdict in a shape this does not
// know shows its status only, and a verdict that does not say `signed: true` is
// never shown as signed.

export const SEVERITY_ORDER = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown', 'None'] as const;
export type SeverityName = (typeof SEVERITY_ORDER)[number];

export interface Vulnerability {
  readonly id: string;
  readonly package: string;
  readonly version: string;
  readonly fixVersion?: string;
  readonly severity: SeverityName;
  readonly description?: string;
  readonly link?: string;
}

export interface VulnerabilitySummary {
  /** `done`, `failed`, `unsupported` (an image the scanner cannot read) or `not-applicable` (not an image: a signature, an SBOM, a chart). */
  readonly status: string;
  /** Why, when not done. */
  readonly reason?: string;
  readonly scannedAt: number;
  readonly database: string;
  /** The highest severity found ('None' when nothing was found). */
  readonly severity?: SeverityName;
  /** Findings per severity, highest first; only severities with findings. */
  readonly counts?: Partial<Record<SeverityName, number>>;
  readonly total?: number;
  /** Highest severity first, then by package; absent in summaries (tag rows). */
  readonly vulnerabilities?: Vulnerability[];
  /** Set when the list was cut at the limit. */
  readonly truncated?: boolean;
}

export interface SignatureStatus {
  /** True only when a stored verdict says so. */
  readonly signed: boolean;
  /** The trusted identities (key names) that signed it, from the verdicts. */
  readonly identities: string[];
  /** One entry per key set checked. */
  readonly verdicts: Array<{ readonly keyset: string; readonly signed: boolean; readonly identities: string[]; readonly reasons: string[]; readonly checkedAt: number }>;
}

interface StoredScan {
  readonly status: string;
  readonly dbDigest: string;
  readonly report?: unknown;
  readonly updatedAt: number;
}

interface StoredVerdict {
  readonly keyset: string;
  readonly verdict?: unknown;
  readonly updatedAt: number;
}

function severityOf(value: unknown): SeverityName {
  const s = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return SEVERITY_ORDER.find((x) => x.toLowerCase() === s) ?? 'Unknown';
}

const rank = (s: SeverityName) => SEVERITY_ORDER.indexOf(s);

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** A stored finding (security/osv/matcher.ts Finding) in the Harbor report's item shape read below. */
function fromFinding(raw: unknown): unknown {
  const f = record(raw);
  if (!f) return undefined;
  return {
    id: f.id, package: f.packageName, version: f.installedVersion, fix_version: f.fixedVersion, severity: f.severity,
    description: f.summary, links: f.links,
  };
}

/** The scan as a summary; with `limit` the vulnerabilities too, at most that many. */
export function vulnerabilitySummary(scan: StoredScan, limit?: number): VulnerabilitySummary {
  const report = record(scan.report);
  const reason = scan.status !== 'done' ? text(report?.reason) : undefined;
  const base = { status: scan.status, scannedAt: scan.updatedAt, database: scan.dbDigest, ...(reason ? { reason } : {}) };
  const items = Array.isArray(report?.findings) ? report.findings.map(fromFinding)
    : Array.isArray(report?.vulnerabilities) ? report.vulnerabilities : undefined;
  if (!items) return base;
  const vulnerabilities: Vulnerability[] = [];
  for (const raw of items) {
    const v = record(raw);
    if (!v || !text(v.id)) continue;
    const links = Array.isArray(v.links) ? v.links.filter((l): l is string => typeof l === 'string') : [];
    vulnerabilities.push({
      id: v.id as string,
      package: text(v.package) ?? '',
      version: text(v.version) ?? '',
      severity: severityOf(v.severity),
      ...(text(v.fix_version) ? { fixVersion: v.fix_version as string } : {}),
      ...(text(v.description) ? { description: (v.description as string).slice(0, 500) } : {}),
      ...(links[0] ? { link: links[0] } : {}),
    });
  }
  vulnerabilities.sort((a, b) => rank(a.severity) - rank(b.severity) || a.package.localeCompare(b.package) || a.id.localeCompare(b.id));
  const counts: Partial<Record<SeverityName, number>> = {};
  for (const v of vulnerabilities) counts[v.severity] = (counts[v.severity] ?? 0) + 1;
  const severity = vulnerabilities[0]?.severity ?? 'None';
  const summary = { ...base, severity, counts, total: vulnerabilities.length };
  if (limit === undefined) return summary;
  return { ...summary, vulnerabilities: vulnerabilities.slice(0, limit), ...(vulnerabilities.length > limit ? { truncated: true } : {}) };
}

/** Signed when any key set's stored verdict says `signed: true`; anything else is unsigned. */
export function signatureStatus(verdicts: readonly StoredVerdict[]): SignatureStatus {
  const out = verdicts.map((v) => {
    const verdict = record(v.verdict);
    const identities = Array.isArray(verdict?.identities) ? verdict.identities.filter((i): i is string => typeof i === 'string') : [];
    const evidence = Array.isArray(verdict?.evidence) ? verdict.evidence.map(record).filter((e) => e !== undefined) : [];
    const reasons = [...new Set(evidence.map((e) => text(e.reason)).filter((r): r is string => r !== undefined))];
    return { keyset: v.keyset, signed: verdict?.signed === true, identities, reasons, checkedAt: v.updatedAt };
  });
  return {
    signed: out.some((v) => v.signed),
    identities: [...new Set(out.filter((v) => v.signed).flatMap((v) => v.identities))],
    verdicts: out,
  };
}
