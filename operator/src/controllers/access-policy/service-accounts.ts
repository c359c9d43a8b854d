// ServiceAccount imagePullSecrets, patched only when a policy opts in. The API
// declares the list atomic, so server-side apply owns it whole: we always apply
// the complete current list plus (or minus) our one entry, under a field manager
// of our own and with the resourceVersion we read, so an entry another owner
// (Argo CD, Flux, Helm, kubectl) added in the meantime is never dropped: the
// apply fails with a conflict and the next reconcile starts from the new list.
import { forEachLimit } from '#contract/util/limit.js';
import type { AccessPolicy } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { objectPath, resourceType } from '../../kube/resources.js';
import type { KubeObject } from '../../kube/types.js';
import { describeError, type Failure } from './failures.js';
import { robotName, secretName, serviceAccountFieldManager } from './names.js';
import type { OwnWrites } from './own-writes.js';
import type { RobotState } from './state.js';

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

export interface ServiceAccountSync {
  /** Every ServiceAccount in the cache. */
  serviceAccounts: ServiceAccountObject[];
  /** The namespaces the policy selects (others are left to removePullSecrets). */
  selected: Set<string>;
  /** The namespaces whose pull secret exists and is current. */
  written: Set<string>;
  /** The policy's robots by name: where each records the ServiceAccounts it added its entry to. */
  robots: Record<string, RobotState>;
}

/**
 * Adds the pull secret to the ServiceAccounts the policy names, only where the Secret
 * exists, and removes it from those that should no longer carry it. An entry is removed
 * only from a ServiceAccount recorded as given it by us: the list is atomic, so its
 * managedFields owner changes with every writer and cannot tell whose entry it is.
 */
export async function syncServiceAccounts(client: KubeClient, policy: AccessPolicy, sync: ServiceAccountSync, limit: number, ownWrites: OwnWrites): Promise<Failure[]> {
  const work: Array<{ sa: ServiceAccountObject; list: Array<{ name?: string }>; robot: RobotState; want: boolean }> = [];
  for (const sa of sync.serviceAccounts) {
    const ns = sa.metadata.namespace!;
    if (!sync.selected.has(ns)) continue;
    const robot = sync.robots[robotName(policy.metadata.name, ns)];
    const recorded = robot.serviceAccounts?.includes(sa.metadata.name) ?? false;
    const want = sync.written.has(ns) && wantsServiceAccount(policy, sa.metadata.name);
    if (!want && !recorded) continue;
    const list = nextPullSecrets(sa, policy, want, recorded);
    if (list) work.push({ sa, list, robot, want });
    else if (!want) robot.serviceAccounts = robot.serviceAccounts!.filter((n) => n !== sa.metadata.name);
  }
  const failures: Failure[] = [];
  await forEachLimit(work, limit, async ({ sa, list, robot, want }) => {
    try {
      ownWrites.record(await applyPullSecrets(client, policy, sa, list));
      const others = (robot.serviceAccounts ?? []).filter((n) => n !== sa.metadata.name);
      robot.serviceAccounts = want ? [...others, sa.metadata.name].sort() : others;
    } catch (err) {
      if (!isNotFound(err)) failures.push({ namespace: sa.metadata.namespace!, ...describeError(err) });
    }
  });
  for (const robot of Object.values(sync.robots)) if (robot.serviceAccounts?.length === 0) delete robot.serviceAccounts;
  return failures;
}
