// Finalizers hold an object until its reconciler has cleaned up what owner
// references cannot (robot credentials, pull secrets in other namespaces, stored
// data). Every change is a merge patch carrying the resourceVersion read, so a
// reconcile working from a stale copy fails with 409 and retries from fresh state.
import type { KubeClient } from '../kube/client.js';
import { objectPath, resourceType } from '../kube/resources.js';
import type { KubeObject } from '../kube/types.js';

export function hasFinalizer(obj: KubeObject, finalizer: string): boolean {
  return obj.metadata.finalizers?.includes(finalizer) ?? false;
}

async function setFinalizers<T extends KubeObject>(client: KubeClient, obj: T, finalizers: string[]): Promise<T> {
  return client.request<T>('PATCH', objectPath(resourceType(obj.apiVersion, obj.kind), obj.metadata.name, obj.metadata.namespace), {
    body: { metadata: { finalizers, resourceVersion: obj.metadata.resourceVersion } },
    contentType: 'application/merge-patch+json',
  });
}

/** The object with `finalizer` appended (as the API server returned it), or the object itself when it has it. */
export async function addFinalizer<T extends KubeObject>(client: KubeClient, obj: T, finalizer: string): Promise<T> {
  if (hasFinalizer(obj, finalizer)) return obj;
  return setFinalizers(client, obj, [...(obj.metadata.finalizers ?? []), finalizer]);
}

/** The object without `finalizer`, or the object itself when it does not have it. */
export async function removeFinalizer<T extends KubeObject>(client: KubeClient, obj: T, finalizer: string): Promise<T> {
  if (!hasFinalizer(obj, finalizer)) return obj;
  return setFinalizers(client, obj, obj.metadata.finalizers!.filter((f) => f !== finalizer));
}
