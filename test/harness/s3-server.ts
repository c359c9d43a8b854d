// A real S3-compatible server for tests and benchmarks: MinIO (single drive) or
// versitygw (posix backend), both built from the Go module proxy by
// scripts/testbed/build.sh, bound to loopback on a free port with their own
// random credentials. Starting fails loudly (with the server log) rather than
// letting a suite skip.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { Client } from 'minio';
import { makeCerts } from './control-plane/certs.js';
import { freePort } from './control-plane/ports.js';
import { s3Binary, s3Launch, type S3Implementation } from './s3-implementations.js';
import {
  killStaleProcesses, removeState, startProcess, stopProcess, writeState, type ManagedProcess,
} from './control-plane/processes.js';

export type { S3Implementation } from './s3-implementations.js';

export interface S3Server {
  readonly implementation: S3Implementation;
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  /** A bucket created for this server. */
  readonly bucket: string;
  readonly logFile: string;
  /** With `tls`: the CA that signed the server's certificate (for 127.0.0.1 and localhost). */
  readonly caFile?: string;
  /** A client for the server, for tests that inspect the bucket directly. */
  client(): Client;
  /** Stops the process (SIGKILL-free when possible); data stays until stop(). */
  kill(): Promise<void>;
  /** Starts the process again on the same port and data (after kill()). */
  restart(): Promise<void>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

// Measured on a 2-core machine: MinIO formats its drive and answers within 0.4-0.7 s
// (503 until then), versitygw faster; the bound is for a loaded machine.
const READY_TIMEOUT_MS = 30_000;

function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface S3ServerOptions {
  /** Which server; versitygw unless a suite asks for MinIO. */
  readonly implementation?: S3Implementation;
  /** Serve HTTPS with a certificate from a throwaway CA. */
  readonly tls?: boolean;
}

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const implementation = options.implementation ?? 'versitygw';
  s3Binary(implementation); // fails with the build hint before anything starts
  killStaleProcesses(); // servers of earlier runs that died without stopping them
  const dir = await mkdtemp(join(tmpdir(), `berth-${implementation}-`));
  const logFile = join(dir, `${implementation}.log`);
  const accessKey = `berth${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(24).toString('hex');
  const bucket = 'berth-test';
  const port = await freePort();
  const certs = options.tls ? makeCerts(dir) : undefined;
  const endpoint = `${certs ? 'https' : 'http'}://127.0.0.1:${port}`;
  const { binary, args, env } = await s3Launch(implementation, { dir, port, accessKey, secretKey, certs });

  const stateName = `${implementation}-${port}`;
  const launch = (): ManagedProcess => {
    const p = startProcess(implementation, binary, args, logFile, env);
    // Recorded so a later run kills it if this test process dies without stop().
    writeState(stateName, { ownerPid: process.pid, dir, processes: [{ pid: p.child.pid!, binary }] });
    return p;
  };
  let proc = launch();
  const client = () => new Client({
    endPoint: '127.0.0.1', port, useSSL: !!certs, accessKey, secretKey, region: 'us-east-1', pathStyle: true,
    // waitReady polls on its own (MinIO answers 503 while it starts); the client's retry would only log.
    retryOptions: { disableRetry: true },
    ...(certs ? { transportAgent: new https.Agent({ ca: readFileSync(certs.caCert) }) } : {}),
  });

  async function waitReady(createBucket: boolean): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError: unknown;
    const c = client();
    while (Date.now() < deadline) {
      if (proc.child.exitCode !== null || proc.child.signalCode !== null) {
        throw new Error(`${implementation} exited with ${proc.child.exitCode ?? proc.child.signalCode} before it was ready; log:\n${logTail(logFile)}`);
      }
      try {
        if (createBucket) {
          if (!(await c.bucketExists(bucket))) await c.makeBucket(bucket, 'us-east-1');
        } else {
          await c.bucketExists(bucket);
        }
        return;
      } catch (err) {
        lastError = err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await stopProcess(proc, 2_000);
    throw new Error(`${implementation} did not become ready on ${endpoint} within ${READY_TIMEOUT_MS / 1000}s `
      + `(last error: ${(lastError as Error)?.message}); log:\n${logTail(logFile)}`);
  }

  try {
    await waitReady(true);
  } catch (err) {
    removeState(stateName);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    implementation, endpoint, accessKey, secretKey, bucket, logFile, client, caFile: certs?.caCert,
    kill: () => stopProcess(proc, 5_000),
    restart: async () => {
      proc = launch();
      await waitReady(false);
    },
    stop: async () => {
      await stopProcess(proc, 5_000);
      removeState(stateName);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
