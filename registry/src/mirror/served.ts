// What the cache hands the HTTP layer, and how each pull is counted.
import type { Digest } from '../reference.js';
import type { SpoolReader } from './spool.js';

/** berth_cache_requests_total's `result`. */
export type CacheResult = 'hit' | 'revalidated' | 'miss' | 'stale' | 'bypass';

export interface ServedManifest {
  readonly digest: Digest;
  readonly mediaType: string;
  readonly body: Buffer;
  readonly result: CacheResult;
  /** A `Warning` header value when the copy is served stale. */
  readonly warning?: string;
}

export type ServedBlob =
  /**
   * In storage: linked here (`local`), or stored for another repository and named by
   * this one's cached manifests but over the cache's limit to link (`stored`).
   * Either way served from storage by digest.
   */
  | { readonly kind: 'local' | 'stored'; readonly size: number }
  /** Being downloaded: read from the fill's spool as the bytes arrive. */
  | {
    readonly kind: 'streaming';
    readonly result: CacheResult;
    /** The blob's size, when the upstream said. */
    readonly size: number | undefined;
    /** Bytes [start, end) of the blob; `copyTo` sends them to a response through reused buffers. */
    open(start?: number, end?: number): SpoolReader;
  };

/** RFC 7234 warn-code 110, "Response is Stale". */
export function staleWarning(upstream: string, why: string): string {
  return `110 berth "Response is Stale: ${why.replace(/["\\]/g, '')} (${upstream})"`;
}
