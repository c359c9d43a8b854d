// Object requests (GET, HEAD, PUT, DELETE of one key) over undici rather than the
// minio client's node:http. Object GETs first: measured on MinIO, in alternating
// rounds, a 1 GiB blob GET cost Berth 1.3-1.9 s of CPU through undici against
// 1.8-4.3 s through node:http, 10 MiB GETs at c=10 1.5-2.0 s/GiB against 2.4-3.2.
// Then the small ones a manifest or tag PUT is made of, where the minio client's
// request building, its signing key derived on every request and the Error objects
// and XML parsing of expected 404s were about a third of Berth's busy time
// (docs/BENCHMARKS.md). Addressing (path or virtual-host style, the bucket's host)
// is the minio client's, asked once; keys are escaped as it escapes them.
import type { Readable } from 'node:stream';
import { Client } from 'minio';
import { Pool, type Dispatcher } from 'undici';
import { noteReceived } from '../received-buffers.js';
import type { S3Connection } from './s3-bucket.js';
import { amzDate, SigV4Signer } from './s3-signer.js';

/** sha256 of the empty payload, which a signed request without a body declares over plain HTTP (as the minio client does). */
export const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Idle pooled connections are closed after this (MinIO and S3 keep theirs longer). */
const KEEP_ALIVE_MS = 30_000;
/** The object name whose escaped form ends the path the minio client addresses, to find the bucket's own path prefix. */
const PROBE = 'k';

/** The minio client's request addressing (getRequestOptions is protected). */
class AddressingClient extends Client {
  address(bucketName: string, region: string): { host: string; prefix: string } {
    const { headers, path } = this.getRequestOptions({ method: 'GET', bucketName, objectName: PROBE, region });
    return { host: String(headers.host), prefix: path.slice(0, -PROBE.length) };
  }
}

/** An S3 error answer, with the fields translateS3Error reads from the minio client's errors. */
export class S3ResponseError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
    this.name = 'S3ResponseError';
  }
}

function element(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** Object-name escaping as the minio client does it (and its signature expects): encodeURIComponent, then !'()* and not /. */
function escapeKey(key: string): string {
  return encodeURIComponent(key).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%2F/g, '/');
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v ?? '';
}

/** The S3ResponseError of a failed answer: S3's code and message from the XML body (a HEAD has none). */
async function responseError(res: Dispatcher.ResponseData): Promise<S3ResponseError> {
  const xml = await res.body.text();
  const code = element(xml, 'Code') ?? header(res.headers, 'x-minio-error-code');
  const message = element(xml, 'Message') ?? header(res.headers, 'x-minio-error-desc').replace(/^"|"$/g, '');
  return new S3ResponseError(res.statusCode, code || (res.statusCode === 404 ? 'NotFound' : ''), message || `S3 answered ${res.statusCode}`);
}

/**
 * Settles a 404 answer that means "no such key" without building an Error (it is
 * expected: link files, writer state); a missing bucket still throws.
 */
async function missingKey(res: Dispatcher.ResponseData): Promise<undefined> {
  const xml = await res.body.text();
  if (!xml.includes('<Code>NoSuchBucket</Code>')) return undefined;
  throw new S3ResponseError(404, 'NoSuchBucket', element(xml, 'Message') ?? 'The specified bucket does not exist');
}

/**
 * Counts the body bytes received toward the young-generation collections that free
 * the socket's receive buffers (received-buffers.ts). Without it, 10 MiB GETs at
 * c=10 cost more CPU through undici than through node:http.
 */
const countReceived: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => dispatch(options, {
  onRequestStart: (controller, context) => handler.onRequestStart?.(controller, context),
  onRequestUpgrade: (controller, status, headers, socket) => handler.onRequestUpgrade?.(controller, status, headers, socket),
  onResponseStart: (controller, status, headers, message) => handler.onResponseStart?.(controller, status, headers, message),
  onResponseData: (controller, chunk) => {
    noteReceived(chunk.length);
    handler.onResponseData?.(controller, chunk);
  },
  onResponseEnd: (controller, trailers) => handler.onResponseEnd?.(controller, trailers),
  onResponseError: (controller, error) => handler.onResponseError?.(controller, error),
});

export interface ObjectHead {
  readonly size: number;
  readonly lastModified: Date;
  /** As S3 sends it, quoted. */
  readonly etag: string;
}

export class S3Requests {
  private readonly pool: Pool;
  private readonly dispatcher: Dispatcher;
  private readonly signer: SigV4Signer;
  private readonly host: string;
  private readonly prefix: string;
  /** Over plain HTTP the payload's sha256 is signed, over HTTPS it is UNSIGNED-PAYLOAD (as the minio client decides). */
  readonly signsPayload: boolean;

