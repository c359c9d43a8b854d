// Locations of the Go-built test tools (scripts/testbed/build.sh) and a runner for them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CACHE_DIR = process.env.BERTH_CACHE ?? join(homedir(), '.cache', 'berth');
export const BIN_DIR = join(CACHE_DIR, 'bin');

export type Tool = 'conformance' | 'crane' | 'oras' | 'helm' | 'regctl' | 'cosign' | 'registry' | 'versitygw'
  | 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'skopeo' | 'berth-credential-provider' | 'osv-scanner';

/** Absolute path of a tool; throws (never skips) when the build step did not produce it. */
export function toolPath(tool: Tool): string {
  if (tool === 'skopeo') {
    for (const p of ['/usr/bin/skopeo', '/usr/local/bin/skopeo']) if (existsSync(p)) return p;
    throw new Error('skopeo is not installed: run scripts/testbed/build.sh skopeo');
  }
  const p = join(BIN_DIR, tool);
  if (!existsSync(p)) throw new Error(`${tool} is missing from ${BIN_DIR}: run scripts/testbed/build.sh ${tool}`);
  return p;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

/** A tool by name, or an executable by its path. */
export type ToolOrPath = Tool | `${string}/${string}`;

/** Runs a tool and resolves with its output and exit code (never rejects on a non-zero exit). */
export function run(tool: ToolOrPath, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<RunResult> {
  const file = tool.includes('/') ? tool : toolPath(tool as Tool);
  return new Promise((resolve) => {
    const child = execFile(file, args, {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
      timeout: options.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ stdout: stdout.toString(), stderr: stderr.toString(), code });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Like run, but throws with the tool's output when it fails. */
export async function runOk(tool: ToolOrPath, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(tool, args, options);
  if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}
