// The S3 driver (MinIO, AWS S3, any S3-compatible store) for stateless registry
// replicas sharing one bucket. A path "/a/b" is the key "<prefix>/a/b". Listing is
// by delimiter (children only, never a bucket walk). Unfinished writers keep their
// state under "<key>~/" (see s3-writer.ts); listings show such a key as a file,
// like the filesystem driver shows a half-written file.
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { Client } from 'minio';
import type { S3StorageConfig } from '#contract/config/schema.js';
import {
  InvalidOffsetError, PathNotFoundError,
  type FileInfo, type FileWriter, type RedirectOptions, type StorageDriver,
} from './driver.js';
import { makeClient, S3Bucket, type S3Connection } from './s3-bucket.js';
import { S3_DRIVER_NAME } from './s3-errors.js';
import { checkLimits, copyObject, copyIntoUpload, S3_LIMITS, type MultipartLimits } from './s3-multipart.js';
import {
  deleteWriterObjects, EMPTY_STATE, readState, S3Writer, STATE_SUFFIX, writerPrefix, writeState, type StoredState, type WriterState,
} from './s3-writer.js';

export interface S3DriverOptions {
  readonly connection: S3Connection;
  readonly bucket: string;
  /** Key prefix all paths live under ("" for the bucket root). */
  readonly prefix?: string;
  /** Inactivity timeout of every S3 request. */
  readonly requestTimeoutMs: number;
  /** Presigned-URL redirects for blob GETs; `externalEndpoint` is the endpoint clients reach the store at. */
  readonly redirect?: { readonly enabled: boolean; readonly externalEndpoint?: string };
  /** S3's multipart limits; tests lower them to exercise the large-object paths. */
  readonly limits?: Partial<MultipartLimits>;
}

const NAME = S3_DRIVER_NAME;
const COMPONENT = /^[A-Za-z0-9._-]+$/;
/** Server-side copies of up to 5 GiB send no bytes for a while: allow them longer. */
const COPY_TIMEOUT_FLOOR_MS = 10 * 60 * 1000;

export class S3Driver implements StorageDriver {
  readonly name = NAME;
  private readonly s3: S3Bucket;
  private readonly copier: S3Bucket;
  private readonly presigner: Client | undefined;
  private readonly root: string;
  private readonly limits: MultipartLimits;

  constructor(options: S3DriverOptions) {
    this.limits = { ...S3_LIMITS, ...options.limits };
    checkLimits(this.limits);
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.root = prefix ? `${prefix}/` : '';
    this.s3 = new S3Bucket(options.connection, options.bucket, options.requestTimeoutMs);
    this.copier = new S3Bucket(options.connection, options.bucket, Math.max(options.requestTimeoutMs, COPY_TIMEOUT_FLOOR_MS));
    if (options.redirect?.enabled) {
      // Presigning is local computation; the URL names the endpoint clients use.
      this.presigner = makeClient({ ...options.connection, endpoint: options.redirect.externalEndpoint ?? options.connection.endpoint });
    }
  }

  private key(path: string): string {
    return path === '/' ? this.root : this.root + path.slice(1);
  }

  async getContent(path: string): Promise<Buffer> {
    return this.s3.getBuffer(path, this.key(path));
  }

  async putContent(path: string, content: Buffer | string): Promise<void> {
    await this.s3.put(path, this.key(path), Buffer.isBuffer(content) ? content : Buffer.from(content));
  }

  async reader(path: string, offset = 0, length?: number): Promise<Readable> {
    if (offset < 0 || !Number.isInteger(offset)) throw new InvalidOffsetError(NAME, path, offset);
    const key = this.key(path);
    if (length === 0) {
      const { size } = await this.s3.head(path, key);
      if (offset > size) throw new InvalidOffsetError(NAME, path, offset);
      return Readable.from([]);
    }
    try {
      return await this.s3.getStream(path, key, offset, length);
    } catch (err) {
      // A range starting at or past the end is refused (416); tell the two apart.
      if (offset === 0 || !/InvalidRange/.test((err as Error).message)) throw err;
      const { size } = await this.s3.head(path, key);
      if (offset === size) return Readable.from([]);
      throw new InvalidOffsetError(NAME, path, offset);
    }
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    const key = this.key(path);
    if (options.append) {
      const stored = await readState(this.s3, path, key) ?? await this.adoptObject(path, key);
      return new S3Writer(this.s3, this.copier, this.limits, path, key, stored?.state ?? EMPTY_STATE, stored?.etag, stored === undefined);
    }
    await this.discardWriter(path, key);
    return new S3Writer(this.s3, this.copier, this.limits, path, key, EMPTY_STATE, undefined, true);
  }

