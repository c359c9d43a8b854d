// Whether a repository may serve a blob, and its size: from memory, else the
// metadata index, else storage. The index never claims a link storage lacks (the
// write path removes index rows before storage content), so its "yes" is served
// as is; its "no" is checked with storage, because content committed just before
// a crash may not be indexed yet. With the database down, storage answers alone.
import type { Logger } from '../log.js';
import { MetadataUnavailableError, type MetadataIndex } from '../metadata/index.js';
import type { Digest } from '../reference.js';
import type { BlobInfo } from '../storage/blob-store.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { FactCache } from './fact-cache.js';

export class BlobPresence {
  /** Linked blobs' sizes by digest. */
  private readonly cache: FactCache<number>;

  constructor(private readonly index: MetadataIndex, private readonly storage: RegistryStorage, private readonly log: Logger) {
    this.cache = new FactCache(index.invalidations, {
      repositories: 4096, perRepository: 4096,
      forget: (links, change) => { if (change.kind === 'link') links.delete(change.digest); },
    });
  }

  /** The blob as seen from a repository; BLOB_UNKNOWN unless linked and present. */
  async stat(repo: string, d: Digest): Promise<BlobInfo> {
    const cached = this.cache.get(repo, d.value);
    if (cached !== undefined) return { digest: d, size: cached };
    try {
      const version = this.cache.version;
      const linked = await this.index.linkedBlob(repo, d.value);
      if (linked) {
        this.cache.set(repo, d.value, linked.size, version);
        return { digest: d, size: linked.size };
      }
    } catch (err) {
      if (!(err instanceof MetadataUnavailableError)) throw err;
      this.log.debug({ msg: 'metadata index unavailable; blob checked in storage', repo, digest: d.value });
    }
    return this.storage.blobs.stat(repo, d);
  }
}
