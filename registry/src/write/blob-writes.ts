// Blob writes: uploads (chunked, monolithic, resumed), cross-repository mounts and
// unlinks. Each runs the whole sequence, in this order, for every caller:
//   reserve the chunk's bytes (quota) → write and hash → verify the digest →
//   GC touch → admit the blob (quota) → open the index journal entry →
//   move into place and link → GC re-check → index → listeners (events, ...)
import type { Readable } from 'node:stream';
import { Code, hasCode } from '../errors.js';
import { failpoint } from '../failpoints.js';
import type { Digest } from '../reference.js';
import type { AppendOptions, UploadInfo, WriteResult } from '../storage/upload-store.js';
import type { Intent } from './index-writer.js';
import type { WriteContext } from './write-context.js';
import type { Actor } from './write-events.js';

export interface ChunkOptions {
  /** Offset the client says the chunk starts at (Content-Range); checked against the upload. */
  readonly start?: number;
  /** Bytes the client declared for this chunk (Content-Length), reserved against quotas. */
  readonly length?: number;
}

/** Whether the caller may read a mount's source repository, and may mount by digest alone. */
export interface MountRights {
  canPull(repo: string): boolean;
  /** Auth off or the admin: only then may a digest alone reach another repository's blobs. */
  readonly unrestricted: boolean;
}

export class BlobWrites {
  constructor(private readonly w: WriteContext) {}

  start(repo: string): Promise<UploadInfo> {
    return this.w.storage.uploads.create(repo);
  }

  /** Appends a chunk to an upload. */
  async append(repo: string, id: string, chunk: Readable | Buffer, options: ChunkOptions, actor: Actor): Promise<WriteResult> {
    return this.write(repo, id, undefined, actor, (hooks) =>
      this.w.storage.uploads.append(repo, id, chunk, { ...hooks, start: options.start }), options.length);
  }

  /** Completes an upload (with an optional last chunk) as blob `digest`, verified before it becomes visible. */
  async complete(repo: string, id: string, digest: Digest, last: Readable | Buffer | undefined, options: ChunkOptions, actor: Actor): Promise<WriteResult> {
    await this.w.storage.uploads.info(repo, id);
    const { result, intent } = await this.committing(repo, id, digest, actor, (hooks) =>
      this.w.storage.uploads.complete(repo, id, digest, last, { ...hooks, start: options.start }), options.length);
    await this.w.blobLinked(intent, repo, digest, result.size, actor);
    return result;
  }

  /** A whole blob in one request (POST with `digest`): nothing is left behind when it is refused. */
  async putMonolithic(repo: string, digest: Digest, body: Readable | Buffer, length: number | undefined, actor: Actor): Promise<WriteResult> {
    const { uploads } = this.w.storage;
    const upload = await uploads.create(repo);
    let committed: { result: WriteResult; intent: Intent };
    try {
      committed = await this.committing(repo, upload.id, digest, actor, (hooks) =>
        uploads.complete(repo, upload.id, digest, body, { ...hooks, algorithm: digest.algorithm }), length);
    } catch (err) {
      // A refused monolithic upload leaves no session behind to count against the quota.
      if (hasCode(err, Code.QUOTA_EXCEEDED)) await uploads.cancel(repo, upload.id).catch(() => undefined);
      throw err;
    }
    await this.w.blobLinked(committed.intent, repo, digest, committed.result.size, actor);
    return committed.result;
  }

  async cancel(repo: string, id: string): Promise<void> {
    await this.w.storage.uploads.cancel(repo, id);
    await this.w.notify({ kind: 'uploads-discarded', repo });
  }

