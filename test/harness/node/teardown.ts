// Teardown of the node: everything startNode made, in the order that leaves
// nothing behind (pods first, while the kubelet can still remove their
// sandboxes, network namespaces and mounts), then a check of what is left.
// Also the record of what a node made, so a later run can remove the node of a
// run that crashed.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binDir } from '../control-plane/binaries.js';
import type { ControlPlane } from '../control-plane/control-plane.js';
import { stateDir, stopProcess, type ManagedProcess } from '../control-plane/processes.js';
import { killOurShims, type Containerd } from './containerd.js';
import {
  kubepodsCgroups, mountsUnder, netnsList, removeCgroupTree, removeCniResults, removeEmptyDirs, removeNetns, unmountUnder,
} from './host-state.js';
import { cleanUpKubeProxy } from './kube-proxy.js';
import { NODE_NETWORK, networkLeftovers, tearDownNetwork, type NetworkState, type NodeNetwork } from './network.js';

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Where containerd reads registry host configuration, as on a real node; bind-mounted from the work dir. */
export const CERTS_DIR = '/etc/containerd/certs.d';
/** Directories the kubelet and CNI create wherever their work dir is; removed at teardown if they were not there before. */
export const HOST_DIRS = ['/var/lib/kubelet', '/var/lib/cni', '/run/containerd'];

/** What a node made on the host beyond its work directory. */
export interface Created {
  network?: NetworkState;
  certsDirsMade: string[];
  netnsBefore: Set<string>;
  /** Node processes (the control plane records its own): killed by a later run if this one crashed. */
  processes: Array<{ pid: number; binary: string }>;
  /** Of HOST_DIRS, those that did not exist before the node started. */
  hostDirsMade?: string[];
}

export interface TearDownInput {
  dir: string;
  net: NodeNetwork;
  plane?: ControlPlane;
  containerd?: Containerd;
  processes: ManagedProcess[];
  created: Created;
  keepDir: boolean;
}

export async function tearDown(t: TearDownInput): Promise<string[]> {
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

export const nodeStateDir = join(stateDir, 'nodes');

function statePath(dir: string): string {
  return join(nodeStateDir, `${dir.split('/').pop()}.json`);
}

export function writeState(dir: string, created: Created): void {
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
