// Manifests per repository: the body lives in the content store, the repository
// holds a link with its metadata (media type, subject, artifact type, annotations:
// enough to rebuild the referrers the metadata index answers). What a manifest may
// reference is checked by the write path before `commit`; this store only owns
// where and in which order things are written.
import { Code, RegistryError } from '../errors.js';
import type { ParsedManifest } from '../manifest/parse.js';
import { parseDigest, parseReference, type Digest } from '../reference.js';
import type { BlobStore } from './blob-store.js';
import { deleteIfExists, getOrUndefined, isNotFound, listOrEmpty, statOrUndefined, type StorageDriver } from './driver/driver.js';
import { LruCache } from './lru-cache.js';
import { baseName, paths } from './paths.js';
import type { TagStore } from './tag-store.js';

export interface ManifestMeta {
  readonly mediaType: string;
  readonly size: number;
  readonly subject?: string;
  readonly artifactType?: string;
  readonly annotations?: Record<string, string>;
  readonly pushedAt: string;
}

export interface StoredManifest {
  readonly digest: Digest;
  readonly meta: ManifestMeta;
  readonly body: Buffer;
}

const CACHEABLE_BODY = 256 * 1024;
/**
 * What the caches hold in all. Counts alone bounded them by what clients push:
 * 4,096 bodies of up to 256 KiB, 16,384 links whose annotations may fill a manifest.
 * Real manifests are a few KiB and their links a few hundred bytes, so these hold
 * thousands of them.
 */
const BODY_BYTES = 16 * 1024 * 1024;
const META_BYTES = 8 * 1024 * 1024;

/** Parsed link metadata, valid while the link file keeps this modification time. */
interface CachedMeta {
  readonly meta: ManifestMeta;
  readonly modTime: number;
  /** The link file's length: the parsed metadata's share of META_BYTES. */
  readonly bytes: number;
}

