// What a stored manifest references, read leniently: GC must never miss a reference,
// so it takes every descriptor it can find (config, layers, blobs, manifests,
// subject) from any JSON document, whatever its media type, and ignores the rest.
import { parseDigest, type Digest } from '../reference.js';

export interface ManifestReferences {
  /** Blobs the manifest needs: config, layers, artifact blobs. */
  readonly blobs: Digest[];
  /** Child manifests (an index's `manifests`). */
  readonly manifests: Digest[];
  readonly subject?: Digest;
}

function digestIn(value: unknown): Digest | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const raw = (value as { digest?: unknown }).digest;
  return typeof raw === 'string' ? parseDigest(raw) : undefined;
}

function digestsIn(value: unknown): Digest[] {
  return Array.isArray(value) ? value.map(digestIn).filter((d): d is Digest => d !== undefined) : [];
}

export function referencesOf(body: Buffer): ManifestReferences {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { blobs: [], manifests: [] };
  }
  if (typeof doc !== 'object' || doc === null) return { blobs: [], manifests: [] };
  const config = digestIn(doc.config);
  return {
    blobs: [...(config ? [config] : []), ...digestsIn(doc.layers), ...digestsIn(doc.blobs)],
    manifests: digestsIn(doc.manifests),
    subject: digestIn(doc.subject),
  };
}
