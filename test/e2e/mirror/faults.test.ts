// Every upstream fault, on cached and on uncached content. Each fault has its own
// upstream entry (and circuit) behind its own proxy to one Distribution v3:
//   - uncached content gets a clean error (503 UNAVAILABLE, or 429 when the
//     upstream rate-limits) with Retry-After, and opens the circuit;
//   - cached content is then served stale, with a Warning, without asking the
//     upstream again (the circuit is open);
//   - a body cut short is resumed with a Range request; a corrupt body is never
//     stored and fails the client.
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream, type Fault, type RequestKind } from '../../harness/faulty-upstream.js';
import { parseDigest } from '../../../registry/src/reference.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { get, hashBlob, seedImage, type SeededImage } from './fixtures.js';

interface Case {
  readonly name: string;
  readonly fault: Fault;
  readonly only?: RequestKind[];
  readonly times?: number;
  /** What a request for uncached content gets. */
  readonly uncached: { status: number; code: string } | 'resumed' | 'refused-corrupt';
}

const CASES: Case[] = [
  { name: 'down', fault: { kind: 'down' }, uncached: { status: 503, code: 'UNAVAILABLE' } },
  { name: 'blackhole', fault: { kind: 'blackhole' }, uncached: { status: 503, code: 'UNAVAILABLE' } },
  { name: 'slow', fault: { kind: 'slow', delayMs: 4000 }, uncached: { status: 503, code: 'UNAVAILABLE' } },
  { name: 'http-500', fault: { kind: 'status', status: 500 }, uncached: { status: 503, code: 'UNAVAILABLE' } },
  { name: 'http-429', fault: { kind: 'ratelimit', retryAfterSeconds: 60 }, uncached: { status: 429, code: 'TOOMANYREQUESTS' } },
  { name: 'reset', fault: { kind: 'reset', atByte: 100_000 }, only: ['blob-get'], times: 1, uncached: 'resumed' },
  { name: 'corrupt', fault: { kind: 'corrupt', atByte: 100_000 }, only: ['blob-get'], uncached: 'refused-corrupt' },
];

let dist: DistributionProcess;
let cache: InProcessRegistry;
const proxies = new Map<string, FaultyUpstream>();
const counts: string[] = [];

beforeAll(async () => {
  dist = await startDistribution();
  for (const c of CASES) proxies.set(c.name, await FaultyUpstream.start(dist.url));
  cache = await startInProcessRegistry({
    mirror: { upstreams: CASES.map((c) => ({ host: `${c.name}.example`, url: proxies.get(c.name)!.url, tagTTLSeconds: 0 })) },
  });
});

afterAll(async () => {
  process.stdout.write(`upstream requests per fault:\n${counts.join('\n')}\n`);
  await cache?.stop();
  for (const p of proxies.values()) await p.stop();
  await dist?.stop();
});

const layerOf = (image: SeededImage) => image.platforms['linux/amd64'].blobs[1];

describe.each(CASES)('upstream fault: $name', (c) => {
  let cached: SeededImage;
  let uncached: SeededImage;
  let proxy: FaultyUpstream;
  const base = () => `${cache.url}/v2/${c.name}.example/${c.name}/app`;

  beforeAll(async () => {
    proxy = proxies.get(c.name)!;
    cached = await seedImage(dist.host, `${c.name}/app`, 'cached', { layerSize: 512 * 1024 });
    uncached = await seedImage(dist.host, `${c.name}/app`, 'uncached', { layerSize: 512 * 1024 });
    // Warm the cache with one image: its manifest and every blob.
    expect((await get(`${base()}/manifests/cached`)).status).toBe(200);
    for (const b of cached.platforms['linux/amd64'].blobs) expect((await hashBlob(`${base()}/blobs/${b}`)).digest).toBe(b);
    // The uncached image's manifest is fetched too when only blob bodies fail.
    if (c.only) expect((await get(`${base()}/manifests/uncached`)).status).toBe(200);
    proxy.clear();
    await proxy.set(c.fault, { only: c.only, times: c.times });
  });

  afterAll(async () => {
    counts.push(`  ${c.name}: ${proxy.summary()}`);
    await proxy.set({ kind: 'none' });
  });

  test('uncached content', async () => {
    const layer = layerOf(uncached);
    if (c.uncached === 'resumed') {
      const got = await hashBlob(`${base()}/blobs/${layer}`);
      expect(got).toEqual({ status: 200, digest: layer, size: uncached.layout.blob(layer).length });
      const gets = proxy.requests.filter((r) => r.kind === 'blob-get');
      expect(gets.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
      expect(await cache.running.services.storage.blobs.exists(parseDigest(layer)!)).toBe(true);
      return;
    }
    if (c.uncached === 'refused-corrupt') {
      const got = await hashBlob(`${base()}/blobs/${layer}`);
      expect(got.digest === layer && !got.error).toBe(false); // cut short: no client is handed a complete wrong body
      expect(await cache.running.services.storage.blobs.exists(parseDigest(layer)!)).toBe(false);
      await proxy.set({ kind: 'none' });
      expect((await hashBlob(`${base()}/blobs/${layer}`)).digest).toBe(layer);
      await proxy.set(c.fault, { only: c.only, times: c.times });
      return;
    }
    const res = await get(`${base()}/manifests/uncached`);
    expect(res.status).toBe(c.uncached.status);
    expect(JSON.parse(res.body.toString()).errors[0].code).toBe(c.uncached.code);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const blob = await get(`${base()}/blobs/${layer}`);
    expect(blob.status).toBe(c.uncached.status); // the circuit is open: refused at once
  });

  test('cached content: 10/10 pulls succeed, at most one upstream request', async () => {
    const before = proxy.count();
    for (let i = 0; i < 10; i++) {
      const m = await get(`${base()}/manifests/cached`);
      expect(m.status).toBe(200);
      expect(m.headers.get('docker-content-digest')).toBe(cached.digest);
      if (!c.only) expect(m.headers.get('warning')).toMatch(/^110 berth "Response is Stale/);
      for (const b of cached.platforms['linux/amd64'].blobs) expect((await hashBlob(`${base()}/blobs/${b}`)).digest).toBe(b);
    }
    if (c.only) expect(proxy.count('blob-get')).toBe(before); // manifests revalidate normally; cached blobs are never fetched
    else expect(proxy.count()).toBeLessThanOrEqual(Math.max(before, 1));
  });
});
