// Repository.status.security and the conditions Scanned, PolicyCompliant and
// VulnDBFresh, from the registry's security summary of the repository and the
// repository's own pull policies. Pure, so unit-tested.
import { expiryTime, SEVERITY_LEVELS, type RepositorySecurity } from '#contract/config/security.js';
import type { ConditionInput } from '../../api/conditions.js';
import type { RepositorySecurityStatus } from '../../api/types.js';
import type { RepositorySecurityReport } from './admin-client.js';

export const SecurityCondition = { Scanned: 'Scanned', PolicyCompliant: 'PolicyCompliant', VulnDBFresh: 'VulnDBFresh' } as const;

export const SecurityReason = {
  ScanningDisabled: 'ScanningDisabled',
  RegistryUnreachable: 'RegistryUnreachable',
  NothingToScan: 'NothingToScan',
  AllScanned: 'AllScanned',
  ScanPending: 'ScanPending',
  NoPolicy: 'NoPolicy',
  Compliant: 'Compliant',
  Violations: 'Violations',
  /** The registry did not say which keys signed some image: not compliant (fail closed). */
  SignersUnknown: 'SignersUnknown',
  /** spec.security could not be rendered; the registry refuses every pull of the repository's images instead. */
  InvalidPolicy: 'InvalidPolicy',
  Fresh: 'Fresh',
  Stale: 'Stale',
  Untrusted: 'Untrusted',
  LoadFailed: 'LoadFailed',
  NoDatabase: 'NoDatabase',
} as const;

export interface SecurityObservation {
  scanningEnabled: boolean;
  /** The registry's summary; undefined when the repository holds nothing yet (and `unreachable` is unset). */
  report?: RepositorySecurityReport;
  unreachable?: string;
  /** The Repository's spec.security as rendered (undefined: none). */
  policy?: RepositorySecurity;
  now: number;
}

const cond = (type: string, status: ConditionInput['status'], reason: string, message: string): ConditionInput => ({ type, status, reason, message });
const rank = (severity: string) => SEVERITY_LEVELS.indexOf(severity as (typeof SEVERITY_LEVELS)[number]);

function list(items: string[], max: number): string {
  return items.slice(0, max).join(', ') + (items.length > max ? `, and ${items.length - max} more` : '');
}

/** The status block, without the announced set (vulnerability-events.ts adds it). */
export function securityFigures(report: RepositorySecurityReport | undefined): Omit<RepositorySecurityStatus, 'announced'> {
  if (!report) return { critical: 0, high: 0, tags: 0, scannedTags: 0, topVulnerabilities: [] };
  return {
    critical: report.counts.Critical ?? 0,
    high: report.counts.High ?? 0,
    tags: report.tags,
    scannedTags: report.scannedTags,
    ...(report.signatures.unsignedTags !== undefined ? { unsignedTags: report.signatures.unsignedTags } : {}),
    ...(report.vulnDB.digest ? { vulnDBDigest: report.vulnDB.digest } : {}),
    ...(report.lastMatch ? { lastMatchTime: report.lastMatch.replace(/\.\d{3}Z$/, 'Z') } : {}),
    topVulnerabilities: report.top.map((t) => ({ id: t.id, severity: t.severity, package: t.package, tags: [...t.tags] })),
  };
}

function scanned(o: SecurityObservation): ConditionInput {
  const type = SecurityCondition.Scanned;
  if (!o.scanningEnabled) return cond(type, 'False', SecurityReason.ScanningDisabled, 'the Registry does not scan (spec.security.scanning.enabled)');
  if (o.unreachable) return cond(type, 'Unknown', SecurityReason.RegistryUnreachable, o.unreachable);
  const r = o.report;
  if (!r || r.tags === 0) return cond(type, 'True', SecurityReason.NothingToScan, 'the repository has no tags');
  const db = r.database ? ` against database ${r.database}` : '';
  if (r.scannedTags >= r.tags) return cond(type, 'True', SecurityReason.AllScanned, `${r.tags} of ${r.tags} tag(s) scanned${db}`);
  return cond(type, 'False', SecurityReason.ScanPending, `${r.scannedTags} of ${r.tags} tag(s) scanned${db}`);
}

function vulnDbFresh(o: SecurityObservation): ConditionInput {
  const type = SecurityCondition.VulnDBFresh;
  if (!o.scanningEnabled) return cond(type, 'Unknown', SecurityReason.ScanningDisabled, 'the Registry does not scan (spec.security.scanning.enabled)');
  if (o.unreachable || !o.report) return cond(type, 'Unknown', SecurityReason.RegistryUnreachable, o.unreachable ?? 'the repository holds nothing yet');
  const db = o.report.vulnDB;
  const age = db.ageSeconds !== undefined ? `, ${Math.round(db.ageSeconds / 3600)}h old` : '';
  const why = db.reason ? `: ${db.reason}` : '';
  switch (db.state) {
    case 'ready':
      return db.stale
        ? cond(type, 'False', SecurityReason.Stale, `database ${db.digest} is older than spec.security.vulnDB.maxAge${age}`)
        : cond(type, 'True', SecurityReason.Fresh, `database ${db.digest}${age}`);
    case 'untrusted':
      return cond(type, 'False', SecurityReason.Untrusted, `a database was refused for its signature${why}`);
    case 'failed':
      return cond(type, 'False', SecurityReason.LoadFailed, `the database could not be loaded${why}`);
    default:
      return cond(type, 'False', SecurityReason.NoDatabase, `no vulnerability database is loaded${why}`);
  }
}

