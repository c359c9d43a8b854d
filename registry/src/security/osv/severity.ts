// Harbor's severity scale and how an OSV advisory maps onto it: a CVSS v3
// vector first (per affected package, then per advisory), then CVSS v2, then
// the database's own word (GHSA's database_specific.severity).
import { cvss2BaseScore, cvss3BaseScore } from './cvss.js';
import type { OsvAffected, OsvSeverity, OsvVulnerability } from './schema.js';

export const SEVERITIES = ['None', 'Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function parseSeverity(s: string): Severity | undefined {
  return SEVERITIES.find((x) => x.toLowerCase() === s.trim().toLowerCase());
}

export function severityOfV3Score(score: number): Severity {
  if (score === 0) return 'None';
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  if (score < 9) return 'High';
  return 'Critical';
}

function severityOfV2Score(score: number): Severity {
  if (score < 4) return 'Low';
  if (score < 7) return 'Medium';
  return 'High';
}

const WORDS: Record<string, Severity> = {
  negligible: 'Negligible', unimportant: 'Negligible', low: 'Low', moderate: 'Medium', medium: 'Medium',
  important: 'High', high: 'High', critical: 'Critical',
};

export interface Cvss {
  readonly score_v3?: number;
  readonly vector_v3?: string;
  readonly score_v2?: number;
  readonly vector_v2?: string;
}

export interface SeverityVerdict {
  readonly severity: Severity;
  readonly cvss: Cvss;
}

function fromScores(list: readonly OsvSeverity[] | undefined): SeverityVerdict | undefined {
  const v3 = list?.find((s) => s.type === 'CVSS_V3');
  const v3score = v3 ? cvss3BaseScore(v3.score) : undefined;
  if (v3 && v3score !== undefined) return { severity: severityOfV3Score(v3score), cvss: { score_v3: v3score, vector_v3: v3.score } };
  const v2 = list?.find((s) => s.type === 'CVSS_V2');
  const v2score = v2 ? cvss2BaseScore(v2.score) : undefined;
  if (v2 && v2score !== undefined) return { severity: severityOfV2Score(v2score), cvss: { score_v2: v2score, vector_v2: v2.score } };
  return undefined;
}

const cache = new WeakMap<object, SeverityVerdict>();

/** The severity of an advisory for one affected package (advisory documents are immutable once loaded). */
export function severityOf(vuln: OsvVulnerability, affected?: OsvAffected): SeverityVerdict {
  const key = affected ?? vuln;
  let verdict = cache.get(key);
  if (!verdict) cache.set(key, (verdict = computeSeverity(vuln, affected)));
  return verdict;
}

function computeSeverity(vuln: OsvVulnerability, affected?: OsvAffected): SeverityVerdict {
  const scored = fromScores(affected?.severity) ?? fromScores(vuln.severity);
  if (scored) return scored;
  const word = vuln.database_specific?.severity ?? affected?.ecosystem_specific?.severity ?? affected?.database_specific?.severity;
  if (typeof word === 'string' && WORDS[word.toLowerCase()]) return { severity: WORDS[word.toLowerCase()], cvss: {} };
  return { severity: 'Unknown', cvss: {} };
}
