// Eviction: when an upstream's cache would exceed its size limit, the least
// recently pulled content goes first. The unit is a root: a tag, or a manifest that
// was pulled by digest only and that no tag reaches. Evicting a root deletes the tag
// (through the write path, as the actor "cache-eviction"), the manifests only it
// kept alive (an index, its children, their signatures) and the layer links no
// remaining manifest references. Online GC then frees the bytes; a blob another
// repository links (a local image sharing a layer) keeps its other links and is
// never collected. Tags a sync rule copies are pinned. Roots pulled within the upstream's evictionGraceSeconds stay:
// their image may be in the middle of being pulled.
import { Code, hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import { liveManifests } from '../manifest/liveness.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Digest } from '../reference.js';
import type { KeyedMutex } from '../storage/keyed-mutex.js';
import type { ManifestNode } from '../storage/manifest-store.js';
import type { RegistryStorage } from '../storage/registry-storage.js';
import type { WritePath } from '../write/write-path.js';
import { SYSTEM_EVICTION } from '../write/write-events.js';
import type { PullTimes } from './pull-times.js';
import type { Upstream } from './upstream.js';

interface Root {
  readonly repo: string;
  readonly tag?: string;
  readonly digest: Digest;
  readonly lastPulled: number;
}

const REASON = 'cache over its size limit';

export class Evictor {
  constructor(
    private readonly storage: RegistryStorage,
    private readonly writes: WritePath,
    private readonly pullTimes: PullTimes,
    /** Per-repository locks shared with the cache's manifest writes. */
    private readonly locks: KeyedMutex,
    private readonly metrics: Metrics,
    private readonly log: Logger,
    /** Asks for a GC run to free the bytes of what was evicted. */
    private readonly collect: () => void,
    /** Tags kept whatever their age (a sync rule's). */
    private readonly pinned: (repo: string, tag: string) => boolean = () => false,
  ) {}

  /** Evicts the least recently pulled roots until `used()` is at most `target` or nothing evictable is left; returns how many went. */
  async evict(u: Upstream, used: () => Promise<number>, target: number): Promise<number> {
    let evicted = 0;
    for (const root of await this.roots(u)) {
      if ((await used()) <= target) break;
      if (await this.evictRoot(root)) evicted++;
    }
    if (evicted) {
      this.metrics.cacheEvictions.inc({ upstream: u.host }, evicted);
      this.log.info({ msg: 'cache evicted least recently pulled content', upstream: u.host, roots: evicted });
      this.collect();
    }
    return evicted;
  }

  /** Every evictable root of the upstream's cache, least recently pulled first. */
  private async roots(u: Upstream): Promise<Root[]> {
    const notAfter = Date.now() - u.config.evictionGraceSeconds * 1000;
    const out: Root[] = [];
    const prefix = `${u.host}/`;
    for (const repo of (await this.storage.repositories.list()).filter((r) => r.startsWith(prefix))) {
      const tagged = await this.tagged(repo);
      for (const [tag, { digest, writtenAt }] of tagged) {
        if (this.pinned(repo, tag)) continue;
        out.push({ repo, tag, digest, lastPulled: this.pullTimes.lastPulled(repo, tag) ?? writtenAt });
      }
      const graph = await this.storage.manifests.graph(repo);
      for (const node of untaggedRoots(graph, [...tagged.values()].map((t) => t.digest.value))) {
        out.push({ repo, digest: node.digest, lastPulled: this.pullTimes.lastPulled(repo, node.digest.value) ?? Date.parse(node.meta.pushedAt) });
      }
    }
    return out.filter((r) => r.lastPulled <= notAfter).sort((a, b) => a.lastPulled - b.lastPulled);
  }

  private async tagged(repo: string): Promise<Map<string, { digest: Digest; writtenAt: number }>> {
    const out = new Map<string, { digest: Digest; writtenAt: number }>();
    for (const tag of (await this.storage.tags.list(repo)) ?? []) {
      const entry = await this.storage.tags.entry(repo, tag);
      if (entry) out.set(tag, entry);
    }
    return out;
  }

  /** Removes one root and what only it kept; false when it changed meanwhile (moved, pulled, gone) or is immutable. */
  private evictRoot(root: Root): Promise<boolean> {
    const { repo } = root;
    return this.locks.run(repo, async () => {
      const tagged = await this.tagged(repo);
      if (root.tag !== undefined && tagged.get(root.tag)?.digest.value !== root.digest.value) return false;
      const graph = await this.storage.manifests.graph(repo);
      const tagDigests = [...tagged.values()].map((t) => t.digest.value);
      const otherRoots = [
        ...[...tagged].filter(([tag]) => tag !== root.tag).map(([, t]) => t.digest.value),
        ...untaggedRoots(graph, tagDigests).map((n) => n.digest.value).filter((d) => d !== root.digest.value),
      ];
      const keep = liveManifests(graph, otherRoots);
      const gone = [...liveManifests(graph, [root.digest.value])].filter((d) => !keep.has(d) && graph.has(d));
      try {
        if (root.tag !== undefined) await this.writes.manifests.deleteTag(repo, root.tag, SYSTEM_EVICTION, REASON);
        for (const d of gone) await ignoring(Code.MANIFEST_UNKNOWN, () => this.writes.manifests.deleteManifest(repo, graph.get(d)!.digest, SYSTEM_EVICTION, REASON));
      } catch (err) {
        if (hasCode(err, Code.DENIED) || hasCode(err, Code.MANIFEST_UNKNOWN)) return false; // an immutable tag, or gone already
        throw err;
      }
      const referenced = new Set<string>();
      for (const d of keep) for (const b of graph.get(d)?.blobs ?? []) referenced.add(b.value);
      for (const link of await this.storage.blobs.links(repo)) {
        if (!referenced.has(link.value)) await ignoring(Code.BLOB_UNKNOWN, () => this.writes.blobs.unlink(repo, link, SYSTEM_EVICTION));
      }
      this.pullTimes.forget(repo, root.tag ?? root.digest.value);
      return true;
    });
  }
}

/** Manifests no tag reaches that are neither an index's child nor a referrer: pulled by digest, evicted on their own. */
function untaggedRoots(graph: ReadonlyMap<string, ManifestNode>, tagDigests: readonly string[]): ManifestNode[] {
  const reached = liveManifests(graph, tagDigests);
  const children = new Set<string>();
  for (const node of graph.values()) for (const c of node.children) children.add(c.value);
  return [...graph.values()].filter((n) => !reached.has(n.digest.value) && !children.has(n.digest.value) && n.subject === undefined);
}

async function ignoring(code: (typeof Code)[keyof typeof Code], run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!hasCode(err, code)) throw err;
  }
}
