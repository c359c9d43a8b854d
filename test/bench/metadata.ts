// `npm run bench:metadata [-- --json=FILE]`
// The metadata index on both engines, side by side, as the registry uses it:
// SQLite in-process (a file on local disk, WAL) and PostgreSQL 15 from Debian
// (test/harness/postgres.ts, durable settings) on loopback. One child process
// fills each index through the write path's calls, a fresh one then reads it
// (metadata-workload.ts), so the resident memory reported is the reader's own.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IndexOptions } from '../../registry/src/metadata/config.js';
import { POSTGRES_BIN, startPostgres } from '../harness/postgres.js';
import { machineDescription } from './machine.js';
import { readWorkload, seedWorkload, type Figures } from './metadata-workload.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const args = process.argv.slice(2);
const flagValue = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');

/** Proportional set size of a postmaster and its backends (shared buffers counted once). */
function postgresPssMiB(postmaster: number): number {
  const pids = [postmaster];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  let kib = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      kib += m ? Number(m[1]) : 0;
    } catch {
      // exited meanwhile
    }
  }
  return kib / 1024;
}

/** In the child: seed or read, and print the figures as JSON. */
async function child(): Promise<void> {
  const options = JSON.parse(flagValue('child')!) as IndexOptions;
  const postmaster = Number(flagValue('postmaster') ?? 0);
  const figures = flagValue('mode') === 'seed'
    ? await seedWorkload(options)
    : await readWorkload(options, postmaster ? () => postgresPssMiB(postmaster) : undefined);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

function runChild(mode: 'seed' | 'read', options: IndexOptions, postmaster?: number): Promise<Figures> {
  const script = fileURLToPath(import.meta.url);
  const childArgs = ['--expose-gc', script, `--mode=${mode}`, `--child=${JSON.stringify(options)}`, ...(postmaster ? [`--postmaster=${postmaster}`] : [])];
  return new Promise((resolvePromise, reject) => {
    execFile(process.execPath, childArgs, { maxBuffer: 16 * 1024 * 1024, timeout: 20 * 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolvePromise(JSON.parse(stdout.trim().split('\n').at(-1)!) as Figures);
    });
  });
}

function render(columns: Record<string, Figures>): string {
  const names = Object.keys(columns);
  const rows = [...new Set(names.flatMap((n) => Object.keys(columns[n])))];
  const cell = (v: number | undefined) => (v === undefined ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const lines = [['measure', ...names], ...rows.map((r) => [r, ...names.map((n) => cell(columns[n][r]))])];
  const widths = lines[0].map((_, i) => Math.max(...lines.map((l) => l[i].length)));
  return lines.map((l) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')).join('\n');
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(`machine: ${machineDescription()}`);
  // build.sh waits for the shared build lock; skip it when PostgreSQL is already installed.
  if (!existsSync(join(POSTGRES_BIN, 'initdb'))) execFileSync('bash', [join(REPO_ROOT, 'scripts/testbed/build.sh'), 'postgres'], { stdio: 'inherit' });
  const dir = await mkdtemp(join(tmpdir(), 'berth-bench-metadata-'));
  const columns: Record<string, Figures> = {};
  try {
    const sqlite: IndexOptions = { engine: { engine: 'sqlite', path: join(dir, 'index.db') } };
    log('sqlite: seeding');
    columns.sqlite = await runChild('seed', sqlite);
    log('sqlite: reading');
    Object.assign(columns.sqlite, await runChild('read', sqlite));
    const pg = await startPostgres({ durable: true });
    try {
      const postgres: IndexOptions = { engine: { engine: 'postgres', url: await pg.createDatabase('bench') } };
      log('postgres: seeding');
      columns.postgres = await runChild('seed', postgres);
      log('postgres: reading');
      Object.assign(columns.postgres, await runChild('read', postgres, pg.postmasterPid()));
    } finally {
      await pg.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  log(`\n${render(columns)}`);
  const json = flagValue('json');
  if (json) await writeFile(json, JSON.stringify({ machine: machineDescription(), columns }, null, 2));
}

(flagValue('child') ? child() : main()).catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
