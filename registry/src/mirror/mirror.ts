// The pull-through cache as the HTTP layer sees it: where a request's repository
// lives (a cached namespace or a local repository), and cached manifests and
// blobs. Without upstreams the cache is NO_MIRROR, a no-op that addresses every
// repository locally, so the handlers never ask whether mirroring is on; the
// cache itself (pull-through.ts) loads only when upstreams are configured.
import type { Digest } from '../reference.js';
import type { WriteListener } from '../write/write-events.js';
import type { Addressed, CacheTarget } from './addressing.js';
import type { UpstreamReachability } from './reachability.js';
import type { ServedBlob, ServedManifest } from './served.js';
import type { Upstream } from './upstream.js';

export interface Mirror {
  /** The repository a request names (`?ns=` and path prefixes resolved), and its cache when it is in a cached namespace. */
  address(repo: string, ns: string | null): Addressed;
  manifest(t: CacheTarget, reference: string): Promise<ServedManifest>;
  blob(t: CacheTarget, digest: Digest): Promise<ServedBlob>;
  blobSize(t: CacheTarget, digest: Digest): Promise<number>;
  /** Upstreams by host (sync rules copy from them). */
  upstream(host: string): Upstream | undefined;
  /** Whether each upstream answers now (GET /admin/upstreams). */
  reachability(): Promise<UpstreamReachability[]>;
  /** Follows the write path to keep the caches' sizes (a no-op without upstreams); add it to the write path's listeners. */
  readonly listener: WriteListener;
  close(): Promise<void>;
}

export const NO_MIRROR: Mirror = {
  address: (repo) => ({ repo }),
  manifest: () => Promise.reject(new Error('no upstream is configured')),
  blob: () => Promise.reject(new Error('no upstream is configured')),
  blobSize: () => Promise.reject(new Error('no upstream is configured')),
  upstream: () => undefined,
  reachability: () => Promise.resolve([]),
  listener: { onWrite: () => undefined },
  close: async () => undefined,
};