  /** `timeoutMs` bounds connecting, the wait for the headers, and every pause in the body. */
  constructor(conn: S3Connection, bucket: string, timeoutMs: number, connections: number) {
    const url = new URL(conn.endpoint);
    const secure = url.protocol === 'https:';
    ({ host: this.host, prefix: this.prefix } = new AddressingClient({
      endPoint: url.hostname, port: url.port ? Number(url.port) : secure ? 443 : 80, useSSL: secure,
      accessKey: conn.accessKey, secretKey: conn.secretKey, region: conn.region, pathStyle: conn.pathStyle,
    }).address(bucket, conn.region));
    this.signer = new SigV4Signer(conn.accessKey, conn.secretKey, conn.region);
    this.signsPayload = !secure;
    this.pool = new Pool(url.origin, {
      connections,
      connectTimeout: timeoutMs,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      keepAliveTimeout: KEEP_ALIVE_MS,
      ...(secure ? { connect: { rejectUnauthorized: !conn.tls?.insecureSkipVerify, ...(conn.tls?.ca ? { ca: conn.tls.ca } : {}) } } : {}),
    });
    this.dispatcher = this.pool.compose(countReceived);
  }

  /**
   * One signed request on `key`. `query` is already escaped; `sha256` is the body's
   * (only read over plain HTTP, where it is signed).
   */
  private send(method: 'GET' | 'HEAD' | 'PUT' | 'DELETE', key: string, options: {
    query?: string; headers?: Record<string, string>; body?: Buffer; sha256?: string;
  } = {}): Promise<Dispatcher.ResponseData> {
    const path = `${this.prefix}${escapeKey(key)}${options.query ? `?${options.query}` : ''}`;
    const date = new Date();
    const payloadHash = this.signsPayload ? options.sha256 ?? EMPTY_PAYLOAD_SHA256 : 'UNSIGNED-PAYLOAD';
    const headers: Record<string, string> = { host: this.host, 'x-amz-date': amzDate(date), 'x-amz-content-sha256': payloadHash, ...options.headers };
    headers.authorization = this.signer.authorization(method, path, headers, payloadHash, date);
    // reset: false keeps the connection after a HEAD, which undici otherwise closes in
    // case a server sends a body with it (S3 servers do not). Reconnecting after every
    // stat was 15 % of Berth's busy time in tag PUTs on MinIO (docs/BENCHMARKS.md).
    return this.dispatcher.request({ method, path, headers, body: options.body, reset: false });
  }

  /**
   * The object's bytes from `offset`: `length` of them, or to the end when undefined.
   * A non-2xx answer throws an S3ResponseError with S3's error code.
   */
  async get(key: string, offset: number, length?: number): Promise<Readable> {
    const headers: Record<string, string> = {};
    if (offset > 0 || length !== undefined) headers.range = `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`;
    const res = await this.send('GET', key, { headers });
    if (res.statusCode === 200 || res.statusCode === 206) return res.body;
    throw await responseError(res);
  }

  /** A whole small object and its ETag, or undefined when there is no such key. */
  async find(key: string): Promise<{ body: Buffer; etag: string } | undefined> {
    const res = await this.send('GET', key);
    if (res.statusCode === 200) return { body: Buffer.from(await res.body.arrayBuffer()), etag: header(res.headers, 'etag') };
    if (res.statusCode === 404) return missingKey(res);
    throw await responseError(res);
  }

  /** The object's size, modification time and ETag, or undefined when there is no such key (HEAD's 404 has no body to tell more). */
  async head(key: string): Promise<ObjectHead | undefined> {
    const res = await this.send('HEAD', key);
    if (res.statusCode === 404) {
      res.body.resume();
      return undefined;
    }
    if (res.statusCode !== 200) throw await responseError(res);
    res.body.resume();
    return {
      size: Number(header(res.headers, 'content-length')),
      lastModified: new Date(header(res.headers, 'last-modified')),
      etag: header(res.headers, 'etag'),
    };
  }

  /** PUT of a whole object, or of a part with `query`; resolves with the ETag as S3 sends it (quoted). */
  async put(key: string, body: Buffer, sha256: string | undefined, options: { query?: string; headers?: Record<string, string> } = {}): Promise<string> {
    const res = await this.send('PUT', key, { ...options, body, sha256 });
    if (res.statusCode !== 200) throw await responseError(res);
    res.body.resume();
    return header(res.headers, 'etag');
  }

  /** Deletes one key; a missing key is not an error (S3 answers 204 for it anyway). */
  async delete(key: string): Promise<void> {
    const res = await this.send('DELETE', key);
    if (res.statusCode === 404) return missingKey(res);
    if (res.statusCode !== 204 && res.statusCode !== 200) throw await responseError(res);
    res.body.resume();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
