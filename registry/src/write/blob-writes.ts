// Blob writes: uploads (chunked, monolithic, resumed), cross-repository mounts and
// unlinks. Each runs the whole sequence, in this order, for every caller:
//   reserve the chunk's bytes (quota) → write and hash → verify the digest →
//   GC touch → admit the blob (quota) → move into place and link →
//   GC re-check → listeners (events, index, ...)
import type { Readable } from 'node:stream';
import { Code, hasCode } from '../errors.js';
import type { Digest } from '../reference.js';
import type { AppendOptions, UploadInfo, WriteResult } from '../storage/upload-store.js';
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
    const result = await this.write(repo, id, digest, actor, (hooks) =>
      this.w.storage.uploads.complete(repo, id, digest, last, { ...hooks, start: options.start }), options.length);
    await this.linked(repo, digest, result.size, actor);
    return result;
  }

  /** A whole blob in one request (POST with `digest`): nothing is left behind when it is refused. */
  async putMonolithic(repo: string, digest: Digest, body: Readable | Buffer, length: number | undefined, actor: Actor): Promise<WriteResult> {
    const { uploads } = this.w.storage;
    const upload = await uploads.create(repo);
    let result: WriteResult;
    try {
      result = await this.write(repo, upload.id, digest, actor, (hooks) =>
        uploads.complete(repo, upload.id, digest, body, { ...hooks, algorithm: digest.algorithm }), length);
    } catch (err) {
      // A refused monolithic upload leaves no session behind to count against the quota.
      if (hasCode(err, Code.QUOTA_EXCEEDED)) await uploads.cancel(repo, upload.id).catch(() => undefined);
      throw err;
    }
    await this.linked(repo, digest, result.size, actor);
    return result;
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
    try {
      await blobs.link(repo, digest);
      mounted = true;
    } finally {
      await admitted(mounted);
    }
    await this.linked(repo, digest, size, actor);
    return true;
  }

  /** Removes a blob from a repository; BLOB_UNKNOWN when it was not linked. */
  async unlink(repo: string, digest: Digest, actor: Actor): Promise<void> {
    await this.w.storage.blobs.unlink(repo, digest);
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
    run: (hooks: AppendOptions) => Promise<WriteResult>, declaredLength: number | undefined): Promise<WriteResult> {
    const { quota, metrics } = this.w;
    let settle: (() => Promise<void>) | undefined;
    let admitted: ((committed: boolean) => Promise<void>) | undefined;
    const hooks: AppendOptions = {
      reserve: async () => { settle = await this.refusable(repo, actor, () => quota.reserveChunk(repo, id, declaredLength ?? 0)); },
      beforeCommit: digest && (async (size) => {
        await this.w.gc.beforeBlobLink(digest);
        admitted = await this.admit(repo, digest, size, id, actor);
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

  /** After a link: the GC re-check, then the listeners. */
  private async linked(repo: string, digest: Digest, size: number, actor: Actor): Promise<void> {
    await this.w.gc.afterBlobLink(repo, digest);
    await this.w.notify({ kind: 'blob-linked', repo, digest, size, actor });
  }
}
