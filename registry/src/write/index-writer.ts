// How the write path keeps the metadata index in step with storage. The index
// never claims what storage does not have:
//   - a write that adds content opens a journal entry, commits to storage, then
//     writes the index and closes the entry in one transaction;
//   - a delete removes the index rows first, then the content from storage;
//   - a journal entry left open (the process died, or the database failed the
//     index write) names a repository for scrub to verify.
// Readers fall back to storage when the index has no answer, so committed content
// is never reported missing. The database being down refuses writes with 503
// before storage changes: no replica then serves a view the index cannot follow.
import { Code, RegistryError } from '../errors.js';
import type { Logger } from '../log.js';
import { manifestRecord, type ConfigFacts } from '../metadata/manifest-record.js';
import { LruCache } from '../storage/lru-cache.js';
import { MetadataUnavailableError, type MetadataIndex } from '../metadata/index.js';
import { parseDigest, type Digest } from '../reference.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { RunState } from './gc-protocol.js';
import type { Actor } from './write-events.js';

/** A journal entry for one write. */
export type Intent = number;

export class IndexWriter {
  /** Image configs already read: a tag push of a known image reads no blob for its record. */
  private readonly configs = new LruCache<ConfigFacts>(4096);

  constructor(private readonly index: MetadataIndex, private readonly storage: RegistryStorage, private readonly log: Logger) {}

  /** Opens the journal entry of a write about to change storage; UNAVAILABLE while the index cannot be written. */
  async begin(repo: string, operation: string): Promise<Intent> {
    return this.available(() => this.index.openIntent(repo, operation));
  }

  /** Closes a journal entry whose write changed nothing (refused after `begin`), or whose delete finished. */
  async end(intent: Intent): Promise<void> {
    await this.index.closeIntent(intent).catch((err) => this.kept(err, intent, 'close'));
  }

  /** After a manifest's storage commit: its record (references, platforms, `created`) and tags. */
  async manifestPut(intent: Intent, repo: string, digest: Digest, mediaType: string, body: Buffer, tags: readonly string[], actor: Actor): Promise<void> {
    try {
      const record = await manifestRecord({ repo, digest: digest.value, mediaType, body, readBlob: (d) => this.readBlob(d), configs: this.configs });
      await this.index.recordManifest(record, { tags, actor: actor.subject, intent });
    } catch (err) {
      this.kept(err, intent, 'manifest', repo);
    }
  }

  /** After a blob was linked into a repository (upload completed, mount). */
  async blobLinked(intent: Intent, repo: string, digest: Digest, size: number): Promise<void> {
    await this.index.linkBlob(repo, digest.value, size, { intent }).catch((err) => this.kept(err, intent, 'link', repo));
  }

  /** Whether the tag's history names `digest`; UNAVAILABLE while the index cannot answer. */
  async tagHadDigest(repo: string, tag: string, digest: Digest): Promise<boolean> {
    return this.available(() => this.index.tagHadDigest(repo, tag, digest.value));
  }

  /** After a rolled-back tag's storage commit: the tag row and a `restore` history entry. */
  async tagRestored(intent: Intent, repo: string, tag: string, digest: Digest, actor: Actor): Promise<void> {
    await this.index.setTag(repo, tag, digest.value, { actor: actor.subject, action: 'restore', intent })
      .catch((err) => this.kept(err, intent, 'tag', repo));
  }

  // Deletes: the index first (a failure refuses the delete before storage changes).

  async tagDeleting(repo: string, tag: string, actor: Actor): Promise<Intent> {
    const intent = await this.begin(repo, 'tag-delete');
    await this.available(() => this.index.deleteTag(repo, tag, { actor: actor.subject }));
    return intent;
  }

  async manifestDeleting(repo: string, digest: Digest, actor: Actor): Promise<Intent> {
    const intent = await this.begin(repo, 'manifest-delete');
    await this.available(() => this.index.deleteManifest(repo, digest.value, { actor: actor.subject }));
    return intent;
  }

