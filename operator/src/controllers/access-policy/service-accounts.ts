// ServiceAccount imagePullSecrets, patched only when a policy opts in. The API
// declares the list atomic, so server-side apply owns it whole: we always apply
// the complete current list plus (or minus) our one entry, under a field manager
// of our own and with the resourceVersion we read, so an entry another owner
// (Argo CD, Flux, Helm, kubectl) added in the meantime is never dropped: the
// apply fails with a conflict and the next reconcile starts from the new list.
import type { AccessPolicy } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { objectPath, resourceType } from '../../kube/resources.js';
import type { KubeObject } from '../../kube/types.js';
import { secretName, serviceAccountFieldManager } from './names.js';

export type ServiceAccountObject = KubeObject & {
  imagePullSecrets?: Array<{ name?: string }>;
};

export function wantsServiceAccount(policy: AccessPolicy, name: string): boolean {
  const list = policy.spec.serviceAccounts ?? [];
  return list.includes('*') || list.includes(name);
}

/**
 * The list to apply, or undefined when nothing changes. `selected`: the SA should
 * carry our entry. Otherwise the entry is removed only if `ours` (we added it, or
 * our Secret is being deleted): an entry a user wrote themselves stays.
 */
export function nextPullSecrets(sa: ServiceAccountObject, policy: AccessPolicy, selected: boolean, ours: boolean): Array<{ name?: string }> | undefined {
  const name = secretName(policy);
  const current = sa.imagePullSecrets ?? [];
  const has = current.some((e) => e.name === name);
  if (selected && !has) return [...current, { name }];
  if (!selected && has && ours) return current.filter((e) => e.name !== name);
  return undefined;
}

export async function applyPullSecrets(client: KubeClient, policy: AccessPolicy, sa: ServiceAccountObject, list: Array<{ name?: string }>): Promise<ServiceAccountObject> {
  const path = objectPath(resourceType('v1', 'ServiceAccount'), sa.metadata.name, sa.metadata.namespace);
  const applied = await client.request<ServiceAccountObject>('PATCH', path, {
    query: { fieldManager: serviceAccountFieldManager(policy), force: true },
    contentType: 'application/apply-patch+yaml',
    body: {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: sa.metadata.name, namespace: sa.metadata.namespace, resourceVersion: sa.metadata.resourceVersion },
      imagePullSecrets: list,
    },
  });
  // The response carries no apiVersion/kind; the watch events compared against it do.
  return { ...applied, apiVersion: 'v1', kind: 'ServiceAccount' };
}
