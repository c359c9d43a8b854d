// The HTTP side of the error vocabulary (errors.ts): each code's status, the
// translation of storage failures into codes, and the one renderer of
// `{"errors":[{code,message,detail}]}`. Anything unrecognised is UNKNOWN 500, its
// cause logged.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Code, RegistryError, type CodeName } from '../errors.js';
import type { Logger } from '../log.js';
import { MetadataCursorError, MetadataUnavailableError } from '../metadata/index.js';
import { InvalidPathError, StorageUnavailableError, WriteConflictError, isStorageFull } from '../storage/registry-storage.js';
import { afterUnreadBody } from '../limits/unread-body.js';
import { reasonPhrase } from './reason-phrase.js';

export const HTTP_STATUS: Readonly<Record<CodeName, number>> = Object.freeze({
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  PARAMETER_INVALID: 400,
  TOOMANYREQUESTS: 429,
  TAG_INVALID: 400,
  RANGE_INVALID: 416,
  PAGINATION_NUMBER_INVALID: 400,
  QUOTA_EXCEEDED: 403,
  MANIFEST_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  STORAGE_FULL: 507,
  REQUEST_MALFORMED: 400,
  REQUEST_TIMEOUT: 408,
  BODY_FRAMING_TOO_LARGE: 413,
  HEADERS_TOO_LARGE: 431,
  HTTP_VERSION_UNSUPPORTED: 505,
  UNKNOWN: 500,
});

export function statusOf(err: RegistryError): number {
  return HTTP_STATUS[err.descriptor.name as CodeName] ?? 500;
}

function isClientAbort(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED' || (err as Error)?.message === 'aborted';
}

/** The error a failure is answered with, or undefined when the client is gone and nothing should be written. */
export function toRegistryError(err: unknown, req: IncomingMessage, log: Logger, context: Record<string, unknown>): RegistryError | undefined {
  if (err instanceof RegistryError) return err;
  if (isStorageFull(err) || (err instanceof MetadataUnavailableError && err.diskFull)) {
    log.warn({ msg: 'storage full', err: (err as Error).message, ...context });
    return new RegistryError(Code.STORAGE_FULL, undefined, { 'Retry-After': '30' });
  }
  if (err instanceof StorageUnavailableError) {
    log.warn({ msg: 'storage unavailable', err: err.message, ...context });
    return new RegistryError(Code.UNAVAILABLE, undefined, { 'Retry-After': '5' });
  }
  if (err instanceof MetadataUnavailableError) {
    log.warn({ msg: 'metadata index unavailable', err: err.message, ...context });
    return new RegistryError(Code.UNAVAILABLE, { reason: 'the metadata index is unavailable' }, { 'Retry-After': '5' });
  }
  if (err instanceof MetadataCursorError) return new RegistryError(Code.PAGINATION_NUMBER_INVALID, { reason: err.message });
  if (err instanceof WriteConflictError) {
    // Two requests raced on one upload: the upload is intact, the client re-reads its offset.
    return new RegistryError(Code.BLOB_UPLOAD_INVALID, { reason: 'concurrent write to this upload; check the upload status and retry' });
  }
  if (err instanceof InvalidPathError) return new RegistryError(Code.NAME_INVALID, undefined);
  if (isClientAbort(err) || req.destroyed) {
    log.debug({ msg: 'client went away', ...context });
    return undefined;
  }
  if ((err as { type?: string })?.type === 'entity.too.large') return new RegistryError(Code.SIZE_INVALID, undefined);
  log.error({ msg: 'unhandled error', err, ...context });
  return new RegistryError(Code.UNKNOWN, undefined);
}

/** Writes the error response, or cuts the connection when the response has already started. */
export function renderError(err: unknown, req: IncomingMessage, res: ServerResponse, log: Logger, context: Record<string, unknown>): void {
  const error = toRegistryError(err, req, log, context);
  if (!error || res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errors: [error.toJSON()] });
  afterUnreadBody(req, () => {
    if (res.headersSent || res.destroyed) return;
    for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
    // A body whose stream broke mid-way (a write failed while it was piped to storage)
    // leaves the connection's parser where Node may never resume it: the next request
    // on it would wait until the client gives up. Answer, then close the connection.
    if (req.destroyed && !req.readableEnded) res.setHeader('Connection', 'close');
    const status = statusOf(error);
    res.writeHead(status, reasonPhrase(error, status), { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  });
}
