// Runs the built operator with exactly the command line of the container in the
// Deployment the chart installed (pods cannot run in the test bed). The only
// differences from the pod: `$(VAR)` references are expanded from the given
// environment as the kubelet would, /healthz+/metrics listen on a free loopback
// port, and credentials come from a kubeconfig instead of the mounted token.
import { spawn, type ChildProcess } from 'node:child_process';
import type { KubeObject } from '../../../operator/src/kube/types.js';
import { operatorMain, type LogLine } from '../support/operator-process.js';

export function containerArgs(deployment: KubeObject, env: Record<string, string>, kubeconfig: string): string[] {
  const spec = deployment.spec as { template: { spec: { containers: Array<{ args?: string[] }> } } };
  const args = spec.template.spec.containers[0].args ?? [];
  return [
    ...args
      .map((a) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole))
      .map((a) => (a.startsWith('--health-addr=') ? '--health-addr=127.0.0.1:0' : a)),
    `--kubeconfig=${kubeconfig}`,
  ];
}

export class DeploymentOperator {
  readonly lines: LogLine[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private waiters: Array<() => void> = [];

  constructor(readonly args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [operatorMain, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let buf = '';
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
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
      for (const w of this.waiters) w();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  }

  waitForLog(match: (l: LogLine) => boolean, timeoutMs = 30_000): Promise<LogLine> {
    return new Promise((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        fn();
      };
      const check = () => {
        const hit = this.lines.find(match);
        if (hit) done(() => resolve(hit));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`no matching operator log line after ${timeoutMs} ms:\n${this.tail()}`))), timeoutMs);
      void this.exited.then(() => {
        check();
        done(() => reject(new Error(`operator exited:\n${this.tail()}`)));
      });
      this.waiters.push(check);
      check();
    });
  }

  async metrics(): Promise<string> {
    const { port } = await this.waitForLog((l) => l.msg === 'health server listening');
    const res = await fetch(`http://127.0.0.1:${port as number}/metrics`);
    if (!res.ok) throw new Error(`operator /metrics answered ${res.status}`);
    return res.text();
  }

  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  tail(n = 20): string {
    return this.lines.slice(-n).map((l) => JSON.stringify(l)).join('\n');
  }
}