  /**
   * Links a blob another repository has (`from`), or any repository when the caller
   * is unrestricted and names no source. False means "not mounted": the client
   * uploads instead, as the spec says.
   */
  async mount(repo: string, digest: Digest, from: string | undefined, rights: MountRights, actor: Actor): Promise<boolean> {
    const { blobs } = this.w.storage;
    if (from !== undefined && (from === repo || !rights.canPull(from))) return false;
    if (from === undefined && !rights.unrestricted) return false;
    await this.w.gc.beforeBlobLink(digest);
    const size = await blobs.globalSize(digest);
    if (size === undefined || (from !== undefined && !(await blobs.isLinked(from, digest)))) return false;
    const admitted = await this.admit(repo, digest, size, undefined, actor);
    let mounted = false;
    let intent: Intent;
    try {
      intent = await this.w.index.begin(repo, 'blob-link');
      await blobs.link(repo, digest);
      mounted = true;
    } finally {
      await admitted(mounted);
    }
    await this.w.blobLinked(intent, repo, digest, size, actor);
    return true;
  }

  /** Removes a blob from a repository; BLOB_UNKNOWN when it was not linked. */
  async unlink(repo: string, digest: Digest, actor: Actor): Promise<void> {
    const intent = await this.w.index.blobUnlinking(repo, digest);
    failpoint('blob-unlink:index-deleted');
    await this.w.index.afterDelete(intent, () => this.w.storage.blobs.unlink(repo, digest));
    await this.w.notify({ kind: 'blob-unlinked', repo, digest, actor });
  }

  /** Purges uploads idle for `maxAgeSeconds`; returns how many. */
  async purgeAbandoned(maxAgeSeconds: number): Promise<number> {
    const n = await this.w.storage.uploads.purge(maxAgeSeconds);
    this.w.metrics.uploadsPurged.inc(n);
    if (n) await this.w.notify({ kind: 'uploads-discarded' });
    return n;
  }

  /**
   * Runs an upload write with the quota hooks (the chunk's reservation; on
   * completion the GC touch and the blob's admission), settles the quota whatever
   * the outcome, and counts the bytes.
   */
  private async write(repo: string, id: string, digest: Digest | undefined, actor: Actor,
    run: (hooks: AppendOptions) => Promise<WriteResult>, declaredLength: number | undefined, beforeCommit?: () => Promise<void>): Promise<WriteResult> {
    const { quota, metrics } = this.w;
    let settle: (() => Promise<void>) | undefined;
    let admitted: ((committed: boolean) => Promise<void>) | undefined;
    const hooks: AppendOptions = {
      reserve: async () => { settle = await this.refusable(repo, actor, () => quota.reserveChunk(repo, id, declaredLength ?? 0)); },
      beforeCommit: digest && (async (size) => {
        await this.w.gc.beforeBlobLink(digest);
        admitted = await this.admit(repo, digest, size, id, actor);
        await beforeCommit?.();
      }),
    };
    let committed = false;
    metrics.activeUploads.inc();
    try {
      const result = await run(hooks);
      committed = true;
      metrics.bytesReceived.inc({ route: 'upload' }, result.written);
      return result;
    } finally {
      metrics.activeUploads.dec();
      await admitted?.(committed);
      await (settle ?? (() => quota.refreshUpload(repo, id)))();
    }
  }

  /** An upload write that ends in a commit: the index journal entry opens just before the blob goes into place. */
  private async committing(repo: string, id: string, digest: Digest, actor: Actor,
    run: (hooks: AppendOptions) => Promise<WriteResult>, declaredLength: number | undefined): Promise<{ result: WriteResult; intent: Intent }> {
    let intent: Intent | undefined;
    const result = await this.write(repo, id, digest, actor, run, declaredLength, async () => { intent = await this.w.index.begin(repo, 'blob-link'); });
    if (intent === undefined) throw new Error('an upload completed without its index journal entry');
    return { result, intent };
  }

  private admit(repo: string, digest: Digest, size: number, uploadId: string | undefined, actor: Actor): Promise<(committed: boolean) => Promise<void>> {
    return this.refusable(repo, actor, () => this.w.quota.admit(repo, digest, size, uploadId));
  }

  /** Runs a quota decision; a refusal is told to the listeners before it reaches the client. */
  private async refusable<T>(repo: string, actor: Actor, decide: () => Promise<T>): Promise<T> {
    try {
      return await decide();
    } catch (err) {
      if (hasCode(err, Code.QUOTA_EXCEEDED)) await this.w.notify({ kind: 'quota-refused', repo, refusal: err.detail as Record<string, unknown>, actor });
      throw err;
    }
  }
}
