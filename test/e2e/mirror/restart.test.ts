// A crash in the middle of a fill: the client is cut off, nothing half-written
// becomes a blob, the spool leaves nothing on disk (it was unlinked when opened),
// the abandoned upload is purged, and after the restart the next pull fills the
// blob again, correctly.
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import type { RegistryConfigInput } from '#contract/config/schema.js';
import { startDistribution, type DistributionProcess } from '../../harness/distribution-process.js';
import { FaultyUpstream } from '../../harness/faulty-upstream.js';
import { startRegistryProcess, type RegistryProcess } from '../../harness/registry-process.js';
import { hashBlob, seedImage, sleep } from './fixtures.js';

const MiB = 1024 * 1024;
let dist: DistributionProcess;
let hub: FaultyUpstream;
let cache: RegistryProcess | undefined;

beforeAll(async () => {
  dist = await startDistribution();
  hub = await FaultyUpstream.start(dist.url);
});
afterAll(async () => {
  await cache?.stop();
  await hub?.stop();
  await dist?.stop();
});

const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

test('the registry is killed mid-fill; after the restart the blob is filled again, and nothing corrupt or orphaned stays', async () => {
  const image = await seedImage(dist.host, 'big/restart', 'v1', { layers: 1, layerSize: 32 * MiB, uncompressed: true });
  const layer = image.platforms['linux/amd64'].blobs[1];
  const first = await startRegistryProcess({ config: { log: { level: 'warn', accessLog: false }, mirror: { upstreams: [{ host: 'docker.io', url: hub.url }] } } });
  cache = first;
  const config: RegistryConfigInput = {
    log: { level: 'warn', accessLog: false },
    uploads: { purgeAfterSeconds: 1, purgeIntervalSeconds: 1 },
    mirror: { upstreams: [{ host: 'docker.io', url: hub.url }], spoolDir: join(first.dir, 'spool') },
  };
  await first.stop();
  cache = await startRegistryProcess({ dir: first.dir, port: first.port, config });
  await hub.set({ kind: 'slow', delayMs: 0, bytesPerSecond: 4 * MiB }, { only: ['blob-get'] });
  hub.clear();

  const url = `${cache.url}/v2/docker.io/big/restart/blobs/${layer}`;
  const cut = await new Promise<{ received: number; error?: string }>((resolve) => {
    let received = 0;
    let killed = false;
    const req = request(url, (res) => {
      res.on('data', (c: Buffer) => {
        received += c.length;
        if (!killed && received >= 2 * MiB) {
          killed = true;
          void cache!.kill();
        }
      });
      res.on('end', () => resolve({ received }));
      res.on('error', (err) => resolve({ received, error: err.message }));
    });
    req.on('error', (err) => resolve({ received, error: err.message }));
    req.end();
  });
  expect(cut.error).toBeDefined();
  expect(cut.received).toBeLessThan(32 * MiB);
  const data = join(first.dir, 'data');
  expect(await list(join(data, 'blobs', 'sha256', layer.slice(7, 9)))).not.toContain(layer.slice(7));
  expect(await list(join(first.dir, 'spool'))).toEqual([]);
  expect((await list(join(data, '_uploads'))).length).toBe(1); // the fill's upload, abandoned

  await hub.set({ kind: 'none' });
  cache = await startRegistryProcess({ dir: first.dir, port: first.port, config });
  const again = await hashBlob(url);
  expect(again).toEqual({ status: 200, digest: layer, size: 32 * MiB + 1536 });
  expect(hub.count('blob-get')).toBe(2);
  for (let i = 0; i < 100 && (await list(join(data, '_uploads'))).length > 0; i++) await sleep(100);
  expect(await list(join(data, '_uploads'))).toEqual([]);
  expect(await list(join(first.dir, 'spool'))).toEqual([]);
}, 180_000);
