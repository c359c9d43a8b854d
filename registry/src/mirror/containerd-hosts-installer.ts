// Installs containerd's hosts.toml files on a node: the operator's
// <registry>-containerd-hosts ConfigMap, mounted at `from`, holds `<host>.toml`,
// which becomes `<to>/<host>/hosts.toml` (to = the node's /etc/containerd/certs.d,
// where containerd reads them on each pull). A file is written only when its
// content differs, through a temporary file and a rename, so containerd never reads
// half a file; a marker beside it lets a later run remove the file of an upstream
// that left the ConfigMap without touching hosts configured by anyone else.
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const MARKER = '.berth-managed';
/** ConfigMap keys that are hosts.toml files; the `..data` links of a mounted ConfigMap are not. */
const HOST_FILE = /^[a-z0-9][a-z0-9.-]*(?::[0-9]+)?\.toml$/;

export interface InstallReport {
  readonly written: string[];
  readonly removed: string[];
}

export async function installContainerdHosts(from: string, to: string): Promise<InstallReport> {
  const written: string[] = [];
  const wanted = new Set<string>();
  for (const name of (await readdir(from)).filter((n) => HOST_FILE.test(n)).sort()) {
    const host = name.slice(0, -'.toml'.length);
    wanted.add(host);
    const content = await readFile(join(from, name));
    const dir = join(to, host);
    const target = join(dir, 'hosts.toml');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, MARKER), '');
    if ((await readFile(target).catch(() => undefined))?.equals(content)) continue;
    await writeFile(`${target}.tmp`, content);
    await rename(`${target}.tmp`, target);
    written.push(host);
  }
  const removed: string[] = [];
  for (const host of await readdir(to).catch(() => [] as string[])) {
    if (wanted.has(host) || !(await exists(join(to, host, MARKER)))) continue;
    await rm(join(to, host, 'hosts.toml'), { force: true });
    await rm(join(to, host, MARKER), { force: true });
    removed.push(host);
  }
  return { written, removed };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Installs now and again every `intervalSeconds` (a changed ConfigMap reaches the mounted folder within a minute or so); never returns. */
export async function runContainerdHostsInstaller(from: string, to: string, intervalSeconds: number, log: (line: string) => void): Promise<never> {
  for (;;) {
    try {
      const { written, removed } = await installContainerdHosts(from, to);
      if (written.length || removed.length) log(JSON.stringify({ msg: 'containerd hosts.toml installed', written, removed }));
    } catch (err) {
      log(JSON.stringify({ msg: 'containerd hosts.toml install failed', err: (err as Error).message }));
    }
    await new Promise((resolve) => setTimeout(resolve, intervalSeconds * 1000));
  }
}
