// Blob uploads. State lives in storage (`_uploads/<id>/{info,data}`), so any
// process can continue an upload another one started; the running digest is kept
// in memory only as an optimisation and is recomputed from storage when missing.
import { randomUUID } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Code, RegistryError } from '../errors.js';
import { newHash, type Algorithm, type Digest } from '../reference.js';
import type { BlobStore } from './blob-store.js';
import { deleteIfExists, getOrUndefined, listOrEmpty, statOrUndefined, type FileWriter, type StorageDriver } from './driver/driver.js';
import { startHash, type RunningHash } from './hashing/running-hash.js';
import { KeyedMutex } from './keyed-mutex.js';
import { baseName, paths } from './paths.js';
import { noteReceived } from './received-buffers.js';

export interface UploadInfo {
  readonly id: string;
  readonly repo: string;
  readonly startedAt: string;
}

interface TrackedHash {
  readonly hash: RunningHash;
  /** Upload size the hash has seen. */
  offset: number;
}

export interface WriteResult {
  /** Size of the upload (or blob) afterwards. */
  readonly size: number;
  /** Bytes this request added. */
  readonly written: number;
}

export const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface AppendOptions {
  /** Offset the client says this chunk starts at (from Content-Range); checked against the upload. */
  readonly start?: number;
  /** Algorithm to hash with when the upload starts with this chunk. */
  readonly algorithm?: Algorithm;
  /** Called before any byte is written, with the bytes the chunk will add (when known): quota checks. */
  readonly reserve?: (currentSize: number) => Promise<void>;
  /** `complete` only: called after the digest was verified and before the blob is moved into place and linked. */
  readonly beforeCommit?: (size: number) => Promise<void>;
}

export class UploadStore {
  private readonly hashes = new Map<string, TrackedHash>();
  private readonly mutex = new KeyedMutex();
  /** Upload folders the purge found without files, and when it first did (see lastActivity). */
  private readonly emptySince = new Map<string, number>();

  constructor(private readonly driver: StorageDriver, private readonly blobs: BlobStore) {}

  get activeCount(): number {
    return this.hashes.size;
  }

  async create(repo: string): Promise<UploadInfo> {
    const info: UploadInfo = { id: randomUUID(), repo, startedAt: new Date().toISOString() };
    await this.driver.putContent(paths.uploadInfo(info.id), JSON.stringify(info));
    return info;
  }

  async info(repo: string, id: string): Promise<UploadInfo> {
    const info = UPLOAD_ID.test(id) ? await this.readInfo(id) : undefined;
    if (!info || info.repo !== repo) throw new RegistryError(Code.BLOB_UPLOAD_UNKNOWN, { uuid: id });
    return info;
  }

  /** Bytes received so far. */
  async size(repo: string, id: string): Promise<number> {
    await this.info(repo, id);
    return this.dataSize(id);
  }

  private async dataSize(id: string): Promise<number> {
    return (await statOrUndefined(this.driver, paths.uploadData(id)))?.size ?? 0;
  }

  /** Bytes stored for an upload of any repository: 0 before its first chunk, undefined once it is gone. */
  async storedSize(id: string): Promise<number | undefined> {
    const data = await statOrUndefined(this.driver, paths.uploadData(id));
    if (data) return data.size;
    return (await statOrUndefined(this.driver, paths.uploadInfo(id))) ? 0 : undefined;
  }

  /** Every upload in progress with its repository and stored size (quota accounting). */
  async list(): Promise<Array<{ id: string; repo: string; size: number }>> {
    const out: Array<{ id: string; repo: string; size: number }> = [];
    for (const entry of await listOrEmpty(this.driver, paths.uploadsRoot())) {
      const id = baseName(entry);
      const info = await this.readInfo(id);
      const size = info && (await this.storedSize(id));
      if (info && size !== undefined) out.push({ id, repo: info.repo, size });
    }
    return out;
  }

