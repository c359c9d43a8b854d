// A real single-node cluster next to the test control plane: containerd (CRI,
// runc, CNI bridge), the kubelet, kube-scheduler, kube-proxy, a controller
// manager with the workload controllers, CoreDNS, a default StorageClass with
// local volumes, and the project's images imported. Started by the `node` jest
// project's global setup; stop() removes every process, mount, network
// namespace, bridge, iptables chain and cgroup it made, then checks that
// nothing is left.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { binDir } from '../control-plane/binaries.js';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { freePort } from '../control-plane/ports.js';
import { stateDir, startProcess, type ManagedProcess } from '../control-plane/processes.js';
import { clusterDnsObjects } from './cluster-dns.js';
import { installCredentialProvider } from './credential-provider.js';
import { startContainerd, type Containerd } from './containerd.js';
import { mountsUnder, netnsList } from './host-state.js';
import { buildImages, importImages, type ImageSet } from './images.js';
import { startKubeProxy } from './kube-proxy.js';
import { NODE_NAME, startKubelet } from './kubelet.js';
import { NODE_NETWORK, setUpNetwork, type NodeNetwork } from './network.js';
import { assertMachineCanRunNode } from './preflight.js';
import { applyRaw, getRaw } from './raw-kinds.js';
import { CERTS_DIR, HOST_DIRS, tearDown, writeState, type Created } from './teardown.js';
import { addLocalVolumes, storageClass } from './volumes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { CERTS_DIR };
/** Local volumes made at start-up (each example Registry takes one or two). */
const INITIAL_VOLUMES = 8;

/** What test files (other processes) need to use the node; written as JSON by the global setup. */
export interface NodeInfo {
  kubeconfig: string;
  server: string;
  dir: string;
  nodeName: string;
  net: NodeNetwork;
  containerdSocket: string;
  certsDir: string;
  volumesDir: string;
  kubectl: string;
  images: ImageSet;
  /** Seconds of each start-up phase, and in all. */
  timings: Record<string, number>;
}

export interface RunningNode {
  info: NodeInfo;
  stop(opts?: { keepDir?: boolean }): Promise<string[]>;
}


async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, watch: ManagedProcess[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    for (const p of watch) if (p.child.exitCode !== null) throw new Error(`${p.name} exited while waiting for ${what}; see ${p.logFile}`);
    try {
      if (await check()) return;
    } catch (err) {
      last = String(err);
    }
    if (Date.now() > deadline) throw new Error(`${what} not reached after ${timeoutMs} ms ${last}`);
    await sleep(200);
  }
}

function client(kubeconfig: string): KubeClient {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return new KubeClient(kc);
}

/** Binds the work dir's certs.d over /etc/containerd/certs.d, creating the mount point (and noting what it created). */
function bindCertsDir(source: string, created: Created): void {
  for (const d of ['/etc/containerd', CERTS_DIR]) {
    if (!existsSync(d)) {
      mkdirSync(d);
      created.certsDirsMade.push(d);
    }
  }
  mkdirSync(source, { recursive: true });
  if (mountsUnder([CERTS_DIR]).length) throw new Error(`${CERTS_DIR} is already a mount point: another node running?`);
  execFileSync('mount', ['--bind', source, CERTS_DIR], { stdio: ['ignore', 'ignore', 'pipe'] });
}

