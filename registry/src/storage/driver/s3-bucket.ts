// The few S3 operations the driver needs, on one bucket: requests on one key over
// undici (s3-requests.ts), listings, batch deletes, copies and multipart over the
// minio client. Every call has its errors translated (404 → PathNotFoundError,
// down/slow/5xx → StorageUnavailableError) and every connection has an inactivity
// timeout, so a store that stops answering fails a request instead of hanging it.
import http from 'node:http';
import https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import { Client } from 'minio';
import { hashBuffer } from '../hashing/running-hash.js';
import { noteReceived } from '../received-buffers.js';
import { PathNotFoundError, StorageUnavailableError, isNotFound } from './driver.js';
import { S3_DRIVER_NAME, translateS3Error } from './s3-errors.js';
import { parseListObjectsV2 } from './s3-list-parser.js';
import { S3Requests } from './s3-requests.js';

export interface S3Connection {
  /** http(s)://host[:port] */
  readonly endpoint: string;
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly pathStyle: boolean;
  readonly tls?: { readonly insecureSkipVerify?: boolean; readonly ca?: Buffer };
  /** Connections kept alive to the store, for object GETs and again for every other call; default 128. */
  readonly maxConnections?: number;
}

const DEFAULT_MAX_CONNECTIONS = 128;

export interface ObjectEntry {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

export interface ListPage {
  readonly objects: ObjectEntry[];
  /** Common prefixes, each ending with the delimiter. */
  readonly prefixes: string[];
}

export interface CompletedPart {
  readonly part: number;
  readonly etag: string;
}

export interface PendingUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date;
}

/**
 * An agent whose sockets are destroyed after `timeoutMs` without traffic, both
 * while connecting and while waiting for a response or body. The request then
 * fails with "socket hang up", which maps to StorageUnavailableError.
 */
function inactivityAgent(secure: boolean, timeoutMs: number, tls: S3Connection['tls'], maxSockets: number): http.Agent {
  const options = {
    keepAlive: true,
    maxSockets,
    // Re-armed by the agent whenever a pooled socket is handed out or returned.
    timeout: timeoutMs,
    ...(secure ? { rejectUnauthorized: !tls?.insecureSkipVerify, ...(tls?.ca ? { ca: tls.ca } : {}) } : {}),
  };
  const agent = secure ? new https.Agent(options) : new http.Agent(options);
  const create = agent.createConnection.bind(agent) as (...args: unknown[]) => Duplex;
  (agent as unknown as { createConnection: (...args: unknown[]) => Duplex }).createConnection = (...args: unknown[]) => {
    const socket = create(...args) as Duplex & { setTimeout(ms: number): void };
    socket.setTimeout(timeoutMs);
    socket.on('timeout', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => noteReceived(chunk.length));
    return socket;
  };
  return agent;
}

