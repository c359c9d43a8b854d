// Cache fills: what a pull-through cache writes when it copies content from an
// upstream. They go through the write path like any push, so the GC protocol, the
// metrics and every listener (events, the cache's own budget) follow them, and each opens an index journal entry before storage changes and
// records in the metadata index after (so listings, referrers and GC see cached
// content like any other), with two differences a cache needs:
//   - no quota: cached bytes count against the cache's own size limit
//     (mirror/cache-budget.ts), never against a team's quota;
//   - a manifest may be stored before what it references (an index's other
//     platforms, layers fetched on demand), so only the references present are
//     protected (GcWriterProtocol.beforePartialManifestPut).
// A blob is written in one pass: the upstream body streams into an upload, is
// hashed on the way, and is moved into place only when its digest matches.
import type { Readable } from 'node:stream';
import { Code, RegistryError } from '../errors.js';
import { parseManifest } from '../manifest/parse.js';
import { digestOf, type Digest } from '../reference.js';
import type { WriteResult } from '../storage/upload-store.js';
import type { Intent } from './index-writer.js';
import type { WriteContext } from './write-context.js';
import { SYSTEM_CACHE, type CacheOrigin } from './write-events.js';

export class CacheFills {
  constructor(private readonly w: WriteContext) {}

  /** Streams `source` into the cached repository as blob `digest`; DIGEST_INVALID (and nothing stored) when it does not match. */
  async putBlob(repo: string, digest: Digest, source: Readable, cache: CacheOrigin): Promise<WriteResult> {
    const { uploads } = this.w.storage;
    const upload = await uploads.create(repo);
    let result: WriteResult;
    let intent: Intent | undefined;
    this.w.metrics.activeUploads.inc();
    try {
      result = await uploads.complete(repo, upload.id, digest, source, {
        algorithm: digest.algorithm,
        beforeCommit: async () => {
          await this.w.gc.beforeBlobLink(digest);
          intent = await this.w.index.begin(repo, 'cache-blob');
        },
      });
    } catch (err) {
      await uploads.cancel(repo, upload.id).catch(() => undefined); // gone already after a digest mismatch
      throw err;
    } finally {
      this.w.metrics.activeUploads.dec();
    }
    if (intent === undefined) throw new Error('a cache fill completed without its index journal entry');
    this.w.metrics.bytesReceived.inc({ route: 'cache-fill' }, result.written);
    await this.w.blobLinked(intent, repo, digest, result.size, SYSTEM_CACHE, cache);
    return result;
  }

  /** Links a blob already in storage (fetched for another repository, or pushed locally) into a cached repository; false when absent. */
  async linkBlob(repo: string, digest: Digest, cache: CacheOrigin): Promise<boolean> {
    const { blobs } = this.w.storage;
    await this.w.gc.beforeBlobLink(digest);
    const size = await blobs.globalSize(digest);
    if (size === undefined) return false;
    // A failed storage step leaves the journal entry open: scrub verifies the repository.
    const intent = await this.w.index.begin(repo, 'cache-link');
    await blobs.link(repo, digest);
    await this.w.blobLinked(intent, repo, digest, size, SYSTEM_CACHE, cache);
    return true;
  }

  /**
   * Stores a manifest fetched from an upstream, and points `tag` at it when given.
   * The body must hash to `digest` (DIGEST_INVALID otherwise) and be a valid
   * manifest (MANIFEST_INVALID); what it references may still be absent.
   */
  async putManifest(repo: string, digest: Digest, body: Buffer, mediaType: string | undefined, tag: string | undefined, cache: CacheOrigin): Promise<void> {
    const actual = digestOf(body, digest.algorithm);
    if (actual.hex !== digest.hex) throw new RegistryError(Code.DIGEST_INVALID, { expected: digest.value, actual: actual.value, upstream: cache.upstream });
    const parsed = parseManifest(body, mediaType);
    const { storage } = this.w;
    const previous = tag === undefined ? undefined : await storage.tags.resolve(repo, tag);
    const tags = tag === undefined ? [] : [tag];
    // The journal entry opens before the GC touch, as for a push (manifest-writes.ts).
    const intent = await this.w.index.begin(repo, 'cache-manifest');
    try {
      await this.w.gc.beforePartialManifestPut(digest, parsed);
    } catch (err) {
      await this.w.index.end(intent);
      throw err;
    }
    await storage.manifests.commit(repo, digest, body, parsed, tags);
    await this.w.index.manifestPut(intent, repo, digest, parsed.mediaType, body, tags, SYSTEM_CACHE);
    await this.w.notify({
      kind: 'manifest-put', repo, digest, mediaType: parsed.mediaType, size: body.length, body, tags,
      subject: parsed.subject, actor: SYSTEM_CACHE, cache,
    });
    if (tag !== undefined && previous && previous.value !== digest.value) {
      await this.w.notify({ kind: 'cache-tag-moved', repo, tag, from: previous, to: digest, cache });
    }
  }

  /** The upstream confirmed a cached tag (same digest): it is fresh again from now. */
  async revalidated(repo: string, tag: string, digest: Digest): Promise<void> {
    await this.w.storage.tags.set(repo, tag, digest);
  }

  /** The upstream no longer has a cached tag: the copy stays and is served, and the listeners hear of it. */
  async upstreamMissing(repo: string, tag: string, digest: Digest, cache: CacheOrigin): Promise<void> {
    await this.w.storage.tags.set(repo, tag, digest);
    await this.w.notify({ kind: 'cache-upstream-missing', repo, tag, digest, cache });
  }
}
