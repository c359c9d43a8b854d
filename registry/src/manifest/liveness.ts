// Which manifests of a repository are alive, given the roots something keeps
// (tags, young or recently touched manifests): everything a root reaches through
// index children, plus every referrer whose subject is alive (a signature or SBOM
// lives as long as the image it describes). Garbage collection's mark phase and
// retention's planning both ask this one question.

/** A manifest as liveness sees it: its children's digests and its subject. */
export interface LivenessNode {
  /** Required (possibly undefined) so a node type without it cannot pass by accident. */
  readonly subject: string | undefined;
  readonly children: readonly string[];
}

/**
 * The digests reachable from `roots`: the roots, their children recursively, and
 * the referrers of anything reachable. A digest may be reachable without being in
 * `nodes` (a child linked in no repository here); its referrers still live.
 * Linear in the number of nodes.
 */
export function liveManifests(nodes: ReadonlyMap<string, LivenessNode>, roots: Iterable<string>): Set<string> {
  const referrersOf = new Map<string, string[]>();
  for (const [value, node] of nodes) {
    if (node.subject === undefined) continue;
    const list = referrersOf.get(node.subject);
    if (list) list.push(value);
    else referrersOf.set(node.subject, [value]);
  }
  const live = new Set<string>();
  const pending = [...roots];
  while (pending.length) {
    const value = pending.pop()!;
    if (live.has(value)) continue;
    live.add(value);
    pending.push(...(nodes.get(value)?.children ?? []), ...(referrersOf.get(value) ?? []));
  }
  return live;
}
