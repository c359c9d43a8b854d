// The shared node as test files use it: an API client, kubectl and helm with
// the node's kubeconfig, and pod helpers that read what the kubelet reports.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { helm, helmOk } from '../../harness/helm-chart.js';
import { sharedNode } from '../../harness/node/shared-node.js';
import { createRaw, getRaw, listRaw, rawPath } from '../../harness/node/raw-kinds.js';
import type { NodeInfo } from '../../harness/node/node.js';
import { clientFor, waitFor } from '../../operator/support/kube.js';

const execFileAsync = promisify(execFile);

export interface Cluster {
  info: NodeInfo;
  client: KubeClient;
  kubectl(args: string[], opts?: { timeoutMs?: number; input?: string }): Promise<string>;
  helm(args: string[]): ReturnType<typeof helm>;
  helmOk(args: string[]): Promise<string>;
  close(): void;
}

export function connect(): Cluster {
  const info = sharedNode();
  const client = clientFor(info.kubeconfig);
  return {
    info,
    client,
    async kubectl(args, opts = {}) {
      const p = execFileAsync(info.kubectl, ['--kubeconfig', info.kubeconfig, ...args], { timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 });
      if (opts.input !== undefined) p.child.stdin?.end(opts.input);
      return (await p).stdout;
    },
    helm: (args) => helm(args, { kubeconfig: info.kubeconfig, timeoutMs: 180_000 }),
    helmOk: (args) => helmOk(args, { kubeconfig: info.kubeconfig, timeoutMs: 180_000 }),
    close: () => client.close(),
  };
}

export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason?: string };
}

export interface Pod extends KubeObject {
  spec: { nodeName?: string; containers: Array<{ name: string; image: string }> };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ name: string; ready: boolean; restartCount: number; image: string; imageID: string; containerID?: string; state: ContainerState }>;
  };
}

export const isReady = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export async function pods(client: KubeClient, namespace: string, labelSelector?: string): Promise<Pod[]> {
  return listRaw<Pod>(client, 'Pod', { namespace, labelSelector });
}

/** Waits until `count` pods of the selector are Ready (and no others exist unless `extra` allows). */
export async function waitForReadyPods(client: KubeClient, namespace: string, labelSelector: string, count: number, timeoutMs = 180_000): Promise<Pod[]> {
  return waitFor(`${count} ready pod(s) ${labelSelector} in ${namespace}`, async () => {
    const list = (await pods(client, namespace, labelSelector)).filter((p) => !p.metadata.deletionTimestamp);
    return list.length === count && list.every(isReady) ? list : undefined;
  }, timeoutMs, 500);
}

export async function podEvents(client: KubeClient, namespace: string, pod: string): Promise<Array<{ reason: string; message: string; type: string }>> {
  const list = await client.list<KubeObject & { reason: string; message: string; type: string; involvedObject: { name: string; kind: string } }>('v1', 'Event', { namespace });
  return list.items.filter((e) => e.involvedObject.kind === 'Pod' && e.involvedObject.name === pod);
}

/** A one-container pod that runs `command`; its ServiceAccount (default) carries whatever pull secrets the namespace has. */
export function podSpec(name: string, namespace: string, image: string, command: string[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { 'berth.dev/test': 'node' } },
    spec: {
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{
        name: 'app', image, imagePullPolicy: 'Always', command,
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
        resources: { requests: { cpu: '5m', memory: '8Mi' } },
      }],
      ...extra,
    },
  };
}

/** Deletes pods at once (grace 0) without waiting. */
export async function deletePodsNow(client: KubeClient, namespace: string, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => client.request('DELETE', rawPath('Pod', n, namespace), { body: { gracePeriodSeconds: 0 } }).catch(() => undefined)));
}

export const getPod = (client: KubeClient, namespace: string, name: string) => getRaw<Pod>(client, 'Pod', name, namespace);
export const createPod = (client: KubeClient, pod: KubeObject) => createRaw<Pod>(client, pod);

export { waitFor };
