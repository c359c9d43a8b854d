// Wires the AccessPolicy reconciler to its watches. Everything maps back to
// policy keys (level-triggered): a namespace appearing or relabelled, a pull
// secret or the kubelet RBAC edited or deleted by hand, a ServiceAccount created
// or recreated (a new uid to grant), the Registry changing. The Secret, Namespace and ServiceAccount watches span the cluster
// even when the operator's own kinds are watched in one namespace, because
// pull secrets live in the application namespaces.
import { API_VERSION } from '../../api/types.js';
import type { KubeObject } from '../../kube/types.js';
import { Controller, type ControllerSettings } from '../../runtime/controller.js';
import type { ControllerDeps } from '../deps.js';
import { REGISTRY_LABEL } from '../registry/names.js';
import { KUBELET_RBAC_COMPONENT, RBAC_API } from './kubelet-rbac.js';
import { POLICY_ANNOTATION, POLICY_UID_LABEL, policyKey } from './names.js';
import { OwnWrites } from './own-writes.js';
import { registryPolicies, type AccessPolicyCaches } from './pass.js';
import { POLICY_SECRET_COMPONENT, PolicyStateStore } from './policy-secret.js';
import { accessPolicyReconciler } from './reconcile.js';

export interface AccessPolicyControllerSettings extends ControllerSettings {
  /** How long a new secret waits in the registry's policy before pull secrets switch to it. */
  propagationMs: number;
}

export function accessPolicyController({ client, events, log, metrics }: ControllerDeps, settings: AccessPolicyControllerSettings): Controller<AccessPolicyCaches> {
  const { propagationMs, ...runtime } = settings;
  const store = new PolicyStateStore(client, log);
  const ownWrites = new OwnWrites();
  const policiesOf = (caches: AccessPolicyCaches, namespace: string | undefined, registry: string | undefined) =>
    registryPolicies(caches.policies.list(), namespace, registry).map(policyKey);
  // Objects in other namespaces (or none) name their policy in an annotation.
  const annotatedPolicy = (obj: KubeObject): string[] => {
    const key = obj.metadata.annotations?.[POLICY_ANNOTATION];
    // An operator restricted to one namespace leaves other namespaces' policies to their operator.
    const inScope = !!key && (!runtime.namespace || key.startsWith(`${runtime.namespace}/`));
    return inScope && !ownWrites.isOwn(obj) ? [key] : [];
  };
  const kubeletRbac = `app.kubernetes.io/name=${KUBELET_RBAC_COMPONENT}`;

  return new Controller<AccessPolicyCaches>(client, {
    ...runtime,
    name: 'accesspolicy',
    watches: {
      policies: { apiVersion: API_VERSION, kind: 'AccessPolicy', toKeys: (p) => (ownWrites.isOwn(p) ? [] : [policyKey(p)]) },
      namespaces: { apiVersion: 'v1', kind: 'Namespace', toKeys: (_ns, caches) => caches.policies.list().map(policyKey) },
      pullSecrets: { apiVersion: 'v1', kind: 'Secret', labelSelector: POLICY_UID_LABEL, clusterWide: true, toKeys: annotatedPolicy },
      // The kubelet RBAC of ServiceAccount-token policies: edited or deleted by hand, it is rewritten.
      kubeletRoles: { apiVersion: RBAC_API, kind: 'ClusterRole', labelSelector: kubeletRbac, toKeys: annotatedPolicy },
      kubeletRoleBindings: { apiVersion: RBAC_API, kind: 'ClusterRoleBinding', labelSelector: kubeletRbac, toKeys: annotatedPolicy },
      serviceAccounts: {
        apiVersion: 'v1', kind: 'ServiceAccount', clusterWide: true,
        toKeys: (sa, caches) => (ownWrites.isOwn(sa) ? [] : caches.policies.list().filter((p) => (p.spec.serviceAccounts ?? []).length > 0).map(policyKey)),
      },
      registries: { apiVersion: API_VERSION, kind: 'Registry', toKeys: (reg, caches) => policiesOf(caches, reg.metadata.namespace, reg.metadata.name) },
      policySecrets: {
        // The registry's policy Secret: edited or deleted by someone else, it is rewritten.
        apiVersion: 'v1', kind: 'Secret', labelSelector: `app.kubernetes.io/name=${POLICY_SECRET_COMPONENT}`,
        toKeys: (s, caches) => (store.observe(s) ? policiesOf(caches, s.metadata.namespace, s.metadata.labels?.[REGISTRY_LABEL]) : []),
      },
    },
  }, (caches) => accessPolicyReconciler({ client, events, caches, store, ownWrites, propagationMs }), log, metrics);
}
