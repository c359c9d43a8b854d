// The registry's error vocabulary, below any protocol: every store, policy and
// service throws `new RegistryError(Code.X, detail)`. The codes are the OCI
// Distribution Spec's (spec.md, "Error Codes") plus the few Docker Registry v2
// codes clients rely on; api/errors.ts maps each to its HTTP status and renders
// `{"errors":[{code,message,detail}]}`.

export interface ErrorDescriptor {
  /** The key in `Code`: distinct even where two descriptors share a wire code. */
  readonly name: string;
  /** The code clients see. */
  readonly code: string;
  readonly message: string;
  readonly description: string;
}

function describe<N extends string>(name: N, code: string, message: string, description: string): ErrorDescriptor & { name: N } {
  return Object.freeze({ name, code, message, description });
}

export const Code = Object.freeze({
  BLOB_UNKNOWN: describe('BLOB_UNKNOWN', 'BLOB_UNKNOWN', 'blob unknown to registry', 'The blob is not known to the repository.'),
  BLOB_UPLOAD_INVALID: describe('BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_INVALID', 'blob upload invalid', 'The upload failed; the client may restart it.'),
  BLOB_UPLOAD_UNKNOWN: describe('BLOB_UPLOAD_UNKNOWN', 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', 'The upload session was cancelled, completed or never existed.'),
  DIGEST_INVALID: describe('DIGEST_INVALID', 'DIGEST_INVALID', 'provided digest did not match uploaded content', 'The digest is malformed, unsupported, or does not match the content.'),
  MANIFEST_BLOB_UNKNOWN: describe('MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN', 'manifest references a manifest or blob unknown to registry', 'A manifest refers to content the repository does not have.'),
  MANIFEST_INVALID: describe('MANIFEST_INVALID', 'MANIFEST_INVALID', 'manifest invalid', 'The manifest failed validation (malformed, wrong media type, or too large).'),
  MANIFEST_UNKNOWN: describe('MANIFEST_UNKNOWN', 'MANIFEST_UNKNOWN', 'manifest unknown to registry', 'The manifest, by tag or digest, is not known to the repository.'),
  NAME_INVALID: describe('NAME_INVALID', 'NAME_INVALID', 'invalid repository name', 'The repository name does not match the spec grammar.'),
  NAME_UNKNOWN: describe('NAME_UNKNOWN', 'NAME_UNKNOWN', 'repository name not known to registry', 'The repository does not exist.'),
  SIZE_INVALID: describe('SIZE_INVALID', 'SIZE_INVALID', 'provided length did not match content length', 'Content-Length or Content-Range disagree with the content.'),
  UNAUTHORIZED: describe('UNAUTHORIZED', 'UNAUTHORIZED', 'authentication required', 'The client must authenticate.'),
  DENIED: describe('DENIED', 'DENIED', 'requested access to the resource is denied', 'The identity may not perform this action (policy, immutability).'),
  UNSUPPORTED: describe('UNSUPPORTED', 'UNSUPPORTED', 'the operation is unsupported', 'The method or parameter is not supported by this registry.'),
  TOOMANYREQUESTS: describe('TOOMANYREQUESTS', 'TOOMANYREQUESTS', 'too many requests', 'Too many failed logins, or a limit on concurrent work is reached; retry after Retry-After.'),
  // Docker Registry v2 codes outside the OCI list.
  TAG_INVALID: describe('TAG_INVALID', 'TAG_INVALID', 'manifest tag did not match URI', 'The tag is malformed.'),
  RANGE_INVALID: describe('RANGE_INVALID', 'RANGE_INVALID', 'invalid content range', 'The chunk does not start at the upload\'s current offset.'),
  PAGINATION_NUMBER_INVALID: describe('PAGINATION_NUMBER_INVALID', 'PAGINATION_NUMBER_INVALID', 'invalid number of results requested', 'The `n` parameter is not a non-negative integer.'),
  // Berth's refinements of spec codes.
  QUOTA_EXCEEDED: describe('QUOTA_EXCEEDED', 'DENIED', 'storage quota exceeded', 'The push would exceed the repository\'s storage quota.'),
  MANIFEST_TOO_LARGE: describe('MANIFEST_TOO_LARGE', 'MANIFEST_INVALID', 'manifest too large', 'The manifest exceeds the registry\'s size limit.'),
  PARAMETER_INVALID: describe('PARAMETER_INVALID', 'UNSUPPORTED', 'invalid query parameter', 'A query parameter of a Berth API (such as the browsing API\'s limit or cursor, or minSeverity) is malformed or has a value it does not accept.'),
  UNAVAILABLE: describe('UNAVAILABLE', 'UNAVAILABLE', 'service unavailable', 'The storage backend is unavailable or too slow; retry later.'),
  STORAGE_FULL: describe('STORAGE_FULL', 'UNAVAILABLE', 'insufficient storage', 'The storage backend is out of space; retry once space is freed.'),
  // Requests refused below the routes, where Node's HTTP parser or the head checks stop them (api/http-hardening.ts).
  REQUEST_MALFORMED: describe('REQUEST_MALFORMED', 'UNSUPPORTED', 'malformed HTTP request', 'The request line, a header or the body framing is not valid HTTP/1.1.'),
  REQUEST_TIMEOUT: describe('REQUEST_TIMEOUT', 'UNSUPPORTED', 'request timeout', 'The request headers did not arrive in time.'),
  BODY_FRAMING_TOO_LARGE: describe('BODY_FRAMING_TOO_LARGE', 'SIZE_INVALID', 'chunk extensions too large', 'The chunked body framing exceeds the parser\'s limits.'),
  HEADERS_TOO_LARGE: describe('HEADERS_TOO_LARGE', 'UNSUPPORTED', 'request header fields too large', 'The request head exceeds the registry\'s header size or count limit.'),
  HTTP_VERSION_UNSUPPORTED: describe('HTTP_VERSION_UNSUPPORTED', 'UNSUPPORTED', 'HTTP version not supported', 'Only HTTP/1.0 and HTTP/1.1 are served.'),
  UNKNOWN: describe('UNKNOWN', 'UNKNOWN', 'unknown error', 'An unexpected error; the cause is logged.'),
});

export type CodeName = keyof typeof Code;

export class RegistryError extends Error {
  override name = 'RegistryError';
  constructor(
    readonly descriptor: ErrorDescriptor,
    readonly detail?: unknown,
    /** Response hints for the protocol layer (Retry-After, Range, WWW-Authenticate). */
    readonly headers: Record<string, string> = {},
    message?: string,
  ) {
    super(message ?? descriptor.message);
  }

  /** True when this error carries `descriptor` (compared by identity). */
  is(descriptor: ErrorDescriptor): boolean {
    return this.descriptor === descriptor;
  }

  toJSON(): { code: string; message: string; detail?: unknown } {
    const body: { code: string; message: string; detail?: unknown } = { code: this.descriptor.code, message: this.message };
    if (this.detail !== undefined) body.detail = this.detail;
    return body;
  }
}

/** True when `err` is a RegistryError carrying `descriptor`. */
export function hasCode(err: unknown, descriptor: ErrorDescriptor): err is RegistryError {
  return err instanceof RegistryError && err.descriptor === descriptor;
}