  async blobUnlinking(repo: string, digest: Digest): Promise<Intent> {
    const intent = await this.begin(repo, 'blob-unlink');
    await this.available(() => this.index.unlinkBlob(repo, digest.value));
    return intent;
  }

  async repositoryDeleting(repo: string, actor: Actor): Promise<Intent> {
    const intent = await this.begin(repo, 'repository-delete');
    await this.available(() => this.index.deleteRepository(repo, { actor: actor.subject }));
    return intent;
  }

  /**
   * Runs the storage half of a delete whose index rows are gone already, then
   * closes its journal entry. A domain refusal (the object was not in storage
   * either) closes it too; any other failure leaves it for scrub.
   */
  async afterDelete<T>(intent: Intent, remove: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await remove();
    } catch (err) {
      if (err instanceof RegistryError) await this.end(intent);
      throw err;
    }
    await this.end(intent);
    return result;
  }

  /** Before the sweeper takes a manifest link (the run's journal entry covers it). */
  async manifestForgetting(repo: string, digest: Digest): Promise<void> {
    await this.available(() => this.index.deleteManifest(repo, digest.value, { actor: 'gc' }));
  }

  /** Before the sweeper takes a layer link. */
  async linkForgetting(repo: string, digest: Digest): Promise<void> {
    await this.available(() => this.index.unlinkBlob(repo, digest.value));
  }

  /** A manifest the sweeper put back: recorded again from storage. */
  async manifestRestored(repo: string, digest: Digest): Promise<void> {
    const meta = await this.storage.manifests.meta(repo, digest);
    const body = meta && (await this.readBlob(digest.value));
    if (!meta || !body) return;
    const record = await manifestRecord({ repo, digest: digest.value, mediaType: meta.mediaType, body, readBlob: (d) => this.readBlob(d), configs: this.configs });
    await this.index.recordManifest(record, { actor: 'gc' });
  }

  async linkRestored(repo: string, digest: Digest): Promise<void> {
    const size = await this.storage.blobs.globalSize(digest);
    if (size !== undefined) await this.index.linkBlob(repo, digest.value, size);
  }

  async blobCollected(digest: Digest): Promise<void> {
    await this.index.forgetBlobs([digest.value]);
  }

  /** Whether a garbage-collection run is announced, and how many ever were (`RunAnnouncements`: a failed read is a run, count unknown). */
  async gcRuns(): Promise<RunState> {
    return this.index.gcRunState().catch(() => ({ running: true }));
  }

  /** Whether the index has the blob linked in the repository (`IndexedLinks`: a failed read is a "no"). */
  async hasBlobLink(repo: string, d: Digest): Promise<boolean> {
    return (await this.index.linkedBlob(repo, d.value).catch(() => undefined)) !== undefined;
  }

  /** The manifest's media type when the index has it in the repository (`IndexedLinks`: a failed read is a "no"). */
  async manifestMediaType(repo: string, d: Digest): Promise<string | undefined> {
    return this.index.manifestMediaType(repo, d.value).catch(() => undefined);
  }

  private async readBlob(value: string): Promise<Buffer | undefined> {
    const d = parseDigest(value);
    return d ? this.storage.blobs.read(d).catch(() => undefined) : undefined;
  }

  /** Runs an index call whose failure must refuse the write: the database being down answers 503 (its disk full, 507). */
  private async available<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof MetadataUnavailableError && !err.diskFull) {
        throw new RegistryError(Code.UNAVAILABLE, { reason: 'the metadata index is unavailable' }, { 'Retry-After': '5' });
      }
      throw err;
    }
  }

  /** An index write after the storage commit failed: the write stands, its journal entry stays for scrub. */
  private kept(err: unknown, intent: Intent, what: string, repo?: string): void {
    this.log.warn({ msg: 'metadata index behind storage; scrub will repair it', what, repo, intent, err: (err as Error).message });
  }
}
