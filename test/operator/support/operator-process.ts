// Runs the built operator (dist/operator/src/main.js) as a child process, the way
// it runs in a cluster, and exposes its JSON log lines and health port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeState, writeState } from '../../harness/control-plane/processes.js';

const repoRoot = (() => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error('package.json not found');
})();
export const operatorMain = join(repoRoot, 'dist', 'operator', 'src', 'main.js');

export interface LogLine {
  msg: string;
  level: string;
  [k: string]: unknown;
}

export interface OperatorOptions {
  kubeconfig: string;
  namespace: string;
  leaseNamespace: string;
  leaseName?: string;
  identity: string;
  args?: string[];
}

export class OperatorProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private listeners: Array<() => void> = [];

  constructor(readonly opts: OperatorOptions) {
    if (!existsSync(operatorMain)) throw new Error(`${operatorMain} missing: run npm run build first`);
    this.child = spawn(process.execPath, [
      operatorMain,
      `--kubeconfig=${opts.kubeconfig}`,
      `--namespace=${opts.namespace}`,
      `--leader-election-namespace=${opts.leaseNamespace}`,
      `--leader-election-id=${opts.leaseName ?? 'berth-operator'}`,
      `--identity=${opts.identity}`,
      '--health-addr=127.0.0.1:0',
      ...(opts.args ?? []),
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let buf = '';
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line));
        } catch {
          this.lines.push({ msg: line, level: 'raw' });
        }
        for (const l of this.listeners) l();
      }
    });
    // Recorded like the control plane's processes, so a crashed test run's operators are cleaned up too.
    const stateName = `operator-${this.child.pid}`;
    writeState(stateName, { ownerPid: process.pid, processes: [{ pid: this.child.pid!, binary: process.execPath, script: operatorMain }] });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      removeState(stateName);
      resolve(code ?? (signal ? -1 : null));
    }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first log line matching, failing after timeoutMs or if the process exits. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.find(match);
        if (hit) {
          cleanup();
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`operator ${this.opts.identity}: no matching log line after ${timeoutMs} ms; last lines:\n${this.tail()}`));
      }, timeoutMs);
      void this.exited.then(() => {
        check();
        cleanup();
        reject(new Error(`operator ${this.opts.identity} exited; last lines:\n${this.tail()}`));
      });
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  async healthPort(): Promise<number> {
    const line = await this.waitForLog((l) => l.msg === 'health server listening');
    return line.port as number;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${await this.healthPort()}${path}`);
    return { status: res.status, body: await res.text() };
  }

  isLeader(): boolean {
    return this.lines.some((l) => l.msg === 'became leader');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  tail(n = 15): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }
}
