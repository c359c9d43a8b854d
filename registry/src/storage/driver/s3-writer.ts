// Resumable writes on S3. A writer's bytes go to a multipart upload on the target
// key in parts of `partBytes`; what is left over when the writer is closed (less
// than S3's 5 MiB minimum part) goes to a small "tail" object, and the upload id,
// part list and tail are recorded in a state object. All of it lives in the bucket
// next to the key, under "<key>~/" ('~' never occurs in a driver path, so these
// keys cannot collide with real ones), which is what lets another registry process
// continue the same upload. One part uploads while the next one fills, so the
// client's bytes keep arriving during a part's PUT; memory is bounded by two parts.
//
// A crash between two closes loses only what was written since the last close:
// the state object is replaced only after everything it names exists, and an
// object it names is deleted only after the state stops naming it.
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PathNotFoundError, StorageDriverError, WriteConflictError, type FileWriter } from './driver.js';
import type { S3Bucket } from './s3-bucket.js';
import { S3_DRIVER_NAME } from './s3-errors.js';
import { copyIntoUpload, type MultipartLimits, type PartRecord } from './s3-multipart.js';
import { PartFill } from './s3-part-fill.js';

export interface WriterState {
  readonly version: 1;
  /** Bytes in the parts plus the tail. */
  readonly size: number;
  readonly uploadId?: string;
  readonly parts: readonly PartRecord[];
  readonly tail?: { readonly key: string; readonly size: number };
  /** Last close, ISO 8601 (the modTime `stat` reports for an unfinished file). */
  readonly updated: string;
}

/** Prefix of every object a writer keeps for `key`. */
export const writerPrefix = (key: string) => `${key}~/`;
/** What a writer's state object adds to the key of the file it writes. */
export const STATE_SUFFIX = '~/state';
export const stateKey = (key: string) => `${key}${STATE_SUFFIX}`;
const freshKey = (key: string, kind: 'tail') => `${key}~/${kind}-${randomBytes(8).toString('hex')}`;

export const EMPTY_STATE: WriterState = { version: 1, size: 0, parts: [], updated: new Date(0).toISOString() };

export interface StoredState {
  readonly state: WriterState;
  /** ETag of the state object, for the conditional write that replaces it. */
  readonly etag: string;
}

export async function readState(s3: S3Bucket, path: string, key: string): Promise<StoredState | undefined> {
  const raw = await s3.findWithEtag(path, stateKey(key));
  if (!raw) return undefined;
  const state = JSON.parse(raw.body.toString('utf8')) as WriterState;
  if (state.version !== 1 || !Array.isArray(state.parts)) {
    throw new StorageDriverError(S3_DRIVER_NAME, `unreadable writer state for ${path}`);
  }
  return { state, etag: raw.etag };
}

/**
 * Replaces the state object only if it is still the version this writer started
 * from (or, for a new writer, if there is none), so two processes appending to one
 * upload at once cannot silently undo each other: the later close fails instead.
 */
export async function writeState(s3: S3Bucket, path: string, key: string, state: WriterState, previousEtag: string | undefined): Promise<string> {
  try {
    return await s3.putConditional(path, stateKey(key), Buffer.from(JSON.stringify(state)),
      previousEtag ? { ifMatch: previousEtag } : { ifNoneMatch: '*' });
  } catch (err) {
    if (/PreconditionFailed/.test((err as Error).message)) {
      throw new WriteConflictError(S3_DRIVER_NAME, `${path} was changed by another writer since this one opened it`, { cause: err });
    }
    throw err;
  }
}

/** Deletes every object under "<key>~/" (state, tails, leftovers). */
export async function deleteWriterObjects(s3: S3Bucket, path: string, key: string): Promise<void> {
  for await (const page of s3.list(path, writerPrefix(key), '')) {
    await s3.deleteMany(path, page.objects.map((o) => o.key));
  }
}

const sum = (parts: readonly PartRecord[]) => parts.reduce((n, p) => n + p.size, 0);

