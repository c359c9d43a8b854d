// The cache's own size limit: least recently pulled tags go first, the bytes are
// freed by online GC, a blob shared with a local repository is never lost, a team
// quota never counts cached bytes, and when nothing can go a fill passes through
// without being stored. Then the race: evictions and GC against pushes to local
// repositories that share the cached layers (uploaded again or mounted from the
// cache), 1,000 rounds, and not one local blob lost.
import { parseDigest } from '../../../registry/src/reference.js';
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream } from '../../harness/faulty-upstream.js';
import { startInProcessRegistry, type InProcessRegistry } from '../../harness/in-process-registry.js';
import { OCI_MANIFEST, OciClient, ociImage, randomBlob as makeBlob, type Blob } from '../../harness/oci-client.js';
import { quotaUsed, runGc } from '../../registry/lifecycle/admin.js';
import { cacheRequests, get, hashBlob, seedImage, sha256, sleep, type SeededImage } from './fixtures.js';

const KiB = 1024;
let dist: DistributionProcess;
let hub: FaultyUpstream;

beforeAll(async () => {
  dist = await startDistribution();
  hub = await FaultyUpstream.start(dist.url);
});
afterAll(async () => {
  await hub?.stop();
  await dist?.stop();
});

/** Pulls an image through the cache: manifest and every blob, checked. */
async function pull(cache: InProcessRegistry, repo: string, image: SeededImage, tag: string): Promise<void> {
  const m = await get(`${cache.url}/v2/docker.io/${repo}/manifests/${tag}`);
  expect(m.status).toBe(200);
  for (const b of image.platforms['linux/amd64'].blobs) expect((await hashBlob(`${cache.url}/v2/docker.io/${repo}/blobs/${b}`)).digest).toBe(b);
}

// Pushes as the local tests' clients do: monolithic blob uploads, manifests by PUT.
const uploadBlob = async (url: string, repo: string, b: Blob) => (await new OciClient(url).uploadBlob(repo, b)).status;
const imageManifest = (config: Blob, layers: Blob[]) => ociImage(config, layers).manifest.content;
const putManifest = (url: string, repo: string, reference: string, body: Buffer) =>
  fetch(`${url}/v2/${repo}/manifests/${reference}`, { method: 'PUT', headers: { 'Content-Type': OCI_MANIFEST }, body });
const missingContent = (url: string, repo: string, digest: string, blobs: Blob[]) => new OciClient(url).missingContent(repo, digest, blobs);

const blobOf = (image: SeededImage, i: number): Blob => {
  const digest = image.platforms['linux/amd64'].blobs[i];
  return { digest, content: image.layout.blob(digest) };
};

