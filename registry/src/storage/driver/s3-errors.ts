// Translates what the minio client throws into the driver's typed errors, so the
// HTTP layer can answer 404 for missing keys and 503 + Retry-After when the store
// is down, slow or overloaded, instead of a generic 500.
import { PathNotFoundError, StorageDriverError, StorageFullError, StorageUnavailableError } from './driver.js';

export const S3_DRIVER_NAME = 's3';

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);

/**
 * S3 answers that mean "try again later". Among them two 409s for an operation that
 * collided with another on the same key or folder: AWS's ConditionalRequestConflict,
 * and ExistingObjectIsDirectory from file-backed gateways (versitygw's posix backend
 * answers it for a PUT of a fresh key while a concurrent delete removes the emptied
 * parent folder; Berth never writes a key that is also a folder).
 */
const UNAVAILABLE_CODES = new Set([
  'InternalError', 'ServiceUnavailable', 'SlowDown', 'RequestTimeout', 'RequestTimeTooSkewed',
  'OperationAborted', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded',
  'ConditionalRequestConflict', 'ExistingObjectIsDirectory',
]);

/** Socket-level failures: the store is unreachable or stopped answering. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED',
  // undici's (object GETs): the socket failed, or connecting, the headers or the body timed out.
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED',
]);

interface MaybeS3Error {
  code?: string;
  statusCode?: number;
  message?: string;
  amzRequestid?: string;
}

export function isS3NotFound(err: unknown): boolean {
  const e = err as MaybeS3Error;
  return !!e && (NOT_FOUND_CODES.has(e.code ?? '') || e.statusCode === 404 && e.code !== 'NoSuchBucket');
}

export function isS3Unavailable(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  const e = err as MaybeS3Error;
  if (!e) return false;
  if (NETWORK_CODES.has(e.code ?? '') || UNAVAILABLE_CODES.has(e.code ?? '')) return true;
  if (typeof e.statusCode === 'number' && e.statusCode >= 500) return true;
  const message = e.message ?? '';
  // minio's retry wrapper replaces the response with a plain Error after its retries.
  return /Retryable HTTP status: 5\d\d|socket hang up|Request failed after \d+ retries/.test(message);
}

/** Maps any error from an S3 call on `path` to a StorageDriverError subclass. */
export function translateS3Error(err: unknown, path: string): StorageDriverError {
  if (err instanceof StorageDriverError) return err;
  if (isS3NotFound(err)) return new PathNotFoundError(S3_DRIVER_NAME, path);
  const e = err as MaybeS3Error;
  const detail = `${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(err)}`;
  if (e?.code === 'XMinioStorageFull' || e?.statusCode === 507) {
    return new StorageFullError(S3_DRIVER_NAME, `object store full (${path}): ${detail}`, { cause: err });
  }
  if (isS3Unavailable(err)) {
    return new StorageUnavailableError(S3_DRIVER_NAME, `object store unavailable (${path}): ${detail}`, { cause: err });
  }
  return new StorageDriverError(S3_DRIVER_NAME, `${path}: ${detail}`, { cause: err });
}
