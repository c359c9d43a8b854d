// Content-addressed blobs, shared by all repositories, plus the per-repository
// links that say which repository may serve which blob. A blob becomes visible only
// by being moved into place after its digest was verified (upload-store.ts).
import type { Readable } from 'node:stream';
import { Code, RegistryError } from '../errors.js';
import { parseDigest, type Digest } from '../reference.js';
import { deleteIfExists, isNotFound, listOrEmpty, type StorageDriver } from './driver/driver.js';
import { LruCache } from './lru-cache.js';
import { baseName, paths } from './paths.js';

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

export class BlobStore {
  private readonly sizes = new LruCache<number>(100_000);

  constructor(private readonly driver: StorageDriver) {}

  /** Size of a blob in the global store, or undefined when absent (cached: content never changes). */
  async globalSize(d: Digest): Promise<number | undefined> {
    const cached = this.sizes.get(d.value);
    if (cached !== undefined) return cached;
    const info = await this.driver.statFile(paths.blob(d));
    if (info) this.sizes.set(d.value, info.size);
    return info?.size;
  }

  /** Whether the blob is in the global store now, asked of storage (never of a cache). */
  async exists(d: Digest): Promise<boolean> {
    return (await this.driver.statFile(paths.blob(d))) !== undefined;
  }

  async isLinked(repo: string, d: Digest): Promise<boolean> {
    return (await this.driver.statFile(paths.layerLink(repo, d))) !== undefined;
  }

  /** The blob as seen from a repository; BLOB_UNKNOWN unless linked and present. */
  async stat(repo: string, d: Digest): Promise<BlobInfo> {
    const [linked, size] = await Promise.all([this.isLinked(repo, d), this.globalSize(d)]);
    if (!linked || size === undefined) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: d.value });
    return { digest: d, size };
  }

  async open(d: Digest, offset = 0, length?: number): Promise<Readable> {
    try {
      return await this.driver.reader(paths.blob(d), offset, length);
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: d.value });
      throw err;
    }
  }

  async redirectURL(d: Digest, method: 'GET' | 'HEAD', expiresInSeconds: number): Promise<string | undefined> {
    return this.driver.redirectURL(paths.blob(d), { method, expiresInSeconds });
  }

  async link(repo: string, d: Digest): Promise<void> {
    await this.driver.putContent(paths.layerLink(repo, d), d.value);
  }

  /** Every blob linked into the repository (its layer links), in no particular order. */
  async links(repo: string): Promise<Digest[]> {
    const out: Digest[] = [];
    for (const alg of await listOrEmpty(this.driver, paths.layersRoot(repo))) {
      for (const p of await listOrEmpty(this.driver, alg)) {
        const d = parseDigest(`${baseName(alg)}:${baseName(p)}`);
        if (d) out.push(d);
      }
    }
    return out;
  }

  /** Removes the blob from a repository (the content stays until garbage collection); BLOB_UNKNOWN when not linked. */
  async unlink(repo: string, d: Digest): Promise<void> {
    if (!(await deleteIfExists(this.driver, paths.layerLink(repo, d)))) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: d.value });
  }

  /**
   * Moves verified upload data into the content store. When the blob already
   * exists the upload data is dropped instead: content addressing makes them equal.
   */
  async ingest(d: Digest, uploadDataPath: string, size: number): Promise<void> {
    if ((await this.globalSize(d)) === undefined) {
      await this.driver.move(uploadDataPath, paths.blob(d));
    }
    this.sizes.set(d.value, size);
  }

  /** Stores small verified content (manifests) directly. */
  async putVerified(d: Digest, content: Buffer): Promise<void> {
    if ((await this.globalSize(d)) === undefined) await this.driver.putContent(paths.blob(d), content);
    this.sizes.set(d.value, content.length);
  }

  async read(d: Digest): Promise<Buffer> {
    return this.driver.getContent(paths.blob(d));
  }

  /** Whether the blob's size is cached, so that `putVerified` would not write it. */
  sizeCached(d: Digest): boolean {
    return this.sizes.get(d.value) !== undefined;
  }

  /** Forgets cached facts about a blob that garbage collection removed. */
  forget(d: Digest): void {
    this.sizes.delete(d.value);
  }

  /** Blob sizes held in memory now. */
  get cachedEntries(): number {
    return this.sizes.size;
  }
}
