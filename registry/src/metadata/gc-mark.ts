// The mark phase of garbage collection over the index, one repository at a time:
// the same rules as the storage walk in gc/collector.ts.
//
//   roots: every tag's manifest; every untagged manifest without a subject unless
//          `deleteUntagged`; any manifest pushed after the cutoff or recently
//          touched (`recent`)
//   live:  roots, their child manifests recursively, and referrers (manifests
//          whose subject is live), recursively
//   every live manifest marks its own digest and the blobs it references
import { liveManifests, type LivenessNode } from '../manifest/liveness.js';
import type { RepositoryGraph } from './reads/graph.js';

export interface MarkOptions {
  /** Content pushed at or after this time is live whatever else holds. */
  readonly cutoff: number;
  readonly deleteUntagged: boolean;
  /** Whether a manifest was touched (GC marker) since the cutoff; only asked about would-be garbage. */
  readonly recent?: (digest: string) => Promise<boolean>;
}

export interface RepositoryMark {
  readonly repo: string;
  readonly live: Set<string>;
  readonly garbage: Array<{ digest: string; reason: 'untagged' | 'subject-deleted' }>;
  /** Blobs referenced by the repository's live manifests (their links stay, the blobs are marked). */
  readonly referencedBlobs: Set<string>;
  /** Layer links no live manifest references, with when each was linked: the sweep decides by age. */
  readonly unreferencedLinks: Array<{ digest: string; linkedAt: number }>;
}

export async function markRepository(graph: RepositoryGraph, options: MarkOptions): Promise<RepositoryMark> {
  const roots = new Set<string>();
  for (const { digest } of graph.tags.values()) roots.add(digest);
  for (const [digest, m] of graph.manifests) {
    if (roots.has(digest)) continue;
    if (!options.deleteUntagged && !m.subject) roots.add(digest);
    else if (m.pushedAt >= options.cutoff || (await options.recent?.(digest))) roots.add(digest);
  }
  const nodes = new Map<string, LivenessNode>();
  for (const [digest, m] of graph.manifests) nodes.set(digest, { subject: m.subject, children: graph.children.get(digest) ?? [] });
  const live = liveManifests(nodes, roots);

  const referencedBlobs = new Set<string>();
  const garbage: RepositoryMark['garbage'] = [];
  for (const [digest, m] of graph.manifests) {
    if (live.has(digest)) for (const b of graph.blobs.get(digest) ?? []) referencedBlobs.add(b);
    else garbage.push({ digest, reason: m.subject ? 'subject-deleted' : 'untagged' });
  }
  const unreferencedLinks: RepositoryMark['unreferencedLinks'] = [];
  for (const [digest, linkedAt] of graph.links) {
    if (!referencedBlobs.has(digest)) unreferencedLinks.push({ digest, linkedAt });
  }
  return { repo: graph.repo, live, garbage, referencedBlobs, unreferencedLinks };
}
