// The machine's own limits, measured in the same run as the registries so their
// figures can be read against them: sha256 throughput of Node's crypto, sequential
// disk write throughput (with the fsync a durable registry pays), and a minimal
// Node server that hashes and writes an upload (limit-server.ts).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { open, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { HttpClient } from './http-client.js';
import { MiB } from './results.js';
import { BlobFactory } from './registry-ops.js';

export function sha256Throughput(totalBytes: number): number {
  const chunk = randomBytes(MiB);
  const hash = createHash('sha256');
  const start = performance.now();
  for (let done = 0; done < totalBytes; done += chunk.length) hash.update(chunk);
  hash.digest();
  return totalBytes / MiB / ((performance.now() - start) / 1000);
}

export async function diskWriteThroughput(dir: string, totalBytes: number): Promise<number> {
  const chunk = randomBytes(MiB);
  const file = join(dir, `disk-probe-${process.pid}`);
  const handle = await open(file, 'w');
  const start = performance.now();
  try {
    for (let done = 0; done < totalBytes; done += chunk.length) await handle.write(chunk);
    await handle.sync();
  } finally {
    await handle.close();
  }
  const seconds = (performance.now() - start) / 1000;
  await rm(file, { force: true });
  return totalBytes / MiB / seconds;
}

/** Upload throughput (MiB/s) into limit-server.ts: the ceiling for hash-and-write in Node on this machine. */
export async function hashWriteLimit(dir: string, blobBytes: number, uploads: number): Promise<number> {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'limit-server.js');
  const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', (l) => resolve(Number(l)));
    child.once('exit', (code) => reject(new Error(`limit server exited with ${code}`)));
  });
  const client = new HttpClient(`http://127.0.0.1:${port}`, 1);
  const factory = new BlobFactory(blobBytes);
  let best = 0;
  try {
    for (let i = 0; i < uploads; i++) {
      const { parts, digest } = factory.next();
      const start = performance.now();
      const res = await client.expect(201, 'PUT', '/upload', { body: parts });
      const seconds = (performance.now() - start) / 1000;
      if (res.body.toString() !== digest) throw new Error('limit server computed a different digest');
      best = Math.max(best, blobBytes / MiB / seconds);
    }
  } finally {
    client.close();
    child.kill('SIGTERM');
  }
  return best;
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`;
}
