// The soak: mixed pushes (monolithic and chunked), pulls, tag and catalog
// listings, deletes, abandoned uploads and garbage collections against one
// registry process at moderate concurrency, for a fixed time. Each worker owns its
// repositories, so a pull never races another worker's delete, and keeps at most
// LIVE_PER_WORKER images, so the data set reaches a steady size during the warm-up;
// GC runs beside them all. Resident memory and descriptors are read at the end of the warm-up
// and at the end, both with the load paused, so they compare like with like.
import { readdirSync, readlinkSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import type { RegistryProcess } from './registry-process.js';
import { Client, unexpected, type Answer, type Image } from './workload.js';
import { formatHeapFigures, readHeapFigures, type HeapFigures } from './heap-figures.js';
import { pacer } from './pacer.js';

export interface SoakOptions {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly workers: number;
  readonly gcEveryMs: number;
  /** Steps per second across all workers (each step is one operation of several requests); unpaced when absent. */
  readonly stepsPerSecond?: number;
  /** Progress lines (the long soak prints them). */
  readonly log?: (line: string) => void;
}

/** One reading of the registry's memory while the load runs. */
export type Sample = {
  /** Seconds since the end of the warm-up (negative: during it). */
  seconds: number;
  rssMiB: number;
  /** Anonymous resident memory (heaps, stacks, Buffers) and file-backed (code, libraries). */
  rssAnonMiB: number;
  rssFileMiB: number;
  /** The main thread's `brk` heap. */
  brkMiB: number;
} & HeapFigures;

export interface SoakReport {
  readonly operations: Record<string, number>;
  /** Answers that were neither success nor an expected refusal. */
  readonly errors: Answer[];
  readonly rssWarmMiB: number;
  readonly rssEndMiB: number;
  readonly rssPeakMiB: number;
  /** The registry's heap figures (its /metrics) at the two measurements. */
  readonly heapWarm: HeapFigures;
  readonly heapEnd: HeapFigures;
  /** Every 30 s of the run (not paused): RSS, where it is (native memory), and heap figures. */
  readonly samples: Sample[];
  /** Every 30 s of the warm-up, the same figures: where they level off is where the steady state begins. */
  readonly warmupSamples: Sample[];
  readonly fdsWarm: { files: number; sockets: number };
  readonly fdsEnd: { files: number; sockets: number };
  readonly uploadLeftovers: number;
  readonly liveImages: number;
  readonly notPullable: string[];
  readonly gcRuns: number;
  /** Each collection run after the warm-up: its duration and what it deleted. */
  readonly gcReports: Array<{ seconds: number; blobsDeleted: number }>;
  /** Blobs in the content store at each sample and at the end (garbage not yet collected included). */
  readonly blobsOnDisk: number[];
  readonly requests: number;
  /** Request latency over the run after the warm-up (the workers' requests, not GC's): median and 99th percentile, ms. */
  readonly latencyMs: { p50: number; p99: number };
  readonly seconds: number;
}

/**
 * The registry settings the soak runs with: GC protects only 5 s of new content,
 * abandoned uploads go after 2 s, and the index keeps the newest 20,000 audit records
 * (the default million takes hours to reach): the soak measures a registry whose data
 * has reached its bounds, as a long-running one's has.
 */
export const SOAK_CONFIG: RegistryConfigInput = {
  log: { level: 'warn', accessLog: false },
  gc: { enabled: false, gracePeriodSeconds: 5 },
  uploads: { purgeAfterSeconds: 2, purgeIntervalSeconds: 1 },
  metadata: { audit: { maxRecords: 20_000, pruneIntervalSeconds: 30 } },
};

function statusKiB(pid: number, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** The main thread's `brk` heap (the `[heap]` mapping's RSS in /proc/PID/smaps), MiB. */
function brkHeapMiB(pid: number): number {
  const m = /\[heap\]\n(?:.*\n)*?Rss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/** The SQLite index and its WAL, MiB. */
function indexMiB(dataDir: string): number {
  let bytes = 0;
  for (const f of ['index.db', 'index.db-wal']) {
    try { bytes += statSync(join(dataDir, '_metadata', f)).size; } catch { /* absent */ }
  }
  return bytes / 1048576;
}

/** Blobs in the filesystem content store (`blobs/<alg>/<2 hex>/<hex>`). */
function countBlobs(dataDir: string): number {
  let n = 0;
  const list = (dir: string) => { try { return readdirSync(dir); } catch { return []; } };
  for (const alg of list(join(dataDir, 'blobs'))) {
    for (const prefix of list(join(dataDir, 'blobs', alg))) n += list(join(dataDir, 'blobs', alg, prefix)).length;
  }
  return n;
}

function descriptors(pid: number): { files: number; sockets: number } {
  let files = 0;
  let sockets = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++;
      else files++;
    } catch {
      // closed while listing
    }
  }
  return { files, sockets };
}

