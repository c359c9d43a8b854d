// Whether this machine can run a real node, checked before anything is started,
// so a machine that cannot (a container without CAP_NET_ADMIN, no cgroups, no
// bridge netfilter, a missing binary) fails the suite with one message that
// names every missing piece, instead of a kubelet log to dig through.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Capability bits (linux/capability.h) the node needs. */
const CAPABILITIES: Record<string, number> = {
  CAP_NET_ADMIN: 12, // the bridge, routes, iptables (kube-proxy)
  CAP_SYS_ADMIN: 21, // mounts (volumes, overlay snapshots), network namespaces
  CAP_SYS_CHROOT: 18, // runc pivots into each container's root
  CAP_SETUID: 7, // containers run as other users
};

/** cgroup v1 controllers the kubelet's cgroupfs driver needs, or their v2 equivalents. */
const CGROUP_CONTROLLERS = ['cpu', 'memory', 'pids'];

export interface MachineFacts {
  uid: number;
  /** CapEff of this process, from /proc/self/status. */
  effectiveCaps: bigint;
  /** Mounted cgroup v1 controllers, or the controllers of the v2 root. */
  cgroupControllers: string[];
  filesystems: string[];
  bridgeNetfilter: boolean;
  missingBinaries: string[];
}

export function readMachineFacts(binaries: string[]): MachineFacts {
  const status = readFileSync('/proc/self/status', 'utf8');
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0';
  let controllers: string[] = [];
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    controllers = readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim().split(/\s+/);
  } else {
    const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'cgroup');
    controllers = mounts.flatMap((f) => (f[3] ?? '').split(','));
  }
  const filesystems = readFileSync('/proc/filesystems', 'utf8').split('\n').map((l) => l.trim().split(/\s+/).pop() ?? '');
  return {
    uid: process.getuid?.() ?? -1,
    effectiveCaps: BigInt(`0x${capEff}`),
    cgroupControllers: controllers,
    filesystems,
    bridgeNetfilter: existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables'),
    missingBinaries: binaries.filter((b) => !existsSync(b)),
  };
}

/** Every reason this machine cannot run the node; empty when it can. */
export function nodeBlockers(facts: MachineFacts): string[] {
  const blockers: string[] = [];
  if (facts.uid !== 0) blockers.push(`runs as uid ${facts.uid}: the kubelet, containerd and the bridge need root`);
  const missingCaps = Object.entries(CAPABILITIES).filter(([, bit]) => (facts.effectiveCaps & (1n << BigInt(bit))) === 0n).map(([name]) => name);
  if (missingCaps.length) blockers.push(`missing capabilities ${missingCaps.join(', ')} (CapEff ${facts.effectiveCaps.toString(16)})`);
  const missingCgroups = CGROUP_CONTROLLERS.filter((c) => !facts.cgroupControllers.includes(c));
  if (missingCgroups.length) blockers.push(`no cgroup controller ${missingCgroups.join(', ')} mounted (the kubelet cannot account pods)`);
  if (!facts.filesystems.includes('overlay')) blockers.push('no overlay filesystem (containerd\'s snapshotter)');
  if (!facts.bridgeNetfilter) blockers.push('no bridge netfilter (/proc/sys/net/bridge): Service traffic between pods on the bridge would not be translated; load br_netfilter');
  if (facts.missingBinaries.length) blockers.push(`missing ${facts.missingBinaries.join(', ')}: run scripts/testbed/build.sh (kubenode, node)`);
  return blockers;
}

export class NodeUnsupportedError extends Error {
  constructor(blockers: string[]) {
    super(`this machine cannot run the test node, so the node suite fails (it is never skipped):\n  - ${blockers.join('\n  - ')}`);
    this.name = 'NodeUnsupportedError';
  }
}

export function assertMachineCanRunNode(binDir: string): void {
  const binaries = [
    ...['kubelet', 'kube-scheduler', 'kube-proxy', 'kubectl', 'coredns', 'minio', 'mc'].map((b) => join(binDir, b)),
    '/usr/bin/containerd', '/usr/bin/containerd-shim-runc-v2', '/usr/sbin/runc', '/usr/bin/ctr', '/usr/lib/cni/bridge', '/usr/lib/cni/host-local',
    '/usr/lib/cni/loopback', '/usr/sbin/iptables', '/usr/sbin/conntrack', '/usr/bin/umoci', '/usr/bin/skopeo', '/bin/busybox', '/usr/lib/postgresql/15/bin/postgres',
  ];
  const blockers = nodeBlockers(readMachineFacts(binaries));
  if (blockers.length) throw new NodeUnsupportedError(blockers);
}
