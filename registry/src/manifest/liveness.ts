// Which manifests of a repository are alive, given the roots something keeps
// (tags, young or recently touched manifests): everything a root reaches through
// index children, plus every referrer whose subject is alive (a signature or SBOM
// lives as long as the image it describes). Garbage collection's mark phase and
// retention's planning both ask this one question.

/** A manifest as liveness sees it: its digest's children and its subject. */
export interface LivenessNode {
  /** Required (possibly undefined) so a node type without it cannot pass by accident. */
  readonly subject: string | undefined;
  readonly children: ReadonlyArray<{ readonly value: string }>;
}

/**
 * The digests reachable from `roots`: the roots, their children recursively, and
 * the referrers of anything reachable, until nothing changes. A digest may be
 * reachable without being in `nodes` (a child linked in no repository here).
 */
export function liveManifests(nodes: ReadonlyMap<string, LivenessNode>, roots: Iterable<string>): Set<string> {
  const live = new Set<string>();
  const pending = [...roots];
  const drain = () => {
    while (pending.length) {
      const value = pending.pop()!;
      if (live.has(value)) continue;
      live.add(value);
      for (const child of nodes.get(value)?.children ?? []) pending.push(child.value);
    }
  };
  drain();
  for (let changed = true; changed;) {
    changed = false;
    for (const [value, node] of nodes) {
      if (!live.has(value) && node.subject !== undefined && live.has(node.subject)) {
        pending.push(value);
        drain();
        changed = true;
      }
    }
  }
  return live;
}
