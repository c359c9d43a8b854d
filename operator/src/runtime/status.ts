// Status is published once per reconcile, through the /status subresource with
// server-side apply, and only when it differs from what the object reports.
// Carrying the resourceVersion read makes the write fail with 409 if the object
// changed since, so a status computed from an older spec is never published.
import type { KubeClient } from '../kube/client.js';
import type { KubeObject } from '../kube/types.js';
import { canonicalJson } from './canonical-json.js';

/** Writes `status`; returns the updated object, or undefined when the status was already current. */
export async function writeStatus<T extends KubeObject & { status?: unknown }>(client: KubeClient, obj: T, status: NonNullable<T['status']>): Promise<T | undefined> {
  if (canonicalJson(status) === canonicalJson(obj.status ?? {})) return undefined;
  return client.apply<T>({
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: { name: obj.metadata.name, namespace: obj.metadata.namespace, resourceVersion: obj.metadata.resourceVersion },
    status,
  }, { subresource: 'status' });
}
