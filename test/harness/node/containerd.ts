// containerd for the node: Debian's 1.6 with the CRI plugin, runc, overlayfs,
// the CNI bridge, and registry host configuration read from certs.d (where the
// operator's node-access DaemonSet installs hosts.toml and the registry CA).
// Its root and state live in the node's work directory, so each run starts
// with an image store holding only the images the harness imports.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startProcess, type ManagedProcess } from '../control-plane/processes.js';
import type { NodeNetwork } from './network.js';

const execFileAsync = promisify(execFile);

export interface ContainerdOptions {
  dir: string;
  net: NodeNetwork;
  /** Image the CRI plugin runs every pod sandbox from; must be imported before the first pod. */
  sandboxImage: string;
  /** Registry host configuration directory (hosts.toml per registry host). */
  certsDir: string;
}

export interface Containerd {
  socket: string;
  process: ManagedProcess;
  ctr(args: string[], timeoutMs?: number): Promise<string>;
  /** Tasks (running containers) of the CRI namespace. */
  tasks(): Promise<Array<{ id: string; pid: number; status: string }>>;
}

export function containerdConfig(o: ContainerdOptions): string {
  const cri = '[plugins."io.containerd.grpc.v1.cri"]';
  return `version = 2
root = "${o.dir}/root"
state = "${o.dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "${o.dir}/containerd.sock"
[ttrpc]
  address = "${o.dir}/containerd-ttrpc.sock"
${cri}
  sandbox_image = "${o.sandboxImage}"
  stream_server_address = "127.0.0.1"
  # This machine's root lacks CAP_SYS_RESOURCE: a negative oom_score_adj (the
  # kubelet asks -998 for sandboxes) fails every sandbox; clamp it instead.
  restrict_oom_score_adj = true
  ${cri.slice(0, -1)}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    ${cri.slice(0, -1)}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      ${cri.slice(0, -1)}.containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        SystemdCgroup = false
  ${cri.slice(0, -1)}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${o.dir}/cni"
  ${cri.slice(0, -1)}.registry]
    config_path = "${o.certsDir}"
`;
}

/**
 * The pod network: our bridge, host-local addresses, routes to the bridge subnet
 * (implicit) and the Service range (via the node), and no default route.
 */
export function cniConfig(net: NodeNetwork, ipamDir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'berth-node',
    plugins: [
      {
        type: 'bridge', bridge: net.bridge, isGateway: false, ipMasq: false, hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: net.podCidr, rangeStart: net.podRange.start, rangeEnd: net.podRange.end }]],
          routes: [{ dst: net.serviceCidr, gw: net.address }],
          dataDir: ipamDir,
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

export async function startContainerd(o: ContainerdOptions, timeoutMs = 20_000): Promise<Containerd> {
  mkdirSync(join(o.dir, 'cni'), { recursive: true });
  mkdirSync(o.certsDir, { recursive: true });
  writeFileSync(join(o.dir, 'config.toml'), containerdConfig(o));
  writeFileSync(join(o.dir, 'cni', '10-berth-node.conflist'), cniConfig(o.net, join(o.dir, 'ipam')));
  const socket = join(o.dir, 'containerd.sock');
  const process = startProcess('containerd', '/usr/bin/containerd', ['--config', join(o.dir, 'config.toml')], join(o.dir, 'containerd.log'));
  const ctr = async (args: string[], ms = 120_000) => (await execFileAsync('/usr/bin/ctr', ['-a', socket, '-n', 'k8s.io', ...args], { timeout: ms, maxBuffer: 16 << 20 })).stdout;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (process.child.exitCode !== null) throw new Error(`containerd exited during start-up; see ${process.logFile}`);
    try {
      await execFileAsync('/usr/bin/ctr', ['-a', socket, 'version'], { timeout: 5000 });
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`containerd not answering on ${socket} after ${timeoutMs} ms; see ${process.logFile}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    socket,
    process,
    ctr,
    async tasks() {
      const out = await ctr(['tasks', 'ls']);
      return out.split('\n').slice(1).filter(Boolean).map((l) => {
        const [id, pid, status] = l.trim().split(/\s+/);
        return { id, pid: Number(pid), status };
      });
    },
  };
}

/**
 * Shims outlive containerd by design; after the node is gone, the ones serving
 * our socket (nothing else's) are killed. Returns how many there were.
 */
export function killOurShims(socket: string): number {
  let killed = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[0]?.endsWith('containerd-shim-runc-v2') && argv.includes(socket)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
        killed++;
      } catch {
        // gone meanwhile
      }
    }
  }
  return killed;
}

/** Imports a docker-archive into the CRI namespace and gives it every extra name. */
export async function importImage(c: Containerd, archive: string, ref: string, extraNames: string[] = []): Promise<void> {
  await c.ctr(['images', 'import', archive]);
  for (const name of extraNames) {
    await c.ctr(['images', 'tag', '--force', ref, name]);
  }
}

export function ctrSync(socket: string, args: string[]): string {
  return execFileSync('/usr/bin/ctr', ['-a', socket, '-n', 'k8s.io', ...args], { encoding: 'utf8', timeout: 30_000 });
}