  /**
   * Appending to a finished object: move its bytes into writer state (a tail, or
   * copied parts) so the writer continues it. The registry itself never does this.
   */
  private async adoptObject(path: string, key: string): Promise<StoredState | undefined> {
    const size = (await this.s3.find(path, key))?.size;
    if (size === undefined) return undefined;
    let state: WriterState = { ...EMPTY_STATE, updated: new Date().toISOString() };
    if (size > 0 && size < this.limits.minPartBytes) {
      const tailKey = `${writerPrefix(key)}tail-adopted`;
      await this.s3.copy(path, key, tailKey);
      state = { ...state, size, tail: { key: tailKey, size } };
    } else if (size > 0) {
      const uploadId = await this.copier.initiate(path, key);
      const parts = await copyIntoUpload(this.copier, path, key, size, key, uploadId, 1, this.limits);
      state = { ...state, size, uploadId, parts };
    }
    const etag = await writeState(this.s3, path, key, state, undefined);
    await this.s3.deleteMany(path, [key]);
    return { state, etag };
  }

  /** Forgets an unfinished writer at `key`: aborts its upload and deletes its state. */
  private async discardWriter(path: string, key: string): Promise<void> {
    const state = (await readState(this.s3, path, key))?.state;
    if (!state) return;
    if (state.uploadId) await this.s3.abort(path, key, state.uploadId);
    await deleteWriterObjects(this.s3, path, key);
  }

  async stat(path: string): Promise<FileInfo> {
    const key = this.key(path);
    const head = path === '/' ? undefined : await this.s3.find(path, key);
    if (head) return { path, size: head.size, modTime: head.lastModified, isDir: false };
    const [stored, isDir] = await Promise.all([
      path === '/' ? undefined : readState(this.s3, path, key),
      this.hasChildren(path, path === '/' ? key : `${key}/`),
    ]);
    if (stored) return { path, size: stored.state.size, modTime: new Date(stored.state.updated), isDir: false };
    if (isDir) return { path, size: 0, modTime: new Date(0), isDir: true };
    throw new PathNotFoundError(NAME, path);
  }

  async statFile(path: string): Promise<FileInfo | undefined> {
    const head = await this.s3.find(path, this.key(path));
    return head && { path, size: head.size, modTime: head.lastModified, isDir: false };
  }

  private async hasChildren(path: string, prefix: string): Promise<boolean> {
    for await (const page of this.s3.list(path, prefix, '/', 1)) return page.objects.length + page.prefixes.length > 0;
    return false;
  }

