// The two ends of a copy. A sync reads an upstream (a remote registry) and writes
// into the upstream's cache namespace here; a replication reads local
// repositories and writes to a remote registry. The copier sees only these.
import type { Readable } from 'node:stream';
import { Code, hasCode } from '../errors.js';
import type { Descriptor } from '../manifest/parse.js';
import { digestOf, parseDigest, type Digest } from '../reference.js';
import type { RegistryClient } from '../remote/registry-client.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { CacheOrigin } from '../write/write-events.js';
import type { WritePath } from '../write/write-path.js';

export interface SourceManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly body: Buffer;
}

export interface ImageSource {
  /** A manifest by tag or digest; undefined when absent. */
  manifest(repo: string, reference: string): Promise<SourceManifest | undefined>;
  blob(repo: string, digest: Digest): Promise<Readable>;
  /** Manifests whose subject is `digest` (signatures, SBOMs); empty when the source has no referrers API. */
  referrers(repo: string, digest: Digest): Promise<Descriptor[]>;
  /** Every tag, or undefined when the repository is unknown. */
  tags(repo: string): Promise<string[] | undefined>;
}

export interface ImageDestination {
  hasBlob(repo: string, digest: Digest): Promise<boolean>;
  putBlob(repo: string, digest: Digest, size: number, open: () => Promise<Readable>): Promise<void>;
  hasManifest(repo: string, digest: Digest): Promise<boolean>;
  /** The digest a tag points to, or undefined. */
  tagDigest(repo: string, tag: string): Promise<string | undefined>;
  /** Stores a manifest under a tag or its digest (the reference). */
  putManifest(repo: string, reference: string, manifest: SourceManifest): Promise<void>;
}

/** A remote registry, as a source (sync) and as a destination (replication). */
export class RemoteEndpoint implements ImageSource, ImageDestination {
  constructor(private readonly client: RegistryClient) {}

  async manifest(repo: string, reference: string): Promise<SourceManifest | undefined> {
    const m = await this.client.getManifest(repo, reference);
    if (!m) return undefined;
    const requested = parseDigest(reference);
    const declared = requested ?? (m.digest ? parseDigest(m.digest) : undefined);
    const digest = declared ?? digestOf(m.body);
    if (digestOf(m.body, digest.algorithm).hex !== digest.hex) throw new Error(`${repo}:${reference}: the manifest does not match ${digest.value}`);
    return { digest, mediaType: m.mediaType || mediaTypeIn(m.body), body: m.body };
  }

  async blob(repo: string, digest: Digest): Promise<Readable> {
    const b = await this.client.getBlob(repo, digest);
    if (!b) throw new Error(`${repo}@${digest.value}: blob unknown to the source`);
    return b.body;
  }

  async referrers(repo: string, digest: Digest): Promise<Descriptor[]> {
    return (await this.client.referrers(repo, digest)) ?? [];
  }

  tags(repo: string): Promise<string[] | undefined> {
    return this.client.tags(repo);
  }

  async hasBlob(repo: string, digest: Digest): Promise<boolean> {
    return (await this.client.headBlob(repo, digest)) !== undefined;
  }

  putBlob(repo: string, digest: Digest, size: number, open: () => Promise<Readable>): Promise<void> {
    return this.client.pushBlob(repo, digest, size, open);
  }

  async hasManifest(repo: string, digest: Digest): Promise<boolean> {
    return (await this.client.headManifest(repo, digest.value)) !== undefined;
  }

  async tagDigest(repo: string, tag: string): Promise<string | undefined> {
    return (await this.client.headManifest(repo, tag))?.digest;
  }

  putManifest(repo: string, reference: string, manifest: SourceManifest): Promise<void> {
    return this.client.putManifest(repo, reference, manifest.body, manifest.mediaType);
  }
}

/** Local repositories as a replication's source. */
export class LocalSource implements ImageSource {
  constructor(private readonly storage: RegistryStorage, private readonly index: MetadataIndex) {}

  async manifest(repo: string, reference: string): Promise<SourceManifest | undefined> {
    try {
      const m = await this.storage.manifests.get(repo, reference);
      return { digest: m.digest, mediaType: m.meta.mediaType, body: m.body };
    } catch (err) {
      if (hasCode(err, Code.MANIFEST_UNKNOWN)) return undefined;
      throw err;
    }
  }

  blob(_repo: string, digest: Digest): Promise<Readable> {
    return this.storage.blobs.open(digest);
  }

  /** From the metadata index, which answers the referrers API. */
  async referrers(repo: string, digest: Digest): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    for (let after: string | undefined; ;) {
      const page = await this.index.referrers(repo, digest.value, { limit: 1000, after });
      out.push(...page.items);
      if (!page.next) return out;
      after = page.next;
    }
  }

  tags(repo: string): Promise<string[] | undefined> {
    return this.storage.tags.list(repo);
  }
}

/**
 * An upstream's cache namespace as a sync's destination: written through the
 * write path's cache fills (partial indexes allowed, the cache's own budget), and
 * a blob already stored for another repository is linked instead of downloaded.
 */
export class CacheDestination implements ImageDestination {
  constructor(private readonly storage: RegistryStorage, private readonly writes: WritePath, private readonly origin: CacheOrigin) {}

  async hasBlob(repo: string, digest: Digest): Promise<boolean> {
    if ((await this.storage.blobs.isLinked(repo, digest)) && (await this.storage.blobs.exists(digest))) return true;
    return this.writes.cache.linkBlob(repo, digest, this.origin);
  }

  async putBlob(repo: string, digest: Digest, _size: number, open: () => Promise<Readable>): Promise<void> {
    await this.writes.cache.putBlob(repo, digest, await open(), this.origin);
  }

  hasManifest(repo: string, digest: Digest): Promise<boolean> {
    return this.storage.manifests.isLinked(repo, digest);
  }

  async tagDigest(repo: string, tag: string): Promise<string | undefined> {
    return (await this.storage.tags.resolve(repo, tag))?.value;
  }

  putManifest(repo: string, reference: string, manifest: SourceManifest): Promise<void> {
    const tag = parseDigest(reference) ? undefined : reference;
    return this.writes.cache.putManifest(repo, manifest.digest, manifest.body, manifest.mediaType, tag, this.origin);
  }
}

function mediaTypeIn(body: Buffer): string {
  try {
    const doc = JSON.parse(body.toString('utf8')) as { mediaType?: unknown };
    return typeof doc.mediaType === 'string' ? doc.mediaType : '';
  } catch {
    return '';
  }
}
