// Wires the AccessPolicy reconciler to its watches. Everything maps back to
// policy keys (level-triggered): a namespace appearing or relabelled, a pull
// secret edited or deleted by hand, a ServiceAccount created, the Registry
// changing. The Secret, Namespace and ServiceAccount watches span the cluster
// even when the operator's own kinds are watched in one namespace, because
// pull secrets live in the application namespaces.
import { API_VERSION, type AccessPolicy } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import type { KubeObject } from '../../kube/types.js';
import { Controller } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { Logger } from '../../runtime/logger.js';
import type { OperatorMetrics } from '../../runtime/metrics.js';
import { POLICY_ANNOTATION, POLICY_UID_LABEL, policyKey } from './names.js';
import type { SecretObject } from './pull-secrets.js';
import { accessPolicyReconciler } from './reconcile.js';
import { OwnWrites } from './own-writes.js';
import { POLICY_SECRET_COMPONENT, PolicyStateStore } from './policy-secret.js';
import { REGISTRY_LABEL } from '../registry/names.js';
import type { ServiceAccountObject } from './service-accounts.js';

export interface AccessPolicyControllerOptions {
  namespace?: string;
  resyncMs: number;
  workers: number;
  backoffMaxMs: number;
  propagationMs: number;
}

export function accessPolicyController(client: KubeClient, events: EventRecorder, opts: AccessPolicyControllerOptions, log: Logger, metrics: OperatorMetrics): Controller {
  // The reconciler reads the caches of the controller that calls it.
  let controller: Controller | undefined;
  const cached = <T extends KubeObject>(apiVersion: string, kind: string) => (controller?.cached(apiVersion, kind) ?? []) as T[];
  const policies = () => cached<AccessPolicy>(API_VERSION, 'AccessPolicy');
  const allPolicies = () => policies().map(policyKey);
  const withServiceAccounts = () => policies().filter((p) => (p.spec.serviceAccounts ?? []).length > 0).map(policyKey);

  const store = new PolicyStateStore(client);
  const ownWrites = new OwnWrites();
  const registryPolicies = (namespace: string | undefined, registry: string | undefined) =>
    policies().filter((p) => p.metadata.namespace === namespace && p.spec.registryRef.name === registry).map(policyKey);
  const reconcile = accessPolicyReconciler({
    client,
    store,
    ownWrites,
    events,
    propagationMs: opts.propagationMs,
    caches: {
      synced: () => controller?.hasSynced() ?? false,
      policies,
      namespaces: () => cached('v1', 'Namespace'),
      pullSecrets: () => cached<SecretObject>('v1', 'Secret'),
      serviceAccounts: () => cached<ServiceAccountObject>('v1', 'ServiceAccount'),
    },
  });

  controller = new Controller(client, {
    name: 'accesspolicy',
    primary: { apiVersion: API_VERSION, kind: 'AccessPolicy', toKeys: (p) => (ownWrites.isOwn(p) ? [] : [policyKey(p as AccessPolicy)]) },
    watches: [
      { apiVersion: 'v1', kind: 'Namespace', toKeys: allPolicies },
      {
        apiVersion: 'v1', kind: 'Secret', labelSelector: POLICY_UID_LABEL, clusterWide: true,
        toKeys: (s) => {
          const key = s.metadata.annotations?.[POLICY_ANNOTATION];
          // An operator restricted to one namespace leaves other namespaces' policies to their operator.
          const inScope = !!key && (!opts.namespace || key.startsWith(`${opts.namespace}/`));
          return inScope && !ownWrites.isOwn(s) ? [key] : [];
        },
      },
      { apiVersion: 'v1', kind: 'ServiceAccount', clusterWide: true, toKeys: (sa) => (ownWrites.isOwn(sa) ? [] : withServiceAccounts()) },
      { apiVersion: API_VERSION, kind: 'Registry', toKeys: (reg) => registryPolicies(reg.metadata.namespace, reg.metadata.name) },
      {
        // The registry's policy Secret: edited or deleted by someone else, it is rewritten.
        apiVersion: 'v1', kind: 'Secret', labelSelector: `app.kubernetes.io/name=${POLICY_SECRET_COMPONENT}`,
        toKeys: (s) => (store.observe(s) ? registryPolicies(s.metadata.namespace, s.metadata.labels?.[REGISTRY_LABEL]) : []),
      },
    ],
    namespace: opts.namespace,
    resyncMs: opts.resyncMs,
    workers: opts.workers,
    backoff: { baseMs: 5, maxMs: opts.backoffMaxMs },
  }, reconcile, log, metrics);
  return controller;
}
