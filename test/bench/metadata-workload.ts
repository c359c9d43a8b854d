// One engine's measurements, run in a child process of metadata.ts so its resident
// memory is its own: the index API as the registry uses it, on 10,000 tags (and
// manifests) in one repository and 10,000 repositories.
import { createHash } from 'node:crypto';
import type { IndexOptions } from '../../registry/src/metadata/config.js';
import { markRepository } from '../../registry/src/metadata/gc-mark.js';
import { MetadataIndex, type ManifestRecord } from '../../registry/src/metadata/index.js';

export const TAGS = 10_000;
export const REPOS = 10_000;
const REPO = 'bench/big';
const POINT_READS = 20_000;
const PAGE_READS = 300;
const REPEATS = 10;

export interface Figures {
  [name: string]: number;
}

const digestOf = (seed: string) => `sha256:${createHash('sha256').update(seed).digest('hex')}`;
const rssMiB = () => process.memoryUsage().rss / 1024 / 1024;
const heapMiB = () => process.memoryUsage().heapUsed / 1024 / 1024;

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** p50 and p99 in microseconds of `n` sequential calls. */
async function latencies(n: number, call: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    out.push((performance.now() - t) * 1000);
  }
  out.sort((a, b) => a - b);
  return { p50: quantile(out, 0.5), p99: quantile(out, 0.99) };
}

/** Median milliseconds of `REPEATS` runs. */
async function median(call: () => Promise<unknown>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t = performance.now();
    await call();
    out.push(performance.now() - t);
  }
  out.sort((a, b) => a - b);
  return quantile(out, 0.5);
}

/** Starts watching the event loop; the returned function stops and gives the longest gap between 1 ms ticks. */
function stallMeter(): () => number {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  return () => {
    clearInterval(timer);
    return Math.max(longest, performance.now() - last);
  };
}

function image(i: number): ManifestRecord {
  const platform = { os: 'linux', architecture: i % 2 ? 'arm64' : 'amd64' };
  return {
    repo: REPO, digest: digestOf(`m${i}`), mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1_000 + i,
    artifactType: 'application/vnd.oci.image.config.v1+json', configDigest: digestOf(`c${i}`), created: 1_700_000_000_000 + i,
    platforms: [platform],
    refs: [{ digest: digestOf(`c${i}`), kind: 'config', size: 500 }, { digest: digestOf('shared-layer'), kind: 'layer', size: 10_000_000 }],
  };
}

/** Runs `count` calls, `concurrency` at a time; returns calls per second. */
async function rate(count: number, concurrency: number, call: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) await call(next++);
  }));
  return count / ((performance.now() - t) / 1000);
}

/** Tag moves on one instance, heard by a second one (its own pool and LISTEN connection). */
async function replicaLatency(a: MetadataIndex, options: IndexOptions): Promise<Figures> {
  const b = await MetadataIndex.open(options);
  try {
    const heard: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t = performance.now();
      const arrived = new Promise<void>((resolve) => {
        const off = b.invalidations.subscribe((events) => {
          if (events.some((e) => e.kind === 'tag' && e.tag === 'moving')) {
            off();
            resolve();
          }
        });
      });
      await a.setTag(REPO, 'moving', digestOf(`m${i}`));
      await arrived;
      heard.push((performance.now() - t) * 1000);
    }
    heard.sort((x, y) => x - y);
    return { 'tag move on A heard by B p50 (us, incl. the write)': quantile(heard, 0.5), 'tag move on A heard by B p99 (us)': quantile(heard, 0.99) };
  } finally {
    await b.close();
  }
}

/** Fills the index through the write path's calls; returns the write rates. */
export async function seedWorkload(options: IndexOptions): Promise<Figures> {
  const f: Figures = {};
  const index = await MetadataIndex.open(options);
  try {
    await index.linkBlob(REPO, digestOf('shared-layer'), 10_000_000);
    const push = (i: number) => index.recordManifest(image(i), { tags: [`tag-${String(i).padStart(5, '0')}`], actor: 'bench' });
    f['write: recordManifest with its tag, c=1 (/s)'] = await rate(2_000, 1, push);
    f['write: recordManifest with its tag, c=16 (/s)'] = await rate(TAGS - 2_000, 16, (i) => push(i + 2_000));
    f['write: linkBlob into a new repository, c=16 (/s)'] = await rate(REPOS, 16,
      (i) => index.linkBlob(`bench/repos/r${String(i).padStart(5, '0')}`, digestOf(`r${i}`), 1_000));
    // What a scrub does after filling the index (PostgreSQL would otherwise plan on stale statistics until autovacuum runs).
    await index.analyze();
  } finally {
    await index.close();
  }
  return f;
}

