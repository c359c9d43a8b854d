// Child processes of a control plane: started with their output in a log file,
// stopped with SIGTERM then SIGKILL, and recorded (PID + binary) in a state file
// so a later run can kill what a crashed run left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const stateDir = join(tmpdir(), 'berth-testbed');

export interface ManagedProcess {
  name: string;
  binary: string;
  child: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
}

export function startProcess(name: string, binary: string, args: string[], logFile: string, env: NodeJS.ProcessEnv = process.env): ManagedProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(binary, args, { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  return { name, binary, child, logFile, exited };
}

export async function stopProcess(p: ManagedProcess, graceMs = 20_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

export interface ProcessRecord {
  pid: number;
  binary: string;
  /** When binary is an interpreter (node), its first argument tells our process from any other. */
  script?: string;
}

interface StateFile {
  ownerPid: number;
  dir?: string;
  processes: ProcessRecord[];
}

export function writeState(name: string, state: StateFile): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(join(stateDir, `${name}.json`), JSON.stringify(state));
}

export function removeState(name: string): void {
  rmSync(join(stateDir, `${name}.json`), { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills processes recorded by runs whose owner (the test process) is gone, but
 * only if the PID still runs one of our binaries (PIDs get reused).
 */
export function killStaleProcesses(log: (msg: string) => void = () => {}): void {
  if (!existsSync(stateDir)) return;
  for (const file of readdirSync(stateDir).filter((f) => f.endsWith('.json'))) {
    const path = join(stateDir, file);
    let state: StateFile;
    try {
      state = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    if (alive(state.ownerPid)) continue;
    for (const { pid, binary, script } of state.processes) {
      let argv: string[];
      try {
        argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      } catch {
        continue; // already gone
      }
      if (argv[0] === binary && (script === undefined || argv[1] === script)) {
        log(`killing stale ${binary} (pid ${pid}) from an earlier run`);
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
    }
    if (state.dir) rmSync(state.dir, { recursive: true, force: true });
    rmSync(path, { force: true });
  }
}
