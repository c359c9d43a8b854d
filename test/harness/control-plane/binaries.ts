// Where scripts/testbed/build.sh puts the control-plane binaries.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const cacheDir = process.env.BERTH_CACHE ?? join(homedir(), '.cache', 'berth');
export const binDir = join(cacheDir, 'bin');

export function binary(name: 'etcd' | 'kube-apiserver' | 'kube-controller-manager'): string {
  const path = join(binDir, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/testbed/build.sh etcd kube (the test command does this first)`);
  }
  return path;
}
