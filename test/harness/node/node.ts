// A real single-node cluster next to the test control plane: containerd (CRI,
// runc, CNI bridge), the kubelet, kube-scheduler, kube-proxy, a controller
// manager with the workload controllers, CoreDNS, a default StorageClass with
// local volumes, and the project's images imported. Started by the `node` jest
// project's global setup; stop() removes every process, mount, network
// namespace, bridge, iptables chain and cgroup it made, then checks that
// nothing is left.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../../operator/src/kube/client.js';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { binDir } from '../control-plane/binaries.js';
import { startControlPlane, type ControlPlane } from '../control-plane/control-plane.js';
import { freePort } from '../control-plane/ports.js';
import { stateDir, startProcess, stopProcess, type ManagedProcess } from '../control-plane/processes.js';
import { clusterDnsObjects } from './cluster-dns.js';
import { killOurShims, startContainerd, type Containerd } from './containerd.js';
import {
  kubepodsCgroups, mountsUnder, netnsList, removeCgroupTree, removeCniResults, removeEmptyDirs, removeNetns, unmountUnder,
} from './host-state.js';
import { buildImages, importImages, type ImageSet } from './images.js';
import { cleanUpKubeProxy, startKubeProxy } from './kube-proxy.js';
import { NODE_NAME, startKubelet } from './kubelet.js';
import { NODE_NETWORK, networkLeftovers, setUpNetwork, tearDownNetwork, type NetworkState, type NodeNetwork } from './network.js';
import { assertMachineCanRunNode } from './preflight.js';
import { applyRaw, getRaw } from './raw-kinds.js';
import { addLocalVolumes, storageClass } from './volumes.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where containerd reads registry host configuration, as on a real node; bind-mounted from the work dir. */
export const CERTS_DIR = '/etc/containerd/certs.d';
/** Directories the kubelet and CNI create wherever their work dir is; removed at teardown if they were not there before. */
const HOST_DIRS = ['/var/lib/kubelet', '/var/lib/cni', '/run/containerd'];
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

