// What a kubelet needs before it may ask for a ServiceAccount token with the
// registry's audience (ServiceAccountNodeAudienceRestriction, on by default since
// Kubernetes 1.33): the verb request-serviceaccounts-token-audience on the
// resource <audience>. One ClusterRole and one ClusterRoleBinding to system:nodes
// per AccessPolicy, with resourceNames = the granted ServiceAccounts' names, so
// nodes get that audience for those ServiceAccounts only. An empty resourceNames
// would mean every ServiceAccount, so with none granted there is no role at all.
// Cluster-scoped objects cannot be owned by a namespaced policy: they carry the
// policy's labels (watched, so an edit or deletion is repaired) and the policy's
// finalizer deletes them.
import type { AccessPolicy } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { canonicalJson } from '../../runtime/canonical-json.js';
import { MANAGED_BY } from '../registry/names.js';
import { hashSuffix } from './hash-name.js';
import { POLICY_ANNOTATION, POLICY_UID_LABEL, policyKey } from './names.js';
import type { OwnWrites } from './own-writes.js';

export const RBAC_API = 'rbac.authorization.k8s.io/v1';
export const KUBELET_RBAC_COMPONENT = 'berth-kubelet-audience';
export const AUDIENCE_VERB = 'request-serviceaccounts-token-audience';
/** The group every kubelet's credential is in. */
export const NODES_GROUP = 'system:nodes';

export type RbacObject = KubeObject & { rules?: unknown[]; roleRef?: unknown; subjects?: unknown[] };

/** `berth:kubelet-audience:<namespace>:<policy>`, shortened with a hash beyond the 253 characters a name may have. */
export function kubeletRbacName(policy: AccessPolicy): string {
  return hashSuffix(`berth:kubelet-audience:${policy.metadata.namespace}:${policy.metadata.name}`, 253);
}

/** The ClusterRole and its binding, or nothing when no ServiceAccount is granted. */
export function desiredKubeletRbac(policy: AccessPolicy, audience: string, serviceAccountNames: string[]): RbacObject[] {
  if (serviceAccountNames.length === 0) return [];
  const name = kubeletRbacName(policy);
  const metadata = {
    name,
    labels: { 'app.kubernetes.io/name': KUBELET_RBAC_COMPONENT, 'app.kubernetes.io/managed-by': MANAGED_BY, 'berth.dev/registry': policy.spec.registryRef.name, [POLICY_UID_LABEL]: policy.metadata.uid! },
    annotations: { [POLICY_ANNOTATION]: policyKey(policy) },
  };
  return [
    {
      apiVersion: RBAC_API, kind: 'ClusterRole', metadata,
      rules: [{ apiGroups: [''], resources: [audience], verbs: [AUDIENCE_VERB], resourceNames: [...serviceAccountNames].sort() }],
    },
    {
      apiVersion: RBAC_API, kind: 'ClusterRoleBinding', metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: NODES_GROUP }],
    },
  ];
}

/** Whether `live` already has every field we set (labels and annotations others add are theirs). */
export function rbacUpToDate(live: RbacObject | undefined, want: RbacObject): boolean {
  if (!live) return false;
  const has = (mine: Record<string, string> | undefined, theirs: Record<string, string> | undefined) => Object.entries(mine ?? {}).every(([k, v]) => theirs?.[k] === v);
  return has(want.metadata.labels, live.metadata.labels) && has(want.metadata.annotations, live.metadata.annotations)
    && canonicalJson(live.rules ?? null) === canonicalJson(want.rules ?? null)
    && canonicalJson(live.roleRef ?? null) === canonicalJson(want.roleRef ?? null)
    && canonicalJson(live.subjects ?? null) === canonicalJson(want.subjects ?? null);
}

export interface KubeletRbacLive {
  role?: RbacObject;
  binding?: RbacObject;
}

/** The policy's objects in the caches, found by name and confirmed by the policy UID label. */
export function liveKubeletRbac(policy: AccessPolicy, roles: RbacObject[], bindings: RbacObject[]): KubeletRbacLive {
  const name = kubeletRbacName(policy);
  const ours = (o: RbacObject) => o.metadata.name === name && o.metadata.labels?.[POLICY_UID_LABEL] === policy.metadata.uid;
  return { role: roles.find(ours), binding: bindings.find(ours) };
}

/**
 * Applies what is wanted and not yet there, or deletes what is there and no longer
 * wanted: the role before its binding on the way in, the binding first on the way out.
 */
export async function syncKubeletRbac(client: KubeClient, want: RbacObject[], live: KubeletRbacLive, ownWrites: OwnWrites): Promise<void> {
  if (want.length === 0) {
    for (const obj of [live.binding, live.role]) if (obj) await deleteRbac(client, obj.kind, obj.metadata.name);
    return;
  }
  for (const obj of want) {
    const current = obj.kind === 'ClusterRole' ? live.role : live.binding;
    if (!rbacUpToDate(current, obj)) ownWrites.record(await client.apply<RbacObject>(obj, { force: true }));
  }
}

/** The finalizer's part: both objects, whatever the caches say. */
export async function removeKubeletRbac(client: KubeClient, policy: AccessPolicy): Promise<void> {
  const name = kubeletRbacName(policy);
  await deleteRbac(client, 'ClusterRoleBinding', name);
  await deleteRbac(client, 'ClusterRole', name);
}

async function deleteRbac(client: KubeClient, kind: string, name: string): Promise<void> {
  try {
    await client.delete(RBAC_API, kind, name);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}
