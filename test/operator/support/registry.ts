// Registry-specific test helpers.
import type { Condition } from '../../../operator/src/api/conditions.js';
import type { Registry } from '../../../operator/src/api/types.js';
import type { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { waitFor } from './kube.js';

export const REGISTRY_API = 'berth.dev/v1alpha1';

export function registryPath(namespace: string, name: string): string {
  return `/apis/berth.dev/v1alpha1/namespaces/${namespace}/registries/${name}`;
}

export async function createRegistry(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<Registry> {
  return client.create<Registry>({ apiVersion: REGISTRY_API, kind: 'Registry', metadata: { name, namespace }, spec });
}

export async function patchRegistrySpec(client: KubeClient, namespace: string, name: string, spec: Record<string, unknown>): Promise<Registry> {
  return client.request<Registry>('PATCH', registryPath(namespace, name), { body: { spec }, contentType: 'application/merge-patch+json' });
}

export function condition(reg: Registry | undefined, type: string): Condition | undefined {
  return reg?.status?.conditions?.find((c) => c.type === type);
}

/** Waits until the Registry's status satisfies `ok` (and was computed for the current generation). */
export async function waitForStatus(client: KubeClient, namespace: string, name: string, what: string, ok: (r: Registry) => boolean, timeoutMs = 60_000): Promise<Registry> {
  return waitFor(`Registry ${namespace}/${name}: ${what}`, async () => {
    const reg = await client.get<Registry>(REGISTRY_API, 'Registry', name, namespace);
    return reg.status?.observedGeneration === reg.metadata.generation && ok(reg) ? reg : undefined;
  }, timeoutMs);
}

export async function waitForObject<T extends KubeObject>(client: KubeClient, apiVersion: string, kind: string, name: string, namespace: string | undefined, ok: (o: T) => boolean = () => true, timeoutMs = 60_000): Promise<T> {
  return waitFor(`${kind} ${namespace ?? ''}/${name}`, async () => {
    const o = await client.getOptional<T>(apiVersion, kind, name, namespace);
    return o && ok(o) ? o : undefined;
  }, timeoutMs);
}

export async function waitForGone(client: KubeClient, apiVersion: string, kind: string, name: string, namespace: string | undefined, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${kind} ${namespace ?? ''}/${name} to be deleted`, async () => !(await client.getOptional(apiVersion, kind, name, namespace)), timeoutMs);
}

export async function eventReasons(client: KubeClient, namespace: string, name: string, kind = 'Registry'): Promise<string[]> {
  const list = await client.list<KubeObject & { reason: string; involvedObject: { name: string; kind: string } }>('v1', 'Event', { namespace });
  return list.items.filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name).map((e) => e.reason);
}
