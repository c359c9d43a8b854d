// The storage caches keep no entry of deleted content: a manifest delete drops its
// serving metadata, and a collection drops the body and the size of every blob it
// removes. Before, those entries stayed until newer ones pushed them out, and the
// long soak's memory grew with every image it deleted. The services are the ones
// the registry assembles (services.ts), on a filesystem store, without a listener.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '#contract/config/load.js';
import { createLogger } from '../log.js';
import { assembleServices, closeServices, type Assembled } from '../services.js';

const INDEX = 'application/vnd.oci.image.index.v1+json';
const ACTOR = { subject: 'test' };
const IMAGES = 40;

let root: string;
let assembled: Assembled;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-forget-'));
  const config = parseConfig({ storage: { filesystem: { root: join(root, 'data') } }, gc: { enabled: false, gracePeriodSeconds: 0 } });
  assembled = await assembleServices(config, createLogger('silent'));
});

afterAll(async () => {
  await closeServices(assembled);
  await rm(root, { recursive: true, force: true });
});

/** An index that references nothing: a manifest whose only blob is its own body. */
function emptyIndex(n: number): Buffer {
  return Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [], annotations: { n: String(n) } }));
}

test('deleting manifests and collecting them leaves the caches as they were before the pushes', async () => {
  const { storage, writes, gc } = assembled.services;
  const before = { sizes: storage.blobs.cachedEntries, ...storage.manifests.cachedEntries };
  const bytesBefore = storage.manifests.cachedBytes;

  const digests = [];
  for (let n = 0; n < IMAGES; n++) {
    const { digest } = await writes.manifests.put('soak/app', `t${n}`, emptyIndex(n), INDEX, [], ACTOR);
    await storage.manifests.get('soak/app', `t${n}`);
    digests.push(digest);
  }
  expect(storage.blobs.cachedEntries).toBe(before.sizes + IMAGES);
  expect(storage.manifests.cachedEntries).toEqual({ bodies: before.bodies + IMAGES, servingMetas: before.servingMetas + IMAGES });

  // Half deleted: their serving metadata goes at once; bodies and sizes stay until GC removes the blobs.
  for (const d of digests.slice(0, IMAGES / 2)) await writes.manifests.deleteManifest('soak/app', d, ACTOR);
  expect(storage.manifests.cachedEntries.servingMetas).toBe(before.servingMetas + IMAGES / 2);

  const run = await gc.run({});
  expect(run.status).toBe('done');
  expect(storage.blobs.cachedEntries).toBe(before.sizes + IMAGES / 2);
  expect(storage.manifests.cachedEntries).toEqual({ bodies: before.bodies + IMAGES / 2, servingMetas: before.servingMetas + IMAGES / 2 });

  // The other half: nothing of the pushes is left.
  for (const d of digests.slice(IMAGES / 2)) await writes.manifests.deleteManifest('soak/app', d, ACTOR);
  expect((await gc.run({})).status).toBe('done');
  expect({ sizes: storage.blobs.cachedEntries, ...storage.manifests.cachedEntries }).toEqual(before);
  expect(storage.manifests.cachedBytes).toEqual(bytesBefore);
  // And what is still stored is served as before: a pushed-again image reads back.
  await writes.manifests.put('soak/app', 'again', emptyIndex(0), INDEX, [], ACTOR);
  expect((await storage.manifests.get('soak/app', 'again')).digest.value).toBe(digests[0].value);
});
