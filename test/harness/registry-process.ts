// Starts the real registry (dist/registry/src/main.js) as a child process with a
// given config, on a free loopback port, and waits until /healthz answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { RegistryConfigInput } from '#contract/config/schema.js';

/** The repository root, found from this file whether it runs from source (jest) or from dist/. */
export const REPO_ROOT = findRepoRoot(dirname(fileURLToPath(import.meta.url)));

function findRepoRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'registry', 'src'))) return dir;
  }
  throw new Error(`no repository root above ${start}`);
}
const MAIN = join(REPO_ROOT, 'dist', 'registry', 'src', 'main.js');

/**
 * The V8 flags every launch of the registry uses (npm start, the image's launcher,
 * the tests): a young generation of at most 3 × 4 MiB instead of 3 × 16 MiB. Bodies
 * live outside V8's heap, so a bigger young generation only holds more garbage:
 * the hostile-input classes peaked 16 MiB lower with it (147 vs 163 MiB).
 */
export const REGISTRY_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * The environment every launch of the registry sets (npm start, the image, the entry
 * point's shebang, the tests): glibc's mmap threshold fixed at its initial 128 KiB.
 * By default glibc raises the threshold each time a mapped block is freed, after which
 * blocks of that size (the hash workers' 256 KiB slots) come from the `brk` heap, which
 * cannot give freed holes back; fixed, they are mapped and unmapped on their own.
 * glibc reads it only at process start. docs/BENCHMARKS.md ("Soak") has the figures.
 */
export const REGISTRY_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: '131072' };

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * The config with an embedded index at `file` when the storage is S3 and the
 * config names no index (the registry requires one: there is no data folder).
 */
export function withLocalIndex(config: RegistryConfigInput, file: string): RegistryConfigInput {
  const engine = config.metadata?.engine ?? 'sqlite';
  if (!config.storage?.s3 || engine !== 'sqlite' || config.metadata?.sqlite?.path) return config;
  return { ...config, metadata: { ...config.metadata, sqlite: { path: file } } };
}

export interface RegistryProcess {
  readonly url: string;
  /** host:port, as clients name the registry. */
  readonly host: string;
  readonly port: number;
  readonly dir: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code once the process has exited by itself. */
  exited(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
  log(): Promise<string>;
}

export interface StartRegistryOptions {
  /** Config as YAML-able object; http.listen and (unless set) storage are filled in. */
  readonly config?: RegistryConfigInput;
  /** Reuse a port (to restart a registry at the same address). */
  readonly port?: number;
  /** Reuse a work folder (keeps ./data across restarts). */
  readonly dir?: string;
  /** Environment over REGISTRY_ENV and this process's own. */
  readonly env?: NodeJS.ProcessEnv;
  /** V8/Node flags after REGISTRY_NODE_FLAGS (a benchmark's experiment, e.g. --trace-gc). */
  readonly nodeFlags?: readonly string[];
  /** Runs the registry through another command (e.g. in its own mount namespace); it must exec node in place. */
  readonly wrap?: (node: string, args: string[]) => { command: string; args: string[] };
}

export async function startRegistryProcess(options: StartRegistryOptions = {}): Promise<RegistryProcess> {
  const dir = options.dir ?? await mkdtemp(join(tmpdir(), 'berth-reg-'));
  const port = options.port ?? await freePort();
  const config: RegistryConfigInput = withLocalIndex({
    ...options.config,
    http: { ...options.config?.http, listen: `127.0.0.1:${port}` },
    storage: options.config?.storage ?? { filesystem: { root: join(dir, 'data') } },
    log: { level: 'info', ...options.config?.log },
  }, join(dir, `index-${port}.db`)); // a restart at the same port finds its index
  const configFile = join(dir, `config-${port}.yaml`);
  await writeFile(configFile, yaml.dump(config));
  const logFile = join(dir, `registry-${port}-${Date.now()}.log`);
  const out = createWriteStream(logFile);
  const args = [...REGISTRY_NODE_FLAGS, ...options.nodeFlags ?? [], MAIN, '--config', configFile];
  const launch = options.wrap?.(process.execPath, args) ?? { command: process.execPath, args };
  const child = spawn(launch.command, launch.args, { env: { ...REGISTRY_ENV, ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const scheme = config.http?.tls ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`registry exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (scheme === 'https') {
      const { execFile } = await import('node:child_process');
      const ok = await new Promise<boolean>((r) => execFile('curl', ['-skf', `${url}/healthz`], (e) => r(!e)));
      if (ok) break;
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`registry did not become healthy:\n${await readFile(logFile, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url, host: `127.0.0.1:${port}`, port, dir, configFile, logFile, child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    exited: () => exited,
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    log: () => readFile(logFile, 'utf8'),
  };
}
