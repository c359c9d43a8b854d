// containerd from Debian, run by a test with its own root, state and socket and
// the CRI plugin off, so it shares nothing with a node's containerd; `ctr` talks
// to it through that socket.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult } from './tools.js';

export interface Containerd {
  readonly dir: string;
  /** Folder of per-host `<host>/hosts.toml` (ctr --hosts-dir). */
  readonly hostsDir: string;
  ctr(args: string[]): Promise<RunResult>;
  stop(): Promise<void>;
}

const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';

export async function startContainerd(): Promise<Containerd> {
  if (!existsSync(CONTAINERD) || !existsSync(CTR)) throw new Error('containerd is not installed: run scripts/testbed/build.sh node');
  const dir = await mkdtemp(join(tmpdir(), 'berth-containerd-'));
  const hostsDir = join(dir, 'certs.d');
  await mkdir(hostsDir);
  const socket = join(dir, 'containerd.sock');
  const config = join(dir, 'config.toml');
  await writeFile(config, [
    'version = 2',
    `root = "${join(dir, 'root')}"`,
    `state = "${join(dir, 'state')}"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",',
    '  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]',
    '[grpc]',
    `  address = "${socket}"`,
    '[ttrpc]',
    `  address = "${join(dir, 'containerd-ttrpc.sock')}"`,
    '[debug]',
    `  address = "${join(dir, 'debug.sock')}"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${join(dir, 'opt')}"`,
    '',
  ].join('\n'));
  const logFile = join(dir, 'containerd.log');
  const out = createWriteStream(logFile);
  const child = spawn(CONTAINERD, ['--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ctr = (args: string[]) => run(CTR, ['--address', socket, '--namespace', 'berth-test', ...args], { timeoutMs: 120_000 });
  for (const deadline = Date.now() + 20_000; ;) {
    if (child.exitCode !== null) throw new Error(`containerd exited:\n${await readFile(logFile, 'utf8')}`);
    if ((await ctr(['version'])).code === 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`containerd did not start:\n${await readFile(logFile, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    dir, hostsDir, ctr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
