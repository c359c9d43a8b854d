// What a node leaves on the host beyond its processes and its bridge: mounts
// (kubelet volumes, the certs.d bind mount), network namespaces made by CNI,
// kubepods cgroups, CNI result caches and empty runtime directories. Each is
// listed before the node starts and removed at teardown only if it is new, so
// nothing that was there before is touched.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const NETNS_DIR = '/var/run/netns';
const CGROUP_ROOT = '/sys/fs/cgroup';
const CNI_RESULTS = '/var/lib/cni/results';
export const CNI_NETWORK = 'berth-node';

export function mountsUnder(prefixes: string[]): string[] {
  return readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter(Boolean)
    .map((m) => m.replace(/\\040/g, ' '))
    .filter((m) => prefixes.some((p) => m === p || m.startsWith(p.endsWith('/') ? p : `${p}/`)));
}

/** Unmounts every mount at or under the prefixes, deepest first (lazily if busy). */
export function unmountUnder(prefixes: string[]): void {
  for (const m of mountsUnder(prefixes).sort((a, b) => b.length - a.length)) {
    try {
      execFileSync('umount', [m], { stdio: 'ignore' });
    } catch {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    }
  }
}

export function netnsList(): string[] {
  return existsSync(NETNS_DIR) ? readdirSync(NETNS_DIR) : [];
}

export function removeNetns(names: string[]): void {
  for (const name of names) {
    try {
      execFileSync('ip', ['netns', 'delete', name], { stdio: 'ignore' });
    } catch {
      const path = join(NETNS_DIR, name);
      try {
        execFileSync('umount', ['-l', path], { stdio: 'ignore' });
      } catch {
        // not mounted
      }
      rmSync(path, { force: true });
    }
  }
}

/** The kubelet's pod cgroups (cgroupfs driver): /sys/fs/cgroup/<controller>/kubepods. */
export function kubepodsCgroups(): string[] {
  if (!existsSync(CGROUP_ROOT)) return [];
  const unified = join(CGROUP_ROOT, 'kubepods');
  if (existsSync(unified)) return [unified];
  return readdirSync(CGROUP_ROOT).map((c) => join(CGROUP_ROOT, c, 'kubepods')).filter((p) => existsSync(p));
}

/** Removes a cgroup tree bottom-up; cgroups can only be rmdir'ed once empty of tasks and children. */
export function removeCgroupTree(dir: string): void {
  for (const entry of readdirSync(dir)) {
    const child = join(dir, entry);
    try {
      if (statSync(child).isDirectory()) removeCgroupTree(child);
    } catch {
      // vanished
    }
  }
  try {
    rmdirSync(dir);
  } catch {
    // still has tasks: reported by the leftover check
  }
}

export function removeCniResults(): void {
  if (!existsSync(CNI_RESULTS)) return;
  for (const f of readdirSync(CNI_RESULTS).filter((f) => f.startsWith(`${CNI_NETWORK}-`))) rmSync(join(CNI_RESULTS, f), { force: true });
}

/** Empty directories runc and the shims leave under /run/containerd (never anything with content). */
export function removeEmptyDirs(root: string): void {
  if (!existsSync(root)) return;
  const walk = (dir: string): boolean => {
    let empty = true;
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        continue;
      }
      if (!isDir || !walk(p)) empty = false;
    }
    if (empty) {
      try {
        rmdirSync(dir);
      } catch {
        return false;
      }
    }
    return empty;
  };
  walk(root);
}