  private async readInfo(id: string): Promise<UploadInfo | undefined> {
    const raw = await getOrUndefined(this.driver, paths.uploadInfo(id));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw.toString('utf8')) as UploadInfo;
    } catch {
      return undefined; // an info file caught mid-write by a crash: the purge removes it
    }
  }

  /** Appends a chunk. A chunk not starting at the current size is refused (416). */
  async append(repo: string, id: string, source: Readable | Buffer, options: AppendOptions = {}): Promise<WriteResult> {
    await this.info(repo, id);
    return this.mutex.run(id, async () => {
      const writer = await this.driver.writer(paths.uploadData(id), { append: true });
      const before = writer.size;
      try {
        await this.appendTo(writer, id, source, options);
      } finally {
        await writer.close();
      }
      return { size: writer.size, written: writer.size - before };
    });
  }

  private async appendTo(writer: FileWriter, id: string, source: Readable | Buffer, options: AppendOptions): Promise<void> {
    if (options.start !== undefined && options.start !== writer.size) {
      throw new RegistryError(Code.RANGE_INVALID, { expectedStart: writer.size, got: options.start }, {
        Range: `0-${Math.max(writer.size - 1, 0)}`,
      });
    }
    await options.reserve?.(writer.size);
    let running = this.hashes.get(id);
    if (!running || running.offset !== writer.size) {
      this.forgetHash(id);
      const algorithm = options.algorithm ?? 'sha256';
      running = writer.size === 0 ? { hash: startHash(algorithm, Buffer.isBuffer(source) ? 'buffer' : 'stream'), offset: 0 } : undefined;
    }
    if (!running) {
      await writer.write(source);
      return;
    }
    const tracked = running;
    const hash = tracked.hash;
    const tee = new Transform({
      transform(chunk: Buffer, _enc, done) {
        // The chunk goes on to storage at once; only the next one waits for a busy hasher.
        this.push(chunk);
        noteReceived(chunk.length);
        const busy = hash.update(chunk);
        if (busy) busy.then(() => done(), done);
        else done();
      },
    });
    const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
    try {
      const written = writer.write(tee);
      await Promise.all([pipeline(input, tee).catch((err: Error) => { tee.destroy(err); throw err; }), written]);
      tracked.offset = writer.size;
      this.hashes.set(id, tracked);
    } catch (err) {
      // The hash may have seen bytes the file did not get.
      this.hashes.delete(id);
      hash.dispose();
      throw err;
    }
  }

  private forgetHash(id: string): void {
    this.hashes.get(id)?.hash.dispose();
    this.hashes.delete(id);
  }

  /**
   * Appends the optional last chunk, verifies the digest, and moves the data into
   * the content store. On a digest mismatch the upload is discarded and nothing
   * becomes visible.
   */
  async complete(repo: string, id: string, expected: Digest, last?: Readable | Buffer, options: AppendOptions = {}): Promise<WriteResult> {
    await this.info(repo, id);
    return this.mutex.run(id, async () => {
      const writer = await this.driver.writer(paths.uploadData(id), { append: true });
      const before = writer.size;
      try {
        if (last) await this.appendTo(writer, id, last, { ...options, algorithm: expected.algorithm });
        await writer.commit();
      } catch (err) {
        await writer.close().catch(() => undefined);
        throw err;
      }
      const size = writer.size;
      const actual = await this.digestOf(id, expected.algorithm, size);
      if (actual !== expected.hex) {
        await this.discard(id);
        throw new RegistryError(Code.DIGEST_INVALID, { expected: expected.value, actual: `${expected.algorithm}:${actual}` });
      }
      await options.beforeCommit?.(size);
      await this.blobs.ingest(expected, paths.uploadData(id), size);
      await this.blobs.link(repo, expected);
      await this.discard(id);
      return { size, written: size - before };
    });
  }

  private async digestOf(id: string, algorithm: Algorithm, size: number): Promise<string> {
    const running = this.hashes.get(id);
    this.hashes.delete(id); // a digest ends the hash; a retried completion reads the data back
    if (running && running.hash.algorithm === algorithm && running.offset === size) {
      try {
        return await running.hash.digest();
      } catch {
        // The hash was lost (its worker died): the data in storage is the truth.
      }
    } else {
      running?.hash.dispose();
    }
    const hash = newHash(algorithm);
    if (size > 0) await pipeline(await this.driver.reader(paths.uploadData(id)), hash);
    return hash.digest('hex');
  }

  async cancel(repo: string, id: string): Promise<void> {
    await this.info(repo, id);
    await this.mutex.run(id, () => this.discard(id));
  }

  private async discard(id: string): Promise<void> {
    this.forgetHash(id);
    await deleteIfExists(this.driver, paths.upload(id));
  }

  /** Deletes uploads with no activity for `maxAgeSeconds`; returns how many. */
  async purge(maxAgeSeconds: number, now = Date.now()): Promise<number> {
    let purged = 0;
    const listed = new Set<string>();
    for (const path of await listOrEmpty(this.driver, paths.uploadsRoot())) {
      const id = baseName(path);
      listed.add(id);
      const last = await this.lastActivity(id, now);
      if (last !== undefined && now - last > maxAgeSeconds * 1000) {
        this.emptySince.delete(id);
        await this.mutex.run(id, () => this.discard(id));
        purged++;
      }
    }
    for (const id of this.emptySince.keys()) if (!listed.has(id)) this.emptySince.delete(id);
    return purged;
  }

  /**
   * When the upload last changed. A folder with neither file yet is either an upload
   * being created right now (its folder made, its info file not yet written) or what a
   * crash left between the two: it counts from the first purge that saw it empty, so a
   * create in flight is never purged under it.
   */
  private async lastActivity(id: string, now: number): Promise<number | undefined> {
    const times: number[] = [];
    for (const p of [paths.uploadData(id), paths.uploadInfo(id)]) {
      const info = await statOrUndefined(this.driver, p);
      if (info) times.push(info.modTime.getTime());
    }
    if (times.length) {
      this.emptySince.delete(id);
      return Math.max(...times);
    }
    const since = this.emptySince.get(id) ?? now;
    this.emptySince.set(id, since);
    return since;
  }
}
