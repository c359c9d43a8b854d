// Every error code the registry answers with, in one table: the OCI Distribution
// Spec's codes (spec.md, "Error Codes") plus the few Docker Registry v2 codes that
// clients rely on. Handlers throw `new RegistryError(Code.X, detail)`; the error
// middleware in app.ts renders `{"errors":[{code,message,detail}]}` with the status.

export interface ErrorDescriptor {
  readonly code: string;
  readonly message: string;
  readonly status: number;
  readonly description: string;
}

function describe(code: string, status: number, message: string, description: string): ErrorDescriptor {
  return Object.freeze({ code, status, message, description });
}

export const Code = Object.freeze({
  BLOB_UNKNOWN: describe('BLOB_UNKNOWN', 404, 'blob unknown to registry', 'The blob is not known to the repository.'),
  BLOB_UPLOAD_INVALID: describe('BLOB_UPLOAD_INVALID', 400, 'blob upload invalid', 'The upload failed; the client may restart it.'),
  BLOB_UPLOAD_UNKNOWN: describe('BLOB_UPLOAD_UNKNOWN', 404, 'blob upload unknown to registry', 'The upload session was cancelled, completed or never existed.'),
  DIGEST_INVALID: describe('DIGEST_INVALID', 400, 'provided digest did not match uploaded content', 'The digest is malformed, unsupported, or does not match the content.'),
  MANIFEST_BLOB_UNKNOWN: describe('MANIFEST_BLOB_UNKNOWN', 404, 'manifest references a manifest or blob unknown to registry', 'A manifest refers to content the repository does not have.'),
  MANIFEST_INVALID: describe('MANIFEST_INVALID', 400, 'manifest invalid', 'The manifest failed validation (malformed, wrong media type, or too large).'),
  MANIFEST_UNKNOWN: describe('MANIFEST_UNKNOWN', 404, 'manifest unknown to registry', 'The manifest, by tag or digest, is not known to the repository.'),
  NAME_INVALID: describe('NAME_INVALID', 400, 'invalid repository name', 'The repository name does not match the spec grammar.'),
  NAME_UNKNOWN: describe('NAME_UNKNOWN', 404, 'repository name not known to registry', 'The repository does not exist.'),
  SIZE_INVALID: describe('SIZE_INVALID', 400, 'provided length did not match content length', 'Content-Length or Content-Range disagree with the content.'),
  UNAUTHORIZED: describe('UNAUTHORIZED', 401, 'authentication required', 'The client must authenticate.'),
  DENIED: describe('DENIED', 403, 'requested access to the resource is denied', 'The identity may not perform this action (policy, immutability).'),
  UNSUPPORTED: describe('UNSUPPORTED', 405, 'the operation is unsupported', 'The method or parameter is not supported by this registry.'),
  TOOMANYREQUESTS: describe('TOOMANYREQUESTS', 429, 'too many requests', 'The client is rate limited; retry later.'),
  // Docker Registry v2 codes outside the OCI list.
  TAG_INVALID: describe('TAG_INVALID', 400, 'manifest tag did not match URI', 'The tag is malformed.'),
  RANGE_INVALID: describe('RANGE_INVALID', 416, 'invalid content range', 'The chunk does not start at the upload\'s current offset.'),
  PAGINATION_NUMBER_INVALID: describe('PAGINATION_NUMBER_INVALID', 400, 'invalid number of results requested', 'The `n` parameter is not a non-negative integer.'),
  QUOTA_EXCEEDED: describe('DENIED', 403, 'storage quota exceeded', 'The push would exceed the repository\'s storage quota.'),
  MANIFEST_TOO_LARGE: describe('MANIFEST_INVALID', 413, 'manifest too large', 'The manifest exceeds the registry\'s size limit.'),
  UNAVAILABLE: describe('UNAVAILABLE', 503, 'service unavailable', 'The storage backend is unavailable or too slow; retry later.'),
  UNKNOWN: describe('UNKNOWN', 500, 'unknown error', 'An unexpected error; the cause is logged.'),
});

export type CodeName = keyof typeof Code;

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly descriptor: ErrorDescriptor,
    readonly detail?: unknown,
    readonly headers: Record<string, string> = {},
    message?: string,
  ) {
    super(message ?? descriptor.message);
  }

  get status(): number {
    return this.descriptor.status;
  }

  toJSON(): { code: string; message: string; detail?: unknown } {
    const body: { code: string; message: string; detail?: unknown } = { code: this.descriptor.code, message: this.message };
    if (this.detail !== undefined) body.detail = this.detail;
    return body;
  }
}

export function isRegistryError(err: unknown): err is RegistryError {
  return err instanceof RegistryError;
}
