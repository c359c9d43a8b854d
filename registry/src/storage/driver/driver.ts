// The storage driver contract, modelled on CNCF Distribution's: small, streaming,
// and path-based. Paths are absolute keys ("/a/b/c") of [A-Za-z0-9._-] components;
// `validated.ts` rejects anything else before a driver sees it. Every store above
// this interface is driver-agnostic, so the filesystem and S3 drivers share one
// test suite (test/registry/storage/driver-suite.ts).
import type { Readable, Writable } from 'node:stream';

export interface FileInfo {
  readonly path: string;
  readonly size: number;
  readonly modTime: Date;
  readonly isDir: boolean;
}

export interface FileWriter {
  /** Bytes in the file so far, including those an append resumed from. */
  readonly size: number;
  /** Streams `source` to the end of the file and resolves with the bytes written. */
  write(source: Readable | Buffer): Promise<number>;
  /** Makes the content durable and readable at the path. The writer is done. */
  commit(): Promise<void>;
  /**
   * Persists what was written so that `writer(path, {append: true})` can continue
   * later, possibly from another process. The content need not be readable yet.
   */
  close(): Promise<void>;
  /** Discards everything written, including earlier appends. */
  cancel(): Promise<void>;
}

/**
 * A reader that can also write itself straight to a destination, reusing its
 * buffers instead of allocating one per read (the filesystem driver's).
 */
export interface DirectCopy {
  /** Writes all the reader's bytes to `out` and ends it; only for a reader nothing has consumed yet. */
  copyTo(out: Writable): Promise<void>;
}

export function canCopyDirectly(reader: Readable): reader is Readable & DirectCopy {
  return typeof (reader as Partial<DirectCopy>).copyTo === 'function';
}

export interface RedirectOptions {
  readonly method: 'GET' | 'HEAD';
  readonly expiresInSeconds: number;
}

export interface StorageDriver {
  readonly name: string;
  /** Whole content of a small object. Throws PathNotFoundError. */
  getContent(path: string): Promise<Buffer>;
  /** Atomically replaces the object: readers see the old or the new content, never a mix. */
  putContent(path: string, content: Buffer | string): Promise<void>;
  /** Streams the object from `offset` (and at most `length` bytes). Throws PathNotFoundError, InvalidOffsetError. */
  reader(path: string, offset?: number, length?: number): Promise<Readable>;
  /** Opens a writer; with `append` it continues a file left by `FileWriter.close()`. */
  writer(path: string, options?: { append?: boolean }): Promise<FileWriter>;
  /** Size and time of an object, or `isDir` for a prefix that has objects under it. Throws PathNotFoundError. */
  stat(path: string): Promise<FileInfo>;
  /**
   * Size and time of a finished object at `path`, or undefined when there is none:
   * for paths that only `putContent` and `move` write (blobs, links, tags). A prefix
   * is not an object here, and on S3 neither is an unfinished writer's state, so
   * the answer takes one request (HEAD) where a `stat` that finds nothing also
   * reads writer state and lists the prefix.
   */
  statFile(path: string): Promise<FileInfo | undefined>;
  /** Full paths of the direct children of a prefix, sorted. Throws PathNotFoundError when there are none. */
  list(path: string): Promise<string[]>;
  /** Moves an object, replacing the destination atomically. Throws PathNotFoundError. */
  move(source: string, destination: string): Promise<void>;
  /** Deletes an object or everything under a prefix. Throws PathNotFoundError. */
  delete(path: string): Promise<void>;
  /** Visits every object and prefix under `path` depth-first in lexical order; return 'skip' to prune a prefix. */
  walk(path: string, visit: (info: FileInfo) => Promise<void | 'skip'> | void | 'skip'): Promise<void>;
  /** A URL the client can fetch the object from directly, or undefined when the driver serves it itself. */
  redirectURL(path: string, options: RedirectOptions): Promise<string | undefined>;
  /** Releases resources (connections, timers). */
  close(): Promise<void>;
}

export class StorageDriverError extends Error {
  constructor(readonly driverName: string, message: string, options?: { cause?: unknown }) {
    super(`${driverName}: ${message}`, options);
  }
}

export class PathNotFoundError extends StorageDriverError {
  override name = 'PathNotFoundError';
  constructor(driverName: string, readonly path: string) {
    super(driverName, `path not found: ${path}`);
  }
}

export class InvalidPathError extends StorageDriverError {
  override name = 'InvalidPathError';
  constructor(driverName: string, readonly path: string) {
    super(driverName, `invalid path: ${JSON.stringify(path)}`);
  }
}

export class InvalidOffsetError extends StorageDriverError {
  override name = 'InvalidOffsetError';
  constructor(driverName: string, readonly path: string, readonly offset: number) {
    super(driverName, `invalid offset ${offset} for ${path}`);
  }
}

/** Another writer changed the object concurrently; the caller may retry from the current state. */
export class WriteConflictError extends StorageDriverError {
  override name = 'WriteConflictError';
}

/** The backend is down or too slow: the registry answers 503 with Retry-After. */
export class StorageUnavailableError extends StorageDriverError {
  override name = 'StorageUnavailableError';
}

/** The backend is out of space (ENOSPC, a quota, an S3 store's "storage full"): the registry answers 507. */
export class StorageFullError extends StorageDriverError {
  override name = 'StorageFullError';
}

const FULL_ERRNOS = new Set(['ENOSPC', 'EDQUOT']);

/** A StorageFullError, or an out-of-space error from a stream no driver call translated (a write pipeline). */
export function isStorageFull(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined, hops = 0; e && hops < 4; e = e.cause as typeof e, hops++) {
    if (e instanceof StorageFullError || FULL_ERRNOS.has(e.code ?? '')) return true;
  }
  return false;
}

export function isNotFound(err: unknown): err is PathNotFoundError {
  return err instanceof PathNotFoundError;
}

/** The children of `path`, or none when it does not exist. */
export async function listOrEmpty(driver: StorageDriver, path: string): Promise<string[]> {
  try {
    return await driver.list(path);
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** The object's info, or undefined when it does not exist. */
export async function statOrUndefined(driver: StorageDriver, path: string): Promise<FileInfo | undefined> {
  try {
    return await driver.stat(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The object's content, or undefined when it does not exist. */
export async function getOrUndefined(driver: StorageDriver, path: string): Promise<Buffer | undefined> {
  try {
    return await driver.getContent(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Deletes the object; false when it was already gone. */
export async function deleteIfExists(driver: StorageDriver, path: string): Promise<boolean> {
  try {
    await driver.delete(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
