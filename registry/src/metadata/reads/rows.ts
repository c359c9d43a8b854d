// Row → API object conversions shared by the readers.
import type { ManifestsTable } from '../engine/tables.js';
import type { ManifestInfo, Platform } from '../types.js';

export function parseJson<T>(text: string | null | undefined): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Copies only the keys whose values are set, so API objects have no `undefined` members. */
export function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined && v !== null) out[k] = v;
  return out as T;
}

export function manifestInfo(row: Omit<ManifestsTable, 'repo'>): ManifestInfo {
  return defined({
    digest: row.digest,
    mediaType: row.media_type,
    size: row.size,
    artifactType: row.artifact_type ?? undefined,
    configDigest: row.config_digest ?? undefined,
    created: row.created ?? undefined,
    subject: row.subject ?? undefined,
    annotations: parseJson<Record<string, string>>(row.annotations),
    platforms: parseJson<Platform[]>(row.platforms),
    pushedAt: row.pushed_at,
  });
}