interface Created {
  network?: NetworkState;
  certsDirsMade: string[];
  netnsBefore: Set<string>;
  /** Node processes (the control plane records its own): killed by a later run if this one crashed. */
  processes: Array<{ pid: number; binary: string }>;
  /** Of HOST_DIRS, those that did not exist before the node started. */
  hostDirsMade?: string[];
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
      await importImages(c, images!);
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
      } as KubeObject, { force: true });
      track(startProcess('kube-scheduler', join(binDir, 'kube-scheduler'),
        [`--kubeconfig=${plane.kubeconfig}`, '--leader-elect=false', '--secure-port=0', '--v=1'], join(dir, 'kube-scheduler.log')));
      await imported;
      const tk = Date.now();
      const kubelet = startKubelet({
        dir: join(dir, 'kubelet'), binary: join(binDir, 'kubelet'), net, server: plane.server,
        caCert: plane.certs.caCert, caKey: plane.certs.caKey, containerdSocket: containerd.socket,
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

interface TearDownInput {
  dir: string;
  net: NodeNetwork;
  plane?: ControlPlane;
  containerd?: Containerd;
  processes: ManagedProcess[];
  created: Created;
  keepDir: boolean;
}

async function tearDown(t: TearDownInput): Promise<string[]> {
  const byName = (n: string) => t.processes.find((p) => p.name === n);
  const kubelet = byName('kubelet');
  const alive = (p?: ManagedProcess) => !!p && p.child.exitCode === null && p.child.signalCode === null;
  // No controller recreates or schedules a pod while the node drains.
  await t.plane?.stopControllerManager();
  const scheduler = byName('kube-scheduler');
  if (scheduler) await stopProcess(scheduler);
  if (t.plane && alive(kubelet)) {
    // The kubelet removes sandboxes, network namespaces and volume mounts of the pods it stops.
    await execFileAsync(join(binDir, 'kubectl'), ['--kubeconfig', t.plane.kubeconfig, 'delete', 'pods', '--all', '--all-namespaces',
      '--grace-period=2', '--timeout=90s'], { timeout: 120_000 }).catch(() => undefined);
  }
  if (t.containerd) {
    const c = t.containerd;
    for (let i = 0; i < 60 && alive(c.process); i++) {
      const tasks = await c.tasks().catch(() => []);
      if (tasks.length === 0) break;
      if (i === 40 || !alive(kubelet)) for (const task of tasks) await c.ctr(['tasks', 'kill', '-s', 'SIGKILL', task.id]).catch(() => undefined);
      await sleep(500);
    }
  }
  for (const name of ['kubelet', 'kube-proxy']) {
    const p = byName(name);
    if (p) await stopProcess(p, 10_000);
  }
  await cleanUpKubeProxy(join(binDir, 'kube-proxy'), t.dir);
  await t.plane?.stop();
  if (t.containerd) {
    await stopProcess(t.containerd.process, 10_000);
    killOurShims(t.containerd.socket);
  }
  unmountUnder([t.dir, CERTS_DIR]);
  for (const d of [...t.created.certsDirsMade].reverse()) {
    try {
      rmdirSync(d);
    } catch {
      // not empty: someone else's files
    }
  }
  removeNetns(netnsList().filter((n) => !t.created.netnsBefore.has(n) && n.startsWith('cni-')));
  tearDownNetwork(t.net, t.created.network);
  for (const cg of kubepodsCgroups()) removeCgroupTree(cg);
  removeCniResults();
  removeEmptyDirs('/run/containerd');
  for (const d of t.created.hostDirsMade ?? []) rmSync(d, { recursive: true, force: true });
  const left = leftovers(t);
  if (!t.keepDir) rmSync(t.dir, { recursive: true, force: true });
  removeState(t.dir);
  return left;
}

function leftovers(t: TearDownInput): string[] {
  const left: string[] = [];
  for (const p of t.processes) if (p.child.exitCode === null && p.child.signalCode === null) left.push(`process ${p.name} (${p.child.pid})`);
  if (t.containerd && killOurShims(t.containerd.socket) > 0) left.push('containerd shims');
  const mounts = mountsUnder([t.dir, CERTS_DIR]);
  if (mounts.length) left.push(`mounts ${mounts.join(', ')}`);
  const netns = netnsList().filter((n) => !t.created.netnsBefore.has(n) && n.startsWith('cni-'));
  if (netns.length) left.push(`network namespaces ${netns.join(', ')}`);
  left.push(...networkLeftovers(t.net));
  const cgroups = kubepodsCgroups();
  if (cgroups.length) left.push(`cgroups ${cgroups.join(', ')}`);
  return left;
}

// ---- state for a later run: what a crashed run made, so it can be removed ----

const nodeStateDir = join(stateDir, 'nodes');

function statePath(dir: string): string {
  return join(nodeStateDir, `${dir.split('/').pop()}.json`);
}

function writeState(dir: string, created: Created): void {
  mkdirSync(nodeStateDir, { recursive: true });
  writeFileSync(statePath(dir), JSON.stringify({ ownerPid: process.pid, dir, created: { ...created, netnsBefore: [...created.netnsBefore] } }));
}

function removeState(dir: string): void {
  rmSync(statePath(dir), { force: true });
}

function alivePid(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes what nodes of crashed runs (their owner process is gone) left: their
 * processes (only while the PID still runs the recorded binary), shims, mounts,
 * network namespaces, bridge, iptables chains and cgroups. Run before a node starts.
 */
export async function cleanStaleNodes(log: (m: string) => void = () => {}): Promise<void> {
  if (!existsSync(nodeStateDir)) return;
  for (const file of readdirSync(nodeStateDir).filter((f) => f.endsWith('.json'))) {
    let state: { ownerPid: number; dir: string; created: Omit<Created, 'netnsBefore'> & { netnsBefore: string[] } };
    try {
      state = JSON.parse(readFileSync(join(nodeStateDir, file), 'utf8'));
    } catch {
      rmSync(join(nodeStateDir, file), { force: true });
      continue;
    }
    if (alivePid(state.ownerPid)) continue;
    log(`removing the node a crashed run left in ${state.dir}`);
    for (const { pid, binary } of state.created.processes) {
      try {
        if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === binary) process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await sleep(500);
    killOurShims(join(state.dir, 'containerd', 'containerd.sock'));
    const created: Created = { ...state.created, netnsBefore: new Set(state.created.netnsBefore) };
    await tearDown({ dir: state.dir, net: NODE_NETWORK, processes: [], created, keepDir: false });
  }
}