export async function startNode(log: (m: string) => void = () => {}): Promise<RunningNode> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const lap = (phase: string, since: number) => (timings[phase] = (Date.now() - since) / 1000);
  assertMachineCanRunNode(binDir);
  const net = NODE_NETWORK;
  mkdirSync(stateDir, { recursive: true });
  const dir = mkdtempSync(join(stateDir, 'node-'));
  const created: Created = { certsDirsMade: [], netnsBefore: new Set(netnsList()), processes: [], hostDirsMade: HOST_DIRS.filter((d) => !existsSync(d)) };
  let images: ImageSet | undefined;
  let plane: ControlPlane | undefined;
  let containerd: Containerd | undefined;
  const processes: ManagedProcess[] = [];
  const track = (p: ManagedProcess) => {
    processes.push(p);
    created.processes.push({ pid: p.child.pid!, binary: p.binary });
    writeState(dir, created);
    return p;
  };
  writeState(dir, created);

  const stop = async (opts: { keepDir?: boolean } = {}): Promise<string[]> =>
    tearDown({ dir, net, plane, containerd, processes, created, keepDir: opts.keepDir ?? false });

  try {
    let t = Date.now();
    images = await buildImages(log);
    lap('images', t);

    t = Date.now();
    created.network = setUpNetwork(net);
    writeState(dir, created);
    bindCertsDir(join(dir, 'certs.d'), created);
    writeState(dir, created);
    containerd = await startContainerd({ dir: join(dir, 'containerd'), net, sandboxImage: images.pause.ref, certsDir: CERTS_DIR });
    track(containerd.process);
    const c = containerd;
    const imported = (async () => {
      const ti = Date.now();
      await importImages(c, images);
      lap('imageImport', ti);
    })();
    const tp = Date.now();
    plane = await startControlPlane({
      name: `node-${process.pid}`,
      controllerManager: true,
      installCrds: true,
      node: { address: net.address, serviceCidr: net.serviceCidr, kubernetesServiceIp: net.kubernetesServiceIp },
    });
    lap('controlPlane', tp);
    const kube = client(plane.kubeconfig);
    try {
      // The apiserver runs RBAC only (no Node authorizer): the node's identity gets the system:node role.
      await kube.apply({
        apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'berth-node:system-nodes' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:node' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:nodes' }],
      }, { force: true });
      track(startProcess('kube-scheduler', join(binDir, 'kube-scheduler'),
        [`--kubeconfig=${plane.kubeconfig}`, '--leader-elect=false', '--secure-port=0', '--v=1'], join(dir, 'kube-scheduler.log')));
      await imported;
      const tk = Date.now();
      const kubelet = startKubelet({
        dir: join(dir, 'kubelet'), binary: join(binDir, 'kubelet'), net, server: plane.server,
        caCert: plane.certs.caCert, caKey: plane.certs.caKey, containerdSocket: containerd.socket,
        credentialProvider: installCredentialProvider(join(dir, 'kubelet'), binDir),
      });
      track(kubelet.process);
      await waitFor('node Ready and untainted', async () => {
        const node = await getRaw<KubeObject & { spec?: { taints?: unknown[] }; status?: { conditions?: Array<{ type: string; status: string }> } }>(kube, 'Node', NODE_NAME);
        return node.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true && !(node.spec?.taints?.length);
      }, 120_000, [kubelet.process]);
      lap('kubeletReady', tk);

      const tn = Date.now();
      const proxyHealth = await freePort();
      const proxy = startKubeProxy(join(binDir, 'kube-proxy'), dir, net, plane.kubeconfig, proxyHealth, await freePort());
      track(proxy);
      await waitFor('kube-proxy healthy', async () => {
        const r = await fetch(`http://127.0.0.1:${proxyHealth}/healthz`);
        return r.status === 200;
      }, 60_000, [proxy]);
      for (const obj of clusterDnsObjects(net, images.coredns.ref)) await kube.apply(obj, { force: true });
      await applyRaw(kube, storageClass());
      const volumesDir = join(dir, 'volumes');
      await addLocalVolumes(kube, volumesDir, INITIAL_VOLUMES);
      await waitFor('cluster DNS ready', async () => {
        const d = await kube.get<KubeObject & { status?: { readyReplicas?: number } }>('apps/v1', 'Deployment', 'coredns', 'kube-system');
        return (d.status?.readyReplicas ?? 0) >= 1;
      }, 120_000, processes);
      lap('servicesAndDns', tn);
    } finally {
      kube.close();
    }
    timings.total = (Date.now() - t0) / 1000;
    writeState(dir, created);
    const info: NodeInfo = {
      kubeconfig: plane.kubeconfig,
      server: plane.server,
      dir,
      nodeName: NODE_NAME,
      net,
      containerdSocket: containerd.socket,
      certsDir: CERTS_DIR,
      volumesDir: join(dir, 'volumes'),
      kubectl: join(binDir, 'kubectl'),
      images,
      timings,
    };
    writeFileSync(join(dir, 'node.json'), JSON.stringify(info, null, 2));
    return { info, stop };
  } catch (err) {
    const left = await stop({ keepDir: true }).catch((e) => [`teardown failed: ${String(e)}`]);
    if (left.length) log(`after a failed start, left behind: ${left.join('; ')}`);
    throw err;
  }
}

