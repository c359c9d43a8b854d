// A real PostgreSQL 15 for tests and benchmarks, from Debian's packages (installed
// by scripts/testbed/build.sh postgres): initdb into a fresh folder as the
// unprivileged `postgres` user, one server on a loopback port, a fresh database per
// call of createDatabase(), and `pg_ctl -m fast stop` at the end. Starting fails
// loudly (with the server log) rather than letting a suite skip.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './control-plane/ports.js';
import { killStaleProcesses, removeState, writeState } from './control-plane/processes.js';

const run = promisify(execFile);

export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
const SUPERUSER = 'berth';

export interface PostgresServer {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly logFile: string;
  /** PID of the running postmaster (its backends are its children). */
  postmasterPid(): number;
  /** Creates an empty database (a fresh name unless given) and returns its connection URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server, keeping its data (a database outage). */
  pause(): Promise<void>;
  /** Starts the server again on the same port and data, after pause(). */
  resume(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /**
   * fsync and synchronous commit as in production. Off by default: tests need no
   * durability across a machine crash, and it makes each commit a disk flush.
   */
  readonly durable?: boolean;
}

function binary(name: string): string {
  const path = join(POSTGRES_BIN, name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: run scripts/testbed/build.sh postgres (the test command does this first)`);
  }
  return path;
}

/** Runs a PostgreSQL program as the `postgres` user when we are root (initdb refuses root). */
async function runAsPostgres(program: string, args: string[]): Promise<string> {
  const [cmd, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
  try {
    const { stdout } = await run(cmd, argv, { timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

async function ownedByPostgres(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  chownSync(dir, Number(uid.trim()), Number(gid.trim()));
}

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const initdb = binary('initdb');
  const pgCtl = binary('pg_ctl');
  killStaleProcesses(); // servers of earlier runs that died without stopping them
  const dir = await mkdtemp(join(tmpdir(), 'berth-pg-'));
  await ownedByPostgres(dir);
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const port = await freePort();
  const host = '127.0.0.1';
  const stateName = `postgres-${port}`;
  const settings = [
    `-c listen_addresses=${host}`, `-p ${port}`, `-k ${dir}`, '-c max_connections=200',
    ...(options.durable ? [] : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
  ].join(' ');

  const postmasterPid = () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const start = async (): Promise<void> => {
    try {
      await runAsPostgres(pgCtl, ['-D', data, '-l', logFile, '-o', settings, '-w', '-t', '60', 'start']);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nserver log:\n${logTail(logFile)}`);
    }
    const pid = postmasterPid();
    // Recorded so a later run kills it if this test process dies without stop().
    writeState(stateName, { ownerPid: process.pid, dir, processes: [{ pid, binary: join(POSTGRES_BIN, 'postgres') }] });
  };
  const stopServer = async (): Promise<void> => {
    if (existsSync(join(data, 'postmaster.pid'))) await runAsPostgres(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
  };

  try {
    await runAsPostgres(initdb, ['-D', data, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    await start();
  } catch (err) {
    removeState(stateName);
    await stopServer().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const url = (database: string) => `postgres://${SUPERUSER}@${host}:${port}/${database}`;
  let created = 0;
  return {
    host, port, user: SUPERUSER, logFile, postmasterPid,
    async createDatabase(name) {
      const database = name ?? `berth_${process.pid}_${++created}`;
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${database}"`);
      } finally {
        await client.end();
      }
      return url(database);
    },
    pause: stopServer,
    resume: start,
    async stop() {
      await stopServer();
      removeState(stateName);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