export class ManifestStore {
  private readonly bodies = new LruCache<Buffer>(4096, { max: BODY_BYTES, weigh: (b) => b.length });
  private readonly servingMetas = new LruCache<CachedMeta>(16_384, { max: META_BYTES, weigh: (m) => m.bytes });

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly tags: TagStore,
  ) {}

  /**
   * Writes a verified manifest: the body, then the link with its metadata, then
   * the tags. A crash part-way leaves at worst an untagged manifest, never a tag
   * pointing at nothing. `linkStands`: the caller knows the link is in place with
   * this metadata and stays until the write is indexed (write/gc-protocol.ts), so
   * it is not written again; it then keeps the time of the push that wrote it.
   */
  async commit(repo: string, digest: Digest, body: Buffer, parsed: ParsedManifest, tags: readonly string[], linkStands = false): Promise<void> {
    await this.blobs.putVerified(digest, body);
    if (!linkStands) {
      const meta: ManifestMeta = {
        mediaType: parsed.mediaType,
        size: body.length,
        subject: parsed.subject?.value,
        artifactType: parsed.artifactType,
        annotations: parsed.annotations,
        pushedAt: new Date().toISOString(),
      };
      await this.driver.putContent(paths.manifestLink(repo, digest), JSON.stringify(meta));
    }
    for (const tag of new Set(tags)) await this.tags.set(repo, tag, digest);
  }

  /** Metadata of a manifest in the repository, or undefined. */
  async meta(repo: string, digest: Digest): Promise<ManifestMeta | undefined> {
    const raw = await getOrUndefined(this.driver, paths.manifestLink(repo, digest));
    return raw && (JSON.parse(raw.toString('utf8')) as ManifestMeta);
  }

  /** Whether the manifest is linked in the repository now, asked of storage (never of a cache). */
  async isLinked(repo: string, digest: Digest): Promise<boolean> {
    return (await this.driver.statFile(paths.manifestLink(repo, digest))) !== undefined;
  }

  /**
   * Metadata for serving GET/HEAD. A stat of the link replaces reading and parsing
   * it when the link is unchanged since it was cached: the stat still sees a delete
   * or re-push by any replica, and a stat costs a fraction of a read.
   */
  private async servingMeta(repo: string, digest: Digest): Promise<ManifestMeta | undefined> {
    const key = `${repo}@${digest.value}`;
    const cached = this.servingMetas.get(key);
    if (cached) {
      const info = await statOrUndefined(this.driver, paths.manifestLink(repo, digest));
      if (!info) {
        this.servingMetas.delete(key);
        return undefined;
      }
      if (info.modTime.getTime() === cached.modTime) return cached.meta;
    }
    // Stat before reading: a rewrite in between leaves a stale time, which only causes a re-read.
    const info = await statOrUndefined(this.driver, paths.manifestLink(repo, digest));
    const meta = await this.meta(repo, digest);
    if (meta && info) this.servingMetas.set(key, { meta, modTime: info.modTime.getTime(), bytes: info.size });
    return meta;
  }

  /** Resolves a tag or digest reference; MANIFEST_UNKNOWN when absent. */
  async resolve(repo: string, reference: string): Promise<{ digest: Digest; meta: ManifestMeta }> {
    const parsed = parseReference(reference);
    const digest = parsed.digest ?? (await this.tags.resolve(repo, parsed.tag));
    const meta = digest && (await this.servingMeta(repo, digest));
    if (!digest || !meta) throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference });
    return { digest, meta };
  }

  async get(repo: string, reference: string): Promise<StoredManifest> {
    const { digest, meta } = await this.resolve(repo, reference);
    return { digest, meta, body: await this.body(digest, reference) };
  }

  /** A manifest's body (content-addressed, so cached freely); MANIFEST_UNKNOWN naming `reference` when absent. */
  async body(digest: Digest, reference: string = digest.value): Promise<Buffer> {
    let body = this.bodies.get(digest.value);
    if (!body) {
      try {
        body = await this.blobs.read(digest);
      } catch (err) {
        if (isNotFound(err)) throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference });
        throw err;
      }
      if (body.length <= CACHEABLE_BODY) this.bodies.set(digest.value, body);
    }
    return body;
  }

  /** Deletes a manifest and every tag pointing at it; MANIFEST_UNKNOWN when absent. Returns the tags removed. */
  async delete(repo: string, digest: Digest): Promise<string[]> {
    const meta = await this.meta(repo, digest);
    if (!meta) throw new RegistryError(Code.MANIFEST_UNKNOWN, { digest: digest.value });
    const tags = await this.tags.tagsFor(repo, digest);
    for (const tag of tags) await this.tags.delete(repo, tag);
    await deleteIfExists(this.driver, paths.manifestLink(repo, digest));
    this.forgetLink(repo, digest);
    return tags;
  }

  /**
   * Forgets what is cached about a repository's link to a manifest that is gone
   * (deleted, or taken by GC), and about a manifest body GC removed: a stale entry
   * would only cost a stat, but the entries of deleted content would otherwise
   * stay until pushed out, and memory grew with every image deleted.
   */
  forgetLink(repo: string, digest: Digest): void {
    this.servingMetas.delete(`${repo}@${digest.value}`);
  }

  forgetBody(digest: Digest): void {
    this.bodies.delete(digest.value);
  }

  /** Entries held in memory now: bodies by digest, serving metadata by repository and digest. */
  get cachedEntries(): { readonly bodies: number; readonly servingMetas: number } {
    return { bodies: this.bodies.size, servingMetas: this.servingMetas.size };
  }

  /** Bytes held in memory now (bodies, and link files' lengths for the metadata). */
  get cachedBytes(): { readonly bodies: number; readonly servingMetas: number } {
    return { bodies: this.bodies.weightHeld, servingMetas: this.servingMetas.weightHeld };
  }

  /** Every manifest digest linked in a repository. */
  async list(repo: string): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const alg of await listOrEmpty(this.driver, paths.manifestsRoot(repo))) {
      for (const p of await listOrEmpty(this.driver, alg)) {
        const d = parseDigest(`${baseName(alg)}:${baseName(p)}`);
        if (d) out.push(d);
      }
    }
    return out;
  }
}
