// The pull-through cache of the configured upstreams (the Mirror of mirror.ts):
// cached namespaces, manifests and blobs, their budgets and eviction. Loaded only
// when upstreams are configured.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryConfig } from '#contract/config/schema.js';
import type { Logger } from '../log.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Digest } from '../reference.js';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WriteListener } from '../write/write-events.js';
import type { WritePath } from '../write/write-path.js';
import { Namespaces, type Addressed, type CacheTarget } from './addressing.js';
import { BlobCache } from './blob-cache.js';
import { CacheBudget } from './cache-budget.js';
import { Evictor } from './eviction.js';
import { ManifestCache } from './manifest-cache.js';
import type { Mirror } from './mirror.js';
import { reachability, type UpstreamReachability } from './reachability.js';
import type { ServedBlob, ServedManifest } from './served.js';
import { Upstream } from './upstream.js';

export interface MirrorDeps {
  readonly config: RegistryConfig;
  readonly storage: RegistryStorage;
  readonly writes: WritePath;
  readonly metrics: Metrics;
  readonly log: Logger;
  /** Asks for a garbage collection run (after evictions). */
  readonly collect: () => void;
  /** The metadata index: cached repositories' graphs and last-pulled times, for eviction. */
  readonly index: MetadataIndex;
  /** Cached tags eviction leaves alone (what sync rules copy). */
  readonly pinned?: (repo: string, tag: string) => boolean;
}

export class PullThroughCache implements Mirror {
  readonly listener: WriteListener;
  private readonly manifests: ManifestCache;
  private readonly blobs: BlobCache;

  private constructor(private readonly namespaces: Namespaces, deps: MirrorDeps) {
    const locks = new KeyedMutex();
    const { writes } = deps;
    const evictor = new Evictor(deps.index, writes, locks, deps.metrics, deps.log, deps.collect, deps.pinned);
    const budget = new CacheBudget(deps.index, deps.metrics, namespaces, evictor);
    this.listener = budget;
    this.manifests = new ManifestCache({ storage: deps.storage, writes, budget, pulls: deps.index, locks, metrics: deps.metrics, log: deps.log });
    this.blobs = new BlobCache({
      storage: deps.storage, index: deps.index, writes, budget, metrics: deps.metrics, log: deps.log,
      spoolDir: deps.config.mirror.spoolDir ?? join(tmpdir(), 'berth-spool'),
    });
  }

  static async open(deps: MirrorDeps): Promise<Mirror> {
    const { upstreams } = deps.config.mirror;
    const opened = await Promise.all(upstreams.map((u) => Upstream.open(u, deps.log, deps.metrics, deps.config.http.maxManifestBytes)));
    deps.log.info({ msg: 'pull-through cache', upstreams: opened.map((u) => ({ host: u.host, url: u.config.url, aliases: u.config.aliases })) });
    return new PullThroughCache(new Namespaces(opened), deps);
  }

  address(repo: string, ns: string | null): Addressed {
    return this.namespaces.address(repo, ns);
  }

  manifest(t: CacheTarget, reference: string): Promise<ServedManifest> {
    return this.manifests.get(t, reference);
  }

  blob(t: CacheTarget, digest: Digest): Promise<ServedBlob> {
    return this.blobs.get(t, digest);
  }

  blobSize(t: CacheTarget, digest: Digest): Promise<number> {
    return this.blobs.size(t, digest);
  }

  upstream(host: string): Upstream | undefined {
    return this.namespaces.upstream(host);
  }

  reachability(): Promise<UpstreamReachability[]> {
    return Promise.all(this.namespaces.upstreams.map(reachability));
  }

  /** Stops talking to the upstreams: fills in flight fail (their uploads are purged later) and readers are cut. */
  async close(): Promise<void> {
    for (const u of this.namespaces.upstreams) u.close();
    await Promise.race([Promise.all([this.blobs.settled(), this.manifests.settled()]), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
}
