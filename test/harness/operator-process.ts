// Runs the built operator (dist/operator/src/main.js) as a child process, the way
// it runs in a cluster, and exposes its JSON log lines and health port. Operator
// tests, the Helm install test and the operator benchmark all start it here.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { removeState, writeState } from './control-plane/processes.js';
import { REPO_ROOT } from './registry-process.js';

export const OPERATOR_MAIN = join(REPO_ROOT, 'dist', 'operator', 'src', 'main.js');

export interface LogLine {
  msg: string;
  level: string;
  [k: string]: unknown;
}

export interface OperatorProcessOptions {
  /** Everything after main.js on the command line. */
  args: string[];
  /** Added to this process's environment. */
  env?: Record<string, string>;
  /** Names the process in failure messages. */
  label?: string;
  /** Also copy the operator's stderr to ours (benchmarks, where nobody reads `lines`). */
  echo?: boolean;
}

export class OperatorProcess {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private listeners: Array<() => void> = [];

  constructor(readonly opts: OperatorProcessOptions) {
    if (!existsSync(OPERATOR_MAIN)) throw new Error(`${OPERATOR_MAIN} missing: run npm run build first`);
    this.child = spawn(process.execPath, [OPERATOR_MAIN, ...opts.args], {
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let buf = '';
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      if (opts.echo) process.stderr.write(chunk);
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as LogLine);
        } catch {
          this.lines.push({ msg: line, level: 'raw' });
        }
      }
      for (const l of this.listeners) l();
    });
    // Recorded like the control plane's processes, so a crashed run's operators are cleaned up too.
    const stateName = `operator-${this.child.pid}`;
    writeState(stateName, { ownerPid: process.pid, processes: [{ pid: this.child.pid!, binary: process.execPath, script: OPERATOR_MAIN }] });
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

  private get label(): string {
    return `operator ${this.opts.label ?? this.pid}`;
  }

  /** Resolves with the first log line matching, failing after timeoutMs or if the process exits. */
  waitForLog(match: (l: LogLine) => boolean, timeoutMs = 60_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
        settle();
      };
      const check = () => {
        const hit = this.lines.find(match);
        if (hit) done(() => resolve(hit));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`${this.label}: no matching log line after ${timeoutMs} ms; last lines:\n${this.tail()}`))), timeoutMs);
      void this.exited.then(() => {
        check();
        done(() => reject(new Error(`${this.label} exited; last lines:\n${this.tail()}`)));
      });
      this.listeners.push(check);
      check();
    });
  }

  async healthPort(): Promise<number> {
    const line = await this.waitForLog((l) => l.msg === 'health server listening');
    return line.port as number;
  }

  /** GET on the health server (/healthz, /readyz, /metrics). */
  async get(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${await this.healthPort()}${path}`);
    return { status: res.status, body: await res.text() };
  }

  async metrics(): Promise<string> {
    const { status, body } = await this.get('/metrics');
    if (status !== 200) throw new Error(`${this.label}: /metrics answered ${status}`);
    return body;
  }

  isLeader(): boolean {
    return this.lines.some((l) => l.msg === 'became leader');
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** A graceful shutdown, as Kubernetes stops a pod. */
  stop(): Promise<number | null> {
    return this.kill('SIGTERM');
  }

  tail(n = 20): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }
}