/** Advisories at or above the threshold, not allowlisted (or whose entry expired), by image. */
function vulnerableImages(report: RepositorySecurityReport, policy: RepositorySecurity, now: number): string[] {
  const threshold = rank(policy.preventVulnerable!.severity);
  const allowed = new Set(policy.cveAllowlist.filter((e) => !e.expires || (expiryTime(e.expires) ?? 0) > now).map((e) => e.id));
  return report.images.flatMap((image) => {
    const ids = image.vulnerabilities.filter((v) => rank(v.severity) >= threshold && !allowed.has(v.id)).map((v) => v.id);
    return ids.length ? [`${image.tags.join(',')} (${list(ids, 3)})`] : [];
  });
}

/**
 * Tags whose image has fewer than minSignatures distinct signers among the policy's keys, and tags
 * whose signers the registry did not report (those count as not signed: fail closed).
 */
function signatureShortfall(report: RepositorySecurityReport, rule: NonNullable<RepositorySecurity['requireSignature']>): { short: string[]; shortTags: number; unknownTags: number } {
  const keys = new Set(rule.keys);
  const short: string[] = [];
  let shortTags = 0;
  let unknownTags = 0;
  for (const image of report.images) {
    if (!image.signers) {
      unknownTags += image.tags.length;
      continue;
    }
    const count = image.signers.filter((k) => keys.has(k)).length;
    if (count >= rule.minSignatures) continue;
    shortTags += image.tags.length;
    short.push(`${image.tags.join(',')} (${count})`);
  }
  // Tags the summary lists no image for cannot be shown signed either.
  const listed = report.images.reduce((n, i) => n + i.tags.length, 0);
  unknownTags += Math.max(0, report.tags - listed);
  return { short, shortTags, unknownTags };
}

function signatureProblems(r: RepositorySecurityReport, rule: NonNullable<RepositorySecurity['requireSignature']>): { problems: string[]; unknown?: string } {
  const { short, shortTags, unknownTags } = signatureShortfall(r, rule);
  const problems: string[] = [];
  if (shortTags) {
    problems.push(rule.minSignatures === 1
      ? `${shortTags} of ${r.tags} tag(s) not signed by ${rule.keys.join(', ')}`
      : `${shortTags} of ${r.tags} tag(s) have fewer than ${rule.minSignatures} signatures by ${rule.keys.join(', ')}: ${list(short, 5)}`);
  }
  const unknown = unknownTags ? `the registry did not report which keys signed ${unknownTags} of ${r.tags} tag(s)` : undefined;
  return { problems, unknown };
}

function policyCompliant(o: SecurityObservation): ConditionInput {
  const type = SecurityCondition.PolicyCompliant;
  const p = o.policy;
  if (p?.denyAll) return cond(type, 'False', SecurityReason.InvalidPolicy, p.denyAll.reason);
  if (!p?.preventVulnerable && !p?.requireSignature) return cond(type, 'True', SecurityReason.NoPolicy, 'the Repository sets no pull policy');
  if (o.unreachable) return cond(type, 'Unknown', SecurityReason.RegistryUnreachable, o.unreachable);
  const r = o.report;
  if (!r || r.tags === 0) return cond(type, 'True', SecurityReason.Compliant, 'the repository has no tags');
  const problems: string[] = [];
  let signersUnknown: string | undefined;
  if (p.requireSignature) {
    const s = signatureProblems(r, p.requireSignature);
    problems.push(...s.problems);
    signersUnknown = s.unknown;
  }
  if (p.preventVulnerable) {
    const vulnerable = vulnerableImages(r, p, o.now);
    if (vulnerable.length) problems.push(`${p.preventVulnerable.severity} or worse in ${list(vulnerable, 5)}`);
  }
  if (problems.length) return cond(type, 'False', SecurityReason.Violations, [...problems, ...(signersUnknown ? [signersUnknown] : [])].join('; '));
  if (signersUnknown) return cond(type, 'False', SecurityReason.SignersUnknown, `${signersUnknown}: they cannot be shown to meet requireSignature`);
  if (p.preventVulnerable && r.scannedTags < r.tags) {
    return cond(type, 'Unknown', SecurityReason.ScanPending, `${r.tags - r.scannedTags} tag(s) not scanned yet`);
  }
  return cond(type, 'True', SecurityReason.Compliant, `every tag meets the Repository's pull policies`);
}

export function securityConditions(o: SecurityObservation): ConditionInput[] {
  return [scanned(o), policyCompliant(o), vulnDbFresh(o)];
}
