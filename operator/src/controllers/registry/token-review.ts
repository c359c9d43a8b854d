// With `verify: both` the registry asks the API server whether a ServiceAccount
// token is still valid (TokenReview), which needs its ServiceAccount bound to
// system:auth-delegator by a ClusterRoleBinding. A namespaced Registry cannot own a
// cluster-scoped object (the garbage collector ignores such owner references), so
// a finalizer removes the binding when the Registry goes or stops needing it.
import type { Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import { addFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import { needsTokenReview } from './federation.js';
import { MANAGED_BY, REGISTRY_LABEL, registryNames } from './names.js';

export const TOKEN_REVIEW_FINALIZER = 'berth.dev/token-review-binding';
/** The ClusterRole that allows creating TokenReviews (and SubjectAccessReviews), built into Kubernetes. */
export const AUTH_DELEGATOR = 'system:auth-delegator';
const RBAC = 'rbac.authorization.k8s.io/v1';

export function tokenReviewBindingName(reg: Registry): string {
  return `berth:${reg.metadata.namespace}:${reg.metadata.name}:token-review`;
}

export function tokenReviewBinding(reg: Registry): KubeObject {
  return {
    apiVersion: RBAC,
    kind: 'ClusterRoleBinding',
    metadata: {
      name: tokenReviewBindingName(reg),
      labels: { 'app.kubernetes.io/name': 'berth-token-review', 'app.kubernetes.io/managed-by': MANAGED_BY, [REGISTRY_LABEL]: reg.metadata.name },
      annotations: { [REGISTRY_LABEL]: `${reg.metadata.namespace}/${reg.metadata.name}` },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AUTH_DELEGATOR },
    subjects: [{ kind: 'ServiceAccount', name: registryNames(reg.metadata.name).serviceAccount, namespace: reg.metadata.namespace }],
  };
}

async function deleteBinding(client: KubeClient, reg: Registry): Promise<void> {
  try {
    await client.delete(RBAC, 'ClusterRoleBinding', tokenReviewBindingName(reg));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** Applies the binding (finalizer first) or removes it, as the spec wants; returns the Registry as last written. */
export async function syncTokenReviewBinding(client: KubeClient, reg: Registry): Promise<Registry> {
  if (needsTokenReview(reg)) {
    const held = await addFinalizer(client, reg, TOKEN_REVIEW_FINALIZER);
    await client.apply(tokenReviewBinding(reg), { force: true });
    return held;
  }
  if (!hasFinalizer(reg, TOKEN_REVIEW_FINALIZER)) return reg;
  await deleteBinding(client, reg);
  return removeFinalizer(client, reg, TOKEN_REVIEW_FINALIZER);
}

/** A Registry being deleted: its binding goes, then the finalizer. */
export async function releaseTokenReviewBinding(client: KubeClient, reg: Registry): Promise<void> {
  if (!hasFinalizer(reg, TOKEN_REVIEW_FINALIZER)) return;
  await deleteBinding(client, reg);
  await removeFinalizer(client, reg, TOKEN_REVIEW_FINALIZER);
}