/** Live images each worker keeps at most. */
const LIVE_PER_WORKER = 40;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** 400 MANIFEST_BLOB_UNKNOWN after a GC swept a blob pushed before the grace period: the client pushes again. */
const gcRefusal = (a: Answer) => a.status === 400 && a.code === 'MANIFEST_BLOB_UNKNOWN';

export async function runSoak(registry: RegistryProcess, dataDir: string, options: SoakOptions): Promise<SoakReport> {
  const pid = registry.child.pid!;
  const log = options.log ?? (() => {});
  const operations: Record<string, number> = {};
  const count = (op: string) => { operations[op] = (operations[op] ?? 0) + 1; };
  const clients = Array.from({ length: options.workers }, () => new Client(registry.url));
  const live: Image[][] = clients.map(() => []);
  type Phase = 'warmup' | 'paused' | 'run' | 'stop';
  let phase = 'warmup' as Phase;
  const stopped = () => phase === 'stop';
  let rssPeakKiB = 0;
  const sampler = setInterval(() => { rssPeakKiB = Math.max(rssPeakKiB, statusKiB(pid, 'VmRSS')); }, 250);
  let gcRuns = 0;
  const gcReports: SoakReport['gcReports'] = [];
  const gcClient = new Client(registry.url, 600_000); // a collection of a busy store may take minutes
  let pausedWorkers = 0;
  const pace = options.stepsPerSecond ? pacer(options.stepsPerSecond) : async () => {};

  async function step(w: number, n: number): Promise<void> {
    const client = clients[w];
    const mine = live[w];
    // At its cap a worker deletes instead of pushing: the data set stays the same size, so
    // growth in memory is the registry's, not the data's.
    const roll = n % 20 < 7 && mine.length >= LIVE_PER_WORKER ? 15 : n % 20;
    const repo = `soak/w${w}/r${n % 3}`;
    if (roll < 7 || mine.length < 3) {
      const image = await client.pushImage(repo, `t${n}`, { layers: 2, layerBytes: 16 * 1024 + (n % 7) * 8192, chunked: n % 3 === 0 });
      if (image) mine.push(image);
      count('push');
    } else if (roll < 13) {
      const image = mine[(n * 7919) % mine.length];
      const problems = await client.verifyImage(image, n % 2 === 0);
      if (problems.length) throw new Error(`pull of a live image failed: ${problems.join('; ')}`);
      count('pull');
    } else if (roll < 15) {
      await client.request('GET', `/v2/${repo}/tags/list`);
      if (n % 10 === 0) await client.request('GET', '/v2/_catalog?n=100');
      count('list');
    } else if (roll < 18) {
      const [image] = mine.splice((n * 31) % mine.length, 1);
      await client.request('DELETE', `/v2/${image.repo}/manifests/${image.digest}`);
      count('delete');
    } else {
      // An upload started and abandoned: the purger must remove it.
      const start = await client.request('POST', `/v2/${repo}/blobs/uploads/`);
      const location = start.headers.get('location');
      if (location) await client.request('PATCH', location, randomBytes(8192), { 'Content-Type': 'application/octet-stream' });
      count('abandoned upload');
    }
  }

  const workers = clients.map(async (_, w) => {
    for (let n = 0; phase !== 'stop'; n++) {
      if (phase === 'paused') {
        pausedWorkers++;
        while (phase === 'paused') await sleep(50);
        pausedWorkers--;
        // The last pause ends in 'stop': no step after it (an abandoned upload then would count as a leftover).
        if (phase === 'stop') break;
      }
      await pace();
      await step(w, n);
    }
  });
  let gcInFlight: Promise<unknown> = Promise.resolve();
  const gcLoop = (async () => {
    while (!stopped()) {
      await sleep(options.gcEveryMs);
      if (stopped()) break;
      if (phase === 'paused') continue; // nothing runs while memory and descriptors are read
      gcInFlight = gcClient.request('POST', '/admin/gc').then((res) => {
        if (res.answer.status !== 200) return;
        gcRuns++;
        const report = (JSON.parse(res.body.toString('utf8')) as { report?: { durationSeconds: number; blobsDeleted: number } }).report;
        if (report && phase !== 'warmup') gcReports.push({ seconds: report.durationSeconds, blobsDeleted: report.blobsDeleted });
      });
      await gcInFlight;
    }
  })();

  const pauseAndMeasure = async () => {
    phase = 'paused';
    while (pausedWorkers < options.workers) await sleep(20);
    await gcInFlight;
    await sleep(4_000); // in-flight work settles and the purger (every second, for uploads idle 2 s) runs
    return { rss: statusKiB(pid, 'VmRSS') / 1024, fds: descriptors(pid), heap: await readHeapFigures(registry.url) };
  };

  const started = Date.now();
  const warmupEnd = started + options.warmupMs;
  const sampleNow = async (from: number): Promise<Sample> => ({
    seconds: Math.round((Date.now() - from) / 1000),
    rssMiB: statusKiB(pid, 'VmRSS') / 1024,
    rssAnonMiB: statusKiB(pid, 'RssAnon') / 1024,
    rssFileMiB: statusKiB(pid, 'RssFile') / 1024,
    brkMiB: brkHeapMiB(pid),
    ...await readHeapFigures(registry.url),
  });
  const describe = (x: Sample) => `RSS ${x.rssMiB.toFixed(1)} MiB (anon ${x.rssAnonMiB.toFixed(1)}, file ${x.rssFileMiB.toFixed(1)}), brk heap ${x.brkMiB.toFixed(1)} MiB, ${formatHeapFigures(x)}`;
  const warmupSamples: Sample[] = [];
  while (warmupEnd - Date.now() > 1_000) {
    await sleep(Math.min(30_000, warmupEnd - Date.now()));
    if (warmupEnd - Date.now() > 1_000) {
      const sample = await sampleNow(warmupEnd);
      warmupSamples.push(sample);
      log(`warm-up ${sample.seconds} s: ${describe(sample)}, blobs on disk ${countBlobs(dataDir)}, index ${indexMiB(dataDir).toFixed(1)} MiB`);
    }
  }
  const warm = await pauseAndMeasure();
  log(`warm-up done: RSS ${warm.rss.toFixed(1)} MiB, ${formatHeapFigures(warm.heap)}, descriptors ${JSON.stringify(warm.fds)}`);
  phase = 'run';
  const firstRunRequest = clients.map((c) => c.latenciesMs.length);
  const runStart = Date.now();
  const samples: Sample[] = [];
  const blobsOnDisk: number[] = [];
  while (Date.now() - runStart < options.durationMs) {
    await sleep(Math.min(30_000, options.durationMs));
    const sample = await sampleNow(runStart);
    samples.push(sample);
    blobsOnDisk.push(countBlobs(dataDir));
    log(`${sample.seconds} s: ${describe(sample)}, ${JSON.stringify(operations)}, GC runs ${gcRuns}, blobs on disk ${blobsOnDisk.at(-1)}, index ${indexMiB(dataDir).toFixed(1)} MiB`);
  }
  const end = await pauseAndMeasure();
  blobsOnDisk.push(countBlobs(dataDir));
  const runLatencies = clients.flatMap((c, w) => c.latenciesMs.slice(firstRunRequest[w])).sort((a, b) => a - b);
  const percentile = (p: number) => runLatencies[Math.min(runLatencies.length - 1, Math.floor(runLatencies.length * p))] ?? Number.NaN;
  phase = 'stop';
  await Promise.all([...workers, gcLoop]);
  clearInterval(sampler);

  const answers = [...clients.flatMap((c) => c.answers), ...gcClient.answers];
  // After the pause the purger has had its run; anything left under _uploads is a leak.
  let uploadLeftovers = 0;
  try {
    uploadLeftovers = readdirSync(join(dataDir, '_uploads')).length;
  } catch {
    uploadLeftovers = 0;
  }
  const checker = new Client(registry.url);
  const notPullable: string[] = [];
  for (const image of live.flat()) notPullable.push(...await checker.verifyImage(image));
  return {
    operations,
    errors: unexpected(answers, gcRefusal),
    rssWarmMiB: warm.rss,
    rssEndMiB: end.rss,
    rssPeakMiB: rssPeakKiB / 1024,
    heapWarm: warm.heap,
    heapEnd: end.heap,
    samples,
    warmupSamples,
    fdsWarm: warm.fds,
    fdsEnd: end.fds,
    uploadLeftovers,
    liveImages: live.flat().length,
    notPullable,
    gcRuns,
    gcReports,
    blobsOnDisk,
    requests: answers.length,
    latencyMs: { p50: percentile(0.5), p99: percentile(0.99) },
    seconds: (Date.now() - started) / 1000,
  };
}