/** An ETag without the quotes S3 sends it in (as the minio client returns part ETags). */
function unquote(etag: string): string {
  return etag.replace(/^("|&quot;|&#34;)|("|&quot;|&#34;)$/g, '');
}

/** Query-string escaping as S3's signature (and the minio client) expects it. */
function uriEscape(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

async function bytes(stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

async function text(stream: AsyncIterable<Buffer | string>): Promise<string> {
  return (await bytes(stream)).toString('utf8');
}

export function makeClient(conn: S3Connection, agent?: http.Agent): Client {
  const url = new URL(conn.endpoint);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    accessKey: conn.accessKey,
    secretKey: conn.secretKey,
    // Setting the region keeps the client from asking the server for it (and lets
    // presigning for an external endpoint work without reaching that endpoint).
    region: conn.region,
    pathStyle: conn.pathStyle,
    // No silent retries (minio's print to the console and hide the S3 error code):
    // a failed call surfaces as 503 + Retry-After and the client retries.
    retryOptions: { disableRetry: true },
    ...(agent ? { transportAgent: agent } : {}),
  });
}

export class S3Bucket {
  readonly client: Client;
  private readonly agent: http.Agent;
  /** Requests on one key, over their own connection pool, opened on first use. */
  private requestsPool: S3Requests | undefined;

  constructor(readonly conn: S3Connection, readonly bucket: string, readonly timeoutMs: number) {
    const secure = new URL(conn.endpoint).protocol === 'https:';
    this.agent = inactivityAgent(secure, timeoutMs, conn.tls, conn.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
    this.client = makeClient(conn, this.agent);
  }

  private get requests(): S3Requests {
    return this.requestsPool ??= new S3Requests(this.conn, this.bucket, this.timeoutMs, this.conn.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  }

  /** Runs one S3 call with errors translated for `path`, and a hard deadline as a backstop. */
  async call<T>(path: string, op: (c: Client) => Promise<T>, deadlineMs = this.timeoutMs * 4): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StorageUnavailableError(S3_DRIVER_NAME,
        `object store did not answer within ${Math.round(deadlineMs / 1000)}s (${path})`)), deadlineMs);
    });
    try {
      return await Promise.race([op(this.client), deadline]);
    } catch (err) {
      throw translateS3Error(err, path);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The object at `key`, or undefined when there is none (no Error built: callers probing for a key expect misses). */
  find(path: string, key: string): Promise<ObjectEntry | undefined> {
    return this.call(path, async () => {
      const head = await this.requests.head(key);
      return head && { key, size: head.size, lastModified: head.lastModified };
    });
  }

  async head(path: string, key: string): Promise<ObjectEntry> {
    const found = await this.find(path, key);
    if (!found) throw new PathNotFoundError(S3_DRIVER_NAME, path);
    return found;
  }

  async getBuffer(path: string, key: string): Promise<Buffer> {
    return (await this.getWithEtag(path, key)).body;
  }

  /** A small object and its ETag, for a later conditional write. */
  async getWithEtag(path: string, key: string): Promise<{ body: Buffer; etag: string }> {
    const found = await this.findWithEtag(path, key);
    if (!found) throw new PathNotFoundError(S3_DRIVER_NAME, path);
    return found;
  }

  /** Like getWithEtag, undefined when there is no such key. */
  findWithEtag(path: string, key: string): Promise<{ body: Buffer; etag: string } | undefined> {
    return this.call(path, () => this.requests.find(key));
  }

  /** A stream of the object from `offset`, at most `length` bytes (all when undefined). */
  getStream(path: string, key: string, offset: number, length?: number): Promise<Readable> {
    return this.call(path, () => this.requests.get(key, offset, length));
  }

  async put(path: string, key: string, content: Buffer): Promise<void> {
    await this.putBytes(path, key, content);
  }

  /**
   * PUT of object bytes (a whole object, or one part with `query`); resolves with the
   * ETag. Over plain HTTP, SigV4 signs the payload's sha256: above a few KiB it is
   * computed on a hash worker, not on the event loop, where minio's putObject and
   * uploadPart computed it (putObject an MD5 as well). Measured pushing 10 MiB blobs
   * to S3: those hashes were 7 % of the event loop's time and a third of its busy time.
   */
  private async putBytes(path: string, key: string, content: Buffer, query = ''): Promise<string> {
    const sha256 = this.requests.signsPayload ? await hashBuffer('sha256', content) : undefined;
    return unquote(await this.call(path, () => this.requests.put(key, content, sha256, { query })));
  }

  /**
   * PUT only if the object is still the version read (`ifMatch`: its ETag) or does
   * not exist yet (`ifNoneMatch: '*'`); resolves with the new ETag. A lost race
   * fails with "PreconditionFailed". Stores without conditional writes ignore the
   * headers, which degrades to a plain PUT.
   */
  async putConditional(path: string, key: string, content: Buffer, condition: { ifMatch: string } | { ifNoneMatch: '*' }): Promise<string> {
    const headers: Record<string, string> = 'ifMatch' in condition ? { 'if-match': condition.ifMatch } : { 'if-none-match': condition.ifNoneMatch };
    const sha256 = this.requests.signsPayload ? await hashBuffer('sha256', content) : undefined;
    return this.call(path, () => this.requests.put(key, content, sha256, { headers }));
  }

  /** Server-side copy of a whole object of at most 5 GiB. */
  async copy(path: string, sourceKey: string, destinationKey: string): Promise<void> {
    await this.call(path, (c) => c.copyObject(this.bucket, destinationKey, `/${this.bucket}/${sourceKey}`));
  }

  /** Deletes keys: one by a DELETE, more in batches of 1000 (DeleteObjects). Missing keys are not an error. */
  async deleteMany(path: string, keys: string[]): Promise<void> {
    if (keys.length === 1) return this.call(path, () => this.requests.delete(keys[0]));
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const results = await this.call(path, (c) => c.removeObjects(this.bucket, batch));
      const failed = (results as Array<{ Code?: string; Key?: string; Message?: string }>).filter((r) => r && r.Code && r.Code !== 'NoSuchKey');
      if (failed.length) throw translateS3Error(Object.assign(new Error(failed[0].Message ?? 'delete failed'), { code: failed[0].Code }), path);
    }
  }

  /** Lists under `prefix`, one page at a time; with a delimiter, children only. */
  async *list(path: string, prefix: string, delimiter: '/' | '', maxKeys = 1000): AsyncGenerator<ListPage> {
    let token = '';
    for (;;) {
      const query = [
        'list-type=2', 'encoding-type=url', `prefix=${uriEscape(prefix)}`, `delimiter=${uriEscape(delimiter)}`, `max-keys=${maxKeys}`,
        ...(token ? [`continuation-token=${uriEscape(token)}`] : []),
      ].sort().join('&');
      const page = await this.call(path, async (c) => {
        const res = await c.makeRequestAsync({ method: 'GET', bucketName: this.bucket, query });
        return parseListObjectsV2(await text(res));
      });
      yield page;
      if (!page.isTruncated || !page.nextContinuationToken) return;
      token = page.nextContinuationToken;
    }
  }

  /** Incomplete multipart uploads whose key starts with `prefix`. */
  async pendingUploads(path: string, prefix: string): Promise<PendingUpload[]> {
    const out: PendingUpload[] = [];
    let keyMarker = '';
    let uploadIdMarker = '';
    for (;;) {
      const page = await this.call(path, (c) => c.listIncompleteUploadsQuery(this.bucket, prefix, keyMarker, uploadIdMarker, ''));
      for (const u of page.uploads) out.push({ key: u.key, uploadId: u.uploadId, initiated: u.initiated });
      if (!page.isTruncated || !page.nextKeyMarker || page.nextKeyMarker === keyMarker) return out;
      keyMarker = page.nextKeyMarker;
      uploadIdMarker = page.nextUploadIdMarker ?? '';
    }
  }

  initiate(path: string, key: string): Promise<string> {
    return this.call(path, (c) => c.initiateNewMultipartUpload(this.bucket, key, {}));
  }

  async uploadPart(path: string, key: string, uploadId: string, part: number, content: Buffer): Promise<CompletedPart> {
    const etag = await this.putBytes(path, key, content, `uploadId=${uriEscape(uploadId)}&partNumber=${part}`);
    return { part, etag };
  }

  /** UploadPartCopy: a byte range (inclusive) of another object becomes a part. */
  async copyPart(path: string, key: string, uploadId: string, part: number, sourceKey: string, start: number, end: number): Promise<CompletedPart> {
    const res = await this.call(path, (c) => c.uploadPart({
      bucketName: this.bucket, objectName: key, uploadID: uploadId, partNumber: part,
      headers: {
        'x-amz-copy-source': encodeURI(`/${this.bucket}/${sourceKey}`),
        'x-amz-copy-source-range': `bytes=${start}-${end}`,
      },
    }));
    return { part, etag: res.etag };
  }

  async complete(path: string, key: string, uploadId: string, parts: readonly CompletedPart[]): Promise<void> {
    await this.call(path, (c) => c.completeMultipartUpload(this.bucket, key, uploadId, parts.map((p) => ({ part: p.part, etag: p.etag }))));
  }

  async abort(path: string, key: string, uploadId: string): Promise<void> {
    try {
      await this.call(path, (c) => c.abortMultipartUpload(this.bucket, key, uploadId));
    } catch (err) {
      if (!isNotFound(err)) throw err; // already gone
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await this.requestsPool?.close();
  }
}
