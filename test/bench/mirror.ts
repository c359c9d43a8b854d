// The pull-through cache's figures (`npm run bench -- --only=mirror`): Berth as a
// cache in front of CNCF Distribution v3 (the upstream) through the test harness's
// counting, fault-injecting proxy. Reported, never asserted:
//   - 10 pulls of a tag within its TTL: upstream requests (target 0);
//   - a pull after the TTL, the tag unchanged: upstream HEADs (≤ 1) and GETs (0);
//   - 50 concurrent cold pulls of one 256 MiB layer: upstream GETs (1) and the time
//     against one cold pull of a layer of the same size (≤ 1.3×), and the same 50
//     pulls once it is stored (the floor: sending 50 × 256 MiB);
//   - 100 manifest GETs of a tag past its TTL (each revalidated with a HEAD): p50, p99;
//   - the upstream down and blackholed: 100 pulls of a cached image, how many
//     succeed (100), the first one's time (≤ 3 s) and the slowest of the rest (≤ 50 ms);
//   - a cache hit against the same request to a local repository (p50 ≤ 1.2×).
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyUpstream, type Fault } from '../harness/faulty-upstream.js';
import { OciLayout } from '../harness/oci-layout.js';
import { runOk } from '../harness/tools.js';
import { HttpClient } from './http-client.js';
import { measure } from './requests.js';
import { MiB, type Results } from './results.js';
import { startBerth, startDistributionV3, type ServerUnderTest } from './servers.js';

const FS = 'filesystem';

interface Image {
  readonly manifest: string;
  readonly blobs: string[];
}