export class S3Writer implements FileWriter {
  private uploadId: string | undefined;
  private parts: PartRecord[];
  /** The tail named by the stored state; its bytes are merged in front of new data on the first write. */
  private readonly storedTail: WriterState['tail'];
  private tailMerged = false;
  /** Set once a part holding the merged tail bytes is uploaded: the stored tail is then obsolete. */
  private tailInParts = false;
  private readonly pending: PartFill;
  /** The part being uploaded (at most one): recorded in `parts` once stored. Its failure surfaces at the next step. */
  private inFlight: Promise<void> | undefined;
  private inFlightBytes = 0;
  private dirty: boolean;
  private finished = false;
  /** The size once closed, committed or cancelled (the pending bytes are gone by then). */
  private finalSize: number | undefined;

  constructor(
    private readonly s3: S3Bucket,
    /** The same bucket with the longer timeout that big server-side copies need. */
    private readonly copier: S3Bucket,
    private readonly limits: MultipartLimits,
    private readonly path: string,
    private readonly key: string,
    state: WriterState,
    /** ETag of the stored state this writer continues; undefined when there is none. */
    private stateEtag: string | undefined,
    /** A new (truncating) writer: close must persist even when nothing was written. */
    private readonly fresh: boolean,
  ) {
    this.pending = new PartFill(limits.partBytes);
    this.uploadId = state.uploadId;
    this.parts = [...state.parts];
    this.storedTail = state.tail;
    this.dirty = fresh;
  }

  get size(): number {
    if (this.finalSize !== undefined) return this.finalSize;
    const unmergedTail = this.tailMerged ? 0 : this.storedTail?.size ?? 0;
    return sum(this.parts) + this.inFlightBytes + unmergedTail + this.pending.length;
  }

