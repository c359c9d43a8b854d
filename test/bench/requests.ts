// Request-rate workloads: a fixed number of keep-alive connections for a fixed
// time against one URL (loadgen.ts); requests/s and latency percentiles. Any
// non-2xx answer or connection error is reported, never hidden.
import { cpuSeconds } from './cpu.js';
import { load } from './loadgen.js';
import type { Results } from './results.js';
import type { ServerUnderTest } from './servers.js';

export interface RequestCase {
  readonly name: string;
  readonly method: 'GET' | 'HEAD';
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly connections: number;
  /** Bound on the requests of one measurement (and of its warm-up); the time bounds it too. */
  readonly maxRequests?: number;
}

export interface RequestFigures {
  readonly requests: number;
  readonly rps: number;
  /** Server CPU time per request, in microseconds. */
  readonly cpuMicros: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
}

export async function measure(server: ServerUnderTest, c: RequestCase, seconds: number): Promise<RequestFigures> {
  const options = { url: server.url + c.path, method: c.method, headers: c.headers, connections: c.connections, maxRequests: c.maxRequests };
  await load({ ...options, seconds: Math.min(1, seconds) }); // warm-up (JIT, caches, connections), not recorded
  const cpuBefore = cpuSeconds(server.pid);
  const r = await load({ ...options, seconds });
  const cpuMicros = ((cpuSeconds(server.pid) - cpuBefore) * 1e6) / Math.max(r.requests, 1);
  return { requests: r.requests, rps: r.rps, cpuMicros, p50: r.p50, p99: r.p99, failures: r.failures };
}

export async function runRequestCases(servers: readonly ServerUnderTest[], cases: readonly RequestCase[], seconds: number, repetitions: number,
  results: Results, progress: (line: string) => void): Promise<void> {
  let turn = 0;
  for (const c of cases) {
    for (let rep = 0; rep < repetitions; rep++) {
      const order = turn++ % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        const f = await measure(server, c, seconds);
        if (f.failures) results.notes.push(`${server.name} [${server.storage}] ${c.name}: ${f.failures} failed requests`);
        results.record(server.storage, `${c.name} c=${c.connections}`, 'req/s', true, server.name, f.rps);
        results.record(server.storage, `${c.name} c=${c.connections}`, 'server CPU us/req', false, server.name, f.cpuMicros);
        results.record(server.storage, `${c.name} c=${c.connections}`, 'p50 ms', false, server.name, f.p50);
        results.record(server.storage, `${c.name} c=${c.connections}`, 'p99 ms', false, server.name, f.p99);
        progress(`${server.name} [${server.storage}] ${c.name}: ${f.rps.toFixed(0)} req/s, ${f.cpuMicros.toFixed(0)} us CPU/req, p50 ${f.p50.toFixed(2)} ms p99 ${f.p99.toFixed(2)} ms${f.failures ? ` (${f.failures} failed)` : ''}`);
      }
    }
  }
}