describe('size limit', () => {
  let cache: InProcessRegistry;
  const images: Record<string, SeededImage> = {};
  // Each image: 2 layers of ~64 KiB; the limit holds three.
  const LIMIT = 3 * 140 * KiB;

  beforeAll(async () => {
    for (const name of ['a', 'b', 'c', 'd']) images[name] = await seedImage(dist.host, `lru/${name}`, 'v1', { layerSize: 64 * KiB });
    images.huge = await seedImage(dist.host, 'lru/huge', 'v1', { layers: 1, layerSize: 600 * KiB });
    cache = await startInProcessRegistry({
      mirror: { upstreams: [{ host: 'docker.io', url: hub.url, maxSizeBytes: LIMIT, evictionGraceSeconds: 0 }] },
      gc: { gracePeriodSeconds: 0.2 },
      repositories: [{ match: '**', quotaBytes: 100 * KiB }],
    });
  });
  afterAll(async () => { await cache?.stop(); });

  test('least recently pulled first; cached bytes stay under the limit plus one layer; GC frees them; local copies stay', async () => {
    // A local image shares b's first layer.
    const shared = blobOf(images.b, 1);
    const config = makeBlob(64);
    expect(await uploadBlob(cache.url, 'team/app', shared)).toBe(201);
    expect(await uploadBlob(cache.url, 'team/app', config)).toBe(201);
    const local = imageManifest(config, [shared]);
    expect((await putManifest(cache.url, 'team/app', 'v1', local)).status).toBe(201);

    for (const name of ['a', 'b', 'c']) await pull(cache, `lru/${name}`, images[name], 'v1');
    await sleep(20);
    await pull(cache, 'lru/a', images.a, 'v1'); // a is now more recent than b
    await pull(cache, 'lru/d', images.d, 'v1'); // over the limit: b goes
    const tags = async (repo: string) => (await (await fetch(`${cache.url}/v2/docker.io/${repo}/tags/list`)).json()) as { tags?: string[] };
    expect((await tags('lru/b')).tags ?? []).toEqual([]);
    for (const name of ['a', 'c', 'd']) expect((await tags(`lru/${name}`)).tags).toEqual(['v1']);
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    const cached = Number(/^berth_cache_bytes\{upstream="docker.io"\} (\d+)/m.exec(metrics)?.[1]);
    expect(cached).toBeLessThanOrEqual(LIMIT + 70 * KiB);
    // The team quota on ** never saw the cached bytes (it would be far over 100 KiB).
    expect(await quotaUsed(cache.url, '**')).toBeLessThan(100 * KiB);

    await sleep(300);
    await runGc(cache.url);
    const { storage } = cache.running.services;
    expect(await storage.blobs.exists(parseDigest(images.b.platforms['linux/amd64'].blobs[2])!)).toBe(false);
    expect(await storage.blobs.exists(parseDigest(shared.digest)!)).toBe(true);
    expect(await missingContent(cache.url, 'team/app', sha256(local), [config, shared])).toEqual([]);
    // Pulling b again fetches it again.
    hub.clear();
    await pull(cache, 'lru/b', images.b, 'v1');
    expect(hub.count('manifest-get')).toBe(1);
  });

  test('full with nothing evictable: served, not stored', async () => {
    const layer = images.huge.platforms['linux/amd64'].blobs[1];
    const got = await hashBlob(`${cache.url}/v2/docker.io/lru/huge/blobs/${layer}`);
    expect(got.digest).toBe(layer);
    expect(await cache.running.services.storage.blobs.exists(parseDigest(layer)!)).toBe(false);
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    expect(cacheRequests(metrics, 'docker.io', 'bypass')).toBeGreaterThanOrEqual(1);
  });
});

