// The OSV schema (ossf.github.io/osv-schema), the subset the matcher reads.

export interface OsvEvent {
  readonly introduced?: string;
  readonly fixed?: string;
  readonly last_affected?: string;
  readonly limit?: string;
}

export interface OsvRange {
  /** ECOSYSTEM, SEMVER or GIT; other types are kept and ignored. */
  readonly type: string;
  readonly repo?: string;
  readonly events: readonly OsvEvent[];
}

export interface OsvSeverity {
  /** CVSS_V2, CVSS_V3, CVSS_V4, Ubuntu, or another scheme kept as is. */
  readonly type: string;
  readonly score: string;
}

export interface OsvAffected {
  readonly package?: { readonly ecosystem: string; readonly name: string; readonly purl?: string };
  readonly ranges?: readonly OsvRange[];
  readonly versions?: readonly string[];
  readonly severity?: readonly OsvSeverity[];
  readonly ecosystem_specific?: Record<string, unknown>;
  readonly database_specific?: Record<string, unknown>;
}

export interface OsvVulnerability {
  readonly schema_version?: string;
  readonly id: string;
  readonly modified: string;
  readonly published?: string;
  readonly withdrawn?: string;
  readonly aliases?: readonly string[];
  readonly related?: readonly string[];
  readonly upstream?: readonly string[];
  readonly summary?: string;
  readonly details?: string;
  readonly severity?: readonly OsvSeverity[];
  readonly affected?: readonly OsvAffected[];
  readonly references?: readonly { readonly type: string; readonly url: string }[];
  readonly database_specific?: Record<string, unknown>;
}

/** Structural check of a parsed document: what the matcher relies on, nothing more. */
export function isOsvVulnerability(doc: unknown): doc is OsvVulnerability {
  if (typeof doc !== 'object' || doc === null) return false;
  const v = doc as Record<string, unknown>;
  if (typeof v.id !== 'string' || !v.id) return false;
  if (v.affected !== undefined && !Array.isArray(v.affected)) return false;
  for (const a of (v.affected as unknown[] | undefined) ?? []) {
    if (typeof a !== 'object' || a === null) return false;
    const aff = a as Record<string, unknown>;
    if (aff.ranges !== undefined && !Array.isArray(aff.ranges)) return false;
    if (aff.versions !== undefined && !Array.isArray(aff.versions)) return false;
    for (const r of (aff.ranges as unknown[] | undefined) ?? []) {
      if (typeof r !== 'object' || r === null || !Array.isArray((r as Record<string, unknown>).events)) return false;
    }
  }
  return true;
}
