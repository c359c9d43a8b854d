// Content-addressed blobs, shared by all repositories, plus the per-repository
// links that say which repository may serve which blob. A blob becomes visible only
// by being moved into place after its digest was verified (upload-store.ts).
import type { Readable } from 'node:stream';
import { Code, RegistryError } from '../errors.js';
import { parseDigest, type Digest } from '../reference.js';
import { isNotFound, listOrEmpty, type StorageDriver } from './driver/driver.js';
import { baseName, paths } from './paths.js';

export interface BlobInfo {
  readonly digest: Digest;
  readonly size: number;
}

/** Small bounded cache for immutable facts (blob sizes, manifest bodies). */
export class LruCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
}

export class BlobStore {
  private readonly sizes = new LruCache<number>(100_000);

  constructor(private readonly driver: StorageDriver) {}

  /** Size of a blob in the global store, or undefined when absent. */
  async globalSize(d: Digest): Promise<number | undefined> {
    const cached = this.sizes.get(d.value);
    if (cached !== undefined) return cached;
    try {
      const info = await this.driver.stat(paths.blob(d));
      this.sizes.set(d.value, info.size);
      return info.size;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async isLinked(repo: string, d: Digest): Promise<boolean> {
    try {
      await this.driver.stat(paths.layerLink(repo, d));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
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

  /** Removes the blob from a repository (the content stays until garbage collection). */
  async unlink(repo: string, d: Digest): Promise<void> {
    try {
      await this.driver.delete(paths.layerLink(repo, d));
    } catch (err) {
      if (isNotFound(err)) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: d.value });
      throw err;
    }
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

  /** Forgets cached facts about a blob that garbage collection removed. */
  forget(d: Digest): void {
    this.sizes.delete(d.value);
  }
}
