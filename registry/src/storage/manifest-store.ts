// Manifests per repository: the body lives in the content store, the repository
// holds a link with its metadata. Pushing checks every reference first, so a
// manifest never points at content the repository does not have.
import { Code, RegistryError } from '../errors.js';
import { digestOf, parseDigest, type Digest } from '../reference.js';
import { parseManifest, type ParsedManifest } from '../manifest/parse.js';
import { LruCache, type BlobStore } from './blob-store.js';
import { isNotFound, type StorageDriver } from './driver/driver.js';
import { paths } from './paths.js';
import type { ReferrerStore } from './referrer-store.js';
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

export interface PutResult {
  readonly digest: Digest;
  readonly parsed: ParsedManifest;
}

const CACHEABLE_BODY = 256 * 1024;

/** Parsed link metadata, valid while the link file keeps this modification time. */
interface CachedMeta {
  readonly meta: ManifestMeta;
  readonly modTime: number;
}

export class ManifestStore {
  private readonly bodies = new LruCache<Buffer>(4096);
  private readonly servingMetas = new LruCache<CachedMeta>(16_384);

  constructor(
    private readonly driver: StorageDriver,
    private readonly blobs: BlobStore,
    private readonly tags: TagStore,
    private readonly referrers: ReferrerStore,
  ) {}

  /**
   * Stores a manifest under a tag or digest reference (plus any extra `tags`).
   * `before` runs after validation and before anything is written (immutability, quota).
   */
  async put(repo: string, reference: string, body: Buffer, contentType: string | undefined, extraTags: string[] = [],
    before?: (digest: Digest, parsed: ParsedManifest) => Promise<void>): Promise<PutResult> {
    const byDigest = reference.includes(':') ? parseDigest(reference) : undefined;
    if (reference.includes(':') && !byDigest) throw new RegistryError(Code.DIGEST_INVALID, { digest: reference });
    const digest = digestOf(body, byDigest?.algorithm ?? 'sha256');
    if (byDigest && byDigest.hex !== digest.hex) {
      throw new RegistryError(Code.DIGEST_INVALID, { expected: byDigest.value, actual: digest.value });
    }
    const parsed = parseManifest(body, contentType);
    await this.checkReferences(repo, parsed);
    const tags = byDigest ? extraTags : [reference, ...extraTags];
    await before?.(digest, parsed);
    await this.blobs.putVerified(digest, body);
    const meta: ManifestMeta = {
      mediaType: parsed.mediaType,
      size: body.length,
      subject: parsed.subject?.value,
      artifactType: parsed.artifactType,
      annotations: parsed.annotations,
      pushedAt: new Date().toISOString(),
    };
    await this.driver.putContent(paths.manifestLink(repo, digest), JSON.stringify(meta));
    if (parsed.subject) await this.referrers.add(repo, parsed.subject, digest, meta);
    for (const tag of new Set(tags)) await this.tags.set(repo, tag, digest);
    return { digest, parsed };
  }

  private async checkReferences(repo: string, parsed: ParsedManifest): Promise<void> {
    const missing: string[] = [];
    await Promise.all([
      ...parsed.blobs.map(async (d) => {
        if (!(await this.blobs.isLinked(repo, d)) || (await this.blobs.globalSize(d)) === undefined) missing.push(d.value);
      }),
      ...parsed.manifests.map(async (d) => {
        if (!(await this.meta(repo, d))) missing.push(d.value);
      }),
    ]);
    if (missing.length) throw new RegistryError(Code.MANIFEST_BLOB_UNKNOWN, { missing: missing.sort() });
  }

  /** Metadata of a manifest in the repository, or undefined. */
  async meta(repo: string, digest: Digest): Promise<ManifestMeta | undefined> {
    try {
      return JSON.parse((await this.driver.getContent(paths.manifestLink(repo, digest))).toString('utf8')) as ManifestMeta;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
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
      try {
        const info = await this.driver.stat(paths.manifestLink(repo, digest));
        if (info.modTime.getTime() === cached.modTime) return cached.meta;
      } catch (err) {
        if (isNotFound(err)) {
          this.servingMetas.delete(key);
          return undefined;
        }
        throw err;
      }
    }
    // Stat before reading: a rewrite in between leaves a stale time, which only causes a re-read.
    const info = await this.driver.stat(paths.manifestLink(repo, digest)).catch(() => undefined);
    const meta = await this.meta(repo, digest);
    if (meta && info) this.servingMetas.set(key, { meta, modTime: info.modTime.getTime() });
    return meta;
  }

  /** Resolves a tag or digest reference; MANIFEST_UNKNOWN when absent. */
  async resolve(repo: string, reference: string): Promise<{ digest: Digest; meta: ManifestMeta }> {
    const digest = reference.includes(':') ? parseDigest(reference) : await this.tags.resolve(repo, reference);
    if (!digest) {
      throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference });
    }
    const meta = await this.servingMeta(repo, digest);
    if (!meta) throw new RegistryError(Code.MANIFEST_UNKNOWN, { reference });
    return { digest, meta };
  }

  async get(repo: string, reference: string): Promise<StoredManifest> {
    const { digest, meta } = await this.resolve(repo, reference);
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
    return { digest, meta, body };
  }

  /** Deletes a manifest, every tag pointing at it, and its referrer entry. */
  async delete(repo: string, digest: Digest, beforeTagRemoval?: (tags: string[]) => Promise<void>): Promise<void> {
    const meta = await this.meta(repo, digest);
    if (!meta) throw new RegistryError(Code.MANIFEST_UNKNOWN, { digest: digest.value });
    const tags = await this.tags.tagsFor(repo, digest);
    await beforeTagRemoval?.(tags);
    for (const tag of tags) await this.tags.delete(repo, tag);
    if (meta.subject) {
      const subject = parseDigest(meta.subject);
      if (subject) await this.referrers.remove(repo, subject, digest);
    }
    try {
      await this.driver.delete(paths.manifestLink(repo, digest));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Every manifest digest linked in a repository. */
  async list(repo: string): Promise<Digest[]> {
    const out: Digest[] = [];
    let algorithms: string[];
    try {
      algorithms = await this.driver.list(paths.manifestsRoot(repo));
    } catch (err) {
      if (isNotFound(err)) return out;
      throw err;
    }
    for (const alg of algorithms) {
      const name = alg.slice(alg.lastIndexOf('/') + 1);
      for (const p of await this.driver.list(alg).catch(() => [] as string[])) {
        const d = parseDigest(`${name}:${p.slice(p.lastIndexOf('/') + 1)}`);
        if (d) out.push(d);
      }
    }
    return out;
  }
}