describe('eviction racing pushes to local repositories', () => {
  // Bounded: at most 1,000 rounds and 200 s; on a loaded machine at least 300 rounds
  // must fit (a coverage floor, not a speed check; the count is reported).
  const MAX_ROUNDS = 1000;
  const MIN_ROUNDS = 300;
  const DEADLINE_MS = 200_000;
  const NAMES = ['race/a', 'race/b', 'race/c', 'race/d'];
  let cache: InProcessRegistry;
  const images: SeededImage[] = [];

  beforeAll(async () => {
    for (const name of NAMES) images.push(await seedImage(dist.host, name, 'v1', { layers: 2, layerSize: 8 * KiB }));
    cache = await startInProcessRegistry({
      // Room for one image: each pull evicts the one before.
      mirror: { upstreams: [{ host: 'docker.io', url: hub.url, maxSizeBytes: 30 * KiB, evictionGraceSeconds: 0, tagTTLSeconds: 3600 }] },
      gc: { gracePeriodSeconds: 0.3, leaseSeconds: 10 },
    });
  });
  afterAll(async () => { await cache?.stop(); });

  /** A local push sharing a cached layer: mounted from the cache while it is linked there, else uploaded again. */
  async function pushLocal(repo: string, from: string, shared: Blob, stats: { mounted: number; uploaded: number; refused: number }): Promise<{ digest: string; blobs: Blob[] }> {
    const config = makeBlob(32);
    for (let attempt = 0; attempt < 10; attempt++) {
      const mount = await fetch(`${cache.url}/v2/${repo}/blobs/uploads/?mount=${shared.digest}&from=docker.io/${from}`, { method: 'POST' });
      await mount.arrayBuffer();
      if (mount.status === 201) stats.mounted++;
      else {
        if (mount.status === 202) await fetch(`${cache.url}${mount.headers.get('location')}`, { method: 'DELETE' }).then((r) => r.arrayBuffer());
        expect(await uploadBlob(cache.url, repo, shared)).toBe(201);
        stats.uploaded++;
      }
      expect(await uploadBlob(cache.url, repo, config)).toBe(201);
      const body = imageManifest(config, [shared]);
      const res = await putManifest(cache.url, repo, 'latest', body);
      const text = await res.text();
      if (res.status === 201) return { digest: sha256(body), blobs: [config, shared] };
      // A link swept between its upload and the manifest: refused, and the client pushes again (never a loss).
      expect({ status: res.status, code: text.includes('MANIFEST_BLOB_UNKNOWN') }).toEqual({ status: 400, code: true });
      stats.refused++;
    }
    throw new Error('a local push was refused 10 times');
  }

  test('up to 1,000 rounds of local pushes racing pulls that evict, with GC sweeping: 0 local blobs lost', async () => {
    const stats = { rounds: 0, mounted: 0, uploaded: 0, refused: 0, gcRuns: 0, blobsDeleted: 0, evictions: 0 };
    const live = new Map<string, { digest: string; blobs: Blob[] }>();
    const deadline = Date.now() + DEADLINE_MS;
    let running = true;
    const gcLoop = (async () => {
      while (running) {
        const r = await runGc(cache.url);
        stats.gcRuns++;
        stats.blobsDeleted += r.report.blobsDeleted;
        await sleep(10);
      }
    })();
    try {
      await pull(cache, NAMES[0], images[0], 'v1');
      for (let i = 0; i < MAX_ROUNDS && Date.now() < deadline; i++) {
        const current = i % NAMES.length;
        const next = (i + 1) % NAMES.length;
        const repo = `local/app-${i % 8}`;
        // Pull the next image (evicting the current one) while a local push mounts or uploads the current one's
        // layer, starting 0-28 ms in, so the push meets the eviction at every stage.
        const [, pushed] = await Promise.all([
          pull(cache, NAMES[next], images[next], 'v1'),
          sleep((i * 7) % 29).then(() => pushLocal(repo, NAMES[current], blobOf(images[current], 1 + (i % 2)), stats)),
        ]);
        live.set(repo, pushed);
        const problems = await missingContent(cache.url, repo, pushed.digest, pushed.blobs);
        expect({ round: i, problems }).toEqual({ round: i, problems: [] });
        stats.rounds++;
      }
    } finally {
      running = false;
      await gcLoop;
    }
    await sleep(400);
    await runGc(cache.url);
    const lost: string[] = [];
    for (const [repo, img] of live) lost.push(...(await missingContent(cache.url, repo, img.digest, img.blobs)).map((p) => `${repo} ${p}`));
    const metrics = await (await fetch(`${cache.url}/metrics`)).text();
    stats.evictions = Number(/^berth_cache_evictions_total\{upstream="docker.io"\} (\d+)/m.exec(metrics)?.[1] ?? 0);
    process.stdout.write(`eviction race: ${JSON.stringify({ ...stats, lostLocalBlobs: lost.length })}\n`);
    expect(lost).toEqual([]);
    expect(stats.rounds).toBeGreaterThanOrEqual(MIN_ROUNDS);
    expect(stats.evictions).toBeGreaterThanOrEqual(stats.rounds / 2);
    // How many mounts lost the race to an eviction and uploaded instead depends on the machine's timing
    // (0 of 804 in one loaded run, some in quieter ones): printed above, not asserted.
    expect(stats.blobsDeleted).toBeGreaterThan(0); // GC really freed evicted content meanwhile
  }, 300_000);
});
