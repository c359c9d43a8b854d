// Blobs of cached repositories. Stored ones are served like any local blob. One
// stored for another repository is linked here without a download when a cached
// manifest of this repository references it (a shared base layer). Anything else
// is filled from the upstream, with one fill per blob however many clients ask:
// they all read the fill's spool.
import { Code, RegistryError } from '../errors.js';
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Digest } from '../reference.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { RemoteError } from '../remote/registry-client.js';
import type { CacheTarget } from './addressing.js';
import { BlobFill, type FillDeps } from './blob-fill.js';
import type { ServedBlob } from './served.js';

export interface BlobCacheDeps extends FillDeps {
  readonly storage: RegistryStorage;
  /** Which blobs the repository's cached manifests name. */
  readonly index: MetadataIndex;
  readonly metrics: Metrics;
}

export class BlobCache {
  private readonly fills = new Map<string, BlobFill>();

  constructor(private readonly deps: BlobCacheDeps) {}

  async get(t: CacheTarget, digest: Digest): Promise<ServedBlob> {
    const host = t.upstream.host;
    const here = await this.present(t, digest);
    if (here) {
      this.deps.metrics.cacheRequests.inc({ upstream: host, result: here.kind === 'local' ? 'hit' : 'bypass' });
      return here;
    }
    const fill = this.fill(t, digest);
    await fill.ready;
    const result = fill.stored ? 'miss' : 'bypass';
    this.deps.metrics.cacheRequests.inc({ upstream: host, result });
    return { kind: 'streaming', result, size: fill.size, open: (start, end) => fill.spool.reader(start, end) };
  }

  /** The blob's size for a HEAD, asking the upstream (HEAD, never a download) when it is not here. */
  async size(t: CacheTarget, digest: Digest): Promise<number> {
    const here = await this.present(t, digest);
    if (here) return here.size;
    const filling = this.fills.get(this.key(t, digest));
    if (filling) {
      await filling.ready;
      if (filling.size !== undefined) return filling.size;
    }
    const { circuit, client, host } = t.upstream;
    if (!circuit.tryAcquire()) {
      throw new RegistryError(circuit.lastStatus === 429 ? Code.TOOMANYREQUESTS : Code.UNAVAILABLE, { upstream: host }, { 'Retry-After': String(circuit.retryAfterSeconds()) });
    }
    try {
      const found = await client.headBlob(t.remote, digest);
      circuit.succeeded();
      if (!found) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: digest.value, upstream: host });
      return found.size;
    } catch (err) {
      if (!(err instanceof RemoteError)) throw err;
      if (err.kind !== 'unavailable') {
        circuit.succeeded();
        throw new RegistryError(Code.BLOB_UNKNOWN, { digest: digest.value, upstream: host, reason: err.message });
      }
      circuit.failed(err.retryAfterSeconds, Date.now(), err.status);
      throw new RegistryError(err.status === 429 ? Code.TOOMANYREQUESTS : Code.UNAVAILABLE, { upstream: host, reason: err.message }, { 'Retry-After': String(circuit.retryAfterSeconds()) });
    }
  }

  /**
   * How the blob can be served from storage, when it can: linked here, or stored for
   * another repository and named by this repository's cached manifests (then linked
   * here when the cache has room, else served by digest without counting).
   */
  private async present(t: CacheTarget, digest: Digest): Promise<Extract<ServedBlob, { kind: 'local' | 'stored' }> | undefined> {
    const { blobs } = this.deps.storage;
    const size = await blobs.globalSize(digest);
    if (size !== undefined && (await blobs.isLinked(t.repo, digest))) return { kind: 'local', size };
    if (size !== undefined) {
      // Only a digest this repository's own cached manifests name: a digest alone must not
      // reach content stored for other repositories (it may be private).
      const graph = await this.deps.index.repositoryGraph(t.repo);
      if ([...graph.blobs.values()].some((list) => list.includes(digest.value))) {
        const room = await this.deps.budget.reserve(t.upstream, size);
        if (!room) return { kind: 'stored', size };
        try {
          if (await this.deps.writes.cache.linkBlob(t.repo, digest, { upstream: t.upstream.host })) return { kind: 'local', size };
        } finally {
          room.release();
        }
      }
    }
    if (t.excluded) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: digest.value });
    return undefined;
  }

  private fill(t: CacheTarget, digest: Digest): BlobFill {
    const key = this.key(t, digest);
    let fill = this.fills.get(key);
    if (!fill) {
      const started: BlobFill = new BlobFill(t, digest, this.deps, () => {
        if (this.fills.get(key) === started) this.fills.delete(key);
      });
      fill = started;
      this.fills.set(key, fill);
    }
    return fill;
  }

  private key(t: CacheTarget, digest: Digest): string {
    return `${t.repo}@${digest.value}`;
  }

  /** Resolves when every fill in flight has ended (shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.fills.values()].map((f) => f.done));
  }
}
