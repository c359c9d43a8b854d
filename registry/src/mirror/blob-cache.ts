// Blobs of cached repositories. Stored ones are served like any local blob. One
// stored for another repository is linked here without a download when a cached
// manifest of this repository references it (a shared base layer). Anything else
// is filled from the upstream, with one fill per blob however many clients ask:
// they all read the fill's spool.
import { Code, RegistryError } from '../errors.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Digest } from '../reference.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import { RemoteError } from '../remote/registry-client.js';
import type { CacheTarget } from './addressing.js';
import { BlobFill, type FillDeps } from './blob-fill.js';
import type { ServedBlob } from './served.js';

export interface BlobCacheDeps extends FillDeps {
  readonly storage: RegistryStorage;
  readonly metrics: Metrics;
}

export class BlobCache {
  private readonly fills = new Map<string, BlobFill>();

  constructor(private readonly deps: BlobCacheDeps) {}

  async get(t: CacheTarget, digest: Digest): Promise<ServedBlob> {
    const host = t.upstream.host;
    if (await this.present(t, digest)) {
      this.deps.metrics.cacheRequests.inc({ upstream: host, result: 'hit' });
      return { kind: 'local' };
    }
    const fill = this.fill(t, digest);
    await fill.ready;
    const result = fill.stored ? 'miss' : 'bypass';
    this.deps.metrics.cacheRequests.inc({ upstream: host, result });
    return { kind: 'streaming', result, size: fill.size, open: (start, end) => fill.spool.reader(start, end) };
  }

  /** The blob's size for a HEAD, asking the upstream (HEAD, never a download) when it is not here. */
  async size(t: CacheTarget, digest: Digest): Promise<number> {
    if (await this.present(t, digest)) return (await this.deps.storage.blobs.stat(t.repo, digest)).size;
    const filling = this.fills.get(this.key(t, digest));
    if (filling) {
      await filling.ready;
      if (filling.size !== undefined) return filling.size;
    }
    const { circuit, client, host } = t.upstream;
    if (!circuit.tryAcquire()) {
      throw new RegistryError(Code.UNAVAILABLE, { upstream: host }, { 'Retry-After': String(circuit.retryAfterSeconds()) });
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
      circuit.failed(err.retryAfterSeconds);
      throw new RegistryError(Code.UNAVAILABLE, { upstream: host, reason: err.message }, { 'Retry-After': String(circuit.retryAfterSeconds()) });
    }
  }

  /** True when the blob can be served from storage (linking it first when it is stored for another repository). */
  private async present(t: CacheTarget, digest: Digest): Promise<boolean> {
    const { blobs, manifests } = this.deps.storage;
    if (await blobs.isLinked(t.repo, digest)) {
      if ((await blobs.globalSize(digest)) !== undefined) return true;
    } else if ((await blobs.globalSize(digest)) !== undefined && !t.excluded) {
      // Only a digest this repository's own cached manifests name: a digest alone must not
      // reach content stored for other repositories (it may be private).
      const graph = await manifests.graph(t.repo);
      const named = [...graph.values()].some((n) => n.blobs.some((b) => b.value === digest.value));
      if (named && (await this.deps.writes.cache.linkBlob(t.repo, digest, { upstream: t.upstream.host }))) return true;
    }
    if (t.excluded) throw new RegistryError(Code.BLOB_UNKNOWN, { digest: digest.value });
    return false;
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
