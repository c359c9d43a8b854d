// Content-addressed facts the index does not keep, read from storage for the
// artifact page: a manifest's ordered layers and descriptors, and an image
// config's settings and build history. Content never changes under its digest,
// so what is read is cached here for good (bounded, least recently used first).
// Only digests the index already listed for a visible repository are asked for.
import { LruCache } from '../storage/lru-cache.js';
import { parseDigest } from '../reference.js';
import type { RegistryStorage } from '../storage/registry-storage.js';

/** Larger manifests and configs are not read (real ones are a few KiB). */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

export interface ContentDescriptor {
  readonly digest: string;
  readonly mediaType?: string;
  readonly size?: number;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  readonly platform?: { readonly os?: string; readonly architecture?: string; readonly variant?: string; readonly 'os.version'?: string };
}

export interface ManifestDocument {
  readonly mediaType?: string;
  readonly artifactType?: string;
  readonly config?: ContentDescriptor;
  /** In order, base first. */
  readonly layers: ContentDescriptor[];
  /** An index's entries. */
  readonly manifests: ContentDescriptor[];
  readonly subject?: ContentDescriptor;
  readonly annotations?: Record<string, string>;
}

export interface HistoryEntry {
  readonly created?: string;
  readonly createdBy?: string;
  readonly comment?: string;
  readonly author?: string;
  /** True for a step that made no layer (ENV, CMD, ...). */
  readonly emptyLayer?: boolean;
}

export interface ImageConfig {
  readonly created?: string;
  readonly author?: string;
  readonly os?: string;
  readonly architecture?: string;
  readonly variant?: string;
  readonly user?: string;
  readonly workingDir?: string;
  readonly entrypoint?: string[];
  readonly cmd?: string[];
  readonly env?: string[];
  readonly labels?: Record<string, string>;
  readonly exposedPorts?: string[];
  readonly volumes?: string[];
  readonly stopSignal?: string;
  readonly history: HistoryEntry[];
}

function obj(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function stringMap(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const entries = Object.entries(o).filter(([, x]) => typeof x === 'string') as [string, string][];
  return entries.length ? Object.fromEntries(entries) : undefined;
}

function descriptor(v: unknown): ContentDescriptor | undefined {
  const d = obj(v);
  if (!d || typeof d.digest !== 'string') return undefined;
  const platform = obj(d.platform);
  return {
    digest: d.digest,
    ...(str(d.mediaType) ? { mediaType: d.mediaType as string } : {}),
    ...(typeof d.size === 'number' ? { size: d.size } : {}),
    ...(str(d.artifactType) ? { artifactType: d.artifactType as string } : {}),
    ...(stringMap(d.annotations) ? { annotations: stringMap(d.annotations) } : {}),
    ...(platform ? { platform: stringMap(platform) as ContentDescriptor['platform'] } : {}),
  };
}

const descriptors = (v: unknown): ContentDescriptor[] => (Array.isArray(v) ? v.map(descriptor).filter((d) => d !== undefined) : []);

/** A manifest body's descriptors, leniently (whatever the media type). */
export function parseManifestDocument(body: Buffer): ManifestDocument {
  let doc: Record<string, unknown> = {};
  try {
    doc = obj(JSON.parse(body.toString('utf8'))) ?? {};
  } catch {
    // not JSON: nothing to show beyond the index's row
  }
  return {
    ...(str(doc.mediaType) ? { mediaType: doc.mediaType as string } : {}),
    ...(str(doc.artifactType) ? { artifactType: doc.artifactType as string } : {}),
    ...(descriptor(doc.config) ? { config: descriptor(doc.config) } : {}),
    layers: descriptors(doc.layers),
    manifests: descriptors(doc.manifests),
    ...(descriptor(doc.subject) ? { subject: descriptor(doc.subject) } : {}),
    ...(stringMap(doc.annotations) ? { annotations: stringMap(doc.annotations) } : {}),
  };
}

/** An OCI/Docker image config: the runtime settings and the build history. */
export function parseImageConfig(value: unknown): ImageConfig | undefined {
  const doc = obj(value);
  if (!doc) return undefined;
  const c = obj(doc.config) ?? {};
  const history = Array.isArray(doc.history) ? doc.history.map(obj).filter((h) => h !== undefined).map((h): HistoryEntry => ({
    ...(str(h.created) ? { created: h.created as string } : {}),
    ...(str(h.created_by) ? { createdBy: h.created_by as string } : {}),
    ...(str(h.comment) ? { comment: h.comment as string } : {}),
    ...(str(h.author) ? { author: h.author as string } : {}),
    ...(h.empty_layer === true ? { emptyLayer: true } : {}),
  })) : [];
  const keys = (v: unknown) => (obj(v) ? Object.keys(obj(v)!) : undefined);
  const fields: Record<string, unknown> = {
    created: str(doc.created), author: str(doc.author), os: str(doc.os), architecture: str(doc.architecture), variant: str(doc.variant),
    user: str(c.User) || undefined, workingDir: str(c.WorkingDir) || undefined, entrypoint: strings(c.Entrypoint), cmd: strings(c.Cmd),
    env: strings(c.Env), labels: stringMap(c.Labels), exposedPorts: keys(c.ExposedPorts), volumes: keys(c.Volumes), stopSignal: str(c.StopSignal),
  };
  return { ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)), history };
}

/** Reads and caches manifest documents and configs by digest. */
export class ContentReader {
  private readonly manifests = new LruCache<ManifestDocument>(4096);
  private readonly json = new LruCache<unknown>(1024);

  constructor(private readonly storage: RegistryStorage) {}

  /** The manifest with this digest, or undefined when storage does not have it. */
  async manifest(digest: string): Promise<ManifestDocument | undefined> {
    const cached = this.manifests.get(digest);
    if (cached) return cached;
    const body = await this.read(digest);
    if (!body) return undefined;
    const doc = parseManifestDocument(body);
    this.manifests.set(digest, doc);
    return doc;
  }

  /** A small JSON blob (an image config, a Helm chart's metadata), parsed; undefined when absent, too large or not JSON. */
  async jsonBlob(digest: string, size?: number): Promise<unknown> {
    if (size !== undefined && size > MAX_DOCUMENT_BYTES) return undefined;
    const cached = this.json.get(digest);
    if (cached !== undefined) return cached;
    const body = await this.read(digest);
    if (!body) return undefined;
    try {
      const value = JSON.parse(body.toString('utf8')) as unknown;
      this.json.set(digest, value);
      return value;
    } catch {
      return undefined;
    }
  }

  /** The image config with this digest, parsed. */
  async imageConfig(digest: string, size?: number): Promise<ImageConfig | undefined> {
    const value = await this.jsonBlob(digest, size);
    return parseImageConfig(value);
  }

  private async read(value: string): Promise<Buffer | undefined> {
    const digest = parseDigest(value);
    if (!digest) return undefined;
    const size = await this.storage.blobs.globalSize(digest);
    if (size === undefined || size > MAX_DOCUMENT_BYTES) return undefined;
    return this.storage.blobs.read(digest).catch(() => undefined);
  }
}