async function seed(host: string, repo: string, tag: string, layerSize: number): Promise<Image> {
  const layout = new OciLayout(await mkdtemp(join(tmpdir(), 'berth-bench-seed-')));
  const top = layout.image({ layers: 2, layerSize, uncompressed: layerSize > MiB });
  await layout.write(top, tag);
  await runOk('crane', ['push', layout.dir, `${host}/${repo}:${tag}`]);
  const doc = JSON.parse(layout.blob(top.digest).toString('utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  await rm(layout.dir, { recursive: true, force: true });
  return { manifest: top.digest, blobs: [doc.config.digest, ...doc.layers.map((l) => l.digest)] };
}

/** Downloads a URL to nowhere; resolves with the status and the bytes received. */
function drain(url: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}

/** One client pull of a small image: the manifest by tag, then every blob. True when all answered 200. */
async function pullImage(client: HttpClient, repo: string, tag: string, image: Image): Promise<boolean> {
  const accept = { Accept: 'application/vnd.oci.image.manifest.v1+json' };
  if ((await client.request('GET', `/v2/${repo}/manifests/${tag}`, { headers: accept })).status !== 200) return false;
  for (const b of image.blobs) if ((await client.request('GET', `/v2/${repo}/blobs/${b}`)).status !== 200) return false;
  return true;
}

export async function runMirrorBench(results: Results, log: (line: string) => void): Promise<void> {
  const upstream = await startDistributionV3({ storage: 'filesystem' });
  let cache: ServerUnderTest | undefined;
  const proxies = new Map<string, FaultyUpstream>();
  try {
    // One proxy (and so one circuit) per upstream entry: the faults of one never reach another's figures.
    for (const name of ['fresh', 'ttl', 'big', 'down', 'blackhole']) proxies.set(name, await FaultyUpstream.start(upstream.url));
    cache = await startBerth({
      storage: 'filesystem',
      berthConfig: {
        mirror: {
          upstreams: [
            { host: 'fresh.example', url: proxies.get('fresh')!.url },
            { host: 'ttl.example', url: proxies.get('ttl')!.url, tagTTLSeconds: 1 },
            { host: 'big.example', url: proxies.get('big')!.url },
            { host: 'down.example', url: proxies.get('down')!.url, tagTTLSeconds: 0 },
            { host: 'blackhole.example', url: proxies.get('blackhole')!.url, tagTTLSeconds: 0 },
          ],
        },
      },
    });
    const client = new HttpClient(cache.url, 64);
    const small = await seed(upstream.host, 'bench/small', 'v1', 64 * 1024);

    // Freshness.
    const fresh = proxies.get('fresh')!;
    if (!(await pullImage(client, 'fresh.example/bench/small', 'v1', small))) throw new Error('cold pull through the cache failed');
    fresh.clear();
    for (let i = 0; i < 10; i++) await pullImage(client, 'fresh.example/bench/small', 'v1', small);
    results.record(FS, 'cache: 10 pulls of a tag within its TTL', 'upstream requests', false, 'berth', fresh.count());
    const ttl = proxies.get('ttl')!;
    await pullImage(client, 'ttl.example/bench/small', 'v1', small);
    await new Promise((r) => setTimeout(r, 1100));
    ttl.clear();
    await pullImage(client, 'ttl.example/bench/small', 'v1', small);
    results.record(FS, 'cache: a pull after the TTL, tag unchanged', 'upstream HEADs', false, 'berth', ttl.count('manifest-head'));
    results.record(FS, 'cache: a pull after the TTL, tag unchanged', 'upstream GETs', false, 'berth', ttl.count('manifest-get', 'blob-get'));
    log(`freshness: within TTL ${fresh.summary()}; after TTL ${ttl.summary()}`);

    // Coalescing.
    const big = proxies.get('big')!;
    const bigImage = await seed(upstream.host, 'bench/big', 'v1', 256 * MiB);
    const [, layerA, layerB] = bigImage.blobs;
    let t = performance.now();
    await drain(`${cache.url}/v2/big.example/bench/big/blobs/${layerA}`);
    const one = (performance.now() - t) / 1000;
    big.clear();
    t = performance.now();
    const all = await Promise.all(Array.from({ length: 50 }, () => drain(`${cache!.url}/v2/big.example/bench/big/blobs/${layerB}`)));
    const fifty = (performance.now() - t) / 1000;
    const complete = all.filter((r) => r.status === 200 && r.bytes > 256 * MiB).length;
    results.record(FS, 'cache: 50 concurrent cold pulls of 256 MiB', 'upstream GETs', false, 'berth', big.count('blob-get'));
    results.record(FS, 'cache: 50 concurrent cold pulls of 256 MiB', 'complete pulls', true, 'berth', complete);
    results.record(FS, 'cache: 50 concurrent cold pulls of 256 MiB', 'seconds', false, 'berth', fifty);
    results.record(FS, 'cache: one cold pull of 256 MiB', 'seconds', false, 'berth', one);
    results.record(FS, 'cache: 50 concurrent cold pulls of 256 MiB', 'x one cold pull', false, 'berth', fifty / one);
    log(`coalescing: one cold pull ${one.toFixed(2)} s; 50 concurrent ${fifty.toFixed(2)} s (${(fifty / one).toFixed(2)}x), ${complete}/50 complete, upstream ${big.summary()}`);
    // The floor under the ratio: the same 50 pulls once the blob is stored, with no upstream involved.
    t = performance.now();
    await Promise.all(Array.from({ length: 50 }, () => drain(`${cache!.url}/v2/big.example/bench/big/blobs/${layerB}`)));
    const warm = (performance.now() - t) / 1000;
    results.record(FS, 'cache: 50 concurrent warm pulls of 256 MiB', 'seconds', false, 'berth', warm);
    results.record(FS, 'cache: 50 concurrent warm pulls of 256 MiB', 'x one cold pull', false, 'berth', warm / one);
    log(`coalescing floor: 50 concurrent pulls of the stored blob ${warm.toFixed(2)} s (${(warm / one).toFixed(2)}x one cold pull)`);

    // Upstream failures against cached content.
    for (const [name, fault] of [['down', { kind: 'down' }], ['blackhole', { kind: 'blackhole' }]] as Array<[string, Fault]>) {
      const proxy = proxies.get(name)!;
      const repo = `${name}.example/bench/small`;
      await pullImage(client, repo, 'v1', small);
      if (name === 'down') {
        // Its tagTTL is 0: while the upstream is up, every manifest GET is revalidated with one HEAD.
        const accept = { Accept: 'application/vnd.oci.image.manifest.v1+json' };
        const revalidated: number[] = [];
        proxy.clear();
        for (let i = 0; i < 100; i++) {
          const started = performance.now();
          await client.request('GET', `/v2/${repo}/manifests/v1`, { headers: accept });
          revalidated.push(performance.now() - started);
        }
        revalidated.sort((a, b) => a - b);
        results.record(FS, 'cache: 100 manifest GETs after the TTL (revalidated)', 'p50 ms', false, 'berth', revalidated[49]);
        results.record(FS, 'cache: 100 manifest GETs after the TTL (revalidated)', 'p99 ms', false, 'berth', revalidated[98]);
        log(`revalidated manifest GET: p50 ${revalidated[49].toFixed(2)} ms, p99 ${revalidated[98].toFixed(2)} ms, upstream ${proxy.summary()}`);
      }
      await proxy.set(fault);
      const times: number[] = [];
      let ok = 0;
      for (let i = 0; i < 100; i++) {
        const started = performance.now();
        if (await pullImage(client, repo, 'v1', small)) ok++;
        times.push(performance.now() - started);
      }
      await proxy.set({ kind: 'none' });
      const rest = times.slice(1).sort((a, b) => a - b);
      results.record(FS, `cache: upstream ${name}, 100 cached pulls`, 'succeeded', true, 'berth', ok);
      results.record(FS, `cache: upstream ${name}, 100 cached pulls`, 'first pull ms', false, 'berth', times[0]);
      results.record(FS, `cache: upstream ${name}, 100 cached pulls`, 'slowest of the rest ms', false, 'berth', rest[rest.length - 1]);
      log(`upstream ${name}: ${ok}/100 pulls, first ${times[0].toFixed(0)} ms, the rest at most ${rest[rest.length - 1].toFixed(1)} ms`);
    }

    // A cache hit against a local repository holding the same image.
    await runOk('crane', ['copy', `${upstream.host}/bench/small:v1`, `${cache.host}/local/small:v1`]);
    const cases = [
      { name: 'manifest GET by tag', path: (repo: string) => `/v2/${repo}/manifests/v1`, headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } },
      { name: 'blob GET 64 KiB', path: (repo: string) => `/v2/${repo}/blobs/${small.blobs[1]}` },
    ];
    for (const c of cases) {
      const figures: Record<string, { rps: number; p50: number }> = {};
      for (const [label, repo] of [['local', 'local/small'], ['cached', 'fresh.example/bench/small'], ['local', 'local/small'], ['cached', 'fresh.example/bench/small']]) {
        const f = await measure(cache, { name: c.name, method: 'GET', path: c.path(repo), headers: c.headers, connections: 10 }, 3);
        const best = figures[label];
        if (!best || f.p50 < best.p50) figures[label] = { rps: f.rps, p50: f.p50 };
      }
      results.record(FS, `cache hit vs local: ${c.name} c=10`, 'p50 ms (cached)', false, 'berth', figures.cached.p50);
      results.record(FS, `cache hit vs local: ${c.name} c=10`, 'p50 ms (local)', false, 'berth', figures.local.p50);
      results.record(FS, `cache hit vs local: ${c.name} c=10`, 'x local p50', false, 'berth', figures.cached.p50 / figures.local.p50);
      results.record(FS, `cache hit vs local: ${c.name} c=10`, 'x local req/s', true, 'berth', figures.cached.rps / figures.local.rps);
      log(`cache hit ${c.name}: p50 ${figures.cached.p50.toFixed(3)} ms vs local ${figures.local.p50.toFixed(3)} ms`);
    }
    client.close();
  } finally {
    await cache?.stop();
    for (const p of proxies.values()) await p.stop();
    await upstream.stop();
  }
}

/** The mirroring targets, checked against this run's figures (a report, never an assertion). */
export function evaluateMirrorTargets(results: Results): string[] {
  const v = (workload: string, unit: string) => results.value(FS, workload, unit, 'berth');
  const line = (ok: boolean | undefined, text: string) => `${ok === undefined ? '  n/a' : ok ? ' PASS' : ' MISS'}  ${text}`;
  const within = (x: number | undefined, max: number) => (x === undefined ? undefined : x <= max);
  return [
    'mirroring targets (this run):',
    line(within(v('cache: 10 pulls of a tag within its TTL', 'upstream requests'), 0), '10 pulls within the TTL: 0 upstream requests'),
    line(v('cache: a pull after the TTL, tag unchanged', 'upstream HEADs') === undefined ? undefined
      : (v('cache: a pull after the TTL, tag unchanged', 'upstream HEADs')! <= 1 && v('cache: a pull after the TTL, tag unchanged', 'upstream GETs') === 0),
    'after the TTL: at most 1 HEAD and 0 GETs'),
    line(within(v('cache: 50 concurrent cold pulls of 256 MiB', 'upstream GETs'), 1), '50 concurrent cold pulls: 1 upstream GET'),
    line(within(v('cache: 50 concurrent cold pulls of 256 MiB', 'x one cold pull'), 1.3), '50 concurrent cold pulls within 1.3x one pull\'s time'),
    ...['down', 'blackhole'].map((n) => line(
      v(`cache: upstream ${n}, 100 cached pulls`, 'succeeded') === undefined ? undefined
        : v(`cache: upstream ${n}, 100 cached pulls`, 'succeeded') === 100 && within(v(`cache: upstream ${n}, 100 cached pulls`, 'first pull ms'), 3000)
          && within(v(`cache: upstream ${n}, 100 cached pulls`, 'slowest of the rest ms'), 50),
      `upstream ${n}: 100/100 cached pulls, the first within 3 s, the rest within 50 ms`)),
    ...['manifest GET by tag c=10', 'blob GET 64 KiB c=10'].map((n) => line(within(v(`cache hit vs local: ${n}`, 'x local p50'), 1.2), `cache hit ${n}: p50 within 1.2x a local repository's`)),
  ];
}
