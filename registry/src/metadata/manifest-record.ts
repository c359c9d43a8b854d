// What the index records about a pushed manifest, read from its body (and, for an
// image, its config: `created` and the platform). Lenient, as garbage collection needs:
// every descriptor found is a reference, whatever the media type.
import type { ManifestRecord, ManifestRef, Platform } from './types.js';

/** Configs larger than this are not read for `created` (real ones are a few KiB). */
const MAX_CONFIG_BYTES = 1024 * 1024;

interface Descriptor {
  readonly digest: string;
  readonly size?: number;
  readonly mediaType?: string;
  readonly urls?: unknown;
  readonly platform?: unknown;
}

function descriptor(value: unknown): Descriptor | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const d = value as Record<string, unknown>;
  if (typeof d.digest !== 'string') return undefined;
  return { ...d, digest: d.digest, size: typeof d.size === 'number' ? d.size : undefined, mediaType: typeof d.mediaType === 'string' ? d.mediaType : undefined };
}

function descriptors(value: unknown): Descriptor[] {
  return Array.isArray(value) ? value.map(descriptor).filter((d): d is Descriptor => d !== undefined) : [];
}

/** Layers fetched from elsewhere (`urls`) are not in the registry's store. */
function inStore(d: Descriptor): boolean {
  const foreign = !!d.mediaType && (d.mediaType.includes('.nondistributable.') || d.mediaType.includes('.foreign.'));
  return !(foreign && Array.isArray(d.urls) && d.urls.length);
}

function blobRef(d: Descriptor, kind: ManifestRef['kind']): ManifestRef {
  return { digest: d.digest, kind, ...(d.size !== undefined && inStore(d) ? { size: d.size } : {}) };
}

export function platformOf(value: unknown): Platform | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const p = value as Record<string, unknown>;
  const os = p.os;
  const architecture = p.architecture;
  // Attestation manifests in buildx indexes say unknown/unknown, cosign's signature configs say "": not a platform.
  if (typeof os !== 'string' || typeof architecture !== 'string' || !os || !architecture || os === 'unknown' || architecture === 'unknown') return undefined;
  return { os, architecture, ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}) };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const entries = Object.entries(value).filter(([, v]) => typeof v === 'string') as [string, string][];
  return entries.length ? Object.fromEntries(entries) : undefined;
}

export interface RecordSource {
  readonly repo: string;
  readonly digest: string;
  readonly mediaType: string;
  readonly body: Buffer;
  /** Reads a blob (the image config); may return undefined when it cannot. */
  readonly readBlob?: (digest: string) => Promise<Buffer | undefined>;
  /** What earlier records learned from image configs, so a tag push of a known image reads no blob. */
  readonly configs?: ConfigFactsCache;
}

export interface ConfigFacts {
  readonly created?: number;
  readonly platform?: Platform;
}

/** Facts of image configs by digest: content-addressed, so any bounded cache may keep them. */
export interface ConfigFactsCache {
  get(digest: string): ConfigFacts | undefined;
  set(digest: string, facts: ConfigFacts): void;
}

export async function manifestRecord(src: RecordSource): Promise<ManifestRecord> {
  let doc: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(src.body.toString('utf8')) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) doc = parsed as Record<string, unknown>;
  } catch {
    // stored as it is; nothing to index beyond its size
  }
  const config = descriptor(doc.config);
  const children = descriptors(doc.manifests);
  const refs: ManifestRef[] = [
    ...(config ? [blobRef(config, 'config')] : []),
    ...descriptors(doc.layers).map((d) => blobRef(d, 'layer')),
    ...descriptors(doc.blobs).map((d) => blobRef(d, 'blob')),
    ...children.map((d) => ({ digest: d.digest, kind: 'manifest' as const })),
  ];
  let platforms = children.map((c) => platformOf(c.platform)).filter((p): p is Platform => p !== undefined);
  let created: number | undefined;
  if (config && src.readBlob && (config.size ?? 0) <= MAX_CONFIG_BYTES) {
    let image = src.configs?.get(config.digest);
    if (!image) {
      const body = await src.readBlob(config.digest);
      image = imageConfig(body);
      if (body) src.configs?.set(config.digest, image);
    }
    created = image.created;
    if (image.platform) platforms = [image.platform];
  }
  const artifactType = typeof doc.artifactType === 'string' ? doc.artifactType : config?.mediaType;
  const subject = descriptor(doc.subject)?.digest;
  return {
    repo: src.repo,
    digest: src.digest,
    mediaType: src.mediaType,
    size: src.body.length,
    refs,
    ...(artifactType ? { artifactType } : {}),
    ...(config ? { configDigest: config.digest } : {}),
    ...(created !== undefined ? { created } : {}),
    ...(subject ? { subject } : {}),
    ...(stringRecord(doc.annotations) ? { annotations: stringRecord(doc.annotations) } : {}),
    ...(platforms.length ? { platforms: dedupe(platforms) } : {}),
  };
}

function imageConfig(body: Buffer | undefined): ConfigFacts {
  if (!body) return {};
  try {
    const c = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    // Go's zero time (cosign's signature configs) is no creation time.
    const created = typeof c.created === 'string' && !c.created.startsWith('0001-01-01') ? Date.parse(c.created) : NaN;
    return { ...(Number.isFinite(created) ? { created } : {}), ...(platformOf(c) ? { platform: platformOf(c) } : {}) };
  } catch {
    return {};
  }
}

function dedupe(platforms: Platform[]): Platform[] {
  const seen = new Set<string>();
  return platforms.filter((p) => {
    const key = `${p.os}/${p.architecture}/${p.variant ?? ''}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
