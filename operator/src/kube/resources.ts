// The REST paths of the kinds the operator reads and writes. A static table keeps
// the operator free of discovery round-trips; every kind here is either built in
// or installed from crds/.

export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const table: ResourceType[] = [
  { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', plural: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true },
  { apiVersion: 'v1', kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true },
  { apiVersion: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'Event', plural: 'events', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', namespaced: true },
  { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs', namespaced: true },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true },
  { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', plural: 'clusterroles', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', plural: 'clusterrolebindings', namespaced: false },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', plural: 'roles', namespaced: true },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true },
  { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false },
  { apiVersion: 'berth.dev/v1alpha1', kind: 'Registry', plural: 'registries', namespaced: true },
  { apiVersion: 'berth.dev/v1alpha1', kind: 'Repository', plural: 'repositories', namespaced: true },
  { apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', plural: 'accesspolicies', namespaced: true },
];

export function resourceType(apiVersion: string, kind: string): ResourceType {
  const t = table.find((r) => r.apiVersion === apiVersion && r.kind === kind);
  if (!t) throw new Error(`unknown resource type ${apiVersion} ${kind}`);
  return t;
}

/** Collection path, e.g. /apis/apps/v1/namespaces/ns/deployments (all namespaces when ns is undefined). */
export function collectionPath(t: ResourceType, namespace?: string): string {
  const base = t.apiVersion.includes('/') ? `/apis/${t.apiVersion}` : `/api/${t.apiVersion}`;
  if (t.namespaced && namespace) return `${base}/namespaces/${encodeURIComponent(namespace)}/${t.plural}`;
  return `${base}/${t.plural}`;
}

export function objectPath(t: ResourceType, name: string, namespace?: string): string {
  if (t.namespaced && !namespace) throw new Error(`${t.kind} ${name}: namespace required`);
  return `${collectionPath(t, namespace)}/${encodeURIComponent(name)}`;
}
