// The registries under test, each a child process on a free loopback port with its
// data under a temp dir: Berth (dist/registry/src/main.js), CNCF Distribution v3
// (built from the Go module proxy by scripts/testbed/build.sh) and, when Debian can
// install it, Distribution 2.8.2 (`docker-registry`). Logging is turned down on all
// of them so no server pays for access logs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { fileURLToPath } from 'node:url';
import { freePort, REGISTRY_ENV, REGISTRY_NODE_FLAGS } from '../harness/registry-process.js';
import { toolPath } from '../harness/tools.js';

export interface S3Target {
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
}

export interface ServerUnderTest {
  /** Column label in the tables, e.g. "berth", "dist-3.1.1" (the storage kind is separate). */
  readonly name: string;
  /** True for Berth; ratios are Berth / each other server. */
  readonly isBerth: boolean;
  readonly storage: 'filesystem' | 's3';
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** 127.0.0.1:PORT */
  readonly host: string;
  readonly pid: number;
  /** The server's config file (Distribution's offline garbage-collect reads it). */
  readonly configFile: string;
  /** Stops the process and keeps its data (for an offline step such as Distribution's GC). */
  halt(): Promise<void>;
  /** Stops the process and deletes its data. */
  stop(): Promise<void>;
}

export interface StartOptions {
  readonly storage: 'filesystem' | 's3';
  readonly s3?: S3Target;
  /** Prefix inside the bucket, so two servers can share one S3 server. */
  readonly s3Prefix?: string;
  /** Directory for `node --cpu-prof` output (Berth only). */
  readonly cpuProfileDir?: string;
  /** Extra top-level sections of Berth's config (e.g. `gc`). */
  readonly berthConfig?: Record<string, unknown>;
}

async function waitForV2(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${await readFile(logFile, 'utf8')}`);
    try {
      const res = await fetch(`${url}/v2/`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server at ${url} did not answer /v2/ in time:\n${await readFile(logFile, 'utf8')}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

interface LaunchSpec {
  readonly name: string;
  readonly isBerth: boolean;
  readonly storage: StartOptions['storage'];
  /** Holds the config, the log and (filesystem) the data; deleted by stop(). */
  readonly dir: string;
  readonly port: number;
  readonly configFile: string;
  readonly command: string;
  readonly args: string[];
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts a server with its output in `dir/server.log` and waits until it answers /v2/. */
async function launch(spec: LaunchSpec): Promise<ServerUnderTest> {
  const logFile = join(spec.dir, 'server.log');
  const out = createWriteStream(logFile);
  const child = spawn(spec.command, spec.args, { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  const url = `http://127.0.0.1:${spec.port}`;
  await waitForV2(url, child, logFile);
  return {
    name: spec.name,
    isBerth: spec.isBerth,
    storage: spec.storage,
    url,
    host: `127.0.0.1:${spec.port}`,
    pid: child.pid!,
    configFile: spec.configFile,
    halt: () => stopChild(child),
    stop: async () => {
      await stopChild(child);
      await rm(spec.dir, { recursive: true, force: true });
    },
  };
}

// Compiled to dist/test/bench/servers.js; Berth's entry point is dist/registry/src/main.js.
const BERTH_MAIN = fileURLToPath(new URL('../../registry/src/main.js', import.meta.url));

export async function startBerth(options: StartOptions): Promise<ServerUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-berth-'));
  const port = await freePort();
  const storage = options.storage === 's3'
    ? {
      s3: {
        endpoint: options.s3!.endpoint, region: options.s3!.region, bucket: options.s3!.bucket,
        accessKey: options.s3!.accessKey, secretKey: options.s3!.secretKey, pathStyle: true, prefix: options.s3Prefix ?? 'berth',
      },
    }
    : { filesystem: { root: join(dir, 'data') } };
  const cfg = join(dir, 'config.yaml');
  // With S3 storage the embedded index needs a path of its own: keep it with the run's data.
  const metadata = { sqlite: { path: join(dir, 'metadata', 'index.db') } };
  await writeFile(cfg, yaml.dump({ http: { listen: `127.0.0.1:${port}` }, storage, metadata, log: { level: 'warn', accessLog: false }, ...options.berthConfig }));
  const nodeArgs = [...REGISTRY_NODE_FLAGS, ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])];
  return launch({ name: 'berth', isBerth: true, storage: options.storage, dir, port, configFile: cfg, command: process.execPath, args: [...nodeArgs, BERTH_MAIN, '--config', cfg], env: { ...REGISTRY_ENV, ...process.env } });
}

function distributionConfig(port: number, dataDir: string, options: StartOptions, v3: boolean): object {
  const storage: Record<string, unknown> = {
    delete: { enabled: true },
    // The standard shipped configuration caches blob descriptors in memory.
    cache: { blobdescriptor: 'inmemory' },
    maintenance: { uploadpurging: { enabled: false } },
  };
  if (options.storage === 's3') {
    const s3 = options.s3!;
    storage.s3 = {
      accesskey: s3.accessKey, secretkey: s3.secretKey, region: s3.region, regionendpoint: s3.endpoint,
      bucket: s3.bucket, forcepathstyle: true, secure: false, rootdirectory: `/${options.s3Prefix ?? 'distribution'}`,
      ...(v3 ? {} : { v4auth: true }),
    };
    // Berth streams blob GETs itself unless told to redirect; make Distribution do the same.
    storage.redirect = { disable: true };
  } else {
    storage.filesystem = { rootdirectory: dataDir };
  }
  return {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage,
    http: { addr: `127.0.0.1:${port}` },
  };
}

async function startDistributionBinary(name: string, binary: string, args: (cfg: string) => string[], options: StartOptions, v3: boolean): Promise<ServerUnderTest> {
  const dir = await mkdtemp(join(tmpdir(), `berth-bench-${name}-`));
  const port = await freePort();
  const cfg = join(dir, 'config.yml');
  await writeFile(cfg, yaml.dump(distributionConfig(port, join(dir, 'data'), options, v3)));
  return launch({ name, isBerth: false, storage: options.storage, dir, port, configFile: cfg, command: binary, args: args(cfg), env: { OTEL_TRACES_EXPORTER: 'none' } });
}

export function startDistributionV3(options: StartOptions): Promise<ServerUnderTest> {
  return startDistributionBinary('dist-3.1.1', toolPath('registry'), (cfg) => ['serve', cfg], options, true);
}

export const DEBIAN_REGISTRY = '/usr/bin/docker-registry';

/** Installs Debian's docker-registry (2.8.2) when missing; false when apt cannot. */
export function ensureDebianRegistry(): boolean {
  if (existsSync(DEBIAN_REGISTRY)) return true;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'docker-registry'], { stdio: 'ignore', timeout: 300_000 });
  return r.status === 0 && existsSync(DEBIAN_REGISTRY);
}

export function startDistribution282(options: StartOptions): Promise<ServerUnderTest> {
  return startDistributionBinary('dist-2.8.2', DEBIAN_REGISTRY, (cfg) => ['serve', cfg], options, false);
}