  /** Direct children of `path` with what the listing says about them, sorted by path. */
  private async children(path: string): Promise<FileInfo[]> {
    const prefix = path === '/' ? this.root : `${this.key(path)}/`;
    const base = path === '/' ? '' : path;
    const found = new Map<string, FileInfo | 'unfinished'>();
    for await (const page of this.s3.list(path, prefix, '/')) {
      for (const o of page.objects) {
        const name = o.key.slice(prefix.length);
        if (COMPONENT.test(name)) found.set(name, { path: `${base}/${name}`, size: o.size, modTime: o.lastModified, isDir: false });
      }
      for (const p of page.prefixes) {
        const name = p.slice(prefix.length, -1);
        if (COMPONENT.test(name)) {
          if (!found.has(name)) found.set(name, { path: `${base}/${name}`, size: 0, modTime: new Date(0), isDir: true });
        } else if (name.endsWith('~') && COMPONENT.test(name.slice(0, -1)) && !found.has(name.slice(0, -1))) {
          found.set(name.slice(0, -1), 'unfinished');
        }
      }
    }
    const infos: FileInfo[] = [];
    for (const [name, info] of found) {
      if (info !== 'unfinished') {
        infos.push(info);
        continue;
      }
      const state = (await readState(this.s3, path, `${prefix}${name}`))?.state;
      if (state) infos.push({ path: `${base}/${name}`, size: state.size, modTime: new Date(state.updated), isDir: false });
    }
    if (infos.length === 0) throw new PathNotFoundError(NAME, path);
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  async list(path: string): Promise<string[]> {
    return (await this.children(path)).map((i) => i.path);
  }

  async move(source: string, destination: string): Promise<void> {
    const sourceKey = this.key(source);
    const { size } = await this.s3.head(source, sourceKey);
    await copyObject(this.copier, source, sourceKey, size, this.key(destination), this.limits);
    await this.s3.deleteMany(source, [sourceKey]);
  }

  async delete(path: string): Promise<void> {
    const key = this.key(path);
    let found = false;
    if (await this.s3.find(path, key)) {
      await this.s3.deleteMany(path, [key]);
      found = true;
    }
    // Unfinished multipart uploads under the path hold storage too: abort them. A
    // listing by prefix finds them on S3; MinIO lists them only for an exact key, so
    // those of Berth's own writers are also taken from their state objects below.
    const aborted = new Set<string>();
    const abort = async (k: string, uploadId: string) => {
      if (aborted.has(uploadId)) return;
      aborted.add(uploadId);
      await this.s3.abort(path, k, uploadId);
    };
    for (const u of await this.s3.pendingUploads(path, key)) {
      if (u.key === key || u.key.startsWith(`${key}/`) || u.key.startsWith(writerPrefix(key))) await abort(u.key, u.uploadId);
    }
    for (const prefix of [`${key}/`, writerPrefix(key)]) {
      for await (const page of this.s3.list(path, prefix, '')) {
        if (page.objects.length) found = true;
        for (const o of page.objects) {
          const file = o.key.endsWith(STATE_SUFFIX) ? o.key.slice(0, -STATE_SUFFIX.length) : undefined;
          const uploadId = file === undefined ? undefined : (await readState(this.s3, path, file).catch(() => undefined))?.state.uploadId;
          if (file !== undefined && uploadId) await abort(file, uploadId);
        }
        await this.s3.deleteMany(path, page.objects.map((o) => o.key));
      }
    }
    if (!found && aborted.size === 0) throw new PathNotFoundError(NAME, path);
  }

  async walk(path: string, visit: (info: FileInfo) => Promise<void | 'skip'> | void | 'skip'): Promise<void> {
    for (const info of await this.children(path)) {
      const decision = await visit(info);
      if (info.isDir && decision !== 'skip') {
        try {
          await this.walk(info.path, visit);
        } catch (err) {
          if (!(err instanceof PathNotFoundError)) throw err; // deleted while walking
        }
      }
    }
  }

  async redirectURL(path: string, options: RedirectOptions): Promise<string | undefined> {
    if (!this.presigner) return undefined;
    const presigner = this.presigner;
    return this.s3.call(path, () => presigner.presignedUrl(options.method, this.s3.bucket, this.key(path), options.expiresInSeconds));
  }

  async close(): Promise<void> {
    await Promise.all([this.s3.close(), this.copier.close()]);
  }
}

function secret(value: string | undefined, file: string | undefined, env: string, what: string): string {
  if (value) return value;
  if (file) return readFileSync(file, 'utf8').trim();
  const fromEnv = process.env[env];
  if (fromEnv) return fromEnv;
  throw new Error(`storage.s3: no ${what} (set ${what}, ${what}File, or the ${env} environment variable)`);
}

/** Driver options from the `storage.s3` config block; credentials from the config, a file, or the environment. */
export function s3OptionsFromConfig(config: S3StorageConfig): S3DriverOptions {
  return {
    connection: {
      endpoint: config.endpoint,
      region: config.region,
      accessKey: secret(config.accessKey, config.accessKeyFile, 'BERTH_S3_ACCESS_KEY', 'accessKey'),
      secretKey: secret(config.secretKey, config.secretKeyFile, 'BERTH_S3_SECRET_KEY', 'secretKey'),
      pathStyle: config.pathStyle,
      tls: { insecureSkipVerify: config.tls.insecureSkipVerify, ca: config.tls.caFile ? readFileSync(config.tls.caFile) : undefined },
      maxConnections: config.maxConnections,
    },
    bucket: config.bucket,
    prefix: config.prefix,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    redirect: { enabled: config.redirect.enabled, externalEndpoint: config.redirect.externalEndpoint },
    limits: { partBytes: config.partSizeBytes },
  };
}