  async write(source: Readable | Buffer): Promise<number> {
    this.assertOpen();
    if (Buffer.isBuffer(source)) {
      await this.accept(source);
      return source.length;
    }
    let written = 0;
    // Bytes accepted before a source error stay written, as in a file.
    for await (const chunk of source) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      await this.accept(buf);
      written += buf.length;
    }
    return written;
  }

  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.finalSize = this.size;
    if (!this.dirty) return;
    if (this.pending.length >= this.limits.minPartBytes) await this.uploadPart(this.pending.take());
    await this.settle();
    let tail: WriterState['tail'] = this.tailMerged ? undefined : this.storedTail;
    if (this.pending.length > 0) {
      const key = freshKey(this.key, 'tail');
      const bytes = this.pending.take();
      await this.s3.put(this.path, key, bytes);
      tail = { key, size: bytes.length };
    }
    this.pending.release();
    const state: WriterState = {
      version: 1, uploadId: this.uploadId, parts: this.parts, tail,
      size: sum(this.parts) + (tail?.size ?? 0), updated: new Date().toISOString(),
    };
    this.stateEtag = await writeState(this.s3, this.path, this.key, state, this.stateEtag);
    if (this.tailMerged && this.storedTail) await this.s3.deleteMany(this.path, [this.storedTail.key]);
    // A truncating writer replaced whatever object was there, as opening a file for writing would.
    if (this.fresh) await this.s3.deleteMany(this.path, [this.key]);
  }

  async commit(): Promise<void> {
    this.assertOpen();
    this.finished = true;
    this.finalSize = this.size;
    await this.mergeStoredTail();
    if (this.uploadId === undefined) {
      // Small enough to never have needed a part: one atomic PUT.
      await this.s3.put(this.path, this.key, this.pending.take());
    } else {
      try {
        if (this.pending.length > 0) await this.uploadPart(this.pending.take()); // the last part may be small
        await this.settle();
        await this.s3.complete(this.path, this.key, this.uploadId, this.parts);
      } catch (err) {
        // An earlier commit completed the upload but failed before deleting the
        // state: the upload id is gone (NoSuchUpload) and the object is already whole.
        if (!(err instanceof PathNotFoundError) || (await this.committedSize()) !== this.finalSize) throw err;
      }
    }
    this.pending.release();
    await deleteWriterObjects(this.s3, this.path, this.key);
  }

  async cancel(): Promise<void> {
    this.finished = true;
    this.finalSize = 0;
    await this.settle().catch(() => undefined); // the upload is aborted whatever became of that part
    this.pending.release();
    if (this.uploadId) await this.s3.abort(this.path, this.key, this.uploadId);
    await deleteWriterObjects(this.s3, this.path, this.key);
    await this.s3.deleteMany(this.path, [this.key]);
  }

  private async committedSize(): Promise<number | undefined> {
    return (await this.s3.find(this.path, this.key))?.size;
  }

  private assertOpen(): void {
    if (this.finished) throw new StorageDriverError(S3_DRIVER_NAME, `writer for ${this.path} is already closed`);
  }

  private async accept(chunk: Buffer): Promise<void> {
    await this.mergeStoredTail();
    this.dirty = true;
    for (let offset = 0; offset < chunk.length;) {
      offset += this.pending.append(chunk, offset);
      if (this.pending.full) await this.uploadPart(this.pending.take());
    }
  }

  /** Loads the stored tail (< 5 MiB) in front of the pending bytes, once. */
  private async mergeStoredTail(): Promise<void> {
    if (this.tailMerged) return;
    this.tailMerged = true;
    if (!this.storedTail || this.storedTail.size === 0) return;
    const bytes = await this.s3.getBuffer(this.path, this.storedTail.key);
    if (bytes.length !== this.storedTail.size) {
      throw new StorageDriverError(S3_DRIVER_NAME, `tail of ${this.path} has ${bytes.length} bytes, state says ${this.storedTail.size}`);
    }
    this.pending.append(bytes); // the part is empty still, and a tail is smaller than a part
  }

  /** Starts uploading a part once the previous one is stored, and returns without waiting for it. */
  private async uploadPart(bytes: Buffer): Promise<void> {
    await this.settle();
    if (this.uploadId === undefined) this.uploadId = await this.s3.initiate(this.path, this.key);
    // Keep one part number free for the final (possibly small) part.
    if (this.parts.length >= this.limits.maxParts - 1) await this.consolidate();
    const number = this.parts.length ? this.parts[this.parts.length - 1].part + 1 : 1;
    const holdsTail = this.tailMerged;
    this.inFlightBytes = bytes.length;
    const upload = this.s3.uploadPart(this.path, this.key, this.uploadId, number, bytes).then((done) => {
      this.inFlightBytes = 0;
      this.parts.push({ part: done.part, etag: done.etag, size: bytes.length });
      if (holdsTail) this.tailInParts = true;
    }, (err: unknown) => {
      this.inFlightBytes = 0;
      throw err;
    });
    upload.catch(() => undefined); // awaited, and so reported, by the next settle()
    this.inFlight = upload;
  }

  /** Waits for the part in flight, if any; throws its failure. */
  private async settle(): Promise<void> {
    const upload = this.inFlight;
    this.inFlight = undefined;
    await upload;
  }

  /**
   * The upload is out of part numbers: complete it (a multipart upload can only
   * complete into its own key), start a new upload on the key whose first parts
   * are server-side copies of that object, and delete the object again. It is
   * visible for those few calls only, and only at the upload's own key, which the
   * registry never serves. The state is persisted at once, because the old upload
   * id no longer exists.
   */
  private async consolidate(): Promise<void> {
    const size = sum(this.parts);
    await this.s3.complete(this.path, this.key, this.uploadId!, this.parts);
    const uploadId = await this.s3.initiate(this.path, this.key);
    try {
      this.parts = await copyIntoUpload(this.copier, this.path, this.key, size, this.key, uploadId, 1, this.limits);
    } catch (err) {
      await this.s3.abort(this.path, this.key, uploadId).catch(() => undefined);
      throw err;
    }
    await this.s3.deleteMany(this.path, [this.key]);
    this.uploadId = uploadId;
    const tail = this.tailInParts ? undefined : this.storedTail;
    const state: WriterState = {
      version: 1, uploadId, parts: this.parts, tail,
      size: size + (tail?.size ?? 0), updated: new Date().toISOString(),
    };
    this.stateEtag = await writeState(this.s3, this.path, this.key, state, this.stateEtag);
  }
}
