// Removing a policy from namespaces: first the imagePullSecrets entries naming the
// Secret (a dangling reference helps nobody), then the Secret itself. Used for
// namespaces that stopped matching and, by the finalizer, for all of them.
import { forEachLimit } from '#contract/util/limit.js';
import type { AccessPolicy } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import type { SecretObject } from '../../kube/types.js';
import { describeError, type Failure } from './failures.js';
import { applyPullSecrets, nextPullSecrets, type ServiceAccountObject } from './service-accounts.js';

export async function removePullSecrets(client: KubeClient, policy: AccessPolicy, stale: SecretObject[], serviceAccounts: ServiceAccountObject[], limit: number): Promise<Failure[]> {
  const failures: Failure[] = [];
  const namespaces = new Set(stale.map((s) => s.metadata.namespace!));
  await forEachLimit(serviceAccounts.filter((sa) => namespaces.has(sa.metadata.namespace!)), limit, async (sa) => {
    const next = nextPullSecrets(sa, policy, false, true);
    if (!next) return;
    try {
      await applyPullSecrets(client, policy, sa, next);
    } catch (err) {
      if (!isNotFound(err)) failures.push({ namespace: sa.metadata.namespace!, ...describeError(err) });
    }
  });
  await forEachLimit(stale, limit, async (s) => {
    try {
      await client.delete('v1', 'Secret', s.metadata.name, s.metadata.namespace, s.metadata.uid);
    } catch (err) {
      if (!isNotFound(err)) failures.push({ namespace: s.metadata.namespace!, ...describeError(err) });
    }
  });
  return failures;
}
