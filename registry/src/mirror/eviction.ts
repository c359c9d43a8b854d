// Eviction: when an upstream's cache would exceed its size limit, the least
// recently pulled content goes first. The unit is a root: a tag, or a manifest that
// was pulled by digest only and that no tag reaches. Evicting a root deletes the tag
// (through the write path, as the actor "cache-eviction"), the manifests only it
// kept alive (an index, its children, their signatures) and the layer links no
// remaining manifest references. Online GC then frees the bytes; a blob another
// repository links (a local image sharing a layer) keeps its other links and is
// never collected. Tags a sync rule copies are pinned. Roots pulled within the
// upstream's evictionGraceSeconds stay: their image may be in the middle of being pulled.
// Everything is read from the metadata index: the cached repositories' graphs and
// their last-pulled times (the pulls every manifest GET and cache HEAD record), so
// the order survives restarts and is the same on every replica.
import { Code, hasCode } from '../errors.js';
import type { Logger } from '../log.js';
import { liveManifests, type LivenessNode } from '../manifest/liveness.js';
import type { MetadataIndex, RepositoryGraph } from '../metadata/index.js';
import type { Metrics } from '../metrics/metrics.js';
import { parseDigest } from '../reference.js';
import type { KeyedMutex } from '../storage/keyed-mutex.js';
import type { WritePath } from '../write/write-path.js';
import { SYSTEM_EVICTION } from '../write/write-events.js';
import type { Upstream } from './upstream.js';

interface Root {
  readonly repo: string;
  readonly tag?: string;
  readonly digest: string;
  readonly lastPulled: number;
}

const REASON = 'cache over its size limit';

export class Evictor {
  constructor(
    private readonly index: MetadataIndex,
    private readonly writes: WritePath,
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
    await this.index.flushPulls(); // pulls are buffered for a few seconds: the newest ones count too
    const notAfter = Date.now() - u.config.evictionGraceSeconds * 1000;
    const out: Root[] = [];
    const prefix = `${u.host}/`;
    for await (const names of this.index.repositoryNames()) {
      for (const repo of names.filter((r) => r.startsWith(prefix))) {
        const graph = await this.index.repositoryGraph(repo);
        const pulled = lastPulled(graph, await this.index.lastPulls(repo));
        for (const [tag, { digest, pushedAt }] of graph.tags) {
          if (!this.pinned(repo, tag)) out.push({ repo, tag, digest, lastPulled: pulled(digest) ?? pushedAt });
        }
        for (const digest of untaggedRoots(graph)) out.push({ repo, digest, lastPulled: pulled(digest) ?? graph.manifests.get(digest)!.pushedAt });
      }
    }
    return out.filter((r) => r.lastPulled <= notAfter).sort((a, b) => a.lastPulled - b.lastPulled);
  }

  /** Removes one root and what only it kept; false when it changed meanwhile (moved, gone) or is immutable. */
  private evictRoot(root: Root): Promise<boolean> {
    const { repo } = root;
    return this.locks.run(repo, async () => {
      const graph = await this.index.repositoryGraph(repo);
      if (root.tag !== undefined && graph.tags.get(root.tag)?.digest !== root.digest) return false;
      const nodes = livenessNodes(graph);
      const otherRoots = [
        ...[...graph.tags].filter(([tag]) => tag !== root.tag).map(([, t]) => t.digest),
        ...untaggedRoots(graph).filter((d) => d !== root.digest),
      ];
      const keep = liveManifests(nodes, otherRoots);
      const gone = [...liveManifests(nodes, [root.digest])].filter((d) => !keep.has(d) && graph.manifests.has(d));
      try {
        if (root.tag !== undefined) await this.writes.manifests.deleteTag(repo, root.tag, SYSTEM_EVICTION, REASON);
        for (const d of gone) await ignoring(Code.MANIFEST_UNKNOWN, () => this.writes.manifests.deleteManifest(repo, parseDigest(d)!, SYSTEM_EVICTION, REASON));
      } catch (err) {
        if (hasCode(err, Code.DENIED) || hasCode(err, Code.MANIFEST_UNKNOWN)) return false; // an immutable tag, or gone already
        throw err;
      }
      const referenced = new Set<string>();
      for (const d of keep) for (const b of graph.blobs.get(d) ?? []) referenced.add(b);
      for (const link of graph.links.keys()) {
        if (!referenced.has(link)) await ignoring(Code.BLOB_UNKNOWN, () => this.writes.blobs.unlink(repo, parseDigest(link)!, SYSTEM_EVICTION));
      }
      return true; // the index forgets the pull times of deleted manifests with them
    });
  }
}

/**
 * A root's last pull: the newest pull of its manifest or of an index's children
 * (containerd resolves a tag with a HEAD, then GETs the index and its platform's
 * manifest by digest); undefined when none was recorded.
 */
function lastPulled(graph: RepositoryGraph, pulls: ReadonlyMap<string, number>): (digest: string) => number | undefined {
  return (digest) => {
    let at: number | undefined;
    for (const d of [digest, ...(graph.children.get(digest) ?? [])]) {
      const p = pulls.get(d);
      if (p !== undefined && (at === undefined || p > at)) at = p;
    }
    return at;
  };
}

function livenessNodes(graph: RepositoryGraph): Map<string, LivenessNode> {
  const nodes = new Map<string, LivenessNode>();
  for (const [digest, m] of graph.manifests) nodes.set(digest, { subject: m.subject, children: graph.children.get(digest) ?? [] });
  return nodes;
}

/** Manifests no tag reaches that are neither an index's child nor a referrer: pulled by digest, evicted on their own. */
function untaggedRoots(graph: RepositoryGraph): string[] {
  const reached = liveManifests(livenessNodes(graph), [...graph.tags.values()].map((t) => t.digest));
  const children = new Set<string>();
  for (const list of graph.children.values()) for (const c of list) children.add(c);
  return [...graph.manifests].filter(([d, m]) => !reached.has(d) && !children.has(d) && m.subject === undefined).map(([d]) => d);
}

async function ignoring(code: (typeof Code)[keyof typeof Code], run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    if (!hasCode(err, code)) throw err;
  }
}
