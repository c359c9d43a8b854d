// Object GETs (whole or by range) over undici rather than the minio client's
// node:http. Measured on MinIO, in alternating rounds: a 1 GiB blob GET cost Berth
// 1.3-1.9 s of CPU through undici against 1.8-4.3 s through node:http, 10 MiB GETs
// at c=10 1.5-2.0 s/GiB against 2.4-3.2 (docs/BENCHMARKS.md). The request is still
// addressed and signed by the minio client (path or virtual-host addressing, key
// escaping, its SigV4 signer): only the transport differs.
import type { Readable } from 'node:stream';
import { Client } from 'minio';
// A path minio exports (package.json "exports": ./dist/esm/*); the version is pinned exactly for it.
import { signV4 } from 'minio/dist/esm/signing.mjs';
import { Pool, type Dispatcher } from 'undici';
import { noteReceived } from '../received-buffers.js';
import type { S3Connection } from './s3-bucket.js';

/** sha256 of the empty payload, which a signed GET declares over plain HTTP (as the minio client does). */
const EMPTY_PAYLOAD_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Idle pooled connections are closed after this (MinIO and S3 keep theirs longer). */
const KEEP_ALIVE_MS = 30_000;

/** The minio client's request addressing (getRequestOptions is protected), for requests sent elsewhere. */
class AddressingClient extends Client {
  getRequest(bucketName: string, objectName: string, region: string, headers: Record<string, string>) {
    return this.getRequestOptions({ method: 'GET', bucketName, objectName, region, headers });
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

export class S3ObjectReader {
  private readonly pool: Pool;
  private readonly dispatcher: Dispatcher;
  private readonly addressing: AddressingClient;
  private readonly payloadHash: string;

  /** `timeoutMs` bounds connecting, the wait for the headers, and every pause in the body. */
  constructor(private readonly conn: S3Connection, private readonly bucket: string, timeoutMs: number, connections: number) {
    const url = new URL(conn.endpoint);
    const secure = url.protocol === 'https:';
    this.addressing = new AddressingClient({
      endPoint: url.hostname, port: url.port ? Number(url.port) : secure ? 443 : 80, useSSL: secure,
      accessKey: conn.accessKey, secretKey: conn.secretKey, region: conn.region, pathStyle: conn.pathStyle,
    });
    this.payloadHash = secure ? 'UNSIGNED-PAYLOAD' : EMPTY_PAYLOAD_SHA256;
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
   * The object's bytes from `offset`: `length` of them, or to the end when undefined.
   * A non-2xx answer throws an S3ResponseError with S3's error code.
   */
  async get(key: string, offset: number, length?: number): Promise<Readable> {
    const headers: Record<string, string> = {};
    if (offset > 0 || length !== undefined) headers.range = `bytes=${offset}-${length === undefined ? '' : offset + length - 1}`;
    const request = this.addressing.getRequest(this.bucket, key, this.conn.region, headers);
    const date = new Date();
    request.headers['x-amz-date'] = date.toISOString().replace(/[:-]|\.\d{3}/g, ''); // 20261207T012345Z
    request.headers['x-amz-content-sha256'] = this.payloadHash;
    request.headers.authorization = signV4(request, this.conn.accessKey, this.conn.secretKey, this.conn.region, date, this.payloadHash);
    const res = await this.dispatcher.request({ method: 'GET', path: request.path, headers: request.headers });
    if (res.statusCode === 200 || res.statusCode === 206) return res.body;
    const xml = await res.body.text();
    throw new S3ResponseError(res.statusCode, element(xml, 'Code') ?? (res.statusCode === 404 ? 'NotFound' : ''),
      element(xml, 'Message') ?? `S3 answered ${res.statusCode}`);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