/** Reads, in a process that only opens the filled index: its resident memory is the index's own. */
export async function readWorkload(options: IndexOptions, serverPssMiB?: () => number): Promise<Figures> {
  const f: Figures = {};
  collectGarbage();
  const baseline = rssMiB();
  const baselineHeap = heapMiB();
  const index = await MetadataIndex.open(options);
  try {
    f['RSS added: opening the filled index (MiB)'] = rssMiB() - baseline;
    const tag = (i: number) => `tag-${String((i * 7919) % TAGS).padStart(5, '0')}`;
    const resolve = await latencies(POINT_READS, (i) => index.resolveTag(REPO, tag(i)));
    f['point read: resolveTag p50 (us)'] = resolve.p50;
    f['point read: resolveTag p99 (us)'] = resolve.p99;
    const linked = await latencies(POINT_READS, (i) => index.linkedBlob(`bench/repos/r${String(i % REPOS).padStart(5, '0')}`, digestOf(`r${i % REPOS}`)));
    f['point read: linkedBlob p50 (us)'] = linked.p50;
    f['point read: linkedBlob p99 (us)'] = linked.p99;

    const page = await latencies(PAGE_READS, (i) => index.tagPage(REPO, { n: 100, last: tag(i) }));
    f['100-tag page with metadata of 10,000 p50 (us)'] = page.p50;
    f['100-tag page with metadata of 10,000 p99 (us)'] = page.p99;
    const names = await latencies(PAGE_READS, (i) => index.tagNames(REPO, { n: 100, last: tag(i) }));
    f['100-tag page, names only, p50 (us)'] = names.p50;
    collectGarbage();
    f['RSS added: after point reads and pages, after GC (MiB)'] = rssMiB() - baseline;

    f['10,000 tags with metadata, one call (ms)'] = await median(async () => {
      const p = await index.tagPage(REPO, { n: TAGS });
      if (p.items.length !== TAGS || p.next) throw new Error(`expected ${TAGS} tags, got ${p.items.length}`);
    });
    const stall = stallMeter();
    f['10,000 tags with metadata, allTags slices of 1000 (ms)'] = await median(async () => {
      let n = 0;
      for await (const slice of index.allTags(REPO, 1_000)) n += slice.length;
      if (n !== TAGS) throw new Error(`expected ${TAGS} tags, got ${n}`);
    });
    f['  longest event-loop stall while slicing (ms)'] = stall();

    f['catalog of 10,001 repositories (ms)'] = await median(async () => {
      const c = await index.catalog({ n: 10_000 });
      if (c.items.length !== 10_000) throw new Error(`expected 10000 names, got ${c.items.length}`);
    });
    f['catalog, 100 names after a cursor (us)'] = (await latencies(PAGE_READS, (i) => index.catalog({ n: 100, last: `bench/repos/r${String((i * 31) % REPOS).padStart(5, '0')}` }))).p50;

    const status = await latencies(2_000, () => index.repositoryStatus(REPO));
    f['repository status, 10,000 manifests, p50 (us)'] = status.p50;
    f['repository status, 10,000 manifests, p99 (us)'] = status.p99;
    f['  same figures recounted from rows (ms)'] = await median(() => index.countRepository(REPO));
    f['quota usage of bench/** (ms)'] = await median(() => index.scopeUsage('bench/**'));
    f['GC mark of the 10,000-manifest repository (ms)'] = await median(async () => {
      const mark = await markRepository(await index.repositoryGraph(REPO), { cutoff: 0, deleteUntagged: true });
      if (mark.live.size !== TAGS) throw new Error(`expected ${TAGS} live manifests, got ${mark.live.size}`);
    });
    f['pull times: 10,000 recordPull + one flush (ms)'] = await median(async () => {
      for (let i = 0; i < 10_000; i++) index.recordPull(REPO, digestOf(`m${i % TAGS}`), tag(i), Date.now());
      await index.flushPulls();
    });
    if (options.engine.engine === 'postgres') Object.assign(f, await replicaLatency(index, options));
    collectGarbage();
    f['RSS added: after the whole workload, after GC (MiB)'] = rssMiB() - baseline;
    f['  of which V8 heap in use (MiB)'] = heapMiB() - baselineHeap;
    if (serverPssMiB) f['server memory (PSS of all postgres processes, MiB)'] = serverPssMiB();
  } finally {
    await index.close();
  }
  return f;
}
