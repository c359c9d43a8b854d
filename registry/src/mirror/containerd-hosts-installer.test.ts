import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installContainerdHosts } from './containerd-hosts-installer.js';

describe('installContainerdHosts', () => {
  let root: string;
  let from: string;
  let to: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-hosts-'));
    from = join(root, 'configmap');
    to = join(root, 'certs.d');
    await mkdir(join(from, '..2026_12_06'), { recursive: true });
    await symlink('..2026_12_06', join(from, '..data')); // what a mounted ConfigMap also holds
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('writes <host>/hosts.toml per key, rewrites only changes, removes only what it installed', async () => {
    await writeFile(join(from, 'docker.io.toml'), 'server = "https://registry-1.docker.io"\n');
    await writeFile(join(from, 'ghcr.io.toml'), '[host."http://10.96.0.50:5000"]\n');
    await mkdir(join(to, 'quay.io'), { recursive: true });
    await writeFile(join(to, 'quay.io', 'hosts.toml'), 'someone else\'s\n');

    expect(await installContainerdHosts(from, to)).toEqual({ written: ['docker.io', 'ghcr.io'], removed: [] });
    expect(await readFile(join(to, 'docker.io', 'hosts.toml'), 'utf8')).toBe('server = "https://registry-1.docker.io"\n');
    expect(await installContainerdHosts(from, to)).toEqual({ written: [], removed: [] });

    await writeFile(join(from, 'docker.io.toml'), 'server = "https://mirror.example"\n');
    await rm(join(from, 'ghcr.io.toml'));
    expect(await installContainerdHosts(from, to)).toEqual({ written: ['docker.io'], removed: ['ghcr.io'] });
    await expect(stat(join(to, 'ghcr.io', 'hosts.toml'))).rejects.toThrow();
    expect(await readFile(join(to, 'quay.io', 'hosts.toml'), 'utf8')).toBe('someone else\'s\n');
  });
});
