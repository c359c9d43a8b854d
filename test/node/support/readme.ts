// Runs the README's quick start exactly as written: its fenced bash block, in
// bash with -euo pipefail, from a directory that has the repository's charts/
// and examples/ (and app.tar, the image the block pushes), with kubectl, helm and
// crane first on PATH and the node's kubeconfig. Background jobs it starts
// (kubectl port-forward) are killed with its process group.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT } from '../../harness/registry-process.js';

export const QUICK_START_HEADING = '## Quick start (Kubernetes)';

/** The first ```bash block after the quick start heading. */
export function quickStartScript(readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')): string {
  const start = readme.indexOf(QUICK_START_HEADING);
  if (start < 0) throw new Error(`README.md has no "${QUICK_START_HEADING}" section`);
  const block = /```bash\n([\s\S]*?)```/.exec(readme.slice(start));
  if (!block) throw new Error('the quick start has no ```bash block');
  return block[1];
}

export interface ScriptRun {
  code: number | null;
  output: string;
  seconds: number;
}

export async function runQuickStart(opts: { kubeconfig: string; binDir: string; appImage: string; timeoutMs: number }): Promise<ScriptRun> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-quickstart-'));
  symlinkSync(join(REPO_ROOT, 'charts'), join(dir, 'charts'));
  symlinkSync(join(REPO_ROOT, 'examples'), join(dir, 'examples'));
  copyFileSync(opts.appImage, join(dir, 'app.tar'));
  const env = {
    PATH: `${opts.binDir}:${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    KUBECONFIG: opts.kubeconfig,
    HOME: dir,
    HELM_CONFIG_HOME: join(dir, '.helm', 'config'),
    HELM_CACHE_HOME: join(dir, '.helm', 'cache'),
    HELM_DATA_HOME: join(dir, '.helm', 'data'),
  };
  const started = Date.now();
  const child = spawn('bash', ['-euo', 'pipefail', '-x', '-c', quickStartScript()], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), opts.timeoutMs);
  // 'exit', not 'close': the port-forward it leaves in the background keeps the pipes open.
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  try {
    process.kill(-child.pid!, 'SIGTERM'); // the port-forward it left running
  } catch {
    // the group is gone already
  }
  rmSync(dir, { recursive: true, force: true });
  return { code, output, seconds: (Date.now() - started) / 1000 };
}
