// The kubelet refreshes a Secret volume when it syncs the pod, which it does on its
// own about once a minute: a policy change would reach the registry pods that late.
// Any change to a pod makes the kubelet sync it at once, and the sync re-reads the
// pod's Secret volumes. So after the policy Secret or a robot shard changes, each registry pod gets
// an annotation naming the policy's revision; the registry's file watch then loads
// the new file within a second. The registry pods need no API access for this. A
// nudge that fails leaves that pod on the kubelet's own schedule, nothing worse.
import { createHash } from 'node:crypto';
import type { Registry } from '../../api/types.js';
import type { KubeClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { objectPath, resourceType } from '../../kube/resources.js';
import type { KubeObject } from '../../kube/types.js';
import type { Logger } from '../../runtime/logger.js';
import { POLICY_FILE_KEY } from '../registry/config.js';
import { REGISTRY_COMPONENT, selectorLabels } from '../registry/names.js';
import { ROBOT_FILE_KEY } from './robot-shards.js';

export const POLICY_REVISION_ANNOTATION = 'berth.dev/policy-revision';

/** A short digest of the rendered policy file and robot files: what the pods' annotation carries. */
export function policyRevision(data: Record<string, string>, shards: ReadonlyArray<Record<string, string> | undefined> = []): string {
  const hash = createHash('sha256').update(data[POLICY_FILE_KEY] ?? '');
  for (const shard of shards) hash.update('\n').update(shard?.[ROBOT_FILE_KEY] ?? '');
  return hash.digest('hex').slice(0, 16);
}

/** Annotates every running registry pod that does not carry `revision` yet; returns how many were patched. */
export async function nudgeRegistryPods(client: KubeClient, reg: Registry, revision: string, log: Logger): Promise<number> {
  const labelSelector = Object.entries(selectorLabels(reg, REGISTRY_COMPONENT)).map(([k, v]) => `${k}=${v}`).join(',');
  let pods: KubeObject[];
  try {
    pods = (await client.list<KubeObject>('v1', 'Pod', { namespace: reg.metadata.namespace, labelSelector })).items;
  } catch (err) {
    log.warn('could not list the registry pods to deliver the policy', { registry: reg.metadata.name, error: (err as Error).message });
    return 0;
  }
  let nudged = 0;
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp || pod.metadata.annotations?.[POLICY_REVISION_ANNOTATION] === revision) continue;
    try {
      await client.request('PATCH', objectPath(resourceType('v1', 'Pod'), pod.metadata.name, pod.metadata.namespace), {
        body: { metadata: { annotations: { [POLICY_REVISION_ANNOTATION]: revision } } },
        contentType: 'application/merge-patch+json',
      });
      nudged++;
    } catch (err) {
      if (!isNotFound(err)) log.warn('could not annotate a registry pod with the policy revision', { pod: pod.metadata.name, error: (err as Error).message });
    }
  }
  return nudged;
}
