// Blob workloads: monolithic (POST + PUT) and chunked (POST + PATCHes + PUT)
// pushes of fixed-size blobs at several concurrencies, then pulls of the same
// blobs. Every upload is distinct content. Runs alternate between servers.
import { cpuSeconds } from './cpu.js';
import { HttpClient, pool } from './http-client.js';
import { BlobFactory, pullBlob, pushChunked, pushMonolithic } from './registry-ops.js';
import { MiB, type Results } from './results.js';
import type { ServerUnderTest } from './servers.js';

export interface BlobCase {
  readonly size: number;
  readonly concurrency: number;
  readonly mode: 'monolithic' | 'chunked';
  /** Number of blobs pushed (and then pulled) per server per repetition. */
  readonly count: number;
}

/** PATCH requests per chunked upload. */
export const CHUNKS = 4;

function label(size: number): string {
  return size >= MiB ? `${size / MiB} MiB` : `${size} B`;
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export async function runBlobCases(servers: readonly ServerUnderTest[], cases: readonly BlobCase[], repetitions: number, results: Results,
  progress: (line: string) => void): Promise<void> {
  const clients = new Map(servers.map((s) => [s.name, new HttpClient(s.url, 64)]));
  try {
    let turn = 0;
    for (const c of cases) {
      const factory = new BlobFactory(c.size);
      const name = `${c.mode} push ${label(c.size)} x${c.count} c=${c.concurrency}`;
      const pullName = `pull ${label(c.size)} x${c.count} c=${c.concurrency} (${c.mode}-pushed)`;
      for (let rep = 0; rep < repetitions; rep++) {
        for (const server of rotate(servers, turn++)) {
          const client = clients.get(server.name)!;
          const repo = `bench/blobs-${c.mode}`;
          const blobs = Array.from({ length: c.count }, () => factory.next());
          const cpu0 = cpuSeconds(server.pid);
          const pushStart = performance.now();
          await pool(c.count, c.concurrency, async (i) => {
            const { parts, digest } = blobs[i];
            if (c.mode === 'monolithic') await pushMonolithic(client, repo, parts, digest);
            else await pushChunked(client, repo, parts, digest, CHUNKS);
          });
          const pushSeconds = (performance.now() - pushStart) / 1000;
          const cpu1 = cpuSeconds(server.pid);
          const pullStart = performance.now();
          await pool(c.count, c.concurrency, (i) => pullBlob(client, repo, blobs[i].digest, c.size));
          const pullSeconds = (performance.now() - pullStart) / 1000;
          const cpu2 = cpuSeconds(server.pid);
          const total = (c.count * c.size) / MiB;
          results.record(server.storage, name, 'server CPU s/GiB', false, server.name, ((cpu1 - cpu0) * 1024) / total);
          results.record(server.storage, pullName, 'server CPU s/GiB', false, server.name, ((cpu2 - cpu1) * 1024) / total);
          results.record(server.storage, name, 'MiB/s', true, server.name, total / pushSeconds);
          results.record(server.storage, pullName, 'MiB/s', true, server.name, total / pullSeconds);
          progress(`${server.name} [${server.storage}] ${name}: ${(total / pushSeconds).toFixed(1)} MiB/s push, ${(total / pullSeconds).toFixed(1)} MiB/s pull`);
        }
      }
    }
  } finally {
    for (const c of clients.values()) c.close();
  }
}
