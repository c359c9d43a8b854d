// Server-side apply of a reconciler's desired objects, then pruning of the
// objects it applied earlier but no longer wants. Ownership of what to prune is
// decided by label (the owner's instance label) and confirmed by the controller
// ownerReference UID, so objects of another owner that happen to match the
// label are never touched.
import type { KubeClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { KubeObject } from '../kube/types.js';

export interface PruneScope {
  namespace: string;
  /** Label selector matching every object the owner ever applied. */
  labelSelector: string;
  ownerUid: string;
  /** Kinds the owner may have applied, so stale objects of kinds it no longer produces are found too. */
  kinds: Array<{ apiVersion: string; kind: string }>;
}

export interface ApplyOutcome {
  applied: KubeObject[];
  pruned: KubeObject[];
}

const identity = (o: { apiVersion: string; kind: string; metadata: { name: string } }) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`;

export async function applyAll(client: KubeClient, desired: KubeObject[], prune: PruneScope): Promise<ApplyOutcome> {
  const applied: KubeObject[] = [];
  for (const obj of desired) applied.push(await client.apply<KubeObject>(obj, { force: true }));
  const wanted = new Set(desired.map(identity));
  const pruned: KubeObject[] = [];
  for (const { apiVersion, kind } of prune.kinds) {
    const existing = await client.list(apiVersion, kind, { namespace: prune.namespace, labelSelector: prune.labelSelector });
    for (const obj of existing.items) {
      if (wanted.has(identity(obj))) continue;
      const ownedByUs = (obj.metadata.ownerReferences ?? []).some((r) => r.uid === prune.ownerUid && r.controller);
      if (!ownedByUs) continue;
      try {
        await client.delete(apiVersion, kind, obj.metadata.name, obj.metadata.namespace, obj.metadata.uid);
        pruned.push(obj);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
  }
  return { applied, pruned };
}
