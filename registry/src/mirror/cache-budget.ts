// Each upstream's cache has its own size limit (maxSizeBytes), and its bytes count
// against nothing else (never a team's quota). Usage = every unique digest linked in
// the upstream's cached repositories, counted once from the metadata index (its
// manifest and layer-link rows, never a walk of storage), then kept current from the
// write path's events; fills in flight reserve their size first, so two
// concurrent fills cannot both take the last bytes. When a fill does not fit, the
// least recently pulled content is evicted (eviction.ts); when nothing can go, the
// fill passes through without being stored.
import type { MetadataIndex } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { KeyedMutex } from '../storage/keyed-mutex.js';
import type { WriteEvent, WriteListener } from '../write/write-events.js';
import type { Namespaces } from './addressing.js';
import type { Evictor } from './eviction.js';
import type { Upstream } from './upstream.js';

export interface Reservation {
  /** Gives the reserved bytes back (the content, once stored, is counted from its events). */
  release(): void;
}

interface Usage {
  /** digest → size and who holds it (`m:<repo>` manifest links, `b:<repo>` layer links). */
  readonly content: Map<string, { readonly size: number; readonly holders: Set<string> }>;
  bytes: number;
}

const NOTHING_RESERVED: Reservation = { release: () => undefined };
/** Eviction frees down to this share of the limit, so the next fills do not each evict again. */
const LOW_WATER = 0.9;

export class CacheBudget implements WriteListener {
  private readonly usage = new Map<string, Usage>();
  private readonly loads = new Map<string, Promise<Usage>>();
  /** Upstreams whose usage changed while it was being counted: counted again. */
  private readonly stale = new Set<string>();
  private readonly reserved = new Map<string, number>();
  private readonly mutex = new KeyedMutex();

  constructor(
    /** Where the cached repositories' manifests and layer links are counted from at first use. */
    private readonly index: Pick<MetadataIndex, 'heldUnder'>,
    private readonly metrics: Metrics,
    private readonly namespaces: Namespaces,
    private readonly evictor: Pick<Evictor, 'evict'>,
  ) {}

  /** Room for `bytes` more in the upstream's cache, evicting when needed; undefined when there is none to be had. */
  async reserve(u: Upstream, bytes: number): Promise<Reservation | undefined> {
    const limit = u.config.maxSizeBytes;
    if (limit === undefined) return NOTHING_RESERVED;
    if (bytes > limit) return undefined;
    return this.mutex.run(u.host, async () => {
      if ((await this.used(u)) + bytes > limit) {
        await this.evictor.evict(u, () => this.used(u), Math.min(limit * LOW_WATER, limit - bytes));
        if ((await this.used(u)) + bytes > limit) return undefined;
      }
      this.reserved.set(u.host, (this.reserved.get(u.host) ?? 0) + bytes);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          this.reserved.set(u.host, (this.reserved.get(u.host) ?? 0) - bytes);
        },
      };
    });
  }

  /** Bytes the upstream's cache holds plus what fills in flight reserved. */
  async used(u: Upstream): Promise<number> {
    return (await this.load(u)).bytes + (this.reserved.get(u.host) ?? 0);
  }

  onWrite(event: WriteEvent): void {
    if (!('repo' in event) || event.repo === undefined) return;
    const repo = event.repo;
    const u = this.namespaces.upstream(repo.slice(0, repo.indexOf('/')));
    if (!u || u.config.maxSizeBytes === undefined) return;
    if (this.loads.has(u.host)) this.stale.add(u.host);
    const usage = this.usage.get(u.host);
    if (!usage) return;
    switch (event.kind) {
      case 'manifest-put':
        this.add(u, usage, `m:${repo}`, event.digest.value, event.size);
        break;
      case 'blob-linked':
        this.add(u, usage, `b:${repo}`, event.digest.value, event.size);
        break;
      case 'manifest-deleted':
      case 'gc-manifest-collected':
        this.remove(u, usage, `m:${repo}`, event.digest.value);
        break;
      case 'blob-unlinked':
      case 'gc-link-collected':
        this.remove(u, usage, `b:${repo}`, event.digest.value);
        break;
      case 'repository-deleted':
        this.usage.delete(u.host);
        break;
      default:
        break;
    }
  }

  private add(u: Upstream, usage: Usage, holder: string, digest: string, size: number): void {
    let entry = usage.content.get(digest);
    if (!entry) {
      entry = { size, holders: new Set() };
      usage.content.set(digest, entry);
      usage.bytes += size;
    }
    entry.holders.add(holder);
    this.metrics.cacheBytes.set({ upstream: u.host }, usage.bytes);
  }

  private remove(u: Upstream, usage: Usage, holder: string, digest: string): void {
    const entry = usage.content.get(digest);
    if (!entry) return;
    entry.holders.delete(holder);
    if (entry.holders.size) return;
    usage.content.delete(digest);
    usage.bytes -= entry.size;
    this.metrics.cacheBytes.set({ upstream: u.host }, usage.bytes);
  }

  private async load(u: Upstream): Promise<Usage> {
    const known = this.usage.get(u.host);
    if (known) return known;
    let loading = this.loads.get(u.host);
    if (!loading) {
      loading = (async () => {
        // Writes during the count may be missed by it: count again (a few times at most; then
        // the small error is corrected by the next repository-deleted or restart).
        for (let attempt = 0; ; attempt++) {
          this.stale.delete(u.host);
          const counted = await this.count(u);
          if (!this.stale.has(u.host) || attempt === 2) {
            this.usage.set(u.host, counted);
            this.metrics.cacheBytes.set({ upstream: u.host }, counted.bytes);
            return counted;
          }
        }
      })().finally(() => this.loads.delete(u.host));
      this.loads.set(u.host, loading);
    }
    return loading;
  }

  private async count(u: Upstream): Promise<Usage> {
    const usage: Usage = { content: new Map(), bytes: 0 };
    for await (const slice of this.index.heldUnder(`${u.host}/`)) {
      for (const held of slice) {
        let entry = usage.content.get(held.digest);
        if (!entry) {
          entry = { size: held.size, holders: new Set() };
          usage.content.set(held.digest, entry);
          usage.bytes += held.size;
        }
        entry.holders.add(`${held.as === 'manifest' ? 'm' : 'b'}:${held.repo}`);
      }
    }
    return usage;
  }
}
