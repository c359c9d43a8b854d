// Coalescing: fifty concurrent cold pulls of one 256 MiB layer make one upstream
// GET and all fifty get the right bytes; a follower's range is served from the
// growing spool; a client that stops reading or goes away never holds the fill up.
// The cache runs as its own process so the fifty readers here do not share its
// event loop.
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream } from '../../harness/faulty-upstream.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { get, hashBlob, seedImage, sha256, sleep, type SeededImage } from './fixtures.js';

const MiB = 1024 * 1024;
let dist: DistributionProcess;
let hub: FaultyUpstream;
let cache: RegistryProcess;
let image: SeededImage;
let layer: string;

beforeAll(async () => {
  dist = await startDistribution();
  hub = await FaultyUpstream.start(dist.url);
  image = await seedImage(dist.host, 'big/app', 'v1', { layers: 2, layerSize: 256 * MiB, uncompressed: true });
  layer = image.platforms['linux/amd64'].blobs[1];
  cache = await startRegistryProcess({ config: { log: { level: 'warn', accessLog: false }, mirror: { upstreams: [{ host: 'docker.io', url: hub.url }] } } });
});

afterAll(async () => {
  await cache?.stop();
  await hub?.stop();
  await dist?.stop();
});

test('50 concurrent cold pulls of a 256 MiB layer: 1 upstream GET, 50 correct digests', async () => {
  hub.clear();
  const url = `${cache.url}/v2/docker.io/big/app/blobs/${layer}`;
  const results = await Promise.all(Array.from({ length: 50 }, () => hashBlob(url)));
  expect(results.filter((r) => r.status === 200 && r.digest === layer && !r.error)).toHaveLength(50);
  expect(hub.count('blob-get')).toBe(1);
  expect(hub.count()).toBe(1);
  // Stored once, verified: now a plain local hit.
  hub.clear();
  expect((await hashBlob(url)).digest).toBe(layer);
  expect(hub.count()).toBe(0);
  process.stdout.write(`50 concurrent cold pulls of 256 MiB: upstream ${hub.summary()} after, 1 blob GET during\n`);
}, 300_000);

test('a follower\'s range comes from the growing spool; a stalled and a vanished client do not hold the fill', async () => {
  // The upstream trickles the second layer, so the fill is still running while clients join.
  const other = image.platforms['linux/amd64'].blobs[2];
  const url = `${cache.url}/v2/docker.io/big/app/blobs/${other}`;
  await hub.set({ kind: 'slow', delayMs: 0, bytesPerSecond: 64 * MiB }, { only: ['blob-get'] });
  hub.clear();
  // One client reads a few bytes and then stops reading without closing; another leaves at once.
  const stalled = await new Promise<import('node:http').IncomingMessage>((resolve) => request(url, resolve).end());
  stalled.once('data', () => stalled.pause());
  const gone = request(url, (res) => res.destroy());
  gone.end();
  const range = await get(url, { Range: 'bytes=1000000-1999999' });
  expect(range.status).toBe(206);
  expect(range.headers.get('content-range')).toBe(`bytes 1000000-1999999/${image.layout.blob(other).length}`);
  expect(sha256(range.body)).toBe(sha256(image.layout.blob(other).subarray(1_000_000, 2_000_000)));
  // The fill finishes while the stalled client still holds its connection open.
  for (let i = 0; i < 600; i++) {
    const head = await fetch(`${cache.url}/v2/docker.io/big/app/blobs/${other}`, { method: 'HEAD' });
    if (head.status === 200 && (await blobStored(cache, other))) break;
    await sleep(100);
  }
  expect(await blobStored(cache, other)).toBe(true);
  expect(stalled.destroyed).toBe(false);
  stalled.destroy();
  expect(hub.count('blob-get')).toBe(1);
  await hub.set({ kind: 'none' });
}, 300_000);

async function blobStored(reg: RegistryProcess, digest: string): Promise<boolean> {
  const hex = digest.slice('sha256:'.length);
  const names = await readdir(join(reg.dir, 'data', 'blobs', 'sha256', hex.slice(0, 2))).catch(() => [] as string[]);
  return names.includes(hex);
}
