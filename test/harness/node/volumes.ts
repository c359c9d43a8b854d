// Storage on the node: a default StorageClass without a provisioner, and static
// `local` PersistentVolumes in the node's work directory that claims of that
// class bind to (WaitForFirstConsumer: when their pod is scheduled). `local`
// rather than hostPath because the kubelet applies the pod's fsGroup to local
// volumes, so the registry (65532) and MinIO (1000) can write to them as they
// would to a provisioned disk.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { NODE_NAME } from './kubelet.js';
import { createRaw, listRaw } from './raw-kinds.js';

export const STORAGE_CLASS = 'berth-local';
/** Larger than any claim of the examples (20Gi, 100Gi); the size is nominal, the disk is shared. */
const CAPACITY = '500Gi';
export const VOLUME_LABEL = 'berth.dev/test-volume';

export function storageClass(): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'kubernetes.io/no-provisioner',
    volumeBindingMode: 'WaitForFirstConsumer',
    reclaimPolicy: 'Retain',
  };
}

export function localVolume(name: string, path: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: { [VOLUME_LABEL]: 'true' } },
    spec: {
      capacity: { storage: CAPACITY },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: STORAGE_CLASS,
      local: { path },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE_NAME] }] }] } },
    },
  };
}

/** Adds `count` unbound volumes under `dir`; returns their names. */
export async function addLocalVolumes(client: KubeClient, dir: string, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `local-${Date.now().toString(36)}-${i}`;
    const path = join(dir, name);
    mkdirSync(path, { recursive: true, mode: 0o755 });
    await createRaw(client, localVolume(name, path));
    names.push(name);
  }
  return names;
}

/** Volumes no claim has taken yet. */
export async function availableVolumes(client: KubeClient): Promise<number> {
  const list = await listRaw<KubeObject & { status?: { phase?: string } }>(client, 'PersistentVolume', { labelSelector: `${VOLUME_LABEL}=true` });
  return list.filter((pv) => pv.status?.phase === 'Available').length;
}
