// Paths of the kinds the harness and the node tests use but the operator does
// not (its client knows only its own kinds, from a static table).
import type { KubeClient } from '../../../operator/src/kube/client.js';
import { FIELD_MANAGER } from '../../../operator/src/kube/client.js';
import type { KubeObject, ObjectList } from '../../../operator/src/kube/types.js';

const KINDS: Record<string, { base: string; plural: string; namespaced: boolean }> = {
  Pod: { base: '/api/v1', plural: 'pods', namespaced: true },
  Node: { base: '/api/v1', plural: 'nodes', namespaced: false },
  PersistentVolume: { base: '/api/v1', plural: 'persistentvolumes', namespaced: false },
  StorageClass: { base: '/apis/storage.k8s.io/v1', plural: 'storageclasses', namespaced: false },
};

export type RawKind = keyof typeof KINDS;

export function rawPath(kind: RawKind, name?: string, namespace?: string): string {
  const k = KINDS[kind];
  const ns = k.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${k.base}${ns}/${k.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

export function getRaw<T extends KubeObject>(client: KubeClient, kind: RawKind, name: string, namespace?: string): Promise<T> {
  return client.request<T>('GET', rawPath(kind, name, namespace));
}

export async function listRaw<T extends KubeObject>(client: KubeClient, kind: RawKind, opts: { namespace?: string; labelSelector?: string } = {}): Promise<T[]> {
  return (await client.request<ObjectList<T>>('GET', rawPath(kind, undefined, opts.namespace), { query: { labelSelector: opts.labelSelector } })).items;
}

export function createRaw<T extends KubeObject>(client: KubeClient, obj: KubeObject): Promise<T> {
  return client.request<T>('POST', rawPath(obj.kind, undefined, obj.metadata.namespace), { body: obj });
}

/** Server-side apply of a kind outside the operator's table. */
export function applyRaw<T extends KubeObject>(client: KubeClient, obj: KubeObject): Promise<T> {
  return client.request<T>('PATCH', rawPath(obj.kind, obj.metadata.name, obj.metadata.namespace), {
    query: { fieldManager: FIELD_MANAGER, force: true },
    body: obj,
    contentType: 'application/apply-patch+yaml',
  });
}
